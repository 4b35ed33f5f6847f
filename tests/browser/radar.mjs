// The PKI Health Radar page in a real browser: Debian's Chromium, driven by
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
function watch(page) {
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
  page.setDefaultTimeout(15_000);
}

try {
  // Desktop width: move a slider with the keyboard.
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  watch(page);
  await page.goto(base + "/");
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
  assert.match(await page.locator("#gates li.closed").first().textContent(), /ownership/);
  assert.match(await page.locator("#radar svg title").textContent(), new RegExp(`overall ${after} of 100`));
  assert.match(await page.locator("#mode").textContent(), /what-if/);
  assert.equal(page.url(), base + "/", "no navigation happened");
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

  // The other pages.
  await page.goto(base + "/applications");
  assert.equal(await page.locator("table.matrix tbody tr").count(), 6);
  assert.match(await page.locator("table.matrix").textContent(), /sensitive data and a remote pin configuration/);
  await page.goto(base + "/questions");
  assert.equal(await page.locator("ol.questions > li").count(), 5);

  // Phone width: nothing wider than the screen, on every page.
  const phone = await browser.newPage({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2 });
  watch(phone);
  for (const path of ["/", "/applications", "/questions", "/manifests", "/telemetry", "/ct"]) {
    await phone.goto(base + path);
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 360, `${path} is ${width}px wide on a 360px screen`);
  }
  await phone.goto(base + "/");
  await phone.screenshot({ path: join(shots, "radar-phone.png"), fullPage: true });

  assert.deepEqual(errors, [], "the pages ran without script errors");
  console.log(`ok: overall ${before} -> ${after}, northwind-mobile pin -> not ready to pin; screenshots in ${shots}`);
} finally {
  await browser.close();
}
