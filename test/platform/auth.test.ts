/** API keys on /v1 (missing, malformed, unknown, revoked), the admin routes and their secret. */
import { SELF, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app/create-app";
import { sha256Hex } from "../../src/platform/crypto";
import { expectError } from "../api/helpers";
import { adminHeaders, createTestKey } from "../helpers/admin";
import { TEST_API_KEY } from "../helpers/auth";
import { call, db } from "./helpers";

const admin = (path: string, init: RequestInit = {}, secret?: string) =>
  SELF.fetch(`https://api.test${path}`, {
    ...init,
    headers: { ...adminHeaders(secret), ...(init.headers as Record<string, string> | undefined) },
  });
const postJson = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

describe("API keys on /v1", () => {
  it("the suite's key is the test deployment's DEV_API_KEY", () => {
    expect(env.DEV_API_KEY).toBe(TEST_API_KEY);
    expect(env.ENVIRONMENT).toBe("development");
  });

  it("missing → 401 naming the header, with a Bearer challenge", async () => {
    const res = await call("/v1/runs", null);
    await expectError(res, 401, /missing api key: send the header `Authorization: Bearer sk_…`/, {
      type: "authentication_error",
      code: "missing_api_key",
      param: "Authorization",
    });
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer /);
  });

  it.each([
    ["not Bearer", "Basic dXNlcjpwYXNz", "malformed_authorization", /malformed Authorization header/],
    ["Bearer without a token", "Bearer ", "malformed_authorization", /malformed Authorization header/],
    ["not an sk_ key", "Bearer abc", "malformed_api_key", /malformed API key/],
    ["sk_ with bad characters", "Bearer sk_live_0123456789abcdef!!", "malformed_api_key", /malformed API key/],
  ])("malformed (%s) → 401", async (_name, header, code, message) => {
    const res = await SELF.fetch("https://api.test/v1/runs", { headers: { authorization: header } });
    await expectError(res, 401, message, { type: "authentication_error", code });
  });

  it("unknown → 401", async () => {
    await expectError(await call("/v1/usage", "sk_live_000000000000000000000000000000000000"), 401, /unknown API key/, {
      code: "invalid_api_key",
    });
  });

  it("every /v1 route needs it, /v1/models included; /healthz does not", async () => {
    for (const path of ["/v1/models", "/v1/usage", "/v1/runs", `/v1/runs/run_${"a".repeat(64)}`]) {
      expect((await call(path, null)).status, path).toBe(401);
    }
    expect((await call("/healthz", null)).status).toBe(200);
  });

  it("a revoked key gets 401 key_revoked; revoking again keeps the first time", async () => {
    const k = await createTestKey({ name: "to revoke" });
    expect((await call("/v1/runs", k.key)).status).toBe(200);
    const revoked = await admin(`/admin/keys/${k.id}/revoke`, { method: "POST" });
    expect(revoked.status).toBe(200);
    const first = ((await revoked.json()) as { revoked_at: string }).revoked_at;
    expect(first).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    await expectError(await call("/v1/runs", k.key), 401, new RegExp(`API key ${k.id} was revoked at ${first}`), {
      code: "key_revoked",
    });
    const again = (await (await admin(`/admin/keys/${k.id}/revoke`, { method: "POST" })).json()) as {
      revoked_at: string;
    };
    expect(again.revoked_at).toBe(first);
  });
});

describe("admin routes", () => {
  it("missing admin secret → 401, wrong → 403, an API key is not an admin secret → 403", async () => {
    await expectError(await SELF.fetch("https://api.test/admin/keys"), 401, /missing admin secret/, {
      code: "missing_admin_secret",
    });
    await expectError(await admin("/admin/keys", {}, "wrong-secret"), 403, /admin secret is wrong/, {
      type: "permission_error",
      code: "invalid_admin_secret",
    });
    await expectError(await admin("/admin/keys", {}, TEST_API_KEY), 403, /admin secret is wrong/);
    await expectError(
      await admin("/admin/keys", postJson({ name: "x" }), "wrong-secret"),
      403,
      /admin secret is wrong/,
    );
    await expectError(
      await SELF.fetch("https://api.test/admin/keys/key_x/revoke", { method: "POST" }),
      401,
      /missing admin secret/,
    );
    await expectError(
      await admin("/admin/keys/key_x/revoke", { method: "POST" }, ""),
      401,
      /malformed Authorization header/,
    );
  });

  it("creates a key: the secrets once, only the hash stored; the list shows no secrets", async () => {
    const res = await admin(
      "/admin/keys",
      postJson({ name: "billing test", budget_usd: 5, rate_limit_per_minute: 30 }),
    );
    expect(res.status).toBe(201);
    const created = (await res.json()) as Record<string, unknown> & {
      id: string;
      key: string;
      webhook_secret: string;
      prefix: string;
    };
    expect(created).toMatchObject({
      object: "api_key",
      name: "billing test",
      budget_usd: 5,
      rate_limit_per_minute: 30,
      revoked_at: null,
    });
    expect(created.id).toMatch(/^key_[0-9a-f]{16}$/);
    expect(created.key).toMatch(/^sk_live_[0-9a-f]{48}$/);
    expect(created.webhook_secret).toMatch(/^whsec_/);
    expect(created.key.startsWith(created.prefix.replace("…", ""))).toBe(true);

    const row = await db()
      .prepare(`SELECT * FROM api_keys WHERE id = ?`)
      .bind(created.id)
      .first<Record<string, unknown>>();
    expect(row?.key_hash).toBe(await sha256Hex(created.key));
    expect(Object.values(row ?? {})).not.toContain(created.key);

    const list = await (await admin("/admin/keys")).text();
    expect(list).toContain(created.id);
    expect(list).not.toContain(created.key);
    expect(list).not.toContain(created.webhook_secret);
    expect(list).not.toContain("key_hash");
    const listed = (JSON.parse(list) as { data: { id: string; spent_usd: number }[] }).data.find(
      (k) => k.id === created.id,
    );
    expect(listed).toMatchObject({ id: created.id, spent_usd: 0 });
    // The new key works.
    expect((await call("/v1/runs", created.key)).status).toBe(200);
  });

  it("defaults: no budget (unlimited), 60 requests per minute", async () => {
    const k = await createTestKey({ name: "defaults" });
    expect(k).toMatchObject({ budget_usd: null, rate_limit_per_minute: 60 });
  });

  it.each([
    ["name missing", {}, /^name: is required/, "name"],
    ["name blank", { name: "  " }, /^name: must not be empty/, "name"],
    ["name too long", { name: "x".repeat(101) }, /^name: must be at most 100 characters/, "name"],
    ["budget negative", { name: "x", budget_usd: -1 }, /^budget_usd: must be at least 0/, "budget_usd"],
    ["budget a string", { name: "x", budget_usd: "5" }, /^budget_usd: expected a number/, "budget_usd"],
    [
      "rate limit zero",
      { name: "x", rate_limit_per_minute: 0 },
      /^rate_limit_per_minute: must be at least 1/,
      "rate_limit_per_minute",
    ],
    [
      "rate limit fractional",
      { name: "x", rate_limit_per_minute: 1.5 },
      /^rate_limit_per_minute: must be an integer/,
      "rate_limit_per_minute",
    ],
    [
      "unknown field",
      { name: "x", secret: "mine" },
      /^secret: unknown field "secret" \(allowed: name, budget_usd, rate_limit_per_minute\)/,
      "secret",
    ],
  ])("POST /admin/keys: %s → 400 naming it", async (_name, body, message, param) => {
    await expectError(await admin("/admin/keys", postJson(body)), 400, message, {
      param,
      type: "invalid_request_error",
    });
  });

  it("POST /admin/keys: not JSON → 400/415", async () => {
    await expectError(
      await admin("/admin/keys", { method: "POST", headers: { "content-type": "application/json" }, body: "{" }),
      400,
      /not valid JSON/,
    );
    await expectError(
      await admin("/admin/keys", { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" }),
      415,
      /Content-Type must be application\/json/,
    );
  });

  it("revoking an unknown key → 404", async () => {
    await expectError(
      await admin("/admin/keys/key_doesnotexist/revoke", { method: "POST" }),
      404,
      /no API key with id "key_doesnotexist"/,
      { code: "key_not_found" },
    );
    await expectError(
      await admin("/admin/keys/not-a-key/revoke", { method: "POST" }),
      404,
      /no API key with id "not-a-key"/,
    );
  });
});

describe("a deployment without real secrets", () => {
  const app = createApp();
  // The suite's env carries development flags (wrangler.toml's, the suite's); a deployment has none.
  const request = (path: string, overrides: Record<string, unknown>, secret = TEST_API_KEY) =>
    app.request(
      path,
      { headers: { authorization: `Bearer ${secret}` } },
      {
        ...env,
        ALLOW_MOCK_BACKENDS: undefined,
        ALLOW_HTTP_WEBHOOKS: undefined,
        ALLOW_HTTP_IMAGE_URLS: undefined,
        ...overrides,
      },
    );

  it("without ADMIN_SECRET → 503 saying which secret to set, on /v1 and /admin", async () => {
    const prod = { ENVIRONMENT: "production", ADMIN_SECRET: undefined, DEV_API_KEY: undefined };
    await expectError(
      await request("/v1/runs", prod),
      503,
      /ADMIN_SECRET is not set: run `wrangler secret put ADMIN_SECRET`/,
      { code: "deployment_not_configured" },
    );
    await expectError(await request("/admin/keys", prod, "x"), 503, /wrangler secret put ADMIN_SECRET/);
  });

  it("with the development admin secret outside development → 503", async () => {
    const res = await request("/v1/runs", {
      ENVIRONMENT: "production",
      ADMIN_SECRET: "dev_admin_secret_local_only_0123456789",
      DEV_API_KEY: undefined,
    });
    await expectError(res, 503, /ADMIN_SECRET is a development value.*wrangler secret put ADMIN_SECRET/);
  });

  it("with DEV_API_KEY outside development → 503", async () => {
    const res = await request("/v1/runs", { ENVIRONMENT: "production", ADMIN_SECRET: "a".repeat(40) });
    await expectError(res, 503, /DEV_API_KEY is set outside development/);
  });

  it("with real secrets the dev key is just an unknown key", async () => {
    const real = { ENVIRONMENT: "production", ADMIN_SECRET: "r".repeat(40), DEV_API_KEY: undefined };
    await expectError(
      await request("/v1/usage", real, "sk_dev_local_0123456789abcdef0123456789abcdef"),
      401,
      /unknown API key/,
    );
  });

  it("with a development flag outside development → 503 naming the flag", async () => {
    const real = { ENVIRONMENT: "production", ADMIN_SECRET: "r".repeat(40), DEV_API_KEY: undefined };
    for (const flag of ["ALLOW_MOCK_BACKENDS", "ALLOW_HTTP_WEBHOOKS", "ALLOW_HTTP_IMAGE_URLS"]) {
      await expectError(
        await request("/v1/models", { ...real, [flag]: "1" }),
        503,
        new RegExp(`${flag} is a development flag and is refused outside development`),
        { code: "deployment_not_configured" },
      );
    }
  });

  it("without ADMIN_SECRET in development → 503 pointing at .dev.vars", async () => {
    await expectError(
      await request("/v1/runs", { ADMIN_SECRET: undefined }),
      503,
      /copy \.dev\.vars\.example to \.dev\.vars/,
    );
  });
});
