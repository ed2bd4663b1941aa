import { env, SELF } from "cloudflare:test";
import { it, expect } from "vitest";

it("serves healthz and reaches a Durable Object", async () => {
  const res = await SELF.fetch("https://x/healthz");
  expect(res.status).toBe(200);
  const stub = env.RUNS.get(env.RUNS.newUniqueId());
  expect(await stub.ping()).toBe("pong");
});
