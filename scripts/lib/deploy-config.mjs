// The environments of wrangler.toml as wrangler resolves them, and the rules a deployment must
// keep (docs/deploy.md). Shared by check-deploy.mjs, deploy.mjs and upload-model.mjs.
import { unstable_readConfig } from "wrangler";

/** `local` is the top level (npm start); the others are [env.*] sections. */
export const ENVIRONMENTS = ["local", "staging", "production"];

const KiB = 1024;
/** Gzipped Worker size targets: a GPU-only build, and one with the embedded model's engine. */
export const TARGETS = { gpuOnly: 1024 * KiB, embedded: 5 * 1024 * KiB };

export const PLACEHOLDER = "REPLACE_WITH_";
const DEVELOPMENT_FLAGS = ["ALLOW_MOCK_BACKENDS", "ALLOW_HTTP_WEBHOOKS", "ALLOW_HTTP_IMAGE_URLS"];

export function readEnvironment(name, configPath = "wrangler.toml") {
  return unstable_readConfig({ config: configPath, env: name === "local" ? undefined : name }, { hideWarnings: true });
}

export function modelsOf(config) {
  return String(config.vars?.MODELS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

export const servesEmbedded = (config) => modelsOf(config).some((m) => m.startsWith("embedded:"));

/** Every value the user must still fill in, as `where: value`. */
export function placeholders(config) {
  const found = [];
  const walk = (value, path) => {
    if (typeof value === "string" && value.includes(PLACEHOLDER)) found.push(`${path}: ${value}`);
    else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`));
    else if (value && typeof value === "object")
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
  };
  walk(
    { d1_databases: config.d1_databases, r2_buckets: config.r2_buckets, vars: config.vars, routes: config.routes },
    "",
  );
  return found;
}

/** What is wrong with a deployable environment's configuration (not local development). */
export function configProblems(name, config) {
  const problems = [];
  if (name === "local") return problems;
  const vars = config.vars ?? {};
  const mocks = modelsOf(config).filter((m) => m.startsWith("mock:"));
  if (mocks.length > 0) problems.push(`MODELS serves mock models (${mocks.join(", ")}), which only development may`);
  for (const flag of DEVELOPMENT_FLAGS)
    if (String(vars[flag] ?? "") === "1") problems.push(`${flag} = "1" is a development flag`);
  if (vars.ENVIRONMENT === undefined || vars.ENVIRONMENT === "development" || vars.ENVIRONMENT === "local")
    problems.push(`ENVIRONMENT must name the deployment (got ${JSON.stringify(vars.ENVIRONMENT)})`);
  if (name === "production" && vars.ENVIRONMENT !== "production") problems.push(`ENVIRONMENT must be "production"`);
  if (config.observability?.enabled !== true) problems.push("observability (Workers Logs) is not enabled");
  if (modelsOf(config).length === 0) problems.push("MODELS is empty");
  if (!config.d1_databases?.some((d) => d.binding === "DB")) problems.push("no D1 binding DB");
  if (!servesEmbedded(config) && !/index-gpu\.ts$/.test(config.main ?? ""))
    problems.push(
      `serves no embedded model but builds ${config.main}, which bundles the embedded model's engine: use src/index-gpu.ts`,
    );
  if (vars.MODEL_SOURCE === "r2" && !config.r2_buckets?.some((b) => b.binding === "MODEL_BUCKET"))
    problems.push('MODEL_SOURCE = "r2" without an R2 binding MODEL_BUCKET');
  return problems;
}
