/**
 * Webhook deliveries from the run's outbox to a real HTTP receiver (test/global-setup.ts),
 * verified with the `standardwebhooks` library — a real verifier, not our own code.
 */
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
    // retried along the schedule (5 s, then 5 min — shrunk 1000× in tests), not in a tight loop
    const at = (delivery?.attempts ?? []).map((a) => Date.parse(a.at));
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(5);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(300);
    // every attempt is separately signed and verifiable
    for (const d of got) expect(() => new Webhook(secret).verify(d.body, d.headers)).not.toThrow();
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
