// The telemetry page refreshes itself: every 10 seconds it asks the summary
// API (/api/v1/reports/summary, with the page's filters) and, when the
// figures changed, fetches the page again and swaps in its figures, chart,
// tables and latest reports. The checkbox turns it off.
"use strict";
(() => {
  const live = document.getElementById("live");
  const every = 10_000;
  let last = null;
  async function poll() {
    const box = document.getElementById("auto-refresh");
    if (box && !box.checked) return;
    try {
      const response = await fetch(live.dataset.summary, { headers: { accept: "application/json" } });
      if (!response.ok) throw new Error(response.statusText);
      const text = await response.text();
      if (last !== null && text !== last) {
        const page = await fetch(location.href);
        const doc = new DOMParser().parseFromString(await page.text(), "text/html");
        const fresh = doc.getElementById("live");
        if (fresh) {
          const checked = document.getElementById("auto-refresh").checked;
          const focused = document.activeElement?.id;
          live.replaceChildren(...fresh.childNodes);
          document.getElementById("auto-refresh").checked = checked;
          if (focused) document.getElementById(focused)?.focus();
          live.dispatchEvent(new Event("pinwarden:replaced", { bubbles: true }));
        }
      }
      last = text;
      document.getElementById("refreshed").textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      document.getElementById("refreshed").textContent = `could not refresh: ${e.message}`;
    }
  }
  poll();
  setInterval(poll, every);
})();
