// `npm run deploy:staging` / `npm run deploy:production`: refuses to deploy while wrangler.toml
// still has values to fill or breaks a deployment rule (docs/deploy.md), then applies the D1
// migrations to the environment's database and deploys it. Needs `npx wrangler login` first.
import { spawnSync } from "node:child_process";
import { configProblems, placeholders, readEnvironment } from "./lib/deploy-config.mjs";

const name = process.argv[2];
if (name !== "staging" && name !== "production") {
  console.error("usage: node scripts/deploy.mjs staging|production");
  process.exit(2);
}
const config = readEnvironment(name);
const todo = placeholders(config);
if (todo.length > 0) {
  console.error(`wrangler.toml [env.${name}] still has values to fill in:`);
  for (const t of todo) console.error(`  - ${t}`);
  console.error(
    `The D1 id comes from \`npx wrangler d1 create ${config.d1_databases?.[0]?.database_name ?? "<name>"}\`; see docs/deploy.md.`,
  );
  process.exit(1);
}
const problems = configProblems(name, config);
if (problems.length > 0) {
  console.error(`wrangler.toml [env.${name}] breaks a deployment rule:`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}

function wrangler(...args) {
  console.log(`$ npx wrangler ${args.join(" ")}`);
  const res = spawnSync("npx", ["wrangler", ...args], { stdio: "inherit" });
  if (res.status !== 0) process.exit(res.status ?? 1);
}

wrangler("d1", "migrations", "apply", "DB", "--remote", "--env", name);
wrangler("deploy", "--env", name);
console.log(
  `Deployed ${config.name}. If this is its first deploy, set its secrets (docs/deploy.md), then run the smoke test:\n` +
    `  npm run smoke -- --url https://<your workers.dev or route> --key <an API key>`,
);
