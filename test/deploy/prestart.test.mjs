// `npm start`'s prestart step says why it failed instead of exiting silently.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname } from "node:path";
import { test } from "node:test";
import { ROOT } from "../reliability/service.mjs";

test("without wrangler on PATH, prestart exits 1 and says what to run", () => {
  const r = spawnSync(process.execPath, ["scripts/prestart.mjs"], {
    cwd: ROOT,
    env: { PATH: dirname(process.execPath), HOME: process.env.HOME ?? "/tmp" },
    encoding: "utf8",
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /could not run `wrangler d1 migrations apply DB --local`: .*ENOENT/);
  assert.match(r.stderr, /run `npm ci` first/);
});
