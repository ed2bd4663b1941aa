/** A run's webhook set through POST /v1/runs, signed with the calling key's whsec_ secret. */
import { SELF, listDurableObjectIds, env } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { describe, expect, inject, it } from "vitest";
import { checkWebhookUrl } from "../../src/app/runs/webhook-schema";
import { createTestKey } from "../helpers/admin";

const receiver = inject("webhookReceiver");

function post(key: string, body: unknown): Promise<Response> {
  return SELF.fetch("https://api.test/v1/runs", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", Prefer: "wait=20" },
    body: JSON.stringify(body),
  });
}

describe("webhook through the API", () => {
  it("POST /v1/runs/{id}/webhooks/retry: 0 retried when nothing failed, 409 without a webhook, 404 for another key's run", async () => {
    const key = await createTestKey({ name: "retry key" });
    const withHook = (await (
      await post(key.key, {
        question: "How many red circles are there?",
        search: { strategy: "greedy" },
        webhook: { url: `${receiver}/ok/retry-route`, events: ["run.succeeded"] },
      })
    ).json()) as { id: string };
    const retry = (id: string, k: string) =>
      SELF.fetch(`https://api.test/v1/runs/${id}/webhooks/retry`, {
        method: "POST",
        headers: { authorization: `Bearer ${k}` },
      });
    const ok = await retry(withHook.id, key.key);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { object: string; retried: number; run: { id: string } };
    expect(body).toMatchObject({ object: "webhook_retry", retried: 0, run: { id: withHook.id } });

    const plain = (await (
      await post(key.key, { question: "How many red circles are there?", search: { strategy: "greedy" } })
    ).json()) as { id: string };
    const none = await retry(plain.id, key.key);
    expect(none.status).toBe(409);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe("run_has_no_webhook");

    const other = await createTestKey({ name: "other key" });
    expect((await retry(withHook.id, other.key)).status).toBe(404);
  });

  it("delivers the run's events signed with the key's secret (shown once at key creation)", async () => {
    const key = await createTestKey({ name: "webhook key" });
    const res = await post(key.key, {
      question: "How many red circles are there?",
      search: { strategy: "greedy" },
      webhook: { url: `${receiver}/ok/route-key`, events: ["run.succeeded"] },
    });
    expect(res.status).toBe(200);
    const run = (await res.json()) as { id: string };
    let got: { headers: Record<string, string>; body: string }[] = [];
    for (let i = 0; i < 100 && got.length === 0; i++) {
      got = (await (await fetch(`${receiver}/log/route-key`)).json()) as typeof got;
      if (got.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(got).toHaveLength(1);
    const payload = new Webhook(key.webhook_secret).verify(got[0]!.body, got[0]!.headers) as {
      type: string;
      data: { run_id: string };
    };
    expect(payload).toMatchObject({ type: "run.succeeded", data: { run_id: run.id } });
  });

  it.each([
    ["ftp://example.com/hook", /must use https/],
    ["https://user:pw@example.com/hook", /must not contain credentials/],
    ["not a url", /not a valid absolute URL/],
  ])("rejects webhook.url %j with a 400 naming it, and creates no run", async (url, message) => {
    const key = await createTestKey();
    const before = (await listDurableObjectIds(env.RUNS)).length;
    const res = await post(key.key, { question: "q?", webhook: { url } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; param: string } };
    expect(body.error.message).toMatch(message);
    expect(body.error.param).toBe("webhook.url");
    expect((await listDurableObjectIds(env.RUNS)).length).toBe(before);
  });

  it("rejects unknown event names", async () => {
    const key = await createTestKey();
    const res = await post(key.key, {
      question: "q?",
      webhook: { url: "https://example.com/h", events: ["run.exploded"] },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe("webhook.events[0]");
  });
});

describe("checkWebhookUrl", () => {
  it("allows plain http only to localhost, and only with the development flag", () => {
    expect(() => checkWebhookUrl("http://127.0.0.1:9/h", {})).toThrow(/must use https.*ALLOW_HTTP_WEBHOOKS/);
    expect(checkWebhookUrl("http://127.0.0.1:9/h", { ALLOW_HTTP_WEBHOOKS: "1" })).toBe("http://127.0.0.1:9/h");
    expect(() => checkWebhookUrl("http://example.com/h", { ALLOW_HTTP_WEBHOOKS: "1" })).toThrow(/must use https/);
    expect(checkWebhookUrl("https://example.com/h", {})).toBe("https://example.com/h");
  });
});
