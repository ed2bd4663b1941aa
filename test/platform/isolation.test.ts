/** A key sees only its own runs: another key's run is a 404 exactly like a missing one. */
import { describe, expect, it } from "vitest";
import type { RunView } from "../../src/runs/contract";
import { expectError } from "../api/helpers";
import { createTestKey } from "../helpers/admin";
import { call, createRun, fakeRunId } from "./helpers";

interface Accepted {
  id: string;
  status: string;
}

describe("key isolation", async () => {
  const a = await createTestKey({ name: "key A" });
  const b = await createTestKey({ name: "key B" });

  it("key B gets 404 for key A's run on GET, events, image and cancel — the same 404 as a missing run", async () => {
    const res = await createRun(a.key, { search: { strategy: "greedy" } }, { Prefer: "wait=30" });
    expect(res.status).toBe(200);
    const run = (await res.json()) as RunView;
    expect(run.status).toBe("succeeded");

    const missing = fakeRunId();
    for (const [method, suffix] of [
      ["GET", ""],
      ["GET", "/events"],
      ["GET", "/image"],
      ["POST", "/cancel"],
    ] as const) {
      const theirs = await expectError(
        await call(`/v1/runs/${run.id}${suffix}`, b.key, { method }),
        404,
        new RegExp(`no run with id "${run.id}"`),
        { code: "run_not_found" },
      );
      const none = await expectError(
        await call(`/v1/runs/${missing}${suffix}`, b.key, { method }),
        404,
        /no run with id/,
      );
      expect(theirs.error.message.replace(run.id, "ID")).toBe(none.error.message.replace(missing, "ID"));
      expect(Object.keys(theirs.error).sort()).toEqual(Object.keys(none.error).sort());
    }
    // Key A still sees it, with its events.
    expect(((await (await call(`/v1/runs/${run.id}`, a.key)).json()) as RunView).status).toBe("succeeded");
    const events = await call(`/v1/runs/${run.id}/events`, a.key);
    expect(events.status).toBe(200);
    expect(await events.text()).toContain("run.succeeded");
  });

  it("key B cannot cancel key A's running run; key A can", async () => {
    const res = await createRun(a.key, { search: { candidates: 8 } });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as Accepted;
    await expectError(await call(`/v1/runs/${id}/cancel`, b.key, { method: "POST" }), 404, /no run with id/);
    const after = (await (await call(`/v1/runs/${id}`, a.key)).json()) as RunView;
    expect(after.status).not.toBe("canceled");
    const canceled = await call(`/v1/runs/${id}/cancel`, a.key, { method: "POST" });
    expect(canceled.status).toBe(200);
    expect(["canceled", "succeeded"]).toContain(((await canceled.json()) as RunView).status);
  });

  it("Idempotency-Key is scoped per key: the same key string from A and B makes two runs", async () => {
    const body = { search: { strategy: "greedy" } };
    const idem = { "Idempotency-Key": "order-42" };
    const fromA = (await (await createRun(a.key, body, idem)).json()) as Accepted;
    const fromB = await createRun(b.key, body, idem);
    expect(fromB.status).toBe(202);
    expect(((await fromB.json()) as Accepted).id).not.toBe(fromA.id);
    // A's retry is a replay of A's run.
    const replay = await createRun(a.key, body, idem);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(((await replay.json()) as Accepted).id).toBe(fromA.id);
  });

  it("GET /v1/runs lists only the caller's runs", async () => {
    const listA = (await (await call("/v1/runs?limit=100", a.key)).json()) as { data: { id: string }[] };
    const listB = (await (await call("/v1/runs?limit=100", b.key)).json()) as { data: { id: string }[] };
    const idsA = new Set(listA.data.map((r) => r.id));
    expect(idsA.size).toBeGreaterThanOrEqual(3);
    expect(listB.data.length).toBeGreaterThanOrEqual(1);
    for (const r of listB.data) expect(idsA.has(r.id)).toBe(false);
  });
});
