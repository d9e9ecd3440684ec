"""The filter bar as a user meets it: which filters each page shows, the organisation choices,
the quick ranges, the 400 page that keeps the bar with the wrong field marked, the project
picker that goes to the chosen project, and CSV filenames that name the page and the period."""

import datetime as dt
import io
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from dashboard.derived.rebuild import derived_rebuild
from ingest.models import Repository
from tests.factories import commit, small_world

pytestmark = pytest.mark.django_db

FIRST_MONTH = dt.date(2023, 2, 1)  # small_world's first contribution: 2023-02-10


class FilterBar(HTMLParser):
    """The filter form's fields (by id: tag, attributes, selected options) and quick ranges."""

    def __init__(self, html: str):
        super().__init__()
        self.found = False
        self.fields: dict[str, dict] = {}
        self.errors: dict[str, str] = {}
        self.labels: dict[str, str] = {}
        self.ranges: list[dict] = []
        self._in_form = False
        self._select = None
        self._option = None
        self._text_of = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "filters" in (attrs.get("class") or "").split():
            self.found = self._in_form = True
            return
        if not self._in_form:
            return
        if tag in ("input", "select") and attrs.get("id"):
            field = {"tag": tag, "attrs": attrs, "options": [], "selected": []}
            self.fields[attrs["id"].removeprefix("filter-")] = field
            if tag == "select":
                self._select = field
        elif tag == "option" and self._select is not None:
            self._option = {"value": attrs.get("value", ""), "label": ""}
            self._select["options"].append(self._option)
            if "selected" in attrs:
                self._select["selected"].append(self._option["value"])
        elif tag == "span" and "filter-error" in (attrs.get("class") or ""):
            self._text_of = ("error", attrs["id"].removeprefix("filter-").removesuffix("-error"))
        elif tag == "label" and attrs.get("for"):
            self._text_of = ("label", attrs["for"].removeprefix("filter-"))
        elif tag == "a" and self._text_of is None and "href" in attrs:
            self._range = {"url": attrs["href"], "active": "aria-current" in attrs, "label": ""}
            self._text_of = ("range", None)

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "option":
            self._option = None
        elif tag in ("span", "label", "a"):
            if self._text_of and self._text_of[0] == "range" and tag == "a":
                if self._range["label"] != "Reset":
                    self.ranges.append(self._range)
            self._text_of = None

    def handle_data(self, data):
        if self._option is not None:
            self._option["label"] += data
        if self._text_of is None:
            return
        kind, name = self._text_of
        if kind == "error":
            self.errors[name] = self.errors.get(name, "") + data
        elif kind == "label":
            self.labels[name] = self.labels.get(name, "") + data
        elif kind == "range":
            self._range["label"] += data

    def range(self, label_start: str) -> dict:
        return next(r for r in self.ranges if r["label"].startswith(label_start))


def bar(response) -> FilterBar:
    return FilterBar(response.content.decode("utf-8"))


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


@pytest.fixture
def world():
    built = small_world()
    derived_rebuild()
    return built


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/", {"repo", "org", "since", "until"}),
        ("/activity/", {"repo", "org", "since", "until", "interval"}),
        (
            "/newcomers/",
            {"repo", "org", "since", "until", "interval", "kind", "coauthors", "stack"},
        ),
        ("/committers/", {"repo", "org", "since", "until"}),
        ("/risks/", {"repo", "org", "since", "until", "interval"}),
        ("/digest/", {"week", "repo", "org"}),
        ("/projects/acme/alpha/", {"project", "since", "until", "interval"}),
        ("/people/alice/", {"since", "until", "interval"}),
    ],
)
def test_each_page_shows_only_the_filters_it_uses(client, world, path, fields):
    response = client.get(path)
    assert response.status_code == 200
    assert set(bar(response).fields) == fields


def test_the_ingest_page_has_no_filter_bar(client, world):
    response = client.get("/ingest/")
    assert response.status_code == 200
    assert not bar(response).found


def test_committers_name_what_since_and_until_drive_there(client, world):
    labels = bar(client.get("/committers/")).labels
    assert labels["until"] == "As of"
    assert labels["since"] == "Candidates counted from"


def test_the_organisation_select_offers_the_organisations_of_tracked_repositories(client, world):
    org = bar(client.get("/")).fields["org"]
    assert org["tag"] == "select"
    assert [o["value"] for o in org["options"]] == ["", "acme", "other"]
    assert org["selected"] == [""]
    Repository.objects.filter(full_name="other/gamma").update(tracked=False)
    org = bar(client.get("/?org=acme")).fields["org"]
    assert [o["value"] for o in org["options"]] == ["", "acme"]
    assert org["selected"] == ["acme"]


def test_the_project_multi_select_is_searchable_and_keeps_the_choice(client, world):
    repo = bar(client.get("/activity/?repo=acme/beta&repo=other/gamma")).fields["repo"]
    assert "multiple" in repo["attrs"] and "data-searchable" in repo["attrs"]
    assert [o["value"] for o in repo["options"]] == ["acme/alpha", "acme/beta", "other/gamma"]
    assert repo["selected"] == ["acme/beta", "other/gamma"]


def test_quick_ranges_set_since_and_until(client, world):
    today = timezone.now().date()
    found = bar(client.get("/activity/?repo=acme/alpha&interval=quarter&format=html"))
    expected = {
        "Last 90 days": (today - dt.timedelta(days=89), today),
        "Last 12 months": (today - dt.timedelta(days=364), today),
        "This quarter": (dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1), today),
        f"Last year ({today.year - 1})": (
            dt.date(today.year - 1, 1, 1),
            dt.date(today.year - 1, 12, 31),
        ),
        "All time (since Feb 2023)": (FIRST_MONTH, today),
    }
    assert len(found.ranges) == len(expected)
    for label, (since, until) in expected.items():
        query = query_of(found.range(label)["url"])
        assert query["since"] == [since.isoformat()], label
        assert query["until"] == [until.isoformat()], label
        # The other filters stay as chosen; the format does not travel.
        assert query["repo"] == ["acme/alpha"] and query["interval"] == ["quarter"], label
        assert "format" not in query


def test_the_active_quick_range_is_marked(client, world):
    # No period given: the default period is the last 12 months.
    found = bar(client.get("/activity/"))
    assert [r["label"] for r in found.ranges if r["active"]] == ["Last 12 months"]
    last_year = found.range("Last year")
    followed = client.get(last_year["url"])
    assert followed.status_code == 200
    found = bar(followed)
    assert [r["label"] for r in found.ranges if r["active"]] == [last_year["label"]]
    # A period of one's own marks none.
    found = bar(client.get("/activity/?since=2024-01-02&until=2024-02-03"))
    assert not [r for r in found.ranges if r["active"]]


def test_all_time_picks_an_interval_that_fits_a_long_history(client, world):
    commit(world["repos"]["acme/alpha"], "1999-03-04 10:00", author=world["people"]["alice"])
    derived_rebuild()
    found = bar(client.get("/activity/?interval=week"))
    all_time = found.range("All time (since Mar 1999)")
    query = query_of(all_time["url"])
    assert query["since"] == ["1999-03-01"]
    # 27 years of weeks is more than a chart may hold: the link asks for months.
    assert query["interval"] == ["month"]
    assert client.get(all_time["url"]).status_code == 200


def test_a_bad_date_keeps_the_bar_with_the_field_marked_and_the_value_in_place(client, world):
    response = client.get("/activity/?since=2024-13-45&repo=acme/beta&interval=quarter")
    assert response.status_code == 400
    found = bar(response)
    since = found.fields["since"]["attrs"]
    assert since["aria-invalid"] == "true"
    assert since["value"] == "2024-13-45"
    # A date input would drop a value that is not a date; the text input keeps it editable.
    assert since["type"] == "text"
    assert since["aria-describedby"] == "filter-since-error"
    assert "since must be a date as YYYY-MM-DD" in found.errors["since"]
    assert "aria-invalid" not in found.fields["until"]["attrs"]
    assert found.fields["repo"]["selected"] == ["acme/beta"]
    assert found.fields["interval"]["selected"] == ["quarter"]
    assert found.ranges  # the quick ranges are there to start again from


@pytest.mark.parametrize(
    ("query", "marked", "message"),
    [
        ("repo=acme/nothing", {"repo"}, "unknown repository: acme/nothing"),
        ("org=nobody", {"org"}, "unknown org: nobody"),
        ("repo=other/gamma&org=acme", {"org"}, "none of the chosen repositories"),
        ("since=2024-05-01&until=2024-01-01", {"since", "until"}, "is after until"),
        ("since=1990-01-01&interval=week", {"interval"}, "choose a longer interval"),
        ("interval=fortnight", {"interval"}, "is not one of"),
    ],
)
def test_the_400_page_marks_the_field_at_fault(client, world, query, marked, message):
    response = client.get(f"/activity/?{query}")
    assert response.status_code == 400
    found = bar(response)
    invalid = {name for name, field in found.fields.items() if field["attrs"].get("aria-invalid")}
    assert invalid == marked
    for name in marked:
        assert message in found.errors[name].replace("&#x27;", "'")
    # The message is said once above the bar, however many fields it marks.
    html = response.content.decode()
    problems = re.findall(r"<li>(.*?)</li>", html.split('class="problems"', 1)[1].split("</ul>")[0])
    assert len(problems) == 1


def test_a_value_not_among_the_choices_stays_selected_on_the_400_page(client, world):
    found = bar(client.get("/?repo=acme/nothing&org=nobody"))
    repo, org = found.fields["repo"], found.fields["org"]
    assert repo["selected"] == ["acme/nothing"]
    assert "(unknown)" in repo["options"][-1]["label"]
    assert org["selected"] == ["nobody"]


def test_a_bad_week_keeps_the_digest_bar_with_the_week_marked(client, world):
    response = client.get("/digest/?week=2024-W99&repo=acme/alpha")
    assert response.status_code == 400
    found = bar(response)
    week = found.fields["week"]["attrs"]
    assert week["aria-invalid"] == "true" and week["value"] == "2024-W99"
    assert found.errors["week"]
    assert found.fields["repo"]["selected"] == ["acme/alpha"]


def test_the_project_picker_opens_the_chosen_projects_page_with_the_period(client, world):
    found = bar(client.get("/projects/acme/alpha/?since=2024-01-01"))
    assert found.fields["project"]["selected"] == ["acme/alpha"]
    response = client.get("/projects/acme/alpha/?repo=acme/beta&since=2024-01-01&interval=year")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/projects/acme/beta/"
    assert parse_qs(target.query) == {"since": ["2024-01-01"], "interval": ["year"]}
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert bar(page).fields["project"]["selected"] == ["acme/beta"]
    # Choosing the page's own project (the picker's default) is no redirect.
    assert client.get("/projects/acme/alpha/?repo=acme/alpha").status_code == 200


def test_an_unknown_project_chosen_in_the_picker_is_marked_on_the_400(client, world):
    response = client.get("/projects/acme/alpha/?repo=acme/nothing")
    assert response.status_code == 400
    project = bar(response).fields["project"]
    assert project["attrs"]["aria-invalid"] == "true"
    assert project["selected"] == ["acme/nothing"]


def filename(response) -> str:
    return re.search(r'filename="([^"]+)"', response["Content-Disposition"]).group(1)


def test_csv_filenames_carry_the_page_and_the_period(client, world):
    response = client.get("/activity/?since=2025-01-01&until=2025-12-31&format=csv")
    assert filename(response) == "pulse-activity-2025-01-01_2025-12-31.csv"
    html = client.get("/risks/?since=2024-01-01&until=2024-12-31").content.decode()
    tables = re.findall(r'<section class="table-section" id="table-([\w-]+)"', html)
    assert len(tables) > 1
    first = client.get(f"/risks/?since=2024-01-01&until=2024-12-31&format=csv&table={tables[0]}")
    assert filename(first) == "pulse-risks-2024-01-01_2024-12-31.csv"
    second = client.get(f"/risks/?since=2024-01-01&until=2024-12-31&format=csv&table={tables[1]}")
    assert filename(second) == f"pulse-risks-{tables[1]}-2024-01-01_2024-12-31.csv"
    # The default period is named as resolved, so two downloads of it can be told apart.
    today = timezone.now().date()
    default = client.get("/newcomers/?format=csv")
    start = today - dt.timedelta(days=364)
    assert filename(default) == f"pulse-newcomers-{start.isoformat()}_{today.isoformat()}.csv"


def test_csv_filenames_of_the_digest_person_and_ingest_pages(client, world):
    digest = client.get("/digest/?week=2024-W10&format=csv")
    assert filename(digest) == "pulse-digest-2024-W10.csv"
    person = client.get("/people/alice/?since=2024-01-01&until=2024-06-30&format=csv")
    assert filename(person) == "pulse-person-alice-2024-01-01_2024-06-30.csv"
    # The ingest page counts no period: its CSV is a snapshot, named by its day.
    ingest = client.get("/ingest/?format=csv")
    assert filename(ingest) == f"pulse-ingest-{timezone.now().date().isoformat()}.csv"


def test_manage_py_export_into_a_directory_uses_the_download_name(world, tmp_path):
    err = io.StringIO()
    call_command(
        "export",
        "risks",
        "--since",
        "2024-01-01",
        "--until",
        "2024-12-31",
        "--output",
        str(tmp_path),
        stderr=err,
    )
    written = [path.name for path in tmp_path.iterdir()]
    assert written == ["pulse-risks-2024-01-01_2024-12-31.csv"]
    assert written[0] in err.getvalue()
    # A file name is used as given.
    call_command("export", "activity", "--output", str(tmp_path / "mine.csv"), stderr=err)
    assert (tmp_path / "mine.csv").read_text(encoding="utf-8").startswith("Interval start")
