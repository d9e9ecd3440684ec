"""No input makes a page answer 500: dates at the ends of the calendar, empty repository sets,
generated filter combinations on every page and format (Hypothesis)."""

import datetime as dt

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.derived.rebuild import derived_rebuild
from dashboard.forms import EARLIEST_DATE, supported_dates
from ingest.models import Repository
from tests.factories import repository, small_world

pytestmark = pytest.mark.django_db

# Every filtered page (DESIGN.md): overview, activity, newcomers, committers, a project, a
# person, ingest.
PAGES = [
    "/",
    "/activity/",
    "/newcomers/",
    "/committers/",
    "/projects/acme/alpha/",
    "/people/bob/",
    "/ingest/",
]
FORMATS = ["", "&format=csv", "&format=json"]
EXTREMES = [
    "until=0001-01-01",
    "until=9999-12-31",
    "since=0001-01-01&until=9999-12-31&interval=year",
    "since=0001-01-01&until=0001-01-01",
    "since=9999-12-31",
    "since=1969-12-31&until=1970-01-01",
]


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


@pytest.fixture
def world():
    built = small_world()
    derived_rebuild()
    return built


def answer(client, url: str):
    """The response with its streamed body read (an export can fail while it streams)."""
    response = client.get(url)
    if response.streaming:
        response.body = b"".join(response.streaming_content)
    else:
        response.body = response.content
    return response


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("query", EXTREMES)
@pytest.mark.parametrize("path", PAGES)
def test_dates_at_the_ends_of_the_calendar_are_a_400_naming_the_supported_range(
    client, world, path, query, fmt
):
    response = answer(client, f"{path}?{query}{fmt}")
    assert response.status_code == 400, response.body[:300]
    earliest, latest = supported_dates()
    text = response.body.decode()
    assert f"{earliest.isoformat()}..{latest.isoformat()}" in text
    assert "outside the supported range" in text


@pytest.mark.parametrize("path", PAGES)
def test_the_first_and_last_supported_days_are_answered(client, world, path):
    earliest, latest = supported_dates()
    for query in (
        f"since={earliest.isoformat()}&until={earliest.isoformat()}",
        f"since={latest.isoformat()}&until={latest.isoformat()}",
        f"since={earliest.isoformat()}&until={latest.isoformat()}&interval=year",
    ):
        for fmt in FORMATS:
            response = answer(client, f"{path}?{query}{fmt}")
            assert response.status_code == 200, (query, fmt, response.body[:300])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", ["/", "/activity/", "/newcomers/", "/committers/", "/ingest/"])
def test_pages_before_the_first_ingest_answer_with_nothing_to_show(client, path, fmt):
    assert not Repository.objects.exists()
    response = answer(client, f"{path}?{fmt}")
    assert response.status_code == 200, response.body[:500]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", ["/", "/activity/", "/newcomers/", "/committers/"])
def test_pages_with_only_untracked_repositories_answer(client, path, fmt):
    repository("acme/old", tracked=False)
    response = answer(client, f"{path}?{fmt}")
    assert response.status_code == 200, response.body[:500]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_repository_outside_the_chosen_org_is_a_400_that_says_so(client, world, fmt):
    response = answer(client, f"/newcomers/?org=other&repo=acme/alpha{fmt}")
    assert response.status_code == 400
    assert "none of the chosen repositories belongs to org other" in response.body.decode()


# -- generated filters ------------------------------------------------------------------------

EXTREME_DAYS = [dt.date.min, dt.date.max, dt.date(1969, 12, 31), EARLIEST_DATE]
REPOS = ["acme/alpha", "acme/beta", "other/gamma", "ACME/Alpha"]
VALID = {
    "interval": ["week", "month", "quarter", "year"],
    "format": ["html", "csv", "json"],
    "org": ["acme", "other", "ACME"],
    "kind": ["default", "any", "commit", "pull_request", "issue"],
    "coauthors": ["include", "exclude"],
    "stack": ["project", "kind"],
    "table": ["new", "waiting", "by_year", "retention", "runs", "ladder"],
}


def _days() -> st.SearchStrategy[str]:
    earliest, latest = supported_dates()
    return st.one_of(
        st.dates(),  # anywhere in 0001..9999
        st.dates(min_value=earliest, max_value=latest),
        st.sampled_from(EXTREME_DAYS + [earliest, latest]),
    ).map(dt.date.isoformat)


def _queries(*, junk: bool) -> st.SearchStrategy[dict]:
    """Filter combinations: with `junk`, any text as well as the page's own values."""

    def value(valid: list[str]) -> st.SearchStrategy[str]:
        chosen = st.sampled_from(valid)
        return st.one_of(chosen, st.text(max_size=10)) if junk else chosen

    days = _days()
    repos = st.sampled_from(REPOS)
    if junk:
        days = st.one_of(
            days,
            st.sampled_from(["", "2024-02-30", "2024-13-01", "0000-01-01", "10000-01-01"]),
            st.text(max_size=12),
        )
        repos = st.one_of(
            repos,
            st.sampled_from(["nobody/here", "acme", "/", "a/b/c", "acme/alpha/"]),
            st.text(max_size=15),
        )
    return st.fixed_dictionaries(
        {},
        optional={
            "since": days,
            "until": days,
            "repo": st.lists(repos, max_size=3),
            **{name: value(valid) for name, valid in VALID.items()},
        },
    )


# Half the examples hold only well-formed values (so they reach the selectors, with dates
# anywhere in the calendar), half anything at all.
QUERIES = st.one_of(_queries(junk=False), _queries(junk=True))


@pytest.mark.parametrize("path", PAGES)
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,  # no example database written into the working tree
)
@given(query=QUERIES)
def test_generated_filters_never_get_a_500(client, world, path, query):
    response = client.get(path, query)
    if response.status_code == 302:  # a project page's picker chose another project: go there
        assert path.startswith("/projects/") and response["Location"].startswith("/projects/")
        response = client.get(response["Location"])
    if response.streaming:
        b"".join(response.streaming_content)
    assert response.status_code in (200, 400, 404), (path, query, response.status_code)
