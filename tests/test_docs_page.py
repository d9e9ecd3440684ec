"""The definitions page (/docs/metrics/): every link a page makes into it lands on a heading,
and it reads as a rendered document (no Markdown syntax left, no e-mail address).

The links are collected three ways, so that a page added or a note reworded cannot point at a
heading that is gone: from every Page the registry builds for the committers tests' small world
(its `docs_anchor`, its tables' and charts' notes, its intro and context), from the HTML of every
page served for that world, and from the templates and page modules' source (links on branches
that small world does not reach).
"""

import datetime as dt
import os
import re
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.http import QueryDict

from dashboard.forms import FilterForm
from dashboard.pages import PAGES
from tests.committers_world import small_fixture  # noqa: F401 - the `small` fixture
from tests.test_pages_browser import browser  # noqa: F401 - the Chromium fixture

pytestmark = pytest.mark.django_db
# Playwright runs an event loop in this thread; the ORM would refuse to run next to it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ROOT = Path(settings.BASE_DIR)
PERIOD = "since=2021-01-01&until=2022-02-01"
# Links into the definitions page as they appear in HTML, notes and source.
DOCS_LINK = re.compile(r"/docs/metrics/#([A-Za-z0-9_-]+)")
SOURCE_LINKS = (
    DOCS_LINK,
    re.compile(r"""docs_anchor\s*=\s*["']([A-Za-z0-9_-]+)["']"""),
    re.compile(r"\{DOCS(?:_URL)?\}#([A-Za-z0-9_-]+)"),
    re.compile(r"""DOCS(?:_URL)?\s*\+\s*["']#([A-Za-z0-9_-]+)"""),
    re.compile(r"""\{%\s*url\s+['"]metrics-docs['"]\s*%\}#([A-Za-z0-9_-]+)"""),
)
HEADING_ID = re.compile(r'<h([1-6]) id="([^"]+)"')
ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
SERVED = [
    "/",
    "/activity/",
    "/newcomers/",
    "/committers/",
    "/risks/",
    "/projects/mosn/layotto/",
    "/people/bob/",
    "/ingest/",
    "/digest/?week=2021-W32",
    "/committers/nomination/?repo=mosn/layotto&login=bob",
]


def _filters():
    form = FilterForm(QueryDict(PERIOD))
    assert form.is_valid(), form.problems()
    return form.filters()


def _built_pages(small) -> dict:
    filters = _filters()
    extra = {
        "project": {"owner": "mosn", "name": "layotto"},
        "person": {"login": "bob"},
        "digest": {"monday": dt.date(2021, 8, 9)},
        "nomination": {"repository_id": small.repo.id, "login": "bob"},
    }
    return {name: build(filters=filters, **extra.get(name, {})) for name, build in PAGES.items()}


def _strings(value):
    """Every string inside a page's context (dicts, lists, tuples), however nested."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _anchors_of_page(page) -> set[str]:
    anchors = {page.docs_anchor} if page.docs_anchor else set()
    texts = [page.intro, *(t.note for t in page.tables), *(c.note for c in page.chart_items())]
    texts += list(_strings(page.context))
    for text in texts:
        anchors |= set(DOCS_LINK.findall(str(text or "")))
    return anchors


def _anchors_in_source() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    files = [*(ROOT / "templates").rglob("*.html"), *(ROOT / "dashboard").rglob("*.py")]
    for path in files:
        text = path.read_text(encoding="utf-8")
        for pattern in SOURCE_LINKS:
            for anchor in pattern.findall(text):
                found.setdefault(anchor, set()).add(str(path.relative_to(ROOT)))
    return found


def _docs_html(client) -> str:
    response = client.get("/docs/metrics/")
    assert response.status_code == 200
    return response.content.decode()


def _article(html: str) -> str:
    start = html.index('<article class="doc">')
    return html[start : html.index("</article>", start)]


def test_every_anchor_a_page_links_to_is_a_heading_of_the_definitions(client, small):
    heading_ids = {anchor for _, anchor in HEADING_ID.findall(_docs_html(client))}
    wanted: dict[str, set[str]] = {}
    pages = _built_pages(small)
    assert set(pages) == set(PAGES)
    for name, page in pages.items():
        for anchor in _anchors_of_page(page):
            wanted.setdefault(anchor, set()).add(f"page {name}")
        assert page.docs_anchor, f"page {name} links to no definition"
    for path in SERVED:
        separator = "&" if "?" in path else "?"
        response = client.get(f"{path}{separator}{PERIOD}")
        assert response.status_code == 200, path
        for anchor in DOCS_LINK.findall(unescape(response.content.decode())):
            wanted.setdefault(anchor, set()).add(path)
    for anchor, where in _anchors_in_source().items():
        wanted.setdefault(anchor, set()).update(where)
    # The pages this world serves link to the risks and flags sections through their notes.
    assert {"absence-factor", "review-wait", "flags", "weekly-digest"} <= set(wanted)
    missing = {
        anchor: sorted(where) for anchor, where in wanted.items() if anchor not in heading_ids
    }
    assert missing == {}


def test_the_contents_list_every_section_and_link_to_it(client):
    html = _docs_html(client)
    toc = html[html.index('<nav class="doc-toc"') : html.index("</nav>", html.index("doc-toc"))]
    links = re.findall(r'href="#([^"]+)"', toc)
    ids = dict((anchor, level) for level, anchor in HEADING_ID.findall(_article(html)))
    assert links and set(links) <= set(ids)
    sections = {anchor for anchor, level in ids.items() if level in ("2", "3")}
    assert sections <= set(links)
    assert "how-to-read-pulse" in links[:2]  # the reading guide comes first


def test_the_definitions_are_rendered_not_raw_markdown(client):
    article = _article(_docs_html(client))
    assert "<table>" in article and "<strong>" in article and "<code>" in article
    # Code spans and blocks may show any character; everything else must be rendered.
    prose = re.sub(r"<(code|pre)>.*?</\1>", "", article, flags=re.DOTALL)
    assert "**" not in prose
    assert "`" not in prose
    assert not re.search(r"\|\s*-{3}", prose)
    assert not re.search(r"^\s*#{1,6} ", unescape(re.sub(r"<[^>]+>", "", prose)), re.M)
    assert not re.search(r"\]\(", prose)  # no unrendered [text](link)


def test_the_definitions_name_no_address_and_no_code(client):
    html = _docs_html(client)
    assert ADDRESS.findall(html) == []
    text = unescape(re.sub(r"<[^>]+>", " ", _article(html)))
    # Written for the people reading the numbers: the developer's layout is in architecture.md.
    for word in ("union-find", "dashboard/", "ingest/"):
        assert word not in text, word
    assert re.findall(r"(?<!manage)\.py\b", text) == []  # `manage.py` commands are for operators
    assert re.findall(r"\b(?:dashboard|ingest)\.[a-z_]+", text) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [390, 1366])
def test_the_definitions_fit_the_screen_and_the_contents_lead_to_their_section(
    live_server,
    browser,  # noqa: F811 - the imported fixture
    width,
):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(live_server.url + "/docs/metrics/", wait_until="load")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # Wide tables scroll inside themselves: each stays within the screen.
    rights = page.evaluate(
        "Array.from(document.querySelectorAll('article.doc table'))"
        ".map(t => t.getBoundingClientRect().right)"
    )
    assert rights and max(rights) <= width
    page.locator("nav.doc-toc a", has_text="Risks").first.click()
    top = page.evaluate("document.getElementById('risks').getBoundingClientRect().top")
    assert -2 <= top < 100  # scrolled to it (sub-pixel rounding aside)
    page.close()
