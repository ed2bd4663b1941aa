/** GET /v1/runs: the caller's runs, newest first, with limit and cursor paging. */
import { describe, expect, it } from "vitest";
import { encodeCursor } from "../../src/platform/run-index";
import { expectError } from "../api/helpers";
import { createTestKey } from "../helpers/admin";
import { call, createRun, db, fakeRunId, insertLedger } from "./helpers";

interface ListBody {
  object: string;
  data: { id: string; object: string; model: string; status: string; created_at: string; links: { self: string } }[];
  has_more: boolean;
  next_cursor: string | null;
}

const list = async (key: string, query = ""): Promise<ListBody> => {
  const res = await call(`/v1/runs${query}`, key);
  expect(res.status).toBe(200);
  return (await res.json()) as ListBody;
};

describe("GET /v1/runs", async () => {
  const k = await createTestKey({ name: "lister" });
  // Seven indexed runs, two sharing a creation time (ties are ordered by id), all recorded as ended.
  const seeded = Array.from({ length: 7 }, (_, i) => ({
    id: fakeRunId(),
    created_at: 1_700_000_000_000 + Math.min(i, 5) * 1000,
  }));
  for (const r of seeded) {
    await db()
      .prepare(`INSERT INTO runs (run_id, key_id, model, created_at) VALUES (?, ?, 'mock:fixed', ?)`)
      .bind(r.id, k.id, r.created_at)
      .run();
    await insertLedger({ run_id: r.id, key_id: k.id, status: "failed" });
  }
  const newestFirst = [...seeded]
    .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1))
    .map((r) => r.id);

  it("pages newest first with limit and cursor: every run once, in order", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: ListBody = await list(k.key, `?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.object).toBe("list");
      expect(page.data.length).toBeLessThanOrEqual(3);
      seen.push(...page.data.map((r) => r.id));
      expect(page.has_more).toBe(page.next_cursor !== null);
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(newestFirst);
  });

  it("each item: id, model, status (from the ledger once ended), created_at, links", async () => {
    const page = await list(k.key, "?limit=1");
    expect(page.data[0]).toEqual({
      id: newestFirst[0],
      object: "run",
      model: "mock:fixed",
      status: "failed",
      created_at: new Date(1_700_000_005_000).toISOString(),
      links: {
        self: `/v1/runs/${newestFirst[0]}`,
        events: `/v1/runs/${newestFirst[0]}/events`,
        cancel: `/v1/runs/${newestFirst[0]}/cancel`,
      },
    });
  });

  it("a run created through the API is indexed at once, on top, with its live status", async () => {
    const res = await createRun(k.key, { search: { strategy: "greedy" } });
    const { id } = (await res.json()) as { id: string };
    const page = await list(k.key, "?limit=2");
    expect(page.data[0]?.id).toBe(id);
    expect(["queued", "running", "succeeded"]).toContain(page.data[0]?.status);
    // An Idempotency-Key replay is not listed twice.
    await createRun(k.key, { search: { strategy: "greedy" } }, { "Idempotency-Key": "list-once" });
    await createRun(k.key, { search: { strategy: "greedy" } }, { "Idempotency-Key": "list-once" });
    const all = await list(k.key, "?limit=100");
    expect(all.data).toHaveLength(seeded.length + 2);
    expect(new Set(all.data.map((r) => r.id)).size).toBe(all.data.length);
  });

  it("default limit 20; an empty list for a key without runs", async () => {
    const fresh = await createTestKey({ name: "no runs" });
    expect(await list(fresh.key)).toEqual({ object: "list", data: [], has_more: false, next_cursor: null });
  });

  it.each([
    ["limit 0", "?limit=0", /^limit: must be at least 1 \(limit: 1 ≤ limit ≤ 100\)/, "limit"],
    ["limit 101", "?limit=101", /^limit: must be at most 100/, "limit"],
    ["limit not a number", "?limit=ten", /^limit: must be a whole number from 1 to 100/, "limit"],
    ["limit negative", "?limit=-1", /^limit: must be a whole number/, "limit"],
    ["cursor garbage", "?cursor=abc", /^cursor: is not a cursor from this API/, "cursor"],
    ["cursor of another shape", `?cursor=${btoa("12.run_x")}`, /^cursor: is not a cursor from this API/, "cursor"],
    ["unknown parameter", "?status=failed", /^status: unknown field "status" \(allowed: limit, cursor\)/, "status"],
  ])("%s → 400 naming it", async (_name, query, message, param) => {
    await expectError(await call(`/v1/runs${query}`, k.key), 400, message, { param, type: "invalid_request_error" });
  });

  it("another key's cursor shows nothing of this key's runs", async () => {
    const other = await createTestKey({ name: "cursor thief" });
    const cursor = encodeCursor({ created_at: 1_800_000_000_000, run_id: newestFirst[0] ?? "" });
    expect((await list(other.key, `?cursor=${cursor}`)).data).toEqual([]);
  });
});
