/**
 * Bad input for batches: property-based fuzzing (fast-check) of `POST /v1/batches` in both forms
 * (a JSON object or array, and JSONL with its options in the query) under any content type, with
 * requests of any shape, duplicated or odd `custom_id`s, bad `concurrency`, webhooks and metadata;
 * and of the batch-id routes with random ids. Every answer is a 4xx JSON error or a correct 2xx,
 * never a 5xx (test/reliability/fuzz-helpers.ts). Then the accounting: a batch object exists for
 * each 202 and for nothing else, every accepted batch ends, and the only runs are those its
 * results name, each billed once. Seeds replay as in fuzz.test.ts (VITE_RELIABILITY_SEED).
 */
import { SELF, env, listDurableObjectIds } from "cloudflare:test";
import fc from "fast-check";
import { afterAll, describe, expect, inject, it } from "vitest";
import { PNG_8x6_B64 } from "../fixtures/images";
import { createTestKey } from "../helpers/admin";
import { TEST_API_KEY } from "../helpers/auth";
import { FuzzLedger, SEED, runs } from "./fuzz-helpers";

const BASE = "https://api.test";
const AUTH = `Bearer ${TEST_API_KEY}`;
const receiver = inject("webhookReceiver");
const ledger = new FuzzLedger();
const enc = new TextEncoder();

/** A cheap valid run request (greedy on the mock model: four backend calls). */
const validBody = (i: number): Record<string, unknown> => ({
  question: `How many blue squares are there? (${i})`,
  image: { data: PNG_8x6_B64, media_type: "image/png" },
  search: { strategy: "greedy" },
});

const junk = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom("", " ", "\u0000", "\ud800", "\u202e", "null", "-1", "1e309", "run_", "x".repeat(300)),
);

/** A request line: valid, valid with one field replaced by junk, or junk. */
const requestItem = fc.oneof(
  { weight: 4, arbitrary: fc.nat(99).map((i) => ({ custom_id: `q-${i}`, body: validBody(i) })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.nat(99),
        fc.constantFrom("custom_id", "body", "body.question", "body.search", "body.image", "body.model", "body.cache"),
        junk,
      )
      .map(([i, field, value]) => {
        const item: Record<string, unknown> = { custom_id: `q-${i}`, body: validBody(i) };
        if (field.startsWith("body.")) (item.body as Record<string, unknown>)[field.slice(5)] = value;
        else item[field] = value;
        return item;
      }),
  },
  { weight: 1, arbitrary: junk },
);

const options = fc.record(
  {
    concurrency: fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: 1, max: 16 }) },
      { weight: 1, arbitrary: fc.integer({ min: -2, max: 70 }) },
      { weight: 1, arbitrary: junk },
    ),
    webhook: fc.oneof(
      fc.constantFrom(`${receiver}/ok/batch-fuzz`, "http://example.com/hook", "not a url", "").map((url) => ({ url })),
      junk,
    ),
    metadata: fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }), junk),
    extra: junk,
  },
  { requiredKeys: [], noNullPrototype: true },
);

const submission = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.array(requestItem, { minLength: 0, maxLength: 4 }), options)
      .map(([requests, opts]) => ({ form: "json" as const, body: JSON.stringify({ requests, ...opts }) })),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(requestItem, { maxLength: 4 })
      .map((requests) => ({ form: "json" as const, body: JSON.stringify(requests) })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.array(
          fc.oneof(
            requestItem.map((r) => JSON.stringify(r)),
            fc.constantFrom("", "{", "[]", "\ufeff{}"),
          ),
          {
            maxLength: 4,
          },
        ),
        fc.option(fc.oneof(fc.integer({ min: -1, max: 70 }).map(String), fc.constantFrom("abc", "1e3", "")), {
          nil: undefined,
        }),
        fc.option(fc.constantFrom(`${receiver}/ok/batch-fuzz`, "not a url", ""), { nil: undefined }),
        fc.constantFrom("\n", "\r\n"),
      )
      .map(([lines, concurrency, hook, eol]) => {
        const q = new URLSearchParams();
        if (concurrency !== undefined) q.set("concurrency", concurrency);
        if (hook !== undefined) q.set("webhook_url", hook);
        return { form: "jsonl" as const, body: lines.join(eol), query: q.size > 0 ? `?${q}` : "" };
      }),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.uint8Array({ maxLength: 100 }),
        fc.constantFrom("", "null", "{}", '{"requests":', "[[[[", '{"requests":[]}').map((s) => enc.encode(s)),
      )
      .map((bytes) => ({ form: "raw" as const, bytes })),
  },
);

const contentType = fc.constantFrom(
  "application/json",
  "application/jsonl",
  "application/x-ndjson",
  "application/json; charset=utf-8",
  "text/plain",
  "",
  "multipart/form-data; boundary=x",
);

async function batchObjects(): Promise<Set<string>> {
  if (!env.BATCHES) throw new Error("no BATCHES binding");
  return new Set((await listDurableObjectIds(env.BATCHES)).map((id) => `batch_${id.toString()}`));
}

async function runObjects(): Promise<Set<string>> {
  return new Set((await listDurableObjectIds(env.RUNS)).map((id) => `run_${id.toString()}`));
}

async function ledgerRunIds(): Promise<string[]> {
  if (!env.DB) throw new Error("no DB");
  return (await env.DB.prepare(`SELECT run_id FROM usage_ledger`).all<{ run_id: string }>()).results.map(
    (r) => r.run_id,
  );
}

describe("bad input: fuzzing the batch routes", { timeout: 180_000 }, () => {
  afterAll(() => {
    console.log(`batch fuzz: fast-check seed ${SEED}\n${ledger.summary()}`);
  });

  it("POST /v1/batches: JSON and JSONL of any shape, under any content type", async () => {
    await fc.assert(
      fc.asyncProperty(submission, contentType, fc.boolean(), async (sub, type, matchType) => {
        const contentTypeHeader =
          matchType && sub.form !== "raw" ? (sub.form === "jsonl" ? "application/jsonl" : "application/json") : type;
        const res = await SELF.fetch(`${BASE}/v1/batches${sub.form === "jsonl" ? sub.query : ""}`, {
          method: "POST",
          headers: { authorization: AUTH, ...(contentTypeHeader ? { "content-type": contentTypeHeader } : {}) },
          body: sub.form === "raw" ? sub.bytes : sub.body,
        });
        await ledger.check("POST /v1/batches", res);
      }),
      runs(120, 6),
    );
  });

  it("batch-id routes: random ids, another key's batch", async () => {
    const own = await SELF.fetch(`${BASE}/v1/batches`, {
      method: "POST",
      headers: { authorization: AUTH, "content-type": "application/json" },
      body: JSON.stringify({ requests: [{ custom_id: "a", body: validBody(1) }] }),
    });
    await ledger.check("POST /v1/batches", own.clone());
    const ownId = ((await own.json()) as { id: string }).id;
    const other = await createTestKey({ name: "batch fuzz other key" });
    const foreign = await SELF.fetch(`${BASE}/v1/batches`, {
      method: "POST",
      headers: { authorization: `Bearer ${other.key}`, "content-type": "application/json" },
      body: JSON.stringify({ requests: [{ custom_id: "b", body: validBody(2) }] }),
    });
    expect(foreign.status).toBe(202);
    const foreignId = ((await foreign.json()) as { id: string }).id;
    ledger.acceptedBatches.set(foreignId, 1);

    const id = fc.oneof(
      fc.constantFrom(ownId, foreignId, "batch_", "batch_XYZ", `batch_${"f".repeat(65)}`, "%00", "..", "🙂"),
      fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `batch_${h}`),
      fc.string({ maxLength: 40 }).map(encodeURIComponent),
    );
    await fc.assert(
      fc.asyncProperty(id, fc.constantFrom("view", "results", "cancel"), async (batchId, what) => {
        const path = `/v1/batches/${batchId}${what === "view" ? "" : `/${what}`}`;
        const res = await SELF.fetch(`${BASE}${path}`, {
          method: what === "cancel" ? "POST" : "GET",
          headers: { authorization: AUTH },
        });
        if (batchId === foreignId) expect(res.status).toBe(404);
        const route =
          what === "view"
            ? "GET /v1/batches/:id"
            : what === "results"
              ? "GET /v1/batches/:id/results"
              : "POST /v1/batches/:id/cancel";
        await ledger.check(route, res);
      }),
      runs(80, 6),
    );
  });

  it("a batch object exists for each 202 and nothing else; each ends; its runs are all the runs, billed once", async () => {
    const accepted = ledger.acceptedBatches;
    const objects = await batchObjects();
    expect(
      [...objects].filter((id) => !accepted.has(id)),
      "batch objects created by rejected requests",
    ).toEqual([]);
    expect(
      [...accepted.keys()].filter((id) => !objects.has(id)),
      "accepted batches without an object",
    ).toEqual([]);

    // Every accepted batch ends (cheap greedy runs, or requests refused when they start).
    const runIds = new Set<string>();
    const until = Date.now() + 90_000;
    for (const [id, total] of accepted) {
      const stub = env.BATCHES?.get(env.BATCHES.idFromString(id.slice("batch_".length)));
      for (;;) {
        const view = await stub?.get(await ownerOf(id));
        if (view && view.status !== "running") {
          expect(view.counts.total, id).toBe(total);
          const lines = (await stub?.results(await ownerOf(id))) ?? [];
          expect(lines.length, id).toBe(total);
          for (const line of lines) if (line.run_id) runIds.add(line.run_id);
          break;
        }
        if (Date.now() > until) throw new Error(`batch ${id} still running: ${JSON.stringify(view?.counts)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }

    const runs = await runObjects();
    expect(
      [...runs].filter((id) => !runIds.has(id)),
      "run objects no batch result names",
    ).toEqual([]);
    // Every run that ended is billed once (its ledger row is written just after it ends).
    const ended = [...runIds];
    let billed: string[] = [];
    for (const deadline = Date.now() + 30_000; ;) {
      billed = await ledgerRunIds();
      if (ended.every((id) => billed.includes(id)) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(
      ended.filter((id) => !billed.includes(id)),
      "runs of a batch without a ledger row",
    ).toEqual([]);
    expect(new Set(billed).size, "one ledger row per run").toBe(billed.length);
    expect(
      billed.filter((id) => !runIds.has(id)),
      "ledger rows of runs no batch started",
    ).toEqual([]);
    console.log(
      `batch fuzz: ${accepted.size} batches accepted, ${objects.size} batch objects, ${runs.size} run objects, ${billed.length} ledger rows`,
    );
  });
});

/** The key that owns a batch: the suite's key, or the other key (whose batch holds `b`). */
const owners = new Map<string, string>();
async function ownerOf(batchId: string): Promise<string> {
  const known = owners.get(batchId);
  if (known) return known;
  if (!env.DB) throw new Error("no DB");
  const keys = (await env.DB.prepare(`SELECT id FROM api_keys`).all<{ id: string }>()).results.map((r) => r.id);
  const ns = env.BATCHES;
  if (!ns) throw new Error("no BATCHES binding");
  const stub = ns.get(ns.idFromString(batchId.slice("batch_".length)));
  for (const key of keys) {
    if (await stub.get(key)) {
      owners.set(batchId, key);
      return key;
    }
  }
  throw new Error(`no key owns batch ${batchId}`);
}
