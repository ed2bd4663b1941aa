// Runs before `npm start`: local secrets from .dev.vars.example when .dev.vars is missing, then the
// D1 migrations on the local database (non-interactively: no confirmation prompt).
import { copyFileSync, existsSync } from "node:fs";
import { spawnSync } from "node:child_process";

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("created .dev.vars from .dev.vars.example (development secrets; see docs/keys-and-billing.md)");
}
const wrangler = process.platform === "win32" ? "wrangler.cmd" : "wrangler";
const result = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local"], {
  stdio: ["ignore", "inherit", "inherit"],
  env: { ...process.env, CI: "1" },
  shell: process.platform === "win32",
});
if (result.error) {
  console.error(
    `prestart: could not run \`${wrangler} d1 migrations apply DB --local\`: ${result.error.message}\n` +
      "  wrangler comes with the project's dependencies: run `npm ci` first (npm start puts node_modules/.bin on PATH).",
  );
  process.exit(1);
}
if (result.status !== 0) {
  console.error(
    `prestart: applying the D1 migrations to the local database failed (${result.signal ? `signal ${result.signal}` : `exit ${result.status}`}); ` +
      "its output is above. The service would answer 503 database_not_migrated until they are applied.",
  );
}
process.exit(result.status ?? 1);
