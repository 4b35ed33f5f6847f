// The PKI Health Radar page (/radar) in a real browser: Debian's Chromium, driven by
// playwright-core. Run by crates/cli/tests/integration/browser.rs with the
// URL of a running `pinwarden serve` on the example policy and a directory
// for screenshots; exits non-zero, saying why, when the page misbehaves.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import { join } from "node:path";

const [base, shots] = process.argv.slice(2);
assert.ok(base && shots, "usage: node radar.mjs URL SCREENSHOT_DIR");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  chromiumSandbox: false, // adds --no-sandbox; the tests may run as root
  args: [
    "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
  ],
  timeout: 60_000,
});
const errors = [];
async function watch(page) {
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  // Content-Security-Policy violations show as console errors too.
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
  // ...and as events, counted here with what was blocked.
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  // Save-over and delete ask first (dashboard.mjs checks a dismissal).
  page.on("dialog", (d) => d.accept());
  page.setDefaultTimeout(15_000);
}

try {
  // Desktop width: move a slider with the keyboard.
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await watch(page);
  await page.goto(base + "/radar");
  const overall = page.locator("#overall");
  const mobile = page.locator('#verdicts tr[data-app="northwind-mobile"] td.verdict');
  const before = await overall.textContent();
  assert.equal(await mobile.textContent(), "pin", "the example's mobile app is pinned by the facts");

  // Reach the ownership slider with Tab alone, as a keyboard user would.
  let reached = false;
  for (let i = 0; i < 60 && !reached; i++) {
    await page.keyboard.press("Tab");
    reached = await page.evaluate(() => document.activeElement?.id === "s-ownership-runbooks");
  }
  assert.ok(reached, "the ownership slider is reachable with Tab");
  for (let i = 0; i < 6; i++) await page.keyboard.press("ArrowLeft"); // 75 -> 45
  assert.equal(await page.locator("#v-ownership-runbooks").textContent(), "45");

  await page.waitForFunction((old) => document.getElementById("overall").textContent !== old, before);
  const after = await overall.textContent();
  assert.ok(Number(after) < Number(before), `overall fell: ${before} -> ${after}`);
  await page.waitForFunction(() =>
    document.querySelector('#verdicts tr[data-app="northwind-mobile"] td.verdict')?.textContent === "not ready to pin");
  assert.match(await page.locator("#gates li.closed").last().textContent(), /nobody owns the pin configuration lifecycle.*\[B6\]/);
  assert.equal(await page.locator("#organisation .readiness").textContent(), "not ready to pin",
    "the organisation's verdict follows the slider");
  assert.match(await page.locator("#radar svg title").textContent(), new RegExp(`overall ${after} of 100`));
  assert.match(await page.locator("#mode").textContent(), /what-if/);
  assert.equal(new URL(page.url()).pathname, "/radar", "no navigation happened");
  assert.equal(new URL(page.url()).search, "?ownership-runbooks=45", "the what-if is in the address");
  await page.screenshot({ path: join(shots, "radar-what-if.png"), fullPage: true });

  // Save the what-if as a scenario, reset to the facts, load it back.
  await page.locator("#scenario-name").fill("no owner");
  await page.locator("#scenario-save").press("Enter");
  await page.waitForFunction(() => [...document.querySelectorAll("#scenario-list option")].some((o) => o.value === "no owner"));
  await page.locator("#reset").focus();
  await page.keyboard.press("Enter");
  await page.waitForFunction((old) => document.getElementById("overall").textContent === old, before);
  await page.waitForFunction(() =>
    document.querySelector('#verdicts tr[data-app="northwind-mobile"] td.verdict')?.textContent === "pin");
  assert.equal(await page.locator("#s-ownership-runbooks").inputValue(), "75");
  await page.locator("#scenario-list").selectOption("no owner");
  await page.locator("#scenario-load").press("Enter");
  await page.waitForFunction((value) => document.getElementById("overall").textContent === value, after);
  await page.locator("#scenario-delete").press("Enter");
  await page.waitForFunction(() => document.querySelectorAll("#scenario-list option").length === 0);

  // Lifecycle automation at 0 (rule B2): every "pin" becomes "not ready".
  const verdicts = () => page.$$eval("#verdicts tbody tr", (rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.app, r.querySelector("td.verdict").textContent])));
  await page.locator("#reset").click();
  await page.waitForFunction(() =>
    document.querySelector('#verdicts tr[data-app="northwind-mobile"] td.verdict')?.textContent === "pin");
  const facts = await verdicts();
  const pinned = Object.keys(facts).filter((app) => facts[app] === "pin");
  assert.ok(pinned.length >= 3, `several applications pin by the facts: ${JSON.stringify(facts)}`);
  await page.locator("#s-lifecycle-automation").focus();
  await page.keyboard.press("Home");
  await page.waitForFunction((apps) => apps.every((app) =>
    document.querySelector(`#verdicts tr[data-app="${app}"] td.verdict`)?.textContent === "not ready to pin"), pinned);
  assert.deepEqual(Object.values(await verdicts()).filter((v) => v === "pin"), [], "no pin is left");
  assert.match(await page.locator("#gates li.closed").nth(1).textContent(), /\[B2\]/);
  await page.screenshot({ path: join(shots, "radar-automation-zero.png"), fullPage: true });
  await page.locator("#reset").click();
  await page.waitForFunction(() =>
    document.querySelector('#verdicts tr[data-app="northwind-mobile"] td.verdict')?.textContent === "pin");

  // Update speed set to 70 ("days", below the "hours" anchor of 75): the
  // mobile app needs its pins replaceable in hours (rule C-hours), so it is
  // conditional; at "hours" (75) it pins again.
  const speed = page.locator("#s-pin-update-speed");
  await speed.fill("70");
  await speed.dispatchEvent("input");
  await page.waitForFunction(() =>
    document.querySelector('#verdicts tr[data-app="northwind-mobile"] td.verdict')?.textContent === "pin, with conditions");
  assert.match(await page.locator('#verdicts tr[data-app="northwind-mobile"] td.rules').textContent(), /C-hours/);
  await speed.fill("75");
  await speed.dispatchEvent("input");
  await page.waitForFunction(() =>
    document.querySelector('#verdicts tr[data-app="northwind-mobile"] td.verdict')?.textContent === "pin");
  await page.locator("#reset").click();

  // The other pages: the organisation's verdict heads them, the traces are there.
  await page.goto(base + "/applications");
  assert.equal(await page.locator("table.matrix tbody tr").count(), 8);
  assert.match(await page.locator("#organisation").textContent(), /ready to pin/);
  assert.equal(await page.locator("details.trace").count(), 8);
  await page.locator("#trace-teller-desktop summary").click();
  assert.match(await page.locator("#trace-teller-desktop").textContent(), /B3.*not met/s);
  await page.goto(base + "/questions");
  assert.equal(await page.locator("ol.questions > li").count(), 5);
  assert.match(await page.locator("#organisation").textContent(), /ready to pin/);

  // Every page under the server's Content-Security-Policy (no inline script
  // or style): nothing blocked, the styles applied (issue 15).
  for (const path of ["/manifests", "/telemetry", "/ct", "/report"]) {
    const response = await page.goto(base + path);
    assert.match(response.headers()["content-security-policy"], /style-src 'self'/, path);
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).fontFamily.includes("system-ui")), true,
      `${path} is styled`);
  }
  await page.screenshot({ path: join(shots, "report.png"), fullPage: false });

  // Phone width: nothing wider than the screen, on every page.
  const phone = await browser.newPage({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2 });
  await watch(phone);
  for (const path of ["/", "/radar", "/applications", "/questions", "/manifests", "/telemetry", "/ct", "/report"]) {
    await phone.goto(base + path);
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 360, `${path} is ${width}px wide on a 360px screen`);
  }
  await phone.goto(base + "/radar");
  await phone.screenshot({ path: join(shots, "radar-phone.png"), fullPage: true });

  assert.deepEqual(errors, [], "the pages ran without script errors");
  console.log(`ok: overall ${before} -> ${after}, northwind-mobile pin -> not ready to pin; screenshots in ${shots}`);
} finally {
  await browser.close();
}
