/**
 * `/admin/keys`: create, list and revoke API keys, behind `Authorization: Bearer <ADMIN_SECRET>`.
 * A key's secret and its webhook secret are in the creation response only: the service keeps the
 * key's hash, and the webhook secret only to sign deliveries.
 */
import { z } from "zod";
import { adminSecurity, errors, json, register, type App } from "../openapi";
import {
  createKey,
  DEFAULT_RATE_LIMIT_PER_MINUTE,
  listKeys,
  revokeKey,
  updateKey,
  type ApiKey,
} from "../../platform/keys";
import { spentByKey } from "../../platform/ledger";
import { platformDb } from "../middleware/auth";
import { readJsonBody } from "../http/body";
import { ApiError } from "../errors";
import { apiErrorMap } from "../zod-messages";

const MAX_ADMIN_BODY_BYTES = 16 * 1024;
export const MAX_KEY_NAME_CHARS = 100;
export const MAX_BUDGET_USD = 1_000_000;
export const MAX_RATE_LIMIT_PER_MINUTE = 100_000;

export const createKeySchema = z
  .strictObject({
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
  })
  .meta({ id: "CreateKeyRequest" });

export const updateKeySchema = z
  .strictObject({
    budget_usd: createKeySchema.shape.budget_usd.removeDefault().optional(),
    rate_limit_per_minute: createKeySchema.shape.rate_limit_per_minute.removeDefault().optional(),
  })
  .meta({ id: "UpdateKeyRequest" });

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

export const apiKeySchema = z
  .object({
    id: z.string(),
    object: z.literal("api_key"),
    name: z.string(),
    prefix: z.string().meta({ description: "The key's first characters, to recognise it." }),
    budget_usd: z.number().nullable(),
    rate_limit_per_minute: z.number().int(),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
    key: z.string().optional().meta({ description: "The secret (`sk_live_…`): in the creation response only." }),
    webhook_secret: z.string().optional().meta({ description: "`whsec_…`: in the creation response only." }),
    spent_usd: z.number().optional().meta({ description: "In the list only." }),
  })
  .meta({ id: "ApiKey" });
export const apiKeyListSchema = z
  .object({ object: z.literal("list"), data: z.array(apiKeySchema) })
  .meta({ id: "ApiKeyList" });

const keyIdParam = z.object({ id: z.string().meta({ description: "A key id (`key_…`)." }) });

export function adminRoutes(app: App): void {
  register(
    app,
    {
      method: "post",
      path: "/admin/keys",
      tags: ["admin"],
      security: adminSecurity,
      summary: "Create an API key (its secret and webhook secret are shown once)",
      request: { body: { required: true, content: { "application/json": { schema: createKeySchema } } } },
      responses: { 201: json(apiKeySchema, "The key, with `key` and `webhook_secret`."), ...errors },
    },
    async (c) => {
      const body = createKeySchema.parse(await readJsonBody(c.req.raw, MAX_ADMIN_BODY_BYTES), { error: apiErrorMap });
      const { key, secret, webhook_secret } = await createKey(platformDb(c), body);
      // The only response that ever carries the secrets.
      return c.json({ ...keyObject(key), key: secret, webhook_secret }, 201);
    },
  );
  register(
    app,
    {
      method: "get",
      path: "/admin/keys",
      tags: ["admin"],
      security: adminSecurity,
      summary: "List API keys and what each has spent",
      responses: { 200: json(apiKeyListSchema, "The keys."), ...errors },
    },
    async (c) => {
      const db = platformDb(c);
      const [keys, spent] = await Promise.all([listKeys(db), spentByKey(db)]);
      return c.json({ object: "list", data: keys.map((k) => ({ ...keyObject(k), spent_usd: spent.get(k.id) ?? 0 })) });
    },
  );
  register(
    app,
    {
      method: "patch",
      path: "/admin/keys/{id}",
      tags: ["admin"],
      security: adminSecurity,
      summary: "Change a key's budget or rate limit",
      description:
        "`budget_usd: null` makes the budget unlimited. The new values apply from the key's next request; what it has spent stays.",
      request: {
        params: keyIdParam,
        body: { required: true, content: { "application/json": { schema: updateKeySchema } } },
      },
      responses: { 200: json(apiKeySchema, "The key."), ...errors },
    },
    async (c) => {
      const id = c.req.param("id") ?? "";
      const body = updateKeySchema.parse(await readJsonBody(c.req.raw, MAX_ADMIN_BODY_BYTES), { error: apiErrorMap });
      if (!KEY_ID_PATTERN.test(id)) throw noSuchKey(id);
      const key = await updateKey(platformDb(c), id, body);
      if (!key) throw noSuchKey(id);
      return c.json(keyObject(key));
    },
  );
  register(
    app,
    {
      method: "post",
      path: "/admin/keys/{id}/revoke",
      tags: ["admin"],
      security: adminSecurity,
      summary: "Revoke an API key",
      request: { params: keyIdParam },
      responses: { 200: json(apiKeySchema, "The key, revoked."), ...errors },
    },
    async (c) => {
      const id = c.req.param("id") ?? "";
      if (!KEY_ID_PATTERN.test(id)) throw noSuchKey(id);
      const key = await revokeKey(platformDb(c), id);
      if (!key) throw noSuchKey(id);
      return c.json(keyObject(key));
    },
  );
}
