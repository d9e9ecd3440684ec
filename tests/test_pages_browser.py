"""Every page in headless Chromium on a live server, at phone, tablet, laptop and wide widths.

At each width: no horizontal page overflow. At phone and laptop widths also: no console errors,
every chart drawn, no serious or critical axe-core violation, wide tables scrolling inside their
card under a sticky first column, and a screenshot. The world is the demo's (`manage.py demo
--scale small`: the synthetic world served by the simulator and ingested over HTTP by the real
ingest code, rollups included). Screenshots go to test-output/screenshots/NAME-WIDTH.png (and,
with PULSE_SCREENSHOTS_DIR set, there too: that is how docs/screenshots/ for the README are made).
"""

import io
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
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
    ("login", "/accounts/login/"),
    ("bad-filter", "/activity/?since=2025-13-01"),
    ("not-found", "/projects/nobody/nothing/"),
]
# Pages that answer with an error status and still show the whole layout.
STATUS = {"bad-filter": 400, "not-found": 404}
OUTPUT = ROOT / "test-output" / "screenshots"
# Text pages: the definitions and the weekly digest (lists of links, no chart), and pages
# that say what went wrong.
PAGES_WITHOUT_CHARTS = {"definitions", "digest", "login", "bad-filter", "not-found"}
# Viewports people use: a phone, a tablet, a laptop, a desktop monitor.
VIEWPORTS = {390: 844, 768: 1024, 1366: 768, 1920: 1080}
# Widths where everything is checked; the others are checked for overflow only, to keep the
# suite short (the layout's breakpoints are exercised by the two full ones).
FULLY_CHECKED = (390, 1366)
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"

# For each canvas: did anything get painted (a pixel with some opacity)?
CANVASES_DRAWN = """
() => Array.from(document.querySelectorAll('canvas')).map(c => {
  if (!c.width || !c.height) return false;
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) return true; }
  return false;
})
"""

# The page's width beyond the viewport, and the widest elements that stick out (to name them).
OVERFLOW = """
() => {
  const width = window.innerWidth;
  const over = document.documentElement.scrollWidth - width;
  if (over <= 0) return null;
  const culprits = Array.from(document.querySelectorAll('body *'))
    .filter(e => e.getBoundingClientRect().right > width + 0.5)
    .slice(0, 5)
    .map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).trim()
      .replace(/\\s+/g, '.') : '') + ' right=' + Math.round(e.getBoundingClientRect().right));
  return {over: over, culprits: culprits};
}
"""

# Each table wider than its card: scrolled to its right end, the first column must still sit at
# the card's left edge, and its cells must be opaque so the scrolled cells do not show through.
STICKY_FIRST_COLUMN = """
() => Array.from(document.querySelectorAll('.table-wrap')).map(wrap => {
  if (wrap.scrollWidth <= wrap.clientWidth) return null;
  const table = wrap.querySelector('table');
  wrap.scrollLeft = wrap.scrollWidth;
  const left = wrap.getBoundingClientRect().left + wrap.clientLeft;
  const firstCells = Array.from(table.rows).slice(0, 3).map(r => r.cells[0]).filter(c => c);
  const problems = firstCells.flatMap(cell => {
    const out = [];
    const off = Math.abs(cell.getBoundingClientRect().left - left);
    if (off > 1.5) out.push(`first column moved by ${Math.round(off)} px`);
    const bg = getComputedStyle(cell).backgroundColor;
    const alpha = bg.startsWith('rgba') ? parseFloat(bg.split(',')[3]) : 1;
    if (bg === 'transparent' || alpha < 1) out.push(`first column see-through (${bg})`);
    return out;
  });
  wrap.scrollLeft = 0;
  const id = (wrap.closest('section') || {}).id || 'table';
  return [...new Set(problems)].map(p => `${id}: ${p}`);
}).filter(problems => problems !== null)
"""

# The first table wider than its card, brought into view and scrolled half way sideways.
SCROLL_A_WIDE_TABLE = """
() => {
  const wrap = Array.from(document.querySelectorAll('.table-wrap'))
    .find(w => w.scrollWidth > w.clientWidth);
  if (!wrap) return false;
  const section = wrap.closest('section') || wrap;
  window.scrollTo(0, section.getBoundingClientRect().top + window.scrollY - 8);
  wrap.scrollLeft = (wrap.scrollWidth - wrap.clientWidth) / 2;
  return true;
}
"""

# axe-core's default rules (WCAG 2.x A/AA and best practices); only serious and critical
# findings fail the test, each named with a few of the elements it found.
AXE_RUN = """
async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.impact} ${v.id} (${v.help}) on ${v.nodes.length} element(s): ` +
      v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}
"""


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def axe_violations(page, source: str) -> list[str]:
    """Serious and critical axe-core violations on the page as loaded."""
    # The pages' CSP allows only same-origin script files, so axe cannot be added as a
    # <script> tag (inline, or from a file Pulse does not serve). page.evaluate runs it through
    # the DevTools protocol, which CSP does not govern; the page itself keeps its real CSP, so
    # a CSP breach by Pulse's own markup still shows up as a console error in this test
    # (bypass_csp=True on the context would have hidden those).
    page.evaluate(source)
    return page.evaluate(AXE_RUN)


@pytest.mark.django_db(transaction=True)
def test_every_page_fits_every_width_draws_its_charts_and_passes_axe(live_server, browser):
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
    axe_source = AXE.read_text(encoding="utf-8")
    page = browser.new_page()
    where = {"now": "", "url": ""}
    problems: list[str] = []

    def console(message) -> None:
        # Chromium logs the error status of the page itself (the 400 and 404 pages) as an
        # error: that one is expected; anything else is not.
        if message.type not in ("error", "warning"):
            return
        if message.location.get("url") == where["url"] and "status of 4" in message.text:
            return
        problems.append(f"{where['now']}: console {message.type}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(f"{where['now']}: page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"{where['now']}: failed {r.url}"))
    tables_scrolled = 0
    for name, path in PAGES:
        path = path or paths[name]
        for width, height in VIEWPORTS.items():
            where["now"] = f"{path} at {width} px"
            where["url"] = live_server.url + path
            page.set_viewport_size({"width": width, "height": height})
            response = page.goto(live_server.url + path, wait_until="load")
            expected = STATUS.get(name, 200)
            assert response.status == expected, f"{where['now']}: HTTP {response.status}"
            overflow = page.evaluate(OVERFLOW)
            if overflow:
                problems.append(
                    f"{where['now']}: page {overflow['over']} px wider than the window, "
                    f"sticking out: {overflow['culprits']}"
                )
            if width not in FULLY_CHECKED:
                continue
            assert page.locator("nav[aria-label=main] a", has_text="Overview").count() == 1
            drawn = page.evaluate(CANVASES_DRAWN)
            if name not in PAGES_WITHOUT_CHARTS and not drawn:
                problems.append(f"{where['now']}: no chart")
            if not all(drawn):
                problems.append(f"{where['now']}: canvases not drawn: {drawn}")
            problems += [f"{where['now']}: {v}" for v in axe_violations(page, axe_source)]
            # The whole page, unless it is too tall for Chromium to capture in reasonable time
            # (the definitions are tens of thousands of pixels tall at phone width).
            tall = page.evaluate("document.documentElement.scrollHeight") > 8000
            page.screenshot(path=str(OUTPUT / f"{name}-{width}.png"), full_page=not tall)
            if extra:
                page.screenshot(path=str(Path(extra) / f"{name}-{width}.png"))
            if width == min(FULLY_CHECKED):
                sticky = page.evaluate(STICKY_FIRST_COLUMN)
                problems += [f"{where['now']}: {p}" for table in sticky for p in table]
                tables_scrolled += len(sticky)
                if page.evaluate(SCROLL_A_WIDE_TABLE):
                    page.screenshot(path=str(OUTPUT / f"{name}-{width}-table.png"))
                    if extra:
                        page.screenshot(path=str(Path(extra) / f"{name}-{width}-table.png"))
    assert problems == [], "\n".join(problems)
    # The sticky-column check above ran on tables that do scroll at phone width, not on none.
    assert tables_scrolled > 10, tables_scrolled


@pytest.mark.django_db(transaction=True)
def test_main_navigation_collapses_into_a_menu_button_at_phone_width(live_server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.goto(live_server.url + "/docs/metrics/")
    menu = page.get_by_role("button", name="Menu")
    overview = page.locator("nav[aria-label=main] a", has_text="Overview")
    assert menu.is_visible() and menu.get_attribute("aria-expanded") == "false"
    assert not overview.is_visible()
    # By keyboard alone: skip link, brand, then the menu button.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "nav-toggle"
    page.keyboard.press("Enter")
    assert menu.get_attribute("aria-expanded") == "true" and overview.is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Overview"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.keyboard.press("Escape")
    assert menu.get_attribute("aria-expanded") == "false" and not overview.is_visible()
    assert page.evaluate("document.activeElement.className") == "nav-toggle"
    menu.click()
    overview.click()
    page.wait_for_url(live_server.url + "/")
    # Wide enough for the links: no menu button, the links in the header.
    page.set_viewport_size({"width": 1366, "height": 768})
    assert not menu.is_visible() and overview.is_visible()
    # Signed in with a long user name, the account part still fits a phone's header.
    name = "community-manager-with-a-long-name"
    User.objects.create_user(name, password="a long test password")
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill("a long test password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server.url + "/")
    page.set_viewport_size({"width": 390, "height": 844})
    log_out = page.get_by_role("button", name="Log out").bounding_box()
    assert log_out and log_out["x"] + log_out["width"] <= 390
    assert page.evaluate(OVERFLOW) is None
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
    # By keyboard: the heading is a button reached with Tab and pressed with Enter.
    header.get_by_role("button").focus()
    page.keyboard.press("Enter")
    assert header.get_attribute("aria-sort") == "descending"
    column = [
        int(v) for v in page.locator("table.sortable tbody tr td:nth-child(7)").all_inner_texts()
    ]
    assert column == sorted(column, reverse=True)
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
    # The draft's wide text box fits a phone, and the page passes axe there.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload(wait_until="load")
    assert page.evaluate(OVERFLOW) is None
    assert axe_violations(page, AXE.read_text(encoding="utf-8")) == []
    assert problems == []
