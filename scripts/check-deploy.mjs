// `npm run check:deploy` (part of `npm test`, no network): for every environment of wrangler.toml,
// a `wrangler deploy --dry-run` build, its gzipped size against the target (GPU-only ≤ 1 MiB, with
// the embedded model ≤ 5 MiB), and the rules of docs/deploy.md (no mock model or development flag
// outside local development, observability on, …). Exits non-zero on any failure; values still to
// fill (REPLACE_WITH_…) are listed, not failed: a real deploy refuses them (scripts/deploy.mjs).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import {
  ENVIRONMENTS,
  TARGETS,
  configProblems,
  modelsOf,
  placeholders,
  readEnvironment,
  servesEmbedded,
} from "./lib/deploy-config.mjs";

const configPath = process.argv.includes("--config")
  ? process.argv[process.argv.indexOf("--config") + 1]
  : "wrangler.toml";

function dryRun(name) {
  const outdir = mkdtempSync(join(tmpdir(), `x1-dry-${name}-`));
  const args = ["deploy", "--dry-run", "--config", configPath, "--outdir", outdir];
  if (name !== "local") args.push("--env", name);
  const res = spawnSync(join("node_modules", ".bin", "wrangler"), args, {
    encoding: "utf8",
    env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" },
  });
  const output = `${res.stdout}\n${res.stderr}`;
  const files = res.status === 0 ? readdirSync(outdir) : [];
  rmSync(outdir, { recursive: true, force: true });
  const m = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(output);
  if (res.status !== 0 || !m) return { error: output.trim().split("\n").slice(-15).join("\n") };
  return { rawKiB: Number(m[1]), gzipKiB: Number(m[2]), wasm: files.some((f) => f.endsWith(".wasm")) };
}

let failed = false;
const rows = [];
for (const name of ENVIRONMENTS) {
  const config = readEnvironment(name, configPath);
  const embedded = servesEmbedded(config);
  const target = embedded ? TARGETS.embedded : TARGETS.gpuOnly;
  const problems = configProblems(name, config);
  const build = dryRun(name);
  if (build.error) problems.push(`wrangler deploy --dry-run failed:\n${build.error}`);
  else {
    if (build.gzipKiB * 1024 > target)
      problems.push(`the Worker is ${build.gzipKiB} KiB gzipped, over its target of ${target / 1024} KiB`);
    if (!embedded && build.wasm) problems.push("serves no embedded model but bundles the embedded engine's wasm");
  }
  rows.push({
    name,
    main: relative(process.cwd(), config.main ?? ""),
    models: modelsOf(config).join(", "),
    gzip: build.gzipKiB === undefined ? "–" : `${build.gzipKiB.toFixed(0)} KiB`,
    target: `${target / 1024} KiB`,
    ok: problems.length === 0,
  });
  if (problems.length > 0) {
    failed = true;
    console.error(`✗ ${name}:\n${problems.map((p) => `    - ${p}`).join("\n")}`);
  }
  const todo = placeholders(config);
  if (todo.length > 0) console.log(`  ${name}: to fill before deploying: ${todo.join("; ")}`);
}
console.log("\n| environment | entry | models | Worker (gzip) | target | |\n|---|---|---|---|---|---|");
for (const r of rows)
  console.log(`| ${r.name} | ${r.main} | ${r.models} | ${r.gzip} | ≤ ${r.target} | ${r.ok ? "ok" : "FAIL"} |`);
process.exit(failed ? 1 : 0);
