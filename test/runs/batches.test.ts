/**
 * Batches through the API: checked whole before they exist, runs started a few at a time within the
 * key's slots, results as JSONL in input order, cancel, one signed webhook at the end, and each
 * run billed once (ledger rows checked).
 */
import { inject, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { ScriptedModel, testBackends } from "../../src/inference/mock-model";
import { expectError } from "../api/helpers";
import { createTestKey } from "../helpers/admin";
import { deterministicRespond } from "../helpers/runs";
import { PNG_8x6_B64 } from "../fixtures/images";
import { call, ledgerRows } from "../platform/helpers";

const receiver = inject("webhookReceiver");
// Counts how many of its calls overlap, to check the batch's concurrency.
let inFlight = 0;
let maxInFlight = 0;
const model = new ScriptedModel({
  id: "mock:batch",
  latencyMs: 30,
  respond(opts) {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    setTimeout(() => inFlight--, 25);
    return deterministicRespond(opts);
  },
});
testBackends.set("mock:batch", model);

interface Batch {
  id: string;
  status: string;
  concurrency: number;
  counts: Record<string, number>;
  webhook: { deliveries: { state: string }[] } | null;
  links: { results: string };
}

const request = (
  i: number,
  extra: Record<string, unknown> = {},
): { custom_id: string; body: Record<string, unknown> } => ({
  custom_id: `q-${i}`,
  body: {
    model: "mock:batch",
    question: `How many circles? (${i})`,
    image: { data: PNG_8x6_B64, media_type: "image/png" },
    search: { strategy: "greedy" },
    ...extra,
  },
});

function submit(key: string, body: unknown, contentType = "application/json", query = ""): Promise<Response> {
  return call(`/v1/batches${query}`, key, {
    method: "POST",
    headers: { "content-type": contentType },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function finished(key: string, id: string, ms = 60_000): Promise<Batch> {
  const until = Date.now() + ms;
  for (;;) {
    const batch = (await (await call(`/v1/batches/${id}`, key)).json()) as Batch;
    if (batch.status !== "running") return batch;
    if (Date.now() > until) throw new Error(`batch still running: ${JSON.stringify(batch.counts)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function results(key: string, id: string): Promise<Record<string, unknown>[]> {
  const res = await call(`/v1/batches/${id}/results`, key);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/jsonl/);
  return (await res.text())
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("batches", () => {
  it("runs every request once, at most `concurrency` at a time, with results in input order", async () => {
    const k = await createTestKey({ name: "batch" });
    const requests = Array.from({ length: 12 }, (_, i) => request(i));
    // One request the service will refuse when it starts: its image URL cannot be fetched.
    requests.push({ ...request(12), body: { ...request(12).body, image: { url: "https://img.invalid/x.png" } } });
    maxInFlight = 0;
    const res = await submit(k.key, {
      requests,
      concurrency: 3,
      webhook: { url: `${receiver}/ok/batch-done` },
      metadata: { job: "nightly" },
    });
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as Batch;
    expect(res.headers.get("location")).toBe(`/v1/batches/${accepted.id}`);
    expect(accepted.counts.total).toBe(13);

    const batch = await finished(k.key, accepted.id);
    expect(batch.status).toBe("completed");
    expect(batch.counts).toMatchObject({ total: 13, succeeded: 12, failed: 1, pending: 0, running: 0 });
    expect(maxInFlight).toBeLessThanOrEqual(3);

    const lines = await results(k.key, accepted.id);
    expect(lines.map((l) => l.custom_id)).toEqual(requests.map((r) => r.custom_id));
    for (const line of lines.slice(0, 12)) {
      expect(line.status).toBe("succeeded");
      expect(line.run_id).toMatch(/^run_[0-9a-f]{64}$/);
      expect(typeof line.answer).toBe("string");
    }
    expect(lines[12]).toMatchObject({ status: "failed", run_id: null, error: { code: "image_fetch_failed" } });

    // Each run billed once: one ledger row per run, nothing for the refused request.
    const runIds = lines.slice(0, 12).map((l) => l.run_id as string);
    for (const id of runIds) expect(await ledgerRows({ run_id: id })).toHaveLength(1);
    expect(new Set(runIds).size).toBe(12);

    // The batch's one webhook, signed with the key's secret.
    const until = Date.now() + 10_000;
    let log: { body: string; headers: Record<string, string> }[] = [];
    while (log.length === 0 && Date.now() < until) {
      log = (await (await fetch(`${receiver}/log/batch-done`)).json()) as typeof log;
      if (log.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(log).toHaveLength(1);
    const event = new Webhook(k.webhook_secret).verify(log[0]?.body ?? "", log[0]?.headers ?? {}) as {
      type: string;
      data: { batch_id: string; counts: Record<string, number> };
    };
    expect(event.type).toBe("batch.completed");
    expect(event.data.batch_id).toBe(accepted.id);
    expect(event.data.counts.succeeded).toBe(12);
  });

  it("takes JSONL, one request per line, options in the query", async () => {
    const k = await createTestKey({ name: "batch jsonl" });
    const jsonl = [request(1), request(2), request(3)].map((r) => JSON.stringify(r)).join("\n") + "\n";
    const res = await submit(k.key, jsonl, "application/jsonl", "?concurrency=2");
    expect(res.status).toBe(202);
    const batch = await finished(k.key, ((await res.json()) as Batch).id);
    expect(batch.concurrency).toBe(2);
    expect((await results(k.key, batch.id)).map((l) => [l.custom_id, l.status])).toEqual([
      ["q-1", "succeeded"],
      ["q-2", "succeeded"],
      ["q-3", "succeeded"],
    ]);
  });

  it("refuses a bad batch whole, naming the request, and creates nothing", async () => {
    const k = await createTestKey({ name: "batch errors" });
    await expectError(await submit(k.key, { requests: [] }), 400, /at least one request/);
    await expectError(
      await submit(k.key, { requests: Array.from({ length: 1001 }, (_, i) => request(i)) }),
      400,
      /limit: a batch ≤ 1000 requests/,
    );
    await expectError(
      await submit(k.key, { requests: [request(1), request(1)] }),
      400,
      /already the custom_id of requests\[0\]/,
    );
    await expectError(
      await submit(k.key, { requests: [request(0), request(1, { search: { candidates: 99 } })] }),
      400,
      /candidates.*limit/,
      { param: "requests[1].body.search.candidates" },
    );
    await expectError(
      await submit(k.key, { requests: [request(0), request(1, { model: "nope:x" })] }),
      400,
      /requests\[1\]: model "nope:x" is not served here/,
      { param: "requests[1].body.model" },
    );
    await expectError(
      await submit(k.key, {
        requests: [request(0), request(1, { cache: "reuse", search: { strategy: "stage_beam" } })],
      }),
      400,
      /requests\[1\]: cache "reuse" needs sampling\.seed/,
      { param: "requests[1].body.sampling.seed" },
    );
    await expectError(await submit(k.key, "{not json", "application/jsonl"), 400, /line 1 is not JSON/);
    await expectError(await submit(k.key, "x", "text/plain"), 415, /application\/json or application\/jsonl/);
    await expectError(await submit(k.key, { requests: [request(0)], concurrency: 17 }), 400, /concurrency.*limit/);
    const listed = (await (await call("/v1/runs", k.key)).json()) as { data: unknown[] };
    expect(listed.data).toHaveLength(0);
  });

  it("cancel stops the batch; another key sees no batch", async () => {
    const k = await createTestKey({ name: "batch cancel" });
    const other = await createTestKey({ name: "batch stranger" });
    const res = await submit(k.key, { requests: Array.from({ length: 30 }, (_, i) => request(i)), concurrency: 1 });
    const { id } = (await res.json()) as Batch;
    await expectError(await call(`/v1/batches/${id}`, other.key), 404, /no batch with id/);
    await expectError(await call(`/v1/batches/${id}/results`, other.key), 404, /no batch with id/);
    await expectError(await call(`/v1/batches/${id}/cancel`, other.key, { method: "POST" }), 404, /no batch/);
    const canceled = (await (await call(`/v1/batches/${id}/cancel`, k.key, { method: "POST" })).json()) as Batch;
    expect(canceled.status).toBe("canceled");
    expect(canceled.counts.pending).toBe(0);
    expect(canceled.counts.running).toBe(0);
    expect(canceled.counts.canceled).toBeGreaterThan(20);
    const lines = await results(k.key, id);
    expect(lines).toHaveLength(30);
    expect(lines.every((l) => ["succeeded", "canceled"].includes(l.status as string))).toBe(true);
    // Nothing starts after a cancel.
    await new Promise((r) => setTimeout(r, 300));
    expect(((await (await call(`/v1/batches/${id}`, k.key)).json()) as Batch).counts).toEqual(canceled.counts);
  });
});
