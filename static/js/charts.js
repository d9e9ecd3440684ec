/* Pulse charts: draws every <canvas data-chart="ID"> from the JSON in <script id="ID">
   (written by Django's json_script), sparklines from <canvas class="spark" data-values>,
   and makes tables with class "sortable" sortable by clicking a heading. No inline JS.
   A spec's "partial" buckets are drawn dashed (lines) or pale (bars); its "links" open on
   click (see dashboard/pages/charts.py). */
(function () {
  "use strict";
  /* Colours come from pulse.css (the Okabe-Ito palette as custom properties); the hex values
     are the same palette, for a page whose stylesheet did not load. A series names its colour
     by token (spec dataset "colour"), so one measure has one colour on every chart. */
  var FALLBACK = {
    "series-1": "#0072B2", "series-2": "#E69F00", "series-3": "#009E73",
    "series-4": "#CC79A7", "series-5": "#56B4E9", "series-6": "#D55E00",
    "series-7": "#000000", "series-8": "#F0E442", "good": "#009E73", "bad": "#D55E00",
    "muted": "#616e7c", "ink": "#1f2933", "line": "#d9e2ec"
  };
  var ORDER = ["series-1", "series-2", "series-3", "series-4", "series-5", "series-7",
               "series-8", "series-6"];
  var PARTIAL_DASH = [6, 4];
  var EARLIER_DASH = [2, 3];

  var tokens = {};

  function token(name) {
    if (!(name in tokens)) {
      var value = "";
      try {
        value = getComputedStyle(document.documentElement).getPropertyValue("--" + name).trim();
      } catch (e) { value = ""; }
      tokens[name] = /^#[0-9a-fA-F]{6}$/.test(value) ? value
                                                     : (FALLBACK[name] || FALLBACK["series-1"]);
    }
    return tokens[name];
  }

  function colour(index) { return token(ORDER[index % ORDER.length]); }

  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16 & 255) + "," + (n >> 8 & 255) + "," + (n & 255) + "," + a + ")";
  }

  function dataset(ds, c, type, partial) {
    var isPartial = function (i) { return partial.indexOf(i) !== -1; };
    var n = (ds.data || []).length;
    var out = {
      label: ds.label, data: ds.data, borderColor: ds.dash ? alpha(c, 0.75) : c,
      borderWidth: ds.dash ? 1.5 : 2, spanGaps: true, tension: 0, fill: false,
      partial: partial
    };
    if (type === "bar") {
      // A bucket not over yet: a pale fill with an outline, never a full bar read as final.
      var fills = [], borders = [], widths = [];
      for (var i = 0; i < n; i++) {
        fills.push(isPartial(i) ? alpha(c, 0.3) : c);
        borders.push(c === token("series-8") ? token("ink") : c);
        widths.push(isPartial(i) ? 2 : (c === token("series-8") ? 1 : 0));
      }
      out.backgroundColor = fills;
      out.borderColor = borders;
      out.borderWidth = widths;
      out.borderSkipped = false;
      return out;
    }
    var points = [];
    for (var j = 0; j < n; j++) { points.push(isPartial(j) ? "#ffffff" : c); }
    out.backgroundColor = alpha(c, 0.2);
    out.pointBackgroundColor = points;
    out.pointBorderColor = c;
    out.pointRadius = type === "line" ? 2.5 : 0;
    out.borderDash = ds.dash ? EARLIER_DASH : undefined;
    // A line into or out of a partial bucket is dashed: the value there is not final.
    out.segment = {
      borderDash: function (ctx) {
        if (isPartial(ctx.p0DataIndex) || isPartial(ctx.p1DataIndex)) { return PARTIAL_DASH; }
        return ds.dash ? EARLIER_DASH : undefined;
      }
    };
    return out;
  }

  function drawChart(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    var type = spec.type || "line";
    var partial = spec.partial || [];
    var base = 0;
    var previous = null;
    var datasets = (spec.datasets || []).map(function (ds) {
      // A dotted series is last year's twin of the series before it: same colour.
      var c = ds.colour ? token(ds.colour) : (ds.dash && previous ? previous : colour(base++));
      previous = c;
      return dataset(ds, c, type, partial);
    });
    var stacked = !!spec.stacked;
    var links = spec.links || [];
    var valueAxis = spec.horizontal ? "x" : "y";
    var categoryAxis = spec.horizontal ? "y" : "x";
    var scales = {};
    scales[categoryAxis] = { stacked: stacked, ticks: { autoSkip: true },
                             grid: { color: token("line") } };
    scales[valueAxis] = { stacked: stacked, beginAtZero: true, ticks: { precision: 0 },
                          grid: { color: token("line") },
                          title: { display: !!spec.y_title, text: spec.y_title || "",
                                   color: token("ink") } };
    if (!spec.horizontal) { scales.x.ticks.maxRotation = 0; }
    if (spec.y_max) { scales[valueAxis].max = spec.y_max; }
    var options = {
      responsive: true, maintainAspectRatio: false, animation: false,
      indexAxis: spec.horizontal ? "y" : "x",
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
      scales: scales
    };
    if (links.length) {
      // A bar or point opens the list behind it (built server-side, one URL per label).
      options.onClick = function (event, elements) {
        if (!elements.length) { return; }
        var element = elements[0];
        var own = (spec.datasets[element.datasetIndex] || {}).links;
        var url = (own || links)[element.index];
        if (url) { window.location.assign(url); }
      };
      options.onHover = function (event, elements) {
        canvas.classList.toggle("chart-pointing", elements.length > 0);
      };
      canvas.classList.add("chart-linked");
    }
    canvas.dataset.partial = partial.join(",");
    new Chart(canvas, { type: type, data: { labels: spec.labels, datasets: datasets },
                        options: options });
  }

  function drawSparkline(canvas) {
    var values = (canvas.dataset.values || "").split(",").map(Number);
    var c = token("series-1");
    new Chart(canvas, {
      type: "line",
      data: { labels: values.map(function (_, i) { return i; }),
              datasets: [{ data: values, borderColor: c, borderWidth: 1.5,
                           pointRadius: 0, fill: true, backgroundColor: alpha(c, 0.15),
                           tension: 0.3 }] },
      options: { responsive: false, animation: false, events: [],
                 plugins: { legend: { display: false }, tooltip: { enabled: false } },
                 scales: { x: { display: false }, y: { display: false, beginAtZero: true } } }
    });
  }

  function sortable(table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, column) {
      // The heading's text becomes a button, so keyboard users can sort too (Enter/Space).
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
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
