// `npm run upload:model -- --env staging [--local]`: copies the embedded model's files
// (model-shards/: manifest, tokenizer, graphs, weight shards) into the environment's R2 bucket
// under `x1-shapes-tiny/`, for MODEL_SOURCE = "r2". The Worker checks every file's SHA-256 against
// the manifest when it loads them, as it does from static assets.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { readEnvironment } from "./lib/deploy-config.mjs";

const arg = (flag) => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : undefined);
const name = arg("--env") ?? "local";
const local = process.argv.includes("--local") || name === "local";
const config = readEnvironment(name);
const bucket = config.r2_buckets?.find((b) => b.binding === "MODEL_BUCKET")?.bucket_name;
if (!bucket) {
  console.error(`wrangler.toml (${name}) has no R2 binding MODEL_BUCKET; add one (docs/deploy.md)`);
  process.exit(1);
}
const manifest = JSON.parse(readFileSync("model-shards/manifest.json", "utf8"));
const files = [
  "manifest.json",
  manifest.tokenizer.file,
  manifest.graphs.vision.file,
  manifest.graphs.decoder.file,
  ...manifest.shards.map((s) => s.file),
];
for (const file of files) {
  const args = [
    "wrangler",
    "r2",
    "object",
    "put",
    `${bucket}/x1-shapes-tiny/${file}`,
    "--file",
    `model-shards/${file}`,
  ];
  args.push(local ? "--local" : "--remote");
  if (name !== "local") args.push("--env", name);
  console.log(`$ npx ${args.join(" ")}`);
  const res = spawnSync("npx", args, { stdio: "inherit" });
  if (res.status !== 0) process.exit(res.status ?? 1);
}
console.log(`${files.length} files of ${manifest.model} ${manifest.version} are in ${bucket}/x1-shapes-tiny/`);
