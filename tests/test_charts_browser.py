"""Charts in headless Chromium: a click on a bar opens the list behind it, and a bucket that is
not over yet is drawn dashed (lines) or pale (bars). The world is tests/factories.small_world
(newcomers in 2024-01..2024-03) and one newcomer today."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from dashboard.derived.rebuild import derived_rebuild
from tests.factories import actor, commit, small_world
from tests.test_pages_browser import OUTPUT, browser  # noqa: F401 - the `browser` fixture

# The page position of a chart's bar or point: (index of the label) -> {x, y} in the page.
POINT = """
([id, index]) => {
  const canvas = document.querySelector(`canvas[data-chart="${id}"]`);
  const chart = Chart.getChart(canvas);
  const meta = chart.getDatasetMeta(0).data[index];
  const box = canvas.getBoundingClientRect();
  return {x: box.left + meta.x, y: box.top + (chart.chartArea.top + chart.chartArea.bottom) / 2};
}
"""

# How each segment of a chart's first dataset is dashed, and how each bar is filled.
DRAWING = """
(id) => {
  const canvas = document.querySelector(`canvas[data-chart="${id}"]`);
  const chart = Chart.getChart(canvas);
  const ds = chart.data.datasets[0];
  const n = chart.data.labels.length;
  const dashes = [];
  if (ds.segment) {
    for (let i = 1; i < n; i++) {
      dashes.push(ds.segment.borderDash({p0DataIndex: i - 1, p1DataIndex: i}) || null);
    }
  }
  return {partial: canvas.dataset.partial, dashes: dashes,
          fills: Array.isArray(ds.backgroundColor) ? ds.backgroundColor : null,
          linked: canvas.classList.contains("chart-linked")};
}
"""


def months_back(day: dt.date, months: int) -> dt.date:
    month = day.year * 12 + day.month - 1 - months
    return dt.date(month // 12, month % 12 + 1, 1)


@pytest.mark.django_db(transaction=True)
def test_clicking_a_month_opens_its_newcomers_and_partial_buckets_are_dashed(
    live_server,
    browser,  # noqa: F811 - the imported fixture
):
    built = small_world()
    # A newcomer this month, so the month not over yet has a bar to draw.
    today = timezone.now().date()
    commit(built["repos"]["acme/alpha"], today.isoformat(), author=actor("zoe"))
    derived_rebuild()
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(f"{live_server.url}/newcomers/?since=2024-01-01&until=2024-12-31&interval=month")
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector("
        "'canvas[data-chart=\"chart-newcomers\"]'))"
    )
    february = page.evaluate(POINT, ["chart-newcomers", 1])
    page.mouse.move(february["x"], february["y"])
    assert page.evaluate(
        "() => document.querySelector('canvas[data-chart=\"chart-newcomers\"]')"
        ".classList.contains('chart-pointing')"
    )
    with page.expect_navigation():
        page.mouse.click(february["x"], february["y"])
    landed = urlsplit(page.url)
    assert landed.path == "/newcomers/"
    assert parse_qs(landed.query) == {
        "since": ["2024-02-01"],
        "until": ["2024-02-29"],
        "interval": ["week"],
    }
    # The landing page lists February's newcomers, and only them.
    cells = page.locator("#table-newcomers tbody tr td:first-child").all_inner_texts()
    assert cells and all("2024-02" in cell for cell in cells)

    # Until today: the current month is the last bucket, drawn dashed on lines and pale on bars.
    since = months_back(today, 2)
    page.goto(f"{live_server.url}/activity/?since={since}&interval=month")
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector("
        "'canvas[data-chart=\"chart-commits\"]'))"
    )
    line = page.evaluate(DRAWING, "chart-commits")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "charts-partial-activity.png"), full_page=True)
    assert line["partial"] == "2"
    assert line["dashes"] == [None, [6, 4]]  # only the segment into the month not over
    assert line["linked"]
    page.goto(f"{live_server.url}/newcomers/?since={since}&interval=month")
    bars = page.evaluate(DRAWING, "chart-newcomers")
    page.screenshot(path=str(OUTPUT / "charts-partial-newcomers.png"), full_page=True)
    assert bars["partial"] == "2"
    assert bars["fills"][2].endswith(",0.3)") and not bars["fills"][0].endswith(",0.3)")
    assert not errors
    page.close()
