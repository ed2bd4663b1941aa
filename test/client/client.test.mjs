// The typed client (clients/ts) against the real local service: a run started and waited for, its
// events followed with a dropped connection resumed, errors as X1Error, and a real webhook
// delivery from the service verified by verifyWebhook.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";
import { X1Error, createX1Client, verifyWebhook } from "@llava-x1/client";
import { DEV_KEY, freePort, startFreshService } from "../reliability/service.mjs";

const WEBHOOK_SECRET = "whsec_ZGV2LWxvY2FsLXdlYmhvb2stc2VjcmV0LTAx"; // DEV_WEBHOOK_SECRET of .dev.vars.example
const IMAGE = {
  data: "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAGCAIAAABxZ0isAAAAJklEQVR42mM8ISfHgA2wQCifb/vgQlu4nBgYGJgYcADSJRhxWQ4ABxkFFayPPS0AAAAASUVORK5CYII=",
  media_type: "image/png",
};
let service;

before(async () => {
  service = await startFreshService({ vars: { MOCK_LATENCY_MS: "20" } });
});
after(async () => {
  await service?.stop();
});

test("createRunAndWait returns the finished run; the API's errors are X1Errors with status and code", async () => {
  const x1 = createX1Client({ baseUrl: service.url, apiKey: DEV_KEY });
  const run = await x1.createRunAndWait({
    model: "mock:fixed",
    question: "How many squares?",
    image: IMAGE,
    search: { candidates: 2 },
  });
  assert.equal(run.status, "succeeded");
  assert.equal(run.trace.stages.length, 4);
  assert.equal((await x1.getRun(run.id)).answer, run.answer);
  const err = await x1.createRun({ question: "", search: { candidates: 17 } }).catch((e) => e);
  assert.ok(err instanceof X1Error);
  assert.equal(err.status, 400);
  assert.match(err.message, /candidates: must be at most 16/);
  const models = await x1.listModels();
  assert.ok(models.data.some((m) => m.id === "mock:fixed" && m.status === "ready"));
  const typed = await x1.api.GET("/v1/models/{id}", { params: { path: { id: "mock:fixed" } } });
  assert.equal(typed.data?.id, "mock:fixed");
});

test("events: every event once, in order, across a dropped connection", async () => {
  let cut = 1;
  // The first events request is cut after two frames, as a flaky network would.
  const flaky = async (input, init) => {
    const res = await fetch(input, init);
    if (!String(input instanceof Request ? input.url : input).endsWith("/events") || cut-- <= 0) return res;
    const text = await res.text();
    const frames = text.split("\n\n").slice(0, 2).join("\n\n") + "\n\n";
    return new Response(frames, { headers: res.headers });
  };
  const x1 = createX1Client({ baseUrl: service.url, apiKey: DEV_KEY, fetch: flaky });
  const started = await x1.createRun({ model: "mock:fixed", question: "How many squares?", search: { candidates: 2 } });
  const events = [];
  for await (const e of x1.events(started.id, { retryDelayMs: 10 })) events.push(e);
  assert.deepEqual(
    events.map((e) => e.id),
    events.map((_, i) => i + 1),
  );
  assert.equal(events[0].type, "run.created");
  assert.equal(events.at(-1).type, "run.succeeded");
  assert.equal(cut, -1, "the dropped stream was resumed");
  const resumed = [];
  for await (const e of x1.events(started.id, { after: events.length - 2 })) resumed.push(e.id);
  assert.deepEqual(resumed, [events.length - 1, events.length]);
});

test("verifyWebhook accepts the service's own delivery and refuses a tampered one", async () => {
  const port = await freePort();
  const received = [];
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    received.push({ body: Buffer.concat(chunks).toString("utf8"), headers: req.headers });
    res.writeHead(204).end();
  });
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  try {
    const x1 = createX1Client({ baseUrl: service.url, apiKey: DEV_KEY });
    const run = await x1.createRunAndWait({
      model: "mock:fixed",
      question: "How many squares?",
      search: { strategy: "greedy" },
      webhook: { url: `http://127.0.0.1:${port}/hooks`, events: ["run.succeeded"] },
    });
    for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    const [delivery] = received;
    assert.ok(delivery, "the webhook arrived");
    const event = verifyWebhook(WEBHOOK_SECRET, delivery.body, delivery.headers);
    assert.equal(event.type, "run.succeeded");
    assert.equal(event.data.run_id, run.id);
    assert.throws(() => verifyWebhook(WEBHOOK_SECRET, delivery.body.replace("succeeded", "failed"), delivery.headers));
  } finally {
    server.close();
  }
});

test("503 and 429 are retried after Retry-After, but only for requests safe to repeat", async () => {
  const seen = [];
  let failNext = 0;
  // Answers the next `failNext` requests itself with a 503, as the service does under pressure.
  const overloaded = async (request) => {
    seen.push(`${request.method} ${new URL(request.url).pathname}`);
    if (failNext > 0) {
      failNext--;
      return new Response(
        JSON.stringify({ error: { type: "api_error", message: "overloaded", code: "temporarily_unavailable" } }),
        { status: 503, headers: { "content-type": "application/json", "retry-after": "0" } },
      );
    }
    return fetch(request);
  };
  const x1 = createX1Client({ baseUrl: service.url, apiKey: DEV_KEY, fetch: overloaded });
  const body = { model: "mock:fixed", question: "How many squares?", search: { strategy: "greedy" } };

  failNext = 2;
  assert.ok((await x1.listModels()).data.length > 0, "a GET is retried until it succeeds");
  assert.deepEqual(seen.splice(0), ["GET /v1/models", "GET /v1/models", "GET /v1/models"]);

  failNext = 1;
  const refused = await x1.createRun(body).catch((e) => e);
  assert.ok(refused instanceof X1Error && refused.status === 503, "a POST without a key is not repeated");
  assert.deepEqual(seen.splice(0), ["POST /v1/runs"]);

  failNext = 1;
  const run = await x1.createRun(body, { idempotencyKey: `retry-${Date.now()}`, wait: 30 });
  assert.equal(run.status, "succeeded", "a POST with an Idempotency-Key is repeated, body and all");
  assert.deepEqual(seen.splice(0), ["POST /v1/runs", "POST /v1/runs"]);

  const once = createX1Client({ baseUrl: service.url, apiKey: DEV_KEY, fetch: overloaded, retry: { maxRetries: 1 } });
  failNext = 5;
  const exhausted = await once.getRun(run.id).catch((e) => e);
  assert.equal(exhausted.status, 503, "retries stop at maxRetries");
  assert.equal(seen.splice(0).length, 2);
});
