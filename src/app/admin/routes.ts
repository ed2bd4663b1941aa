/**
 * `/admin/keys`: create, list and revoke API keys, behind `Authorization: Bearer <ADMIN_SECRET>`.
 * A key's secret and its webhook secret are in the creation response only: the service keeps the
 * key's hash, and the webhook secret only to sign deliveries.
 */
import { Hono } from "hono";
import { z } from "zod";
import { createKey, DEFAULT_RATE_LIMIT_PER_MINUTE, listKeys, revokeKey, type ApiKey } from "../../platform/keys";
import { spentByKey } from "../../platform/ledger";
import { adminAuth, platformDb } from "../auth";
import { readJsonBody } from "../body";
import { ApiError } from "../errors";
import type { AppEnv } from "../types";
import { apiErrorMap } from "../zod-messages";

const MAX_ADMIN_BODY_BYTES = 16 * 1024;
export const MAX_KEY_NAME_CHARS = 100;
export const MAX_BUDGET_USD = 1_000_000;
export const MAX_RATE_LIMIT_PER_MINUTE = 100_000;

export const createKeySchema = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1, { error: "must not be empty" })
    .max(MAX_KEY_NAME_CHARS, {
      error: `must be at most ${MAX_KEY_NAME_CHARS} characters (limit: name ≤ ${MAX_KEY_NAME_CHARS} chars)`,
    }),
  budget_usd: z
    .number()
    .min(0, { error: `must be at least 0 (limit: 0 ≤ budget_usd ≤ ${MAX_BUDGET_USD}; null or absent = unlimited)` })
    .max(MAX_BUDGET_USD, { error: `must be at most ${MAX_BUDGET_USD} (limit: 0 ≤ budget_usd ≤ ${MAX_BUDGET_USD})` })
    .nullable()
    .default(null),
  rate_limit_per_minute: z
    .number()
    .int({ error: "must be an integer" })
    .min(1, { error: `must be at least 1 (limit: 1 ≤ rate_limit_per_minute ≤ ${MAX_RATE_LIMIT_PER_MINUTE})` })
    .max(MAX_RATE_LIMIT_PER_MINUTE, {
      error: `must be at most ${MAX_RATE_LIMIT_PER_MINUTE} (limit: 1 ≤ rate_limit_per_minute ≤ ${MAX_RATE_LIMIT_PER_MINUTE})`,
    })
    .default(DEFAULT_RATE_LIMIT_PER_MINUTE),
});

const KEY_ID_PATTERN = /^key_[A-Za-z0-9_]{1,64}$/;

export const keyObject = (k: ApiKey) => ({
  id: k.id,
  object: "api_key" as const,
  name: k.name,
  prefix: k.prefix,
  budget_usd: k.budget_usd,
  rate_limit_per_minute: k.rate_limit_per_minute,
  created_at: new Date(k.created_at).toISOString(),
  revoked_at: k.revoked_at === null ? null : new Date(k.revoked_at).toISOString(),
});

const noSuchKey = (id: string): ApiError =>
  new ApiError(404, "not_found_error", `no API key with id "${id.length > 80 ? `${id.slice(0, 80)}…` : id}"`, {
    param: "id",
    code: "key_not_found",
  });

export function adminRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(adminAuth());

  app.post("/keys", async (c) => {
    const body = createKeySchema.parse(await readJsonBody(c.req.raw, MAX_ADMIN_BODY_BYTES), { error: apiErrorMap });
    const { key, secret, webhook_secret } = await createKey(platformDb(c), body);
    // The only response that ever carries the secrets.
    return c.json({ ...keyObject(key), key: secret, webhook_secret }, 201);
  });

  app.get("/keys", async (c) => {
    const db = platformDb(c);
    const [keys, spent] = await Promise.all([listKeys(db), spentByKey(db)]);
    return c.json({ object: "list", data: keys.map((k) => ({ ...keyObject(k), spent_usd: spent.get(k.id) ?? 0 })) });
  });

  app.post("/keys/:id/revoke", async (c) => {
    const id = c.req.param("id");
    if (!KEY_ID_PATTERN.test(id)) throw noSuchKey(id);
    const key = await revokeKey(platformDb(c), id);
    if (!key) throw noSuchKey(id);
    return c.json(keyObject(key));
  });
  return app;
}
