// Every page of the UI in a real browser (Debian's Chromium through
// playwright-core), against a `pinwarden serve` seeded with reports,
// manifests and a halted rollout by crates/cli/tests/integration/browser.rs:
// - axe-core on every page at 1366 and 375 px, light and dark: no serious or
//   critical violation (all of them printed, moderate and minor too);
// - nothing wider than a phone's screen; no cell of the telemetry breakdown
//   tables on top of another, and no text spilling out of its cell;
// - the radar: input-to-redraw over 40 slider moves (printed, not asserted:
//   the figure goes to bench/BENCHMARKS.md), a what-if shared by URL, save-over
//   and delete confirmed, the slider put back when an update fails;
// - the telemetry page refreshes itself from the summary API;
// - a screenshot of every page at both widths in SCREENSHOT_DIR.
// Usage: node dashboard.mjs URL SCREENSHOT_DIR
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { join } from "node:path";

const [base, shots, only] = process.argv.slice(2);
assert.ok(base && shots, "usage: node dashboard.mjs URL SCREENSHOT_DIR [--latency-only]");
// --latency-only: measure the radar's slider input to redraw, nothing else
// (bench/BENCHMARKS.md; any server on the example policy will do).
const latencyOnly = only === "--latency-only";
const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

const PAGES = [
  ["/", "overview"], ["/radar", "radar"], ["/applications", "applications"], ["/questions", "questions"],
  ["/report", "report"], ["/manifests", "manifests"], ["/telemetry", "telemetry"], ["/ct", "ct"],
];
const WIDTHS = [[1366, 900], [375, 812]];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  chromiumSandbox: false,
  args: [
    "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
  ],
  timeout: 60_000,
});
const errors = [];
const failures = [];
const lines = [];
function fail(message) { failures.push(message); }

// bypassCSP only where axe-core is injected (addScriptTag inlines it); the
// other pages here, and every page in radar.mjs, run under the server's policy.
async function newPage(width, height, colorScheme = "light", bypassCSP = false) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme, bypassCSP });
  const page = await context.newPage();
  page.on("pageerror", (e) => errors.push(`${page.url()}: page error: ${e.message}`));
  page.on("console", (m) => {
    // A failed request shows as a console error too: the failure test provokes one on purpose.
    if (m.type() === "error" && !m.text().includes("net::ERR_FAILED")) errors.push(`${page.url()}: console: ${m.text()}`);
  });
  page.on("dialog", (d) => d.accept());
  page.setDefaultTimeout(15_000);
  return page;
}

async function axe(page) {
  await page.addScriptTag({ path: axePath });
  return page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      targets: v.nodes.slice(0, 4).map((n) => n.target.join(" ")),
      count: v.nodes.length,
    }));
  });
}

/// Pairs of breakdown table cells whose boxes overlap, and cells whose text spills out.
async function overlaps(page) {
  return page.evaluate(() => {
    const problems = [];
    const cells = [...document.querySelectorAll(".breakdowns th, .breakdowns td")];
    const boxes = cells.map((c) => c.getBoundingClientRect());
    for (let i = 0; i < boxes.length; i++) {
      const a = boxes[i];
      if (cells[i].scrollWidth > cells[i].clientWidth + 1) {
        problems.push(`"${cells[i].textContent.trim()}" spills out of its cell (${cells[i].scrollWidth} > ${cells[i].clientWidth})`);
      }
      for (let j = i + 1; j < boxes.length; j++) {
        const b = boxes[j];
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 1.5 && h > 1.5) {
          problems.push(`"${cells[i].textContent.trim()}" overlaps "${cells[j].textContent.trim()}" by ${w.toFixed(0)}×${h.toFixed(0)} px`);
        }
      }
    }
    const sections = [...document.querySelectorAll(".breakdowns > section")].map((s) => [s.querySelector("h2").textContent, s.getBoundingClientRect()]);
    for (let i = 0; i < sections.length; i++) {
      for (let j = i + 1; j < sections.length; j++) {
        const [an, a] = sections[i]; const [bn, b] = sections[j];
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 1.5 && h > 1.5) problems.push(`"${an}" overlaps "${bn}"`);
      }
    }
    return { problems, cells: cells.length };
  });
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

try {
  // 1. Every page at both widths, light and dark: axe, widths, overlaps, screenshots.
  const summary = [];
  for (const scheme of latencyOnly ? [] : ["light", "dark"]) {
    for (const [width, height] of WIDTHS) {
      const page = await newPage(width, height, scheme, true);
      for (const [path, name] of PAGES) {
        const response = await page.goto(base + path);
        assert.equal(response.status(), 200, path);
        const violations = await axe(page);
        const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
        summary.push(`axe ${name} ${width}px ${scheme}: ${violations.length ? violations.map((v) => `${v.id} (${v.impact}, ${v.count})`).join(", ") : "no violations"}`);
        for (const v of bad) fail(`axe ${path} at ${width}px ${scheme}: ${v.id} (${v.impact}): ${v.help}: ${v.targets.join(" | ")}`);
        const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
        if (scroll > width) fail(`${path} is ${scroll}px wide at ${width}px`);
        // Landmarks and a way back on every page, the full report included.
        for (const landmark of ["header", "nav", "main"]) {
          if (await page.locator(landmark).count() === 0) fail(`${path} has no <${landmark}>`);
        }
        if (path === "/telemetry") {
          const { problems, cells } = await overlaps(page);
          if (cells < 10) fail(`telemetry at ${width}px: only ${cells} breakdown cells: is the server seeded?`);
          for (const p of problems) fail(`telemetry at ${width}px ${scheme}: ${p}`);
        }
        const suffix = scheme === "dark" ? "-dark" : "";
        await page.screenshot({ path: join(shots, `${name}-${width}${suffix}.png`), fullPage: true });
      }
      await page.context().close();
    }
  }

  // 2. The overview: a grade, the verdict, counts, risks and actions linking to detail.
  if (!latencyOnly) {
    const page = await newPage(1366, 900);
    await page.goto(base + "/");
    assert.match(await page.locator(".grade").first().textContent(), /^[A-F]$/);
    assert.match(await page.locator("#verdict").textContent(), /ready to pin/);
    assert.ok(await page.locator(".counts a").count() >= 3, "verdict counts link to the applications");
    assert.ok(await page.locator(".risks li a").count() >= 1, "risks link to their detail");
    assert.ok(await page.locator(".actions li").count() >= 1, "next actions");
    const link = page.locator(".counts a").first();
    await link.focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/applications/);
    await page.context().close();
  }

  // 3. The radar: input to redraw over 40 moves.
  const page = await newPage(1366, 900);
  await page.goto(base + "/radar");
  const moves = 40;
  const redraw = [];
  const reassessed = [];
  for (let i = 0; i < moves; i++) {
    const value = (i % 2 === 0) ? 40 - (i % 8) * 5 : 80 - (i % 6) * 5;
    const [draw, full] = await page.evaluate(async (v) => {
      const slider = document.getElementById("s-ca-agility");
      const radar = document.getElementById("radar");
      const verdicts = document.getElementById("verdicts");
      const asked = Number(verdicts.dataset.assessed || 0);
      let t0 = 0;
      const drawn = new Promise((resolve) => {
        const seen = new MutationObserver(() => { seen.disconnect(); resolve(performance.now() - t0); });
        seen.observe(radar, { childList: true, subtree: true, attributes: true, characterData: true });
      });
      const answered = new Promise((resolve) => {
        const seen = new MutationObserver(() => {
          if (Number(verdicts.dataset.assessed || 0) > asked) { seen.disconnect(); resolve(performance.now() - t0); }
        });
        seen.observe(verdicts, { attributes: true, attributeFilter: ["data-assessed"] });
      });
      t0 = performance.now();
      slider.value = String(v);
      slider.dispatchEvent(new Event("input", { bubbles: true }));
      const d = await drawn;
      const f = await Promise.race([answered, new Promise((r) => setTimeout(() => r(NaN), 2000))]);
      return [d, f];
    }, value);
    redraw.push(draw);
    reassessed.push(full);
  }
  const fmt = (xs) => {
    const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    return `p50 ${percentile(s, 50).toFixed(1)} ms, p95 ${percentile(s, 95).toFixed(1)} ms (n=${s.length})`;
  };
  lines.push(`input to redraw (radar and score): ${fmt(redraw)} over ${moves} moves`);
  lines.push(`input to reassessed verdicts (server round trip): ${fmt(reassessed)}`);
  if (latencyOnly) {
    console.log(lines.join("\n"));
    await browser.close();
    process.exit(0);
  }

  // 4. The moved slider and changed verdicts are marked; the what-if is in the URL.
  await page.locator("#reset").click();
  await page.waitForFunction(() => !location.search);
  await page.locator("#s-ownership-runbooks").fill("45");
  await page.locator("#s-ownership-runbooks").dispatchEvent("input");
  await page.waitForFunction(() =>
    document.querySelector('#verdicts tr[data-app="northwind-mobile"] td.verdict')?.textContent.startsWith("not ready to pin"));
  assert.ok(await page.locator("#s-ownership-runbooks").evaluate((s) => s.closest(".slider").classList.contains("moved")));
  assert.ok(await page.locator('#verdicts tr[data-app="northwind-mobile"]').evaluate((r) => r.classList.contains("changed")));
  assert.ok(await page.locator("#radar .facts-outline").count() === 1, "the facts' outline is drawn under the what-if");
  const shared = page.url();
  await page.evaluate(() => window.scrollTo(0, 0));
  assert.match(shared, /ownership-runbooks=45/);
  await page.screenshot({ path: join(shots, "radar-what-if-1366.png"), fullPage: true });

  // 5. Shared by URL: a fresh page opens with the sliders where they were.
  {
    const other = await newPage(375, 812);
    await other.goto(shared);
    assert.equal(await other.locator("#s-ownership-runbooks").inputValue(), "45");
    await other.waitForFunction(() =>
      document.querySelector('#verdicts tr[data-app="northwind-mobile"] td.verdict')?.textContent.startsWith("not ready to pin"));
    assert.match(await other.locator("#mode").textContent(), /what-if/);
    // The summary stays in view while sliding on a phone.
    await other.locator("#s-ca-agility").scrollIntoViewIfNeeded();
    const box = await other.locator(".summary-bar").boundingBox();
    assert.ok(box && box.y >= -1 && box.y < 812, `the summary is in view on a phone: ${JSON.stringify(box)}`);
    await other.screenshot({ path: join(shots, "radar-shared-375.png") });
    // Legible labels: every text of the radar at 12 px or more on the phone.
    const smallest = await other.evaluate(() => Math.min(...[...document.querySelectorAll("#radar svg text")]
      .map((t) => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)));
    assert.ok(smallest >= 12, `the radar's smallest label is ${smallest.toFixed(1)} px at 375 px`);
    lines.push(`radar labels at 375 px: ${smallest.toFixed(1)} px and larger`);
    await other.context().close();
  }

  // 6. Save-over and delete are confirmed; a dismissed confirmation changes nothing.
  await page.locator("#scenario-name").fill("board");
  await page.locator("#scenario-save").click();
  await page.waitForFunction(() => [...document.querySelectorAll("#scenario-list option")].some((o) => o.value === "board"));
  page.removeAllListeners("dialog");
  let asked = [];
  page.on("dialog", (d) => { asked.push(d.message()); d.dismiss(); });
  await page.locator("#s-ownership-runbooks").fill("20");
  await page.locator("#s-ownership-runbooks").dispatchEvent("input");
  await page.locator("#scenario-save").click();
  await page.waitForFunction(() => /not saved/i.test(document.getElementById("status").textContent));
  assert.match(asked.join(), /board/, "saving over asks first");
  const saved = await page.evaluate(async () => (await (await fetch("/api/v1/scenarios/board")).json()).radar["ownership-runbooks"]);
  assert.equal(saved, 45, "a dismissed save-over keeps the old scores");
  asked = [];
  await page.locator("#scenario-delete").click();
  await page.waitForFunction(() => /not deleted/i.test(document.getElementById("status").textContent));
  assert.match(asked.join(), /board/, "deleting asks first");
  assert.equal(await page.locator("#scenario-list option").count(), 1);
  page.removeAllListeners("dialog");
  page.on("dialog", (d) => d.accept());
  await page.locator("#scenario-delete").click();
  await page.waitForFunction(() => document.querySelectorAll("#scenario-list option").length === 0);

  // 7. An update that fails puts the slider back beside the radar it drew.
  await page.locator("#reset").click();
  await page.waitForFunction(() => !location.search);
  await page.route("**/api/v1/assess", (route) => route.abort());
  const before = await page.locator("#overall").textContent();
  await page.locator("#s-telemetry").fill("10");
  await page.locator("#s-telemetry").dispatchEvent("input");
  await page.waitForFunction(() => /could not reassess/i.test(document.getElementById("status").textContent));
  assert.equal(await page.locator("#s-telemetry").inputValue(), await page.locator("#s-telemetry").getAttribute("data-fact"),
    "the slider is back at the value the radar shows");
  assert.equal(await page.locator("#overall").textContent(), before);
  await page.unroute("**/api/v1/assess");
  await page.context().close();

  // 8. Telemetry: cohorts in numeric order, sortable columns, a refresh from the summary API.
  {
    const tele = await newPage(1366, 900);
    await tele.goto(base + "/telemetry");
    const cohorts = await tele.$$eval('section[data-breakdown="cohort"] tbody th', (c) => c.map((x) => x.textContent.trim()));
    assert.deepEqual(cohorts, [...cohorts].sort((a, b) => Number(a) - Number(b)), `cohorts in numeric order: ${cohorts}`);
    assert.ok(cohorts.length >= 4, `${cohorts}`);
    assert.ok(await tele.locator(".chart svg .axis").count() >= 2, "the chart has axes");
    const refreshed = tele.waitForRequest((r) => r.url().includes("/api/v1/reports/summary"), { timeout: 20_000 });
    await refreshed;
    await tele.waitForFunction(() => /updated/i.test(document.getElementById("refreshed")?.textContent || ""));
    await tele.context().close();
  }

  console.log(lines.join("\n"));
  console.log(summary.join("\n"));
  assert.deepEqual(errors, [], "the pages ran without script errors");
  if (failures.length) {
    console.log(`${failures.length} failure(s):\n${failures.join("\n")}`);
    process.exitCode = 1;
  } else {
    console.log(`ok: ${PAGES.length} pages at ${WIDTHS.map((w) => w[0]).join(" and ")} px, light and dark; screenshots in ${shots}`);
  }
} finally {
  await browser.close();
}
