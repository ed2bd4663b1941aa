// The LLaVA-X1 Edge client: every route typed from the service's OpenAPI document (openapi-fetch
// over the generated ./schema.d.ts), plus what callers need on top — start a run and wait for it,
// follow its events with resume, verify a webhook delivery. Types: ./index.d.ts.
import createFetchClient from "openapi-fetch";
import { createParser } from "eventsource-parser";
import { Webhook } from "standardwebhooks";

const TERMINAL = new Set(["run.succeeded", "run.failed", "run.canceled"]);

/** An error answer of the API, with its status and `{error: {type, message, param, code}}`. */
export class X1Error extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.name = "X1Error";
    this.status = status;
    this.type = body?.error?.type;
    this.code = body?.error?.code;
    this.param = body?.error?.param ?? undefined;
    this.body = body;
  }
}

/** `{data}` or throw the API's error. */
function unwrap({ data, error, response }) {
  if (error !== undefined || !response.ok) throw new X1Error(response.status, error);
  return data;
}

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      reject(signal.reason);
    });
  });

/**
 * A 503 (the service under pressure) or 429 (the key's rate limit) is retried after its
 * `Retry-After`, when that is short and the request is safe to repeat: a GET or HEAD, or a request
 * with an `Idempotency-Key` (the service answers a repeat with the run it already made).
 */
function retrying(fetchImpl, { maxRetries = 3, maxDelayMs = 10_000 } = {}) {
  return async (request) => {
    const safe = ["GET", "HEAD"].includes(request.method) || request.headers.has("idempotency-key");
    for (let attempt = 0; ; attempt++) {
      const res = await fetchImpl(safe && attempt < maxRetries ? request.clone() : request);
      if (!safe || attempt >= maxRetries || (res.status !== 503 && res.status !== 429)) return res;
      const seconds = Number(res.headers.get("retry-after") ?? "1");
      const delayMs = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 1000;
      if (delayMs > maxDelayMs) return res;
      await res.body?.cancel();
      await sleep(delayMs);
    }
  };
}

export function createX1Client(options = {}) {
  const baseUrl = (options.baseUrl ?? "http://localhost:8787").replace(/\/+$/, "");
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const headers = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const api = createFetchClient({ baseUrl, headers, fetch: retrying((request) => fetchImpl(request), options.retry) });

  async function createRun(body, { wait, idempotencyKey } = {}) {
    const params = { header: {} };
    if (wait !== undefined) params.header.Prefer = `wait=${wait}`;
    if (idempotencyKey !== undefined) params.header["Idempotency-Key"] = idempotencyKey;
    return unwrap(await api.POST("/v1/runs", { body, params }));
  }

  /** `POST /v1/runs/{id}/fork`: a new run taking the parent's stages before `body.from` as given. */
  async function forkRun(id, body, { wait, idempotencyKey } = {}) {
    const params = { path: { id }, header: {} };
    if (wait !== undefined) params.header.Prefer = `wait=${wait}`;
    if (idempotencyKey !== undefined) params.header["Idempotency-Key"] = idempotencyKey;
    return unwrap(await api.POST("/v1/runs/{id}/fork", { body, params }));
  }

  async function getRun(id, { wait } = {}) {
    const params = { path: { id }, header: wait === undefined ? {} : { Prefer: `wait=${wait}` } };
    return unwrap(await api.GET("/v1/runs/{id}", { params }));
  }

  /** Long-polls until the run is finished (or `timeoutMs` passes: then the run as it is). */
  async function waitForRun(id, { timeoutMs = 600_000 } = {}) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const left = Math.ceil((until - Date.now()) / 1000);
      const run = await getRun(id, { wait: Math.max(0, Math.min(60, left)) });
      if (["succeeded", "failed", "canceled"].includes(run.status) || Date.now() >= until) return run;
    }
  }

  /** Start a run and return it finished (under an Idempotency-Key, so a retried start is one run). */
  async function createRunAndWait(body, { timeoutMs = 600_000, idempotencyKey = globalThis.crypto.randomUUID() } = {}) {
    const started = await createRun(body, { wait: Math.min(60, Math.ceil(timeoutMs / 1000)), idempotencyKey });
    if (started.object === "run" && "trace" in started) return started;
    return waitForRun(started.id, { timeoutMs });
  }

  /**
   * The run's events in order — `{id, type, data}` — replayed from `after`, then live. A dropped
   * connection is resumed with Last-Event-ID, so no event is missed or repeated; the iterator ends
   * after the terminal event.
   */
  async function* events(id, { after = 0, signal, retryDelayMs = 500, maxRetries = 10 } = {}) {
    let last = after;
    let retries = 0;
    for (;;) {
      let res;
      try {
        res = await fetchImpl(`${baseUrl}/v1/runs/${encodeURIComponent(id)}/events`, {
          headers: { ...headers, accept: "text/event-stream", "Last-Event-ID": String(last) },
          signal,
        });
      } catch (err) {
        if (signal?.aborted || ++retries > maxRetries) throw err;
        await sleep(retryDelayMs * retries, signal);
        continue;
      }
      if (!res.ok) throw new X1Error(res.status, await res.json().catch(() => undefined));
      const ready = [];
      const parser = createParser({ onEvent: (e) => ready.push(e) });
      const decoder = new TextDecoder();
      let terminal = false;
      try {
        for await (const chunk of res.body) {
          parser.feed(decoder.decode(chunk, { stream: true }));
          while (ready.length > 0) {
            const e = ready.shift();
            const n = Number(e.id);
            if (!Number.isInteger(n) || n <= last) continue;
            last = n;
            retries = 0;
            yield { id: n, type: e.event ?? "message", data: JSON.parse(e.data) };
            if (TERMINAL.has(e.event)) terminal = true;
          }
          if (terminal) return;
        }
      } catch (err) {
        if (signal?.aborted) throw err;
      }
      if (terminal) return;
      // The stream ended before the terminal event: the connection dropped. Resume after `last`.
      if (++retries > maxRetries) throw new Error(`the event stream of ${id} kept dropping (after event ${last})`);
      await sleep(retryDelayMs * retries, signal);
    }
  }

  /** `POST /v1/batches`: `{requests: [{custom_id, body}], concurrency?, webhook?, metadata?}`. */
  async function createBatch(body) {
    return unwrap(await api.POST("/v1/batches", { body }));
  }

  /** Polls until the batch has ended (or `timeoutMs` passes: then the batch as it is). */
  async function waitForBatch(id, { timeoutMs = 3_600_000, intervalMs = 1000, onProgress } = {}) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const batch = unwrap(await api.GET("/v1/batches/{id}", { params: { path: { id } } }));
      onProgress?.(batch);
      if (batch.status !== "running" || Date.now() >= until) return batch;
      await sleep(intervalMs);
    }
  }

  /** The batch's results, one object per request, in input order (the route answers JSONL). */
  async function batchResults(id) {
    const res = await fetchImpl(`${baseUrl}/v1/batches/${encodeURIComponent(id)}/results`, { headers });
    if (!res.ok) throw new X1Error(res.status, await res.json().catch(() => undefined));
    return (await res.text())
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line));
  }

  return {
    /** Every route, typed: `x1.api.GET("/v1/models")` etc. (openapi-fetch). */
    api,
    createRun,
    forkRun,
    getRun,
    waitForRun,
    createRunAndWait,
    events,
    cancelRun: async (id) => unwrap(await api.POST("/v1/runs/{id}/cancel", { params: { path: { id } } })),
    listRuns: async (query = {}) => unwrap(await api.GET("/v1/runs", { params: { query } })),
    listModels: async () => unwrap(await api.GET("/v1/models")),
    usage: async (query = {}) => unwrap(await api.GET("/v1/usage", { params: { query } })),
    createBatch,
    getBatch: async (id) => unwrap(await api.GET("/v1/batches/{id}", { params: { path: { id } } })),
    waitForBatch,
    batchResults,
    cancelBatch: async (id) => unwrap(await api.POST("/v1/batches/{id}/cancel", { params: { path: { id } } })),
  };
}

/**
 * A webhook delivery, verified (Standard Webhooks: signature over id, timestamp and the raw body;
 * a timestamp within five minutes) and parsed; throws when it does not verify.
 */
export function verifyWebhook(secret, rawBody, headers) {
  const plain = headers instanceof Headers ? Object.fromEntries(headers) : headers;
  return new Webhook(secret).verify(rawBody, plain);
}
