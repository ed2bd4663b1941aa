/**
 * Webhook deliveries from the run's outbox to a real HTTP receiver (test/global-setup.ts),
 * verified with the `standardwebhooks` library — a real verifier, not our own code.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { inject, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { testBackends } from "../../src/inference/mock-model";
import { ScriptedModel } from "../../src/inference/mock-model";
import { newWebhookSecret } from "../../src/platform/webhook-signature";
import type { RunView } from "../../src/runs/contract";
import { deterministicRespond, makeSpec, newRun, waitTerminal } from "../helpers/runs";

const receiver = inject("webhookReceiver");

interface Delivery {
  path: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function deliveries(name: string): Promise<Delivery[]> {
  return (await (await fetch(`${receiver}/log/${name}`)).json()) as Delivery[];
}

async function settled(stub: Parameters<typeof waitTerminal>[0], ms = 10_000): Promise<RunView> {
  const until = Date.now() + ms;
  for (;;) {
    const view = (await stub.view()) as RunView;
    if (view.webhook?.deliveries.every((d) => d.state !== "pending")) return view;
    if (Date.now() > until) throw new Error(`deliveries still pending: ${JSON.stringify(view.webhook)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

testBackends.set("mock:webhooks", new ScriptedModel({ id: "mock:webhooks", respond: deterministicRespond }));

describe("webhooks", () => {
  it("delivers each chosen event once, in order, signed so that standardwebhooks verifies it", async () => {
    const secret = newWebhookSecret();
    const run = newRun("mock:webhooks", makeSpec({ strategy: "greedy" }));
    await run.stub.create({
      ...run.input,
      webhook: { url: `${receiver}/ok/in-order`, events: ["stage.completed", "run.succeeded"], secret },
    });
    await waitTerminal(run.stub);
    const view = await settled(run.stub);

    const got = await deliveries("in-order");
    expect(got.map((d) => JSON.parse(d.body).type)).toEqual([...Array(4).fill("stage.completed"), "run.succeeded"]);
    const seqs = got.map((d) => JSON.parse(d.body).data.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(got.map((d) => d.headers["webhook-id"])).size).toBe(5);
    const verifier = new Webhook(secret);
    for (const d of got) {
      const payload = verifier.verify(d.body, d.headers) as { type: string; data: { run_id: string } };
      expect(payload.data.run_id).toBe(run.runId);
    }
    expect(view.webhook?.deliveries.every((d) => d.state === "delivered" && d.attempts.length === 1)).toBe(true);
    expect(JSON.stringify(view.webhook)).not.toContain(secret); // the view never shows the secret
  });

  it("a filter delivers only the chosen events, and the terminal event always", async () => {
    const run = newRun("mock:webhooks", makeSpec({ strategy: "greedy" }));
    await run.stub.create({
      ...run.input,
      webhook: { url: `${receiver}/ok/filtered`, events: ["stage.started"], secret: newWebhookSecret() },
    });
    await waitTerminal(run.stub);
    await settled(run.stub);
    const types = (await deliveries("filtered")).map((d) => JSON.parse(d.body).type as string);
    // run.succeeded was not asked for: it comes anyway, so the receiver always learns the end.
    expect(types).toEqual([...Array(4).fill("stage.started"), "run.succeeded"]);
  });

  it("a receiver that fails twice gets the event on the third attempt, with the same webhook-id", async () => {
    const secret = newWebhookSecret();
    const run = newRun("mock:webhooks", makeSpec({ strategy: "greedy" }));
    await run.stub.create({
      ...run.input,
      webhook: { url: `${receiver}/fail/2/flaky`, events: ["run.succeeded"], secret },
    });
    await waitTerminal(run.stub);
    const view = await settled(run.stub);

    const got = await deliveries("flaky");
    expect(got.map((d) => d.status)).toEqual([500, 500, 204]);
    expect(new Set(got.map((d) => d.headers["webhook-id"])).size).toBe(1);
    const delivery = view.webhook?.deliveries[0];
    expect(delivery?.state).toBe("delivered");
    expect(delivery?.attempts.map((a) => a.status)).toEqual([500, 500, 204]);
    expect(delivery?.attempts[0]?.error).toContain("500");
    // retried along the schedule (about 1 s, then 2 s — shrunk 1000× in tests), not in a tight loop
    const at = (delivery?.attempts ?? []).map((a) => Date.parse(a.at));
    expect(at[2]! - at[0]!).toBeGreaterThanOrEqual(2);
    // every attempt is separately signed and verifiable
    for (const d of got) expect(() => new Webhook(secret).verify(d.body, d.headers)).not.toThrow();
  });

  it("a receiver down for a while gets every event once it is back, in order", async () => {
    const secret = newWebhookSecret();
    const run = newRun("mock:webhooks", makeSpec({ strategy: "greedy" }));
    // 20 ms down: a 20 s outage on the test's 1000× faster schedule.
    await run.stub.create({
      ...run.input,
      webhook: { url: `${receiver}/down/20/outage`, events: ["stage.completed", "run.succeeded"], secret },
    });
    await waitTerminal(run.stub);
    const view = await settled(run.stub);
    expect(view.webhook?.deliveries.map((d) => d.state)).toEqual(Array(5).fill("delivered"));
    const got = (await deliveries("outage")).filter((d) => d.status === 204);
    expect(got.map((d) => JSON.parse(d.body).type)).toEqual([...Array(4).fill("stage.completed"), "run.succeeded"]);
    const first = view.webhook?.deliveries[0];
    expect(first?.attempts.some((a) => a.status === 503)).toBe(true);
  });

  it("a receiver down for good: the delivery ends failed, the events after it are held back, and a retry sends them in order", async () => {
    const secret = newWebhookSecret();
    const run = newRun("mock:webhooks", makeSpec({ strategy: "greedy" }));
    await run.stub.create({
      ...run.input,
      webhook: { url: `${receiver}/down/100000/gone`, events: ["stage.completed", "run.succeeded"], secret },
    });
    await waitTerminal(run.stub);
    // The end of the schedule (about a day; 86 s even shrunk): the first delivery gives up.
    await runInDurableObject(run.stub, (_obj, state) => {
      state.storage.sql.exec(
        `UPDATE outbox SET attempts = 16, state = 'abandoned', last_error = 'receiver answered 503' WHERE seq = (SELECT MIN(seq) FROM outbox WHERE kind = 'webhook')`,
      );
      return state.storage.setAlarm(Date.now());
    });
    await runDurableObjectAlarm(run.stub);
    const failed = (await run.stub.view()) as RunView;
    expect(failed.webhook?.deliveries.map((d) => d.state)).toEqual(Array(5).fill("failed"));
    expect(failed.webhook?.deliveries[0]?.last_error).toBe("receiver answered 503");
    expect(failed.webhook?.deliveries[1]?.last_error).toMatch(/held back: an earlier event/);
    expect(failed.webhook?.deliveries.slice(1).every((d) => d.attempts.length === 0)).toBe(true);

    // The receiver is back (another URL path would be another receiver: point the run's at one that works).
    await runInDurableObject(run.stub, (_obj, state) => {
      const row = state.storage.sql.exec<{ webhook: string }>(`SELECT webhook FROM run`).one();
      const webhook = { ...JSON.parse(row.webhook), url: `${receiver}/ok/back` };
      state.storage.sql.exec(`UPDATE run SET webhook = ?`, JSON.stringify(webhook));
    });
    const retried = await run.stub.retryWebhooks();
    expect(retried?.retried).toBe(5);
    const view = await settled(run.stub);
    expect(view.webhook?.deliveries.map((d) => d.state)).toEqual(Array(5).fill("delivered"));
    const got = await deliveries("back");
    expect(got.map((d) => JSON.parse(d.body).type)).toEqual([...Array(4).fill("stage.completed"), "run.succeeded"]);
    expect((await run.stub.retryWebhooks())?.retried).toBe(0);
  });

  it("a tampered body or a wrong secret fails verification", async () => {
    const secret = newWebhookSecret();
    const run = newRun("mock:webhooks", makeSpec({ strategy: "greedy" }));
    await run.stub.create({
      ...run.input,
      webhook: { url: `${receiver}/ok/tamper`, events: ["run.succeeded"], secret },
    });
    await waitTerminal(run.stub);
    await settled(run.stub);
    const [d] = await deliveries("tamper");
    expect(d).toBeDefined();
    const tampered = d!.body.replace(run.runId, "run_forged");
    expect(() => new Webhook(secret).verify(tampered, d!.headers)).toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(d!.body, d!.headers)).toThrow();
  });
});
