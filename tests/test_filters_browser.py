"""The filter bar in headless Chromium under the real Content-Security-Policy: the project and
organisation pickers are searchable (type part of a name, pick it, apply), the project page's
picker opens the chosen project, a quick range marks itself, and without JavaScript the
plain selects submit the same query. No console error anywhere (a CSP breach is one)."""

import os
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from dashboard.derived.rebuild import derived_rebuild
from tests.factories import small_world
from tests.test_pages_browser import browser  # noqa: F401 - the `browser` fixture

# Playwright's sync API runs an event loop in this thread (see tests/test_pages_browser.py).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

PERIOD = "since=2024-01-01&until=2024-12-31"


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


@pytest.fixture
def world(transactional_db):
    built = small_world()
    derived_rebuild()
    return built


@pytest.fixture
def page(browser, live_server, world):  # noqa: F811 - pytest passes the imported fixture
    tab = browser.new_page(viewport={"width": 1366, "height": 900})
    problems: list[str] = []
    tab.on(
        "console",
        lambda m: (
            problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning")
            else None
        ),
    )
    tab.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    tab.on("requestfailed", lambda r: problems.append(f"failed {r.url}"))
    tab.problems = problems
    tab.base = live_server.url
    yield tab
    tab.close()


def pick(page, field: str, typed: str, option: str) -> None:
    """Type into a Tom Select picker and click the one option that matches."""
    page.locator(f".filter:has(#filter-{field}) .ts-control input").focus()
    page.keyboard.type(typed)
    dropdown = page.locator(f".filter:has(#filter-{field}) .ts-dropdown .option")
    # Typing narrows the list to the matching names: here one.
    expect(dropdown).to_have_count(1)
    expect(dropdown).to_have_text(option)
    dropdown.click()


def test_the_project_and_organisation_pickers_are_searchable(page):
    page.goto(f"{page.base}/activity/?{PERIOD}")
    # Tom Select took over the two pickers; the interval stays a plain select.
    assert page.locator(".filter:has(#filter-repo) .ts-wrapper.multi").count() == 1
    assert page.locator(".filter:has(#filter-org) .ts-wrapper.single").count() == 1
    assert page.locator(".filter:has(#filter-interval) .ts-wrapper").count() == 0
    pick(page, "repo", "gam", "other/gamma")
    pick(page, "repo", "bet", "acme/beta")
    # Straight from the picker to Apply, as a user would: the first click must submit.
    with page.expect_navigation():
        page.get_by_role("button", name="Apply").click()
    chosen = query(page.url)
    assert chosen["repo"] == ["acme/beta", "other/gamma"] or chosen["repo"] == [
        "other/gamma",
        "acme/beta",
    ]
    assert chosen["since"] == ["2024-01-01"]
    items = page.locator(".filter:has(#filter-repo) .ts-control .item").all_inner_texts()
    assert {item.strip("×\n ").strip() for item in items} == {"acme/beta", "other/gamma"}
    # The organisation: search, pick, apply.
    page.goto(f"{page.base}/activity/?{PERIOD}")
    pick(page, "org", "oth", "other")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply").click()
    assert query(page.url)["org"] == ["other"]
    assert "Pull requests" in page.content()  # the page, not a 400
    assert page.problems == []


def test_the_project_picker_opens_the_chosen_project(page):
    page.goto(f"{page.base}/projects/acme/alpha/?{PERIOD}&interval=quarter")
    with page.expect_navigation():
        pick(page, "project", "bet", "acme/beta")
    page.wait_for_load_state("load")
    target = urlsplit(page.url)
    assert target.path == "/projects/acme/beta/"
    assert parse_qs(target.query) == {
        "since": ["2024-01-01"],
        "until": ["2024-12-31"],
        "interval": ["quarter"],
    }
    assert page.locator("h1").first.inner_text().startswith("acme/beta")
    assert page.problems == []


def test_a_quick_range_link_sets_the_period_and_is_marked(page):
    page.goto(f"{page.base}/activity/?repo=acme/alpha")
    ranges = page.locator("nav.quick-ranges a")
    assert page.locator("nav.quick-ranges a[aria-current]").all_inner_texts() == ["Last 12 months"]
    last_year = ranges.filter(has_text="Last year")
    label = last_year.inner_text()
    with page.expect_navigation():
        last_year.click()
    year = label.split("(")[1].rstrip(")")
    assert query(page.url)["since"] == [f"{year}-01-01"]
    assert query(page.url)["repo"] == ["acme/alpha"]
    assert page.locator("nav.quick-ranges a[aria-current]").all_inner_texts() == [label]
    assert page.locator("#filter-since").input_value() == f"{year}-01-01"
    assert page.problems == []


def test_without_javascript_the_plain_selects_submit_the_same_query(browser, live_server, world):  # noqa: F811
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.goto(f"{live_server.url}/activity/?{PERIOD}")
    assert tab.locator(".ts-wrapper").count() == 0
    tab.select_option("#filter-repo", ["acme/beta", "other/gamma"])
    tab.select_option("#filter-org", "")
    with tab.expect_navigation():
        tab.get_by_role("button", name="Apply").click()
    assert query(tab.url)["repo"] == ["acme/beta", "other/gamma"]
    # On a project page the picker's choice is sent to the server, which opens that project.
    tab.goto(f"{live_server.url}/projects/acme/alpha/?{PERIOD}")
    tab.select_option("#filter-project", "acme/beta")
    with tab.expect_navigation():
        tab.get_by_role("button", name="Apply").click()
    assert urlsplit(tab.url).path == "/projects/acme/beta/"
    context.close()


def test_the_400_page_marks_the_field_and_can_be_corrected_in_place(page):
    response = page.goto(f"{page.base}/activity/?since=2024-02-30&until=2024-12-31")
    assert response.status == 400
    since = page.locator("#filter-since")
    assert since.get_attribute("aria-invalid") == "true"
    assert since.input_value() == "2024-02-30"
    assert page.locator("#filter-since-error").inner_text()
    since.fill("2024-02-01")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply").click()
    assert query(page.url)["since"] == ["2024-02-01"]
    assert page.locator("#filter-since").get_attribute("aria-invalid") is None
    # The 400 itself logs the failed load; nothing else may complain.
    assert [p for p in page.problems if "400" not in p] == []
