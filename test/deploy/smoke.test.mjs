// The post-deploy smoke test (scripts/smoke.mjs) against the real local service: it passes, with a
// webhook delivery verified, and it fails — naming the check — when the service refuses the key.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, test } from "node:test";
import { DEV_KEY, ROOT, freePort, startFreshService } from "../reliability/service.mjs";

const WEBHOOK_SECRET = "whsec_ZGV2LWxvY2FsLXdlYmhvb2stc2VjcmV0LTAx"; // DEV_WEBHOOK_SECRET of .dev.vars.example
let service;

before(async () => {
  service = await startFreshService({ vars: { MOCK_LATENCY_MS: "5" } });
});
after(async () => {
  await service?.stop();
});

function smoke(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["scripts/smoke.mjs", ...args], { cwd: ROOT });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => resolve({ code, out }));
  });
}

test("passes against the local service, a webhook delivery verified", async () => {
  const port = await freePort();
  const { code, out } = await smoke([
    "--url",
    service.url,
    "--key",
    DEV_KEY,
    "--model",
    "mock:fixed",
    "--webhook-url",
    `http://127.0.0.1:${port}/hooks`,
    "--webhook-secret",
    WEBHOOK_SECRET,
    "--timeout",
    "60",
  ]);
  assert.equal(code, 0, out);
  for (const line of [
    "✓ models are listed",
    "✓ a run goes to the end",
    "✓ a chat completion answers",
    "✓ the run's webhook arrives and verifies",
  ])
    assert.ok(out.includes(line), `missing "${line}" in:\n${out}`);
  assert.match(out, /smoke test passed/);
});

test("fails with a non-zero exit and names the check when the key is refused", async () => {
  const { code, out } = await smoke([
    "--url",
    service.url,
    "--key",
    "sk_live_0000000000000000000000000000000000",
    "--timeout",
    "30",
  ]);
  assert.equal(code, 1, out);
  assert.match(out, /✗ models are listed: GET \/v1\/models → 401/);
  assert.match(out, /smoke test FAILED/);
});
