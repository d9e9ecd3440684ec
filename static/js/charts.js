/* Pulse charts: draws every <canvas data-chart="ID"> from the JSON in <script id="ID">
   (written by Django's json_script), sparklines from <canvas class="spark" data-values>,
   and makes tables with class "sortable" sortable by clicking a heading. No inline JS. */
(function () {
  "use strict";
  var PALETTE = ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4",
                 "#ec4899", "#84cc16", "#64748b", "#a16207"];

  function colour(index) { return PALETTE[index % PALETTE.length]; }

  function drawChart(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    var type = spec.type || "line";
    var base = 0;
    var datasets = (spec.datasets || []).map(function (ds) {
      // A dashed series is last year's twin of the series before it: same colour.
      var index = ds.dash ? base - 1 : base++;
      var c = colour(index);
      return {
        label: ds.label, data: ds.data, borderColor: c,
        backgroundColor: type === "bar" ? c : c + "33",
        borderDash: ds.dash ? [6, 4] : undefined,
        borderWidth: ds.dash ? 1.5 : 2, pointRadius: type === "line" ? 2 : 0,
        spanGaps: true, tension: 0, fill: false
      };
    });
    var stacked = !!spec.stacked;
    var options = {
      responsive: true, maintainAspectRatio: false, animation: false,
      indexAxis: spec.horizontal ? "y" : "x",
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
      scales: {
        x: { stacked: stacked, ticks: { maxRotation: 0, autoSkip: true } },
        y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 },
             title: { display: !!spec.y_title, text: spec.y_title || "" } }
      }
    };
    if (spec.y_max) { options.scales.y.max = spec.y_max; }
    new Chart(canvas, { type: type, data: { labels: spec.labels, datasets: datasets },
                        options: options });
  }

  function drawSparkline(canvas) {
    var values = (canvas.dataset.values || "").split(",").map(Number);
    new Chart(canvas, {
      type: "line",
      data: { labels: values.map(function (_, i) { return i; }),
              datasets: [{ data: values, borderColor: PALETTE[0], borderWidth: 1.5,
                           pointRadius: 0, fill: true, backgroundColor: PALETTE[0] + "22",
                           tension: 0.3 }] },
      options: { responsive: false, animation: false, events: [],
                 plugins: { legend: { display: false }, tooltip: { enabled: false } },
                 scales: { x: { display: false }, y: { display: false, beginAtZero: true } } }
    });
  }

  function sortable(table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, column) {
      th.addEventListener("click", function () {
        var descending = th.getAttribute("aria-sort") !== "descending";
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[column].dataset.sort || "", y = b.cells[column].dataset.sort || "";
          var numeric = /^-?\d+(\.\d+)?$/;
          var result = (numeric.test(x) && numeric.test(y)) ? parseFloat(x) - parseFloat(y)
                                                            : x.localeCompare(y);
          return descending ? -result : result;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  function init() {
    if (typeof Chart === "undefined") { return; }
    document.querySelectorAll("canvas[data-chart]").forEach(drawChart);
    document.querySelectorAll("canvas.spark").forEach(drawSparkline);
    document.querySelectorAll("table.sortable").forEach(sortable);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
