// `npm run smoke -- --url https://x1.example.workers.dev --key sk_live_…` after a deploy: the models
// are listed, one run goes to the end with its events followed live, one chat completion answers,
// and — with --webhook-url and --webhook-secret — one webhook delivery arrives and verifies with
// `standardwebhooks`. Prints a line per check; exits 1 when any fails.
//
//   --model ID            the model to try (default: the first ready one)
//   --webhook-url URL     where the service should deliver (a tunnel to this machine, or localhost)
//   --webhook-listen PORT this script's receiver port (default: the port of a localhost --webhook-url)
//   --webhook-secret S    the API key's whsec_… secret, to verify the delivery
//   --timeout SECONDS     per check (default 120)
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createParser } from "eventsource-parser";
import { Webhook } from "standardwebhooks";

const opts = {};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a.startsWith("--")) opts[a.slice(2)] = process.argv[++i];
}
if (!opts.url || !opts.key) {
  console.error(
    "usage: npm run smoke -- --url <service URL> --key <API key> [--model ID] [--webhook-url URL --webhook-secret whsec_… [--webhook-listen PORT]]",
  );
  process.exit(2);
}
const base = opts.url.replace(/\/+$/, "");
const timeoutMs = Number(opts.timeout ?? 120) * 1000;
const auth = { authorization: `Bearer ${opts.key}` };
const sample = JSON.parse(readFileSync(new URL("../public/samples/samples.json", import.meta.url), "utf8"))[0];
const image = readFileSync(new URL(`../public/samples/${sample.file}`, import.meta.url)).toString("base64");

let failures = 0;
async function check(name, fn) {
  const started = Date.now();
  try {
    const detail = await fn();
    console.log(`✓ ${name} (${Date.now() - started} ms)${detail ? `: ${detail}` : ""}`);
    return true;
  } catch (err) {
    failures++;
    console.log(`✗ ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
}

async function api(path, init = {}) {
  const res = await fetch(`${base}${path}`, {
    ...init,
    headers: { ...auth, "content-type": "application/json", ...init.headers },
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  if (!res.ok)
    throw new Error(
      `${init.method ?? "GET"} ${path} → ${res.status} ${typeof body === "object" ? JSON.stringify(body.error ?? body) : text.slice(0, 200)}`,
    );
  return { res, body };
}

/** A receiver for one delivery, verified with the key's secret. */
function webhookReceiver() {
  if (!opts["webhook-url"]) return undefined;
  if (!opts["webhook-secret"]) throw new Error("--webhook-url needs --webhook-secret (the API key's whsec_… secret)");
  const url = new URL(opts["webhook-url"]);
  const port = Number(opts["webhook-listen"] ?? url.port);
  if (!port) throw new Error("--webhook-listen PORT: which local port receives the deliveries");
  const verifier = new Webhook(opts["webhook-secret"]);
  let settle;
  const delivered = new Promise((resolve, reject) => (settle = { resolve, reject }));
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    try {
      const event = verifier.verify(Buffer.concat(chunks).toString("utf8"), req.headers);
      res.writeHead(204).end();
      if (event.type.startsWith("run.")) settle.resolve(event);
    } catch (err) {
      res.writeHead(400).end();
      settle.reject(new Error(`a delivery did not verify: ${err.message}`));
    }
  });
  server.listen(port);
  return { url: url.toString(), delivered, close: () => server.close() };
}

const receiver = webhookReceiver();
let model = opts.model;
let runId;

await check("service answers /healthz", async () => {
  const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET /healthz → ${res.status}`);
});

await check("models are listed", async () => {
  const { body } = await api("/v1/models");
  const ready = body.data.filter((m) => m.status === "ready").map((m) => m.id);
  const unavailable = body.data.filter((m) => m.status !== "ready").map((m) => `${m.id} (${m.error})`);
  if (model && !ready.includes(model))
    throw new Error(`${model} is not ready here; ready: ${ready.join(", ") || "none"}`);
  model ??= ready[0];
  if (!model) throw new Error(`no model is ready: ${unavailable.join("; ")}`);
  return `${ready.join(", ")}${unavailable.length ? `; unavailable: ${unavailable.join("; ")}` : ""}; using ${model}`;
});

if (model) {
  await check("a run goes to the end, its events followed live", async () => {
    const body = {
      model,
      question: sample.question,
      image: { data: image, media_type: "image/png" },
      search: { strategy: "stage_beam", candidates: 2 },
      metadata: { source: "smoke-test" },
      ...(receiver ? { webhook: { url: receiver.url, events: ["run.succeeded", "run.failed"] } } : {}),
    };
    const { body: created } = await api("/v1/runs", { method: "POST", body: JSON.stringify(body) });
    runId = created.id;
    const res = await fetch(`${base}/v1/runs/${runId}/events`, {
      headers: auth,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) throw new Error(`GET /v1/runs/${runId}/events → ${res.status}`);
    const seen = [];
    let terminal;
    const parser = createParser({
      onEvent(e) {
        seen.push(e.event);
        if (e.event === "stage.completed") process.stdout.write(`    ${JSON.parse(e.data).stage} ✓\n`);
        if (e.event?.startsWith("run.") && !["run.created", "run.started"].includes(e.event)) terminal = e.event;
      },
    });
    const decoder = new TextDecoder();
    for await (const chunk of res.body) parser.feed(decoder.decode(chunk, { stream: true }));
    if (terminal !== "run.succeeded")
      throw new Error(`the stream ended with ${terminal ?? "no terminal event"} (run ${runId})`);
    const { body: run } = await api(`/v1/runs/${runId}`);
    if (run.status !== "succeeded") throw new Error(`run ${runId} is ${run.status}: ${JSON.stringify(run.error)}`);
    return `${runId}: ${seen.length} events, answer ${JSON.stringify(run.answer)}, ${run.usage.total_tokens ?? "?"} tokens`;
  });

  await check("a chat completion answers", async () => {
    const { res, body } = await api("/v1/chat/completions", {
      method: "POST",
      body: JSON.stringify({
        model,
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: sample.question },
              { type: "image_url", image_url: { url: `data:image/png;base64,${image}` } },
            ],
          },
        ],
        reasoning_format: "split",
        search: { strategy: "greedy" },
      }),
    });
    const content = body.choices?.[0]?.message?.content;
    if (typeof content !== "string" || content === "")
      throw new Error(`no content in ${JSON.stringify(body).slice(0, 200)}`);
    return `${JSON.stringify(content)} (run ${res.headers.get("x-run-id")})`;
  });

  if (receiver) {
    await check("the run's webhook arrives and verifies", async () => {
      const timer = setTimeout(() => receiver.close(), timeoutMs);
      const event = await Promise.race([
        receiver.delivered,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error(`no delivery within ${timeoutMs / 1000} s`)), timeoutMs),
        ),
      ]);
      clearTimeout(timer);
      if (event.data.run_id !== runId) throw new Error(`the delivery is for run ${event.data.run_id}, not ${runId}`);
      return `${event.type} for ${event.data.run_id}, signature verified`;
    });
  }
}
receiver?.close();
console.log(failures === 0 ? "smoke test passed" : `smoke test FAILED: ${failures} check(s)`);
process.exit(failures === 0 ? 0 : 1);
