/**
 * API keys in D1 (`api_keys`): created with a random `sk_live_…` secret and a `whsec_…` webhook
 * secret, both returned once; only the secret's SHA-256 is stored, and keys are looked up by it.
 */
import { newWebhookSecret } from "./webhook-signature";
import { randomHex, sha256Hex } from "./crypto";

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  budget_usd: number | null;
  rate_limit_per_minute: number;
  created_at: number;
  revoked_at: number | null;
}

/** The key as the service uses it (the webhook secret signs this key's deliveries). */
export interface ApiKeyWithSecret extends ApiKey {
  webhook_secret: string;
}

export interface NewKey {
  name: string;
  budget_usd: number | null;
  rate_limit_per_minute: number;
}

/** `sk_` then letters, digits and `_`: anything else is not one of our keys (401 malformed). */
export const API_KEY_PATTERN = /^sk_[A-Za-z0-9_]{16,200}$/;
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 60;
const PREFIX_CHARS = 12;

const COLUMNS = "id, name, prefix, budget_usd, rate_limit_per_minute, created_at, revoked_at";

export const displayPrefix = (secret: string): string => `${secret.slice(0, PREFIX_CHARS)}…`;

/** Create a key; the returned secrets are never readable again. */
export async function createKey(
  db: D1Database,
  input: NewKey,
  now = Date.now(),
): Promise<{ key: ApiKey; secret: string; webhook_secret: string }> {
  const secret = `sk_live_${randomHex(24)}`;
  const webhook_secret = newWebhookSecret();
  const key: ApiKey = {
    id: `key_${randomHex(8)}`,
    prefix: displayPrefix(secret),
    created_at: now,
    revoked_at: null,
    ...input,
  };
  await db
    .prepare(
      `INSERT INTO api_keys (id, name, key_hash, prefix, budget_usd, rate_limit_per_minute, webhook_secret, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      key.id,
      key.name,
      await sha256Hex(secret),
      key.prefix,
      key.budget_usd,
      key.rate_limit_per_minute,
      webhook_secret,
      now,
    )
    .run();
  return { key, secret, webhook_secret };
}

/**
 * Insert a key with a known secret (the development key). When the id exists its secret is
 * replaced (DEV_API_KEY was changed) and everything else — revocation included — is kept.
 */
export async function seedKey(
  db: D1Database,
  id: string,
  secret: string,
  input: NewKey & { webhook_secret: string },
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO api_keys (id, name, key_hash, prefix, budget_usd, rate_limit_per_minute, webhook_secret, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET key_hash = excluded.key_hash, prefix = excluded.prefix`,
    )
    .bind(
      id,
      input.name,
      await sha256Hex(secret),
      displayPrefix(secret),
      input.budget_usd,
      input.rate_limit_per_minute,
      input.webhook_secret,
      Date.now(),
    )
    .run();
}

export async function findKeyBySecret(db: D1Database, secret: string): Promise<ApiKeyWithSecret | null> {
  return db
    .prepare(`SELECT ${COLUMNS}, webhook_secret FROM api_keys WHERE key_hash = ?`)
    .bind(await sha256Hex(secret))
    .first<ApiKeyWithSecret>();
}

/** A key by id with its webhook secret (a batch re-reads its key before it starts each run). */
export async function findKeyById(db: D1Database, id: string): Promise<ApiKeyWithSecret | null> {
  return db.prepare(`SELECT ${COLUMNS}, webhook_secret FROM api_keys WHERE id = ?`).bind(id).first<ApiKeyWithSecret>();
}

export async function listKeys(db: D1Database): Promise<ApiKey[]> {
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at DESC, id DESC`)
    .all<ApiKey>();
  return results;
}

/** Revoke a key (a second revoke keeps the first time); null when there is no such key. */
export async function revokeKey(db: D1Database, id: string, now = Date.now()): Promise<ApiKey | null> {
  return db
    .prepare(`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING ${COLUMNS}`)
    .bind(now, id)
    .first<ApiKey>();
}

/** Change a key's budget and/or rate limit (absent fields stay); null when there is no such key. */
export async function updateKey(
  db: D1Database,
  id: string,
  change: { budget_usd?: number | null; rate_limit_per_minute?: number },
): Promise<ApiKey | null> {
  const budgetGiven = change.budget_usd !== undefined ? 1 : 0;
  return db
    .prepare(
      `UPDATE api_keys SET budget_usd = CASE WHEN ? THEN ? ELSE budget_usd END,
         rate_limit_per_minute = COALESCE(?, rate_limit_per_minute)
       WHERE id = ? RETURNING ${COLUMNS}`,
    )
    .bind(budgetGiven, change.budget_usd ?? null, change.rate_limit_per_minute ?? null, id)
    .first<ApiKey>();
}
