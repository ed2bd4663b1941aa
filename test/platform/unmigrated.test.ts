/** A deployment whose D1 migrations were never applied answers 503 saying what to run, not a bare 500. */
import { SELF, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { authHeaders } from "../helpers/auth";

describe("a database without its tables", () => {
  it("every /v1 call answers 503 database_not_migrated, naming the command", async () => {
    if (!env.DB) throw new Error("no DB binding");
    await env.DB.exec("DROP TABLE api_keys");
    for (const path of ["/v1/models", "/v1/runs"]) {
      const res = await SELF.fetch(`https://api.test${path}`, { headers: authHeaders() });
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("database_not_migrated");
      expect(body.error.message).toContain("wrangler d1 migrations apply DB");
    }
  });
});
