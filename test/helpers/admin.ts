/** Calls to the admin routes with the test deployment's ADMIN_SECRET (bound in vitest.config.ts). */
import { SELF, env } from "cloudflare:test";

export function adminHeaders(secret: string = env.ADMIN_SECRET ?? ""): Record<string, string> {
  return { authorization: `Bearer ${secret}` };
}

export interface CreatedKey {
  id: string;
  key: string;
  webhook_secret: string;
  prefix: string;
  budget_usd: number | null;
  rate_limit_per_minute: number;
}

/** Create an API key through POST /admin/keys. */
export async function createTestKey(body: Record<string, unknown> = {}): Promise<CreatedKey> {
  const res = await SELF.fetch("https://api.test/admin/keys", {
    method: "POST",
    headers: { ...adminHeaders(), "content-type": "application/json" },
    body: JSON.stringify({ name: "test key", ...body }),
  });
  if (res.status !== 201) throw new Error(`creating a key failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as CreatedKey;
}
