/**
 * The documented development key: with ENVIRONMENT="development", the DEV_API_KEY from .dev.vars
 * is a real row in `api_keys` (id `key_dev`), inserted the first time it is used. So it is billed,
 * rate limited, listed and revocable like any key; outside development it does not exist.
 */
import type { Env } from "../env";
import { newWebhookSecret } from "./webhook-signature";
import { isDevelopment } from "./deployment";
import { findKeyBySecret, seedKey, type ApiKeyWithSecret } from "./keys";
import { secretsEqual } from "./crypto";

export const DEV_KEY_ID = "key_dev";
/** Generous, so a local demo or the test suite never trips it; create a key to try the 429. */
export const DEV_KEY_RATE_LIMIT_PER_MINUTE = 6_000;

/** The dev key's row when `secret` is DEV_API_KEY in development (seeding it if needed); else null. */
export async function devKeyFor(env: Env, db: D1Database, secret: string): Promise<ApiKeyWithSecret | null> {
  if (!isDevelopment(env) || !env.DEV_API_KEY || !(await secretsEqual(secret, env.DEV_API_KEY))) return null;
  await seedKey(db, DEV_KEY_ID, env.DEV_API_KEY, {
    name: "development key (DEV_API_KEY)",
    budget_usd: null,
    rate_limit_per_minute: DEV_KEY_RATE_LIMIT_PER_MINUTE,
    webhook_secret: env.DEV_WEBHOOK_SECRET || newWebhookSecret(),
  });
  return findKeyBySecret(db, secret);
}
