/**
 * Whether this deployment has real secrets and no development flags (docs/deploy.md: a deployment
 * refuses to work otherwise). Workers have no start-up hook that can refuse, so every
 * authenticated request asks this first and gets a 503 naming what to fix.
 */
import type { Env } from "../env";

/** Development secrets start with this (see .dev.vars.example); never valid outside development. */
export const DEV_SECRET_PREFIX = "dev_";
/** A real admin secret is long enough not to be guessed (e.g. `openssl rand -hex 32`). */
export const MIN_ADMIN_SECRET_CHARS = 32;

export const isDevelopment = (env: Env): boolean => env.ENVIRONMENT === "development";

/** Vars that loosen the service for local work: mock models, plain-http webhooks and image URLs. */
export const DEVELOPMENT_FLAGS = ["ALLOW_MOCK_BACKENDS", "ALLOW_HTTP_WEBHOOKS", "ALLOW_HTTP_IMAGE_URLS"] as const;

/** What is wrong with this deployment's secrets or platform bindings, or null when nothing is. */
export function configProblem(env: Env): string | null {
  if (!env.DB)
    return "this deployment has no D1 binding DB (API keys and the usage ledger live there); declare it in wrangler.toml";
  if (!env.LIMITER)
    return "this deployment has no Durable Object binding LIMITER (per-key rate limits); declare it in wrangler.toml";
  const dev = isDevelopment(env);
  const admin = env.ADMIN_SECRET;
  if (!admin) {
    return dev
      ? "ADMIN_SECRET is not set: copy .dev.vars.example to .dev.vars (npm start does this) and restart"
      : "ADMIN_SECRET is not set: run `wrangler secret put ADMIN_SECRET` with a random value of at least 32 characters";
  }
  if (dev) return null;
  if (admin.startsWith(DEV_SECRET_PREFIX) || admin.length < MIN_ADMIN_SECRET_CHARS) {
    return `ADMIN_SECRET is a development value or shorter than ${MIN_ADMIN_SECRET_CHARS} characters: run \`wrangler secret put ADMIN_SECRET\` with a real random secret`;
  }
  for (const flag of DEVELOPMENT_FLAGS) {
    if (env[flag] === "1")
      return `${flag} is a development flag and is refused outside development (ENVIRONMENT is ${JSON.stringify(env.ENVIRONMENT ?? "")}): remove it from this environment's [vars] in wrangler.toml`;
  }
  if (env.DEV_API_KEY) {
    return 'DEV_API_KEY is set outside development (ENVIRONMENT is not "development"): remove it with `wrangler secret delete DEV_API_KEY` and create real keys with POST /admin/keys';
  }
  return null;
}
