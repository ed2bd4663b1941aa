/**
 * The playground in headless Chromium (Debian's `chromium`, driven by playwright-core) against the
 * real service (`wrangler dev`): a stage_beam N=4 run on a sample image is followed live and its
 * four stages and search trees are drawn; errors come out in words. Screenshots go to
 * test/browser/artifacts/ (git-ignored); UPDATE_SCREENSHOT=1 also refreshes docs/playground.png.
 *
 * Run: npm run test:browser (needs /usr/bin/chromium: apt-get install -y chromium).
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startFreshService } from "../reliability/service.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];
const ARTIFACTS = fileURLToPath(new URL("./artifacts/", import.meta.url));
const DOCS_SHOT = fileURLToPath(new URL("../../docs/playground.png", import.meta.url));
/** A key the service accepts; the page's default (the local dev key) when unset. */
const API_KEY = process.env.PLAYGROUND_API_KEY;
const N = 4;
const STAGES = ["SUMMARY", "CAPTION", "REASONING", "CONCLUSION"];
const RUN_TIMEOUT = 90_000;
/** With the demo model this seed gives four distinct candidates per stage (and a self-check forfeit). */
const SEED = "26";

let server;
let browser;

before(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startFreshService({ prefix: "x1-browser-state-" });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
});

after(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
});

async function openPage(viewport = { width: 1280, height: 900 }, path = "/") {
  const context = await browser.newContext({ viewport });
  if (API_KEY) await context.addInitScript((key) => localStorage.setItem("llava-x1.api-key", key), API_KEY);
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  await page.goto(server.url + path);
  await page.waitForSelector("body[data-ready='true']", { timeout: RUN_TIMEOUT });
  return { page, problems, close: () => context.close() };
}

const alertText = (page) => page.locator("#alert").innerText();

async function waitForAlert(page, pattern) {
  await page.waitForFunction(
    (src) => new RegExp(src, "i").test(document.getElementById("alert").textContent),
    pattern.source,
    { timeout: RUN_TIMEOUT },
  );
  return alertText(page);
}

/** The four stages, each with N candidates, N−1 matches (2 in round 1, 1 in round 2) and one winner. */
async function assertTree(page) {
  const matchesPerStage = [];
  const stages = page.locator("[data-node='stage']");
  assert.deepEqual(await stages.evaluateAll((els) => els.map((e) => e.dataset.stage)), STAGES);
  for (const name of STAGES) {
    const stage = page.locator(`[data-node='stage'][data-stage='${name}']`);
    assert.equal(await stage.getAttribute("data-status"), "completed", `${name} completed`);
    assert.equal(await stage.locator("[data-node='candidate']").count(), N, `${name}: ${N} candidates`);
    assert.equal(await stage.locator("[data-node='candidate-pending']").count(), 0, `${name}: nothing pending`);
    // Identical candidates are merged before judging (no match spent on a twin): N−1 matches
    // among distinct candidates. The seed below gives four distinct candidates in every stage.
    const twins = await stage.locator("[data-node='candidate'][data-merged='true']").count();
    const entrants = N - twins;
    assert.equal(
      await stage.locator("[data-node='match']").count(),
      entrants - 1,
      `${name}: ${entrants - 1} matches (${twins} twins merged)`,
    );
    assert.equal(
      await stage.locator("[data-node='match'][data-round='1']").count(),
      Math.floor(entrants / 2),
      `${name}: round 1`,
    );
    assert.equal(await stage.locator("[data-node='match'][data-round='2']").count(), 1, `${name}: the final`);
    matchesPerStage.push(entrants - 1);
    const selected = stage.locator("[data-node='candidate'][data-selected='true']");
    assert.equal(await selected.count(), 1, `${name}: one winner`);
    // The winner of the final is the candidate highlighted as selected.
    const finalWinner = await stage.locator("[data-node='match'][data-round='2']").getAttribute("data-winner");
    assert.equal(await selected.getAttribute("data-candidate"), finalWinner, `${name}: the final's winner is selected`);
    for (const m of await stage.locator("[data-node='match']").all()) {
      assert.match(await m.innerText(), /wins/, `${name}: each match names its winner`);
    }
  }
  const reasoning = page.locator("[data-node='stage'][data-stage='REASONING']");
  assert.equal(
    await reasoning.locator("[data-node='selfcheck']").count(),
    N,
    "REASONING: every candidate self-checked",
  );
  return matchesPerStage;
}

describe("playground", () => {
  let shareUrl;

  it("follows a stage_beam N=4 run live and draws four stages with their search trees", async () => {
    const { page, problems, close } = await openPage();
    try {
      assert.equal(await page.locator("#samples input[type='radio']:checked").count(), 1, "a sample is chosen");
      await page.check("#sample-0");
      assert.match(await page.locator("#question").inputValue(), /\S/);
      // The tree's exact shape (N−1 matches over ≥ 3 distinct candidates per stage) needs a model
      // whose candidates differ for this seed: the demo model. The embedded model is the default.
      await page.selectOption("#model", "mock:fixed");
      await page.selectOption("#strategy", "stage_beam");
      await page.fill("#candidates", String(N));
      await page.fill("#keep", "1");
      await page.selectOption("#scorer", "judge");
      await page.click("details.more > summary");
      await page.fill("#seed", SEED);
      await page.click("#run-button");

      // Live: the stages appear as they are chosen.
      await page.waitForSelector("[data-node='stage'][data-stage='SUMMARY'][data-status='completed']", {
        timeout: RUN_TIMEOUT,
      });
      await page.waitForSelector("#run-panel[data-run-status='succeeded'] [data-node='answer']", {
        timeout: RUN_TIMEOUT,
      });
      await page.waitForFunction(() => /Run succeeded/.test(document.getElementById("status").textContent), null, {
        timeout: RUN_TIMEOUT,
      });

      const matches = await assertTree(page);
      if ((await page.locator("#model").inputValue()).startsWith("mock:"))
        assert.deepEqual(matches, [N - 1, N - 1, N - 1, N - 1], "N−1 matches in every stage");
      assert.equal((await alertText(page)).trim(), "", "no error shown");
      assert.match(await page.locator("#summary").innerText(), /Total tokens\s*[\d,]+/);
      assert.ok((await page.locator("#events li").count()) >= 4 * (N + N - 1), "the event log has every event");
      const url = new URL(page.url());
      assert.match(url.searchParams.get("run") ?? "", /^run_[0-9a-f]+$/, "the URL names the run");
      shareUrl = url.pathname + url.search;
      await page.screenshot({ path: `${ARTIFACTS}playground-desktop.png`, fullPage: true });
      // For docs/playground.md: the form, the run and the first stages' trees.
      const bottom = await page.evaluate(
        () =>
          document.querySelector("[data-node='stage'][data-stage='SUMMARY']").getBoundingClientRect().bottom +
          window.scrollY,
      );
      await page.screenshot({
        path: `${ARTIFACTS}playground-readme.png`,
        fullPage: true,
        clip: { x: 0, y: 0, width: 1280, height: Math.ceil(bottom + 16) },
      });
      if (process.env.UPDATE_SCREENSHOT === "1") copyFileSync(`${ARTIFACTS}playground-readme.png`, DOCS_SHOT);
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  it("opens a finished run from its shareable URL, also at 375 px wide", async () => {
    assert.ok(shareUrl, "the first test produced a run");
    for (const [name, viewport] of [
      ["share", { width: 1100, height: 900 }],
      ["mobile", { width: 375, height: 800 }],
    ]) {
      const { page, problems, close } = await openPage(viewport, shareUrl);
      try {
        await page.waitForFunction(() => /Run succeeded/.test(document.getElementById("status").textContent), null, {
          timeout: RUN_TIMEOUT,
        });
        await assertTree(page);
        // The reopened run shows its own image (GET /v1/runs/:id/image), decoded by the browser.
        await page.waitForFunction(
          () =>
            /^Image of run_/.test(document.getElementById("preview-caption").textContent) &&
            document.getElementById("preview").naturalWidth > 0,
          null,
          { timeout: 10_000 },
        );
        const overflow = await page.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        );
        assert.ok(overflow <= 0, `${name}: no horizontal scrolling (overflow ${overflow}px)`);
        await page.screenshot({ path: `${ARTIFACTS}playground-${name}.png`, fullPage: true });
        assert.deepEqual(problems, []);
      } finally {
        await close();
      }
    }
  });

  it("forks the shown run from a chosen stage and draws the stages it took as given", async () => {
    assert.ok(shareUrl, "the first test produced a run");
    const { page, problems, close } = await openPage({ width: 1280, height: 900 }, shareUrl);
    try {
      await page.waitForFunction(() => /Run succeeded/.test(document.getElementById("status").textContent), null, {
        timeout: RUN_TIMEOUT,
      });
      const parent = await page.inputValue("#run-id");
      await page.selectOption("#model", "mock:fixed");
      await page.selectOption("#strategy", "greedy");
      await page.click("[data-fork-stage='REASONING']");
      await page.waitForFunction(
        (p) =>
          document.getElementById("run-id").value !== p &&
          /Run succeeded/.test(document.getElementById("status").textContent),
        parent,
        { timeout: RUN_TIMEOUT },
      );
      const statuses = await page
        .locator("[data-node='stage']")
        .evaluateAll((els) => els.map((e) => [e.dataset.stage, e.dataset.status]));
      assert.deepEqual(statuses, [
        ["SUMMARY", "given"],
        ["CAPTION", "given"],
        ["REASONING", "completed"],
        ["CONCLUSION", "completed"],
      ]);
      assert.match(
        await page.locator("[data-node='lineage']").innerText(),
        new RegExp(`^Forked from ${parent} at REASONING; SUMMARY, CAPTION taken as given, not billed again\\.$`),
      );
      await page.screenshot({ path: `${ARTIFACTS}playground-fork.png`, fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  it("shows errors in words: a non-image upload, a validation error, a failed run, a bad run id, a rejected key", async () => {
    const { page, problems, close } = await openPage();
    try {
      // A file that is not an image: the API's own 4xx message, on the upload control.
      await page.setInputFiles("#upload", {
        name: "not-an-image.png",
        mimeType: "image/png",
        buffer: Buffer.from("hello, this is not a picture\n"),
      });
      await page.click("#run-button");
      let text = await waitForAlert(page, /not a PNG or JPEG/);
      assert.match(text, /HTTP 4\d\d/);
      assert.equal(await page.getAttribute("#upload", "aria-invalid"), "true");

      // A validation error names the field and its limit.
      await page.check("#sample-1");
      await page.waitForFunction(() => document.getElementById("alert").textContent === "");
      await page.fill("#candidates", "4");
      await page.fill("#keep", "5");
      await page.click("#run-button");
      text = await waitForAlert(page, /search\.keep/);
      assert.match(text, /HTTP 400/);
      assert.equal(await page.getAttribute("#keep", "aria-invalid"), "true");

      // A run that fails (token budget of 1): its error message, and the partial tree kept.
      await page.fill("#keep", "1");
      await page.click("details.more > summary");
      await page.fill("#max-tokens", "1");
      await page.click("#run-button");
      await page.waitForSelector("#run-panel[data-run-status='failed']", { timeout: RUN_TIMEOUT });
      text = await waitForAlert(page, /The run failed/);
      assert.match(text, /token_limit_exceeded.*max_total_tokens=1/);
      await page.fill("#max-tokens", "");

      // An unknown run id.
      await page.fill("#run-id", "run_nope");
      await page.click("#open-form button[type='submit']");
      text = await waitForAlert(page, /Opening run run_nope failed/);
      assert.match(text, /HTTP 4\d\d/);

      // A rejected key. Against a service that checks keys the real one answers 401; against one
      // that does not (yet), the 401 it will send is simulated for this request only.
      const enforced =
        (await fetch(`${server.url}/v1/models`, { headers: { Authorization: "Bearer sk_wrong_key_for_test" } }))
          .status === 401;
      if (!enforced) {
        await page.route("**/v1/runs", (route) =>
          route.fulfill({
            status: 401,
            contentType: "application/json",
            body: JSON.stringify({
              error: { type: "authentication_error", message: "invalid API key", code: "invalid_api_key" },
            }),
          }),
        );
      }
      await page.fill("#api-key", "sk_wrong_key_for_test");
      await page.click("#key-form button[type='submit']");
      await page.click("#run-button");
      text = await waitForAlert(page, /did not accept the API key/);
      assert.match(text, /HTTP 401/);
      assert.match(await page.locator("#key-note").innerText(), /rejected/);
      assert.equal(await page.evaluate(() => document.activeElement?.id), "api-key", "the key field has focus");
      await page.screenshot({ path: `${ARTIFACTS}playground-errors.png`, fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });
});
