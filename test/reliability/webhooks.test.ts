/**
 * Webhooks against a receiver that fails: several concurrent runs, created over HTTP with
 * `webhook: {events: ["*"]}` and signed with their key's secret, deliver to the loopback receiver
 * of test/global-setup.ts while it is
 *   - down for a while, then back (`/down/<ms>/…`: 503 to everything until then), or
 *   - failing each event's first attempts (`/fail/<n>/…`: 500 for the first n attempts of every
 *     webhook-id), and only then accepting it.
 * Every event of every run arrives: one 2xx per webhook-id, every attempt of an id with the same
 * body and a valid Standard Webhooks signature, and the accepted deliveries in the order of the
 * run's events (GET /v1/runs/:id/events); the run's delivery log agrees with the receiver's.
 */
import { SELF } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { afterAll, describe, expect, inject, it } from "vitest";
import type { RunView } from "../../src/runs/contract";
import { PNG_8x6_B64 } from "../fixtures/images";
import { createTestKey, type CreatedKey } from "../helpers/admin";
import { parseSseText } from "./sse";

const BASE = "https://api.test";
const receiver = inject("webhookReceiver");
const counts = { runs: 0, events: 0, attempts: 0, refused: 0, failures: 0 };

afterAll(() => {
  console.log(
    `webhooks: ${counts.runs} runs, ${counts.events} events delivered once each (${counts.attempts} attempts, ${counts.refused} refused by the receiver), ${counts.failures} failures`,
  );
});

interface Delivery {
  path: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function startRun(key: CreatedKey, url: string, search: Record<string, unknown>): Promise<string> {
  const res = await SELF.fetch(`${BASE}/v1/runs`, {
    method: "POST",
    headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
    body: JSON.stringify({
      question: "How many?",
      image: { data: PNG_8x6_B64, media_type: "image/png" },
      search,
      webhook: { url, events: ["*"] },
    }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

async function settledView(key: CreatedKey, id: string, ms = 30_000): Promise<RunView> {
  const until = Date.now() + ms;
  for (;;) {
    const res = await SELF.fetch(`${BASE}/v1/runs/${id}`, {
      headers: { authorization: `Bearer ${key.key}`, prefer: "wait=5" },
    });
    expect(res.status).toBe(200);
    const view = (await res.json()) as RunView;
    const done = view.status !== "queued" && view.status !== "running";
    if (done && view.webhook?.deliveries.every((d) => d.state !== "pending")) return view;
    if (Date.now() > until)
      throw new Error(
        `run ${id}: still ${view.status}, deliveries ${JSON.stringify(view.webhook?.deliveries.map((d) => d.state))}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Check one run's deliveries against its events; returns the count of events delivered. */
async function checkRun(key: CreatedKey, id: string, name: string): Promise<void> {
  try {
    const view = await settledView(key, id);
    expect(view.status).toBe("succeeded");
    const stream = await SELF.fetch(`${BASE}/v1/runs/${id}/events`, {
      headers: { authorization: `Bearer ${key.key}` },
    });
    expect(stream.status).toBe(200);
    const events = parseSseText(await stream.text());
    const got = (await (await fetch(`${receiver}/log/${name}`)).json()) as Delivery[];
    const verifier = new Webhook(key.webhook_secret);
    const bodyOf = new Map<string, string>();
    const accepted: { id: string; type: string; seq: number }[] = [];
    for (const d of got) {
      const wid = d.headers["webhook-id"] ?? "";
      // Every attempt is signed, and an id always carries the same event.
      const payload = verifier.verify(d.body, d.headers) as { type: string; data: { run_id: string; seq: number } };
      expect(payload.data.run_id).toBe(id);
      if (bodyOf.has(wid)) expect(d.body).toBe(bodyOf.get(wid));
      bodyOf.set(wid, d.body);
      if (d.status >= 200 && d.status < 300) accepted.push({ id: wid, type: payload.type, seq: payload.data.seq });
      else counts.refused += 1;
    }
    // One accepted delivery per webhook-id, for every event, in the run's order.
    expect(new Set(accepted.map((a) => a.id)).size).toBe(accepted.length);
    expect(accepted.map((a) => a.seq)).toEqual(events.map((e) => e.id));
    expect(accepted.map((a) => a.type)).toEqual(events.map((e) => e.event));
    // The run's own log says the same: delivered, with as many attempts as the receiver saw.
    const deliveries = view.webhook?.deliveries ?? [];
    expect(deliveries.every((d) => d.state === "delivered")).toBe(true);
    expect(deliveries.map((d) => d.webhook_id)).toEqual(accepted.map((a) => a.id));
    expect(deliveries.reduce((n, d) => n + d.attempts.length, 0)).toBe(got.length);
    counts.runs += 1;
    counts.events += accepted.length;
    counts.attempts += got.length;
  } catch (err) {
    counts.failures += 1;
    throw err;
  }
}

describe("webhooks: a receiver that fails, then recovers", { timeout: 90_000 }, () => {
  it("down for 1 s, then back: 4 concurrent stage_beam runs get every event once per webhook-id, in order", async () => {
    const key = await createTestKey({ name: "webhooks down", rate_limit_per_minute: 100_000 });
    const tag = crypto.randomUUID().slice(0, 8);
    const runs = await Promise.all(
      [2, 3, 4, 4].map(async (n, i) => {
        const name = `down-${tag}-${i}`;
        return {
          name,
          id: await startRun(key, `${receiver}/down/1000/${name}`, { strategy: "stage_beam", candidates: n }),
        };
      }),
    );
    for (const r of runs) await checkRun(key, r.id, r.name);
  });

  it("every event refused twice before it is accepted: 4 concurrent greedy runs, each event once, in order", async () => {
    const key = await createTestKey({ name: "webhooks flaky", rate_limit_per_minute: 100_000 });
    const tag = crypto.randomUUID().slice(0, 8);
    const runs = await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const name = `fail-${tag}-${i}`;
        return { name, id: await startRun(key, `${receiver}/fail/2/${name}`, { strategy: "greedy" }) };
      }),
    );
    for (const r of runs) await checkRun(key, r.id, r.name);
  });
});
