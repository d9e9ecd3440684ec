"""Every page in headless Chromium on a live server: no console errors, every chart drawn.

The world is the demo's (`manage.py demo --scale small`: the synthetic world served by the
simulator and ingested over HTTP by the real ingest code, rollups included). Screenshots go to
test-output/screenshots/ (and, with PULSE_SCREENSHOTS_DIR set, there too: that is how
docs/screenshots/ for the README are made).
"""

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command

from dashboard.derived.rebuild import derived_rebuild
from ingest.models import Actor, Repository
from tests.committers_world import small_fixture  # noqa: F401 - the `small` fixture
from tests.conftest import ROOT
from tests.factories import generated_world

# Playwright's sync API runs an event loop in this thread; Django's ORM would refuse to run
# next to it without this, although the test code itself never awaits anything.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PAGES = [
    ("overview", "/"),
    ("activity", "/activity/"),
    ("newcomers", "/newcomers/"),
    ("committers", "/committers/"),
    ("risks", "/risks/"),
    ("project", None),
    ("person", None),
    ("ingest", "/ingest/"),
    ("digest", "/digest/"),
    ("definitions", "/docs/metrics/"),
]
OUTPUT = ROOT / "test-output" / "screenshots"
# Text pages: the definitions and the weekly digest (lists of links, no chart).
PAGES_WITHOUT_CHARTS = {"definitions", "digest"}

# For each canvas: did anything get painted (a pixel with some opacity)?
CANVASES_DRAWN = """
() => Array.from(document.querySelectorAll('canvas')).map(c => {
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) return true; }
  return false;
})
"""


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.mark.django_db(transaction=True)
def test_every_page_renders_its_charts_without_errors(live_server, browser):
    call_command("demo", "--scale", "small", stdout=io.StringIO())
    busiest = (
        Repository.objects.order_by("-pull_requests__id")
        .values_list("full_name", flat=True)
        .first()
    )
    person = (
        Actor.objects.filter(is_bot=False, pull_requests__isnull=False)
        .order_by("-pull_requests__id")
        .values_list("login", flat=True)
        .first()
    )
    paths = {"project": f"/projects/{busiest}/", "person": f"/people/{person}/"}
    OUTPUT.mkdir(parents=True, exist_ok=True)
    extra = os.environ.get("PULSE_SCREENSHOTS_DIR")
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    for name, path in PAGES:
        path = path or paths[name]
        response = page.goto(live_server.url + path, wait_until="load")
        assert response.status == 200, f"{path}: HTTP {response.status}"
        assert page.locator("nav[aria-label=main] a", has_text="Overview").count() == 1
        drawn = page.evaluate(CANVASES_DRAWN)
        if name not in PAGES_WITHOUT_CHARTS:
            assert drawn, f"{path} has no chart"
        assert all(drawn), f"{path}: canvases not drawn: {drawn}"
        page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)
        if extra:
            page.screenshot(path=str(Path(extra) / f"{name}.png"))
    assert problems == []


@pytest.mark.django_db(transaction=True)
def test_sorting_a_column_and_downloading_csv_in_the_browser(live_server, browser):
    generated_world(people=12, days=120)
    derived_rebuild()
    page = browser.new_page()
    page.goto(live_server.url + "/")
    header = page.locator("table.sortable th", has_text="Merged pull requests")
    header.click()
    column = [
        int(v) for v in page.locator("table.sortable tbody tr td:nth-child(7)").all_inner_texts()
    ]
    assert column == sorted(column, reverse=True)
    header.click()
    column = [
        int(v) for v in page.locator("table.sortable tbody tr td:nth-child(7)").all_inner_texts()
    ]
    assert column == sorted(column)
    with page.expect_download() as download:
        page.get_by_text("Download CSV").click()
    assert download.value.suggested_filename.startswith("pulse-overview-")
    assert "Merged pull requests" in Path(download.value.path()).read_text(encoding="utf-8")


@pytest.mark.django_db(transaction=True)
def test_health_badge_loads_as_an_image(live_server, browser):
    generated_world(people=12, days=120)
    derived_rebuild()
    badge = live_server.url + "/badges/mosn/mosn.svg"
    page = browser.new_page()
    page.goto(live_server.url + "/projects/mosn/mosn/")
    assert page.locator("#table-health h2").inner_text().startswith("Health: ")
    # As a README shows it: an <img> of another page.
    page.set_content(f'<img id="badge" src="{badge}" alt="health">')
    page.wait_for_function("document.getElementById('badge').complete")
    size = page.evaluate("[badge.naturalWidth, badge.naturalHeight]")
    assert size[0] > 60 and size[1] == 20, size
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.locator("#badge").screenshot(path=str(OUTPUT / "badge.png"))
    if os.environ.get("PULSE_SCREENSHOTS_DIR"):
        page.locator("#badge").screenshot(
            path=str(Path(os.environ["PULSE_SCREENSHOTS_DIR"]) / "badge.png")
        )


@pytest.mark.django_db(transaction=True)
def test_digest_and_nomination_draft_in_the_browser(live_server, browser, small):
    page = browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.goto(live_server.url + "/digest/?week=2021-W32&repo=mosn/layotto")
    assert page.locator("h2", has_text="Merged pull requests (1)").count() == 1
    assert page.locator("a", has_text="#17 Add feature").count() == 1
    page.goto(live_server.url + "/committers/?repo=mosn/layotto&until=2022-02-01")
    page.locator("#table-candidates a", has_text="draft").first.click()
    page.wait_for_load_state("load")
    box = page.locator("#nomination-markdown")
    assert box.input_value().startswith("## Nomination: @bob for Committer of mosn/layotto")
    page.get_by_role("button", name="Copy").click()
    page.wait_for_function("document.querySelector('button.copy').textContent === 'Copied'")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "nomination.png"), full_page=True)
    assert problems == []
