import { env, runInDurableObject, SELF } from "cloudflare:test";
import { expect, it } from "vitest";

it("serves healthz, and a look-up of an id that names no run writes no storage", async () => {
  const res = await SELF.fetch("https://x/healthz");
  expect(res.status).toBe(200);
  const stub = env.RUNS.get(env.RUNS.newUniqueId());
  expect(await stub.view()).toBeNull();
  expect(await stub.wait(10)).toBeNull();
  expect(await stub.events(0, 10)).toEqual([]);
  const tables = await runInDurableObject(stub, (_obj, state) =>
    state.storage.sql
      .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'")
      .toArray(),
  );
  expect(tables).toEqual([]);
});
