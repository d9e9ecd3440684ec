// The ingest page's "Syncs running now" table, refreshed from /ingest/progress.json without a
// page reload: every few seconds while a sync runs, less often while none does (a scheduled
// sync or another person's "Sync now" may start one). Values are set as text, never as HTML.
(function () {
  "use strict";
  const box = document.getElementById("ingest-progress");
  if (!box || !box.dataset.url || !window.fetch) return;
  const RUNNING_MS = 3000;
  const IDLE_MS = 15000;
  const empty = box.querySelector("p.empty");
  const wrap = box.querySelector(".table-wrap");
  const body = box.querySelector("tbody");
  const finished = box.querySelector(".ingest-finished");
  let wasRunning = body.children.length > 0;

  function utc(iso, withDate) {
    if (!iso) return "";
    const d = new Date(iso);
    const two = (n) => String(n).padStart(2, "0");
    const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
    if (!withDate) return `${time} UTC`;
    return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${time} UTC`;
  }

  function cell(row, text, kind) {
    const td = document.createElement("td");
    if (kind) td.className = kind;
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function render(running) {
    body.replaceChildren();
    for (const sync of running) {
      const tr = document.createElement("tr");
      cell(tr, sync.scope);
      cell(tr, sync.step ? `${sync.step} of ${sync.steps}` : "–");
      const reading = cell(tr, `${sync.resource}: ${sync.done}`);
      if (sync.total !== null && sync.total !== undefined) {
        reading.textContent += ` of ${sync.total} `;
        const bar = document.createElement("progress");
        bar.max = Math.max(sync.total, 1);
        bar.value = Math.min(sync.done, bar.max);
        bar.textContent = `${sync.done} of ${sync.total}`;
        bar.setAttribute("aria-label", `${sync.resource} read of ${sync.total}`);
        reading.appendChild(bar);
      }
      cell(tr, String(sync.items_written), "number");
      cell(tr, String(sync.requests), "number");
      let budget = "not reported yet";
      if (sync.rate_limit_remaining !== null) {
        budget = String(sync.rate_limit_remaining);
        if (sync.rate_limit_reset) budget += ` (resets ${utc(sync.rate_limit_reset, false)})`;
      }
      cell(tr, budget, "number");
      cell(tr, utc(sync.started_at, true), "datetime");
      cell(tr, sync.estimate);
      body.appendChild(tr);
    }
    const runningNow = running.length > 0;
    empty.hidden = runningNow;
    wrap.hidden = !runningNow;
    if (wasRunning && !runningNow) finished.hidden = false;
    wasRunning = runningNow;
  }

  async function poll() {
    let delay = IDLE_MS;
    try {
      const answer = await fetch(box.dataset.url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (answer.ok) {
        const data = await answer.json();
        render(data.running || []);
        if (data.running && data.running.length) delay = RUNNING_MS;
      }
    } catch (error) {
      // Offline or the server restarting: try again later, keep what is shown.
    }
    window.setTimeout(poll, delay);
  }

  window.setTimeout(poll, RUNNING_MS); // soon: a sync just queued may have started
})();
