/**
 * Bad input: property-based fuzzing (fast-check) of every route through the real worker (SELF)
 * — random JSON of any shape, near-valid bodies with one field mutated, huge strings, deep
 * nesting, wrong content types, invalid UTF-8, bad base64 and images of random bytes, random
 * `Authorization`, `Prefer`, `Idempotency-Key` and `Last-Event-ID` headers, and sizes around every
 * limit. Every answer must be a 4xx JSON error of the documented shape, or — when the input
 * happens to be valid — a correct 2xx; never a 5xx. And nothing is created by a rejected request:
 * at the end the run objects (`listDurableObjectIds`), the D1 run index and the usage ledger hold
 * exactly the runs that were answered with a 2xx.
 *
 * Outbound traffic stays on loopback: image URLs are drawn from a fixed pool (none reachable
 * except 127.0.0.1) and webhooks go to the test receiver. VITE_RELIABILITY_SEED=<n> replays a seed;
 * VITE_RELIABILITY_SCALE multiplies the number of cases and the time limits (default 1).
 */
import { SELF, env, listDurableObjectIds } from "cloudflare:test";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { MAX_BODY_BYTES, MAX_IMAGE_BYTES, MAX_QUESTION_CHARS } from "../../src/app/http/limits";
import { PNG_8x6_B64, JPEG_8x6_B64, GIF_8x6_B64 } from "../fixtures/images";
import { createTestKey, adminHeaders } from "../helpers/admin";
import { TEST_API_KEY } from "../helpers/auth";
import { FuzzLedger, SEED, runs, type Route } from "./fuzz-helpers";

const BASE = "https://api.test";
const receiver = inject("webhookReceiver");
const ledger = new FuzzLedger();
const AUTH = `Bearer ${TEST_API_KEY}`;
const enc = new TextEncoder();

let ownRunId = "";
let foreignRunId = "";
let initialObjects = new Set<string>();

async function send(route: Route, path: string, init: RequestInit & { runId?: string } = {}): Promise<void> {
  const { runId, ...rest } = init;
  const started = Date.now();
  const res = await SELF.fetch(`${BASE}${path}`, rest);
  await ledger.check(route, res, { method: rest.method, runId });
  const took = Date.now() - started;
  if (took > 10_000)
    console.log(
      `slow request: ${took} ms ${rest.method ?? "GET"} ${path.slice(0, 100)} ${JSON.stringify(rest.headers).slice(0, 200)} → ${res.status}`,
    );
}

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { authorization: AUTH, "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

// ---------------------------------------------------------------------------------------------
// Generators

/** Strings that stress parsers: empty, whitespace, control and format characters, lone surrogates, long. */
const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "\ud800",
    "\udfff",
    "\u202e",
    "\ufeff",
    "null",
    "NaN",
    "-1",
    "1e309",
    "<SUMMARY>",
    "</CONCLUSION>",
    "%00",
    "../../etc",
    "run_",
  ),
  fc.integer({ min: 1, max: 5000 }).map((n) => "x".repeat(n)),
);

/** Values to put where a field is expected: wrong types, boundaries, junk. */
const fieldValue = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: nastyString },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      0,
      -0,
      -1,
      1,
      2,
      3,
      4,
      5,
      15,
      16,
      17,
      60,
      61,
      300,
      900,
      901,
      2048,
      2049,
      0.5,
      1.5,
      2.0000001,
      1e-9,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 53,
      -(2 ** 53),
      1e308,
      10_000_000,
      10_000_001,
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [[]], { "": "" }) },
  { weight: 1, arbitrary: fc.constant(undefined) }, // the field removed
);

const PATHS = [
  "question",
  "image",
  "image.data",
  "image.media_type",
  "image.url",
  "model",
  "search",
  "search.strategy",
  "search.candidates",
  "search.keep",
  "search.scorer",
  "search.stages",
  "search.stages.SUMMARY",
  "search.stages.REASONING.candidates",
  "search.stages.CAPTION.scorer",
  "search.stages.CONCLUSION.temperature",
  "search.stages.SUMMARY.max_tokens",
  "search.stages.ANSWER",
  "sampling",
  "sampling.temperature",
  "sampling.top_p",
  "sampling.max_tokens_per_stage",
  "sampling.seed",
  "limits",
  "limits.deadline_seconds",
  "limits.max_total_tokens",
  "metadata",
  "metadata.k",
  "webhook",
  "webhook.url",
  "webhook.events",
  "unknown_field",
  "__proto__",
  "constructor",
];

/** URLs that are never fetched off this machine: bad syntax, http, credentials, too long, or a closed loopback port. */
const imageUrl = fc.constantFrom(
  "",
  "not a url",
  "ftp://127.0.0.1/a.png",
  "http://example.com/a.png",
  "http://127.0.0.1/a.png",
  "https://user:pw@127.0.0.1/a.png",
  "https://127.0.0.1:1/a.png",
  "javascript:alert(1)",
  "data:image/png;base64,AAAA",
  `https://127.0.0.1:1/${"a".repeat(2100)}.png`,
  "//127.0.0.1/a.png",
);
const webhookUrl = fc.constantFrom(
  `${receiver}/ok/fuzz`,
  "",
  "not a url",
  "http://example.com/hook",
  "https://user:pw@127.0.0.1/hook",
  "ftp://127.0.0.1/hook",
  `${receiver}/ok/${"a".repeat(2100)}`,
  "javascript:alert(1)",
);

/** A valid, cheap run request (greedy: four backend calls), which the mutations start from. */
function validRun(): Record<string, unknown> {
  return {
    question: "How many blue squares are there?",
    image: { data: PNG_8x6_B64, media_type: "image/png" },
    search: { strategy: "greedy" },
    sampling: { seed: 7 },
    metadata: { fuzz: "1" },
  };
}

function setPath(body: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  const parts = path.split(".");
  let node: Record<string, unknown> = copy;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== "object" || node[part] === null || Array.isArray(node[part])) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  const last = parts.at(-1) ?? "";
  if (value === undefined) delete node[last];
  else Object.defineProperty(node, last, { value, enumerable: true, configurable: true, writable: true });
  return copy;
}

const runMutation = fc
  .tuple(fc.constantFrom(...PATHS), fieldValue, imageUrl, webhookUrl)
  .map(([path, value, img, hook]) => {
    if (path === "image.url")
      return setPath(setPath(validRun(), "image", {}), "image.url", typeof value === "string" ? img : value);
    if (path === "webhook.url")
      return setPath(validRun(), "webhook", { url: typeof value === "string" ? hook : value, events: ["*"] });
    if (path === "webhook")
      return setPath(
        validRun(),
        "webhook",
        value === null || typeof value !== "object" ? value : { url: hook, ...(value as object) },
      );
    return setPath(validRun(), path, value);
  });

/** Two or three mutations at once. */
const runMutations = fc
  .array(
    fc.tuple(
      fc.constantFrom(...PATHS.filter((p) => p !== "image.url" && p !== "webhook.url" && p !== "webhook")),
      fieldValue,
    ),
    { minLength: 2, maxLength: 3 },
  )
  .map((muts) => muts.reduce((body, [path, value]) => setPath(body, path, value), validRun()));

const bytesB64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));
const MAGIC = {
  png: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  jpeg: [0xff, 0xd8, 0xff, 0xe0],
  gif: [0x47, 0x49, 0x46, 0x38, 0x39, 0x61],
  webp: [0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50],
};

/** image.data: random bytes, magic numbers followed by junk, truncated real images, broken base64. */
const imageData = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map(bytesB64),
  fc
    .tuple(fc.constantFrom(...Object.values(MAGIC)), fc.uint8Array({ maxLength: 300 }))
    .map(([m, rest]) => bytesB64(new Uint8Array([...m, ...rest]))),
  fc.tuple(fc.constantFrom(PNG_8x6_B64, JPEG_8x6_B64), fc.nat()).map(([b64, cut]) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return bytesB64(bytes.slice(0, cut % bytes.length));
  }),
  fc
    .tuple(fc.constantFrom(PNG_8x6_B64, JPEG_8x6_B64), fc.nat(), fc.integer({ min: 0, max: 255 }))
    .map(([b64, at, byte]) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      bytes[at % bytes.length] = byte; // one corrupted byte: the header may still sniff right
      return bytesB64(bytes);
    }),
  fc.constantFrom(
    "",
    "=",
    "====",
    "A",
    "AB=",
    "ABC",
    "iVBORw0KGgo",
    "iVBORw0KGgo=",
    `${PNG_8x6_B64}=`,
    `${PNG_8x6_B64.slice(0, -1)}`,
    PNG_8x6_B64.replaceAll("A", "-"),
    `data:image/png;base64,${PNG_8x6_B64}`,
    ` ${PNG_8x6_B64}`,
    PNG_8x6_B64.replace(/(.{10})/g, "$1\n"),
    "!!!!",
    "\u00ff\u00fe",
    GIF_8x6_B64,
  ),
  fc.string({ maxLength: 200 }),
);
const mediaType = fc.constantFrom(
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "image/PNG",
  "text/plain",
  "",
  "image/png; charset=x",
);

/** Bodies that are not a valid JSON document, or not UTF-8. */
const rawBody = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc
    .tuple(fc.nat(), fc.constant(JSON.stringify(validRun())))
    .map(([cut, text]) => enc.encode(text.slice(0, cut % text.length))),
  fc
    .tuple(
      fc.constantFrom([0xc3, 0x28], [0xff], [0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]),
      fc.boolean(),
    )
    .map(([bad, inQuestion]) => {
      const [head, tail] = inQuestion ? ['{"question":"abc', '"}'] : ['{"question":"abc"', "}"];
      return new Uint8Array([...enc.encode(head), ...bad, ...enc.encode(tail)]);
    }),
  fc.integer({ min: 1, max: 200_000 }).map((d) => enc.encode(`${"[".repeat(d)}${"]".repeat(d)}`)),
  fc
    .integer({ min: 1, max: 100_000 })
    .map((d) => enc.encode(`{"question":"q","metadata":${'{"a":'.repeat(d)}1${"}".repeat(d)}}`)),
  fc
    .constantFrom(
      "",
      " ",
      "null",
      "[]",
      "{}",
      "\ufeff{}",
      '{"question":"q"',
      '{"question":"q"}}',
      "{'question':'q'}",
      '{"question":"q",}',
      "NaN",
      '"string"',
      "1e999",
    )
    .map((s) => enc.encode(s)),
);
const contentType = fc.oneof(
  fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON",
    "application/json;charset=latin1",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/jsonx",
    "json",
    "",
    "application/problem+json",
    "*/*",
  ),
  fc.string({ maxLength: 30 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
);

/** Header values: printable Latin-1 (what fetch lets a client send), with a bias to the interesting ones. */
const headerText = fc.oneof(
  fc.string({ maxLength: 60 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
  fc.integer({ min: 250, max: 300 }).map((n) => "k".repeat(n)),
);
const authorization = fc.oneof(
  { weight: 4, arbitrary: fc.constant(AUTH) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "",
      "Bearer",
      "Bearer ",
      `bearer ${TEST_API_KEY}`,
      `Bearer  ${TEST_API_KEY}`,
      `Bearer ${TEST_API_KEY} `,
      `Bearer ${TEST_API_KEY}x`,
      `Basic ${btoa("a:b")}`,
      "Bearer sk_test_ffffffffffffffffffffffffffffffff",
      "Bearer sk_",
      "Bearer sk_live_",
      `Bearer ${"sk_".padEnd(300, "a")}`,
      `Token ${TEST_API_KEY}`,
      `Bearer ${TEST_API_KEY.toUpperCase()}`,
      "Bearer sk-test-0123",
      `Bearer ${env.ADMIN_SECRET ?? ""}`,
    ),
  },
  { weight: 1, arbitrary: headerText },
);
const prefer = fc.oneof(
  fc.constantFrom(
    "wait=0",
    "wait=1",
    "wait=60",
    "wait=61",
    "wait=-1",
    "wait=1.5",
    "wait=",
    "wait",
    "wait=99999999",
    'wait="5"',
    "respond-async, wait=2",
    "wait=2; foo=bar",
    "handling=strict",
    "WAIT=3",
  ),
  headerText,
);
const idempotencyKey = fc.oneof(
  fc.constantFrom("", "a", "k".repeat(255), "k".repeat(256), "key with spaces", "tab\there"),
  headerText,
);
const lastEventId = fc.oneof(
  fc.constantFrom("0", "1", "-1", "1.5", "9999999999999999", "99999999999999999", " 3 ", "abc", "", "0x10", "1e3"),
  headerText,
);

/** Optional headers, each present or not. */
const headers = fc.record(
  { authorization, prefer, "idempotency-key": idempotencyKey, "last-event-id": lastEventId },
  { requiredKeys: ["authorization"] },
);

// ---------------------------------------------------------------------------------------------

async function objectIds(): Promise<Set<string>> {
  return new Set((await listDurableObjectIds(env.RUNS)).map((id) => `run_${id.toString()}`));
}

async function d1RunIds(table: "usage_ledger" | "runs"): Promise<string[]> {
  if (!env.DB) throw new Error("no DB");
  return (await env.DB.prepare(`SELECT run_id FROM ${table}`).all<{ run_id: string }>()).results.map((r) => r.run_id);
}

describe("bad input: fuzzing every route", { timeout: 120_000 }, () => {
  beforeAll(async () => {
    // A run of the test key and a run of another key, for the run-id routes.
    const own = await SELF.fetch(`${BASE}/v1/runs`, json(validRun(), { prefer: "wait=30" }));
    expect(own.status).toBe(200);
    ownRunId = ((await own.json()) as { id: string }).id;
    const other = await createTestKey({ name: "fuzz other key" });
    const foreign = await SELF.fetch(`${BASE}/v1/runs`, {
      ...json(validRun(), { prefer: "wait=30" }),
      headers: { authorization: `Bearer ${other.key}`, "content-type": "application/json", prefer: "wait=30" },
    });
    expect(foreign.status).toBe(200);
    foreignRunId = ((await foreign.json()) as { id: string }).id;
    initialObjects = await objectIds();
    console.log(`bad input: fast-check seed ${SEED} (replay with VITE_RELIABILITY_SEED=${SEED})`);
  });

  afterAll(() => {
    console.log(ledger.summary());
  });

  it("run routes: GET, events, cancel with random ids, queries and headers", async () => {
    const runId = fc.oneof(
      {
        weight: 2,
        arbitrary: fc
          .constantFrom(
            () => ownRunId,
            () => foreignRunId,
          )
          .map((f) => f()),
      },
      { weight: 2, arbitrary: fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `run_${h}`) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          "run_",
          "run_XYZ",
          "RUN_",
          "%00",
          "..",
          "%2e%2e",
          "run_%00",
          `run_${"f".repeat(65)}`,
          "x".repeat(300),
          "🙂",
          "%F0%9F%99%82",
          "%ff",
        ),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 80 }).map(encodeURIComponent) },
    );
    const after = fc.option(
      fc.oneof(
        fc.constantFrom("0", "1", "-1", "abc", "1e3", "99999999999999999"),
        fc.string({ maxLength: 10 }).map(encodeURIComponent),
      ),
      { nil: undefined },
    );
    await fc.assert(
      fc.asyncProperty(
        runId,
        fc.constantFrom("view", "events", "cancel"),
        headers,
        after,
        async (id, what, h, afterQ) => {
          const q = afterQ === undefined ? "" : `?after=${afterQ}`;
          const own = id === ownRunId && h.authorization === AUTH ? { runId: id } : {};
          if (what === "view") await send("GET /v1/runs/:id", `/v1/runs/${id}${q}`, { headers: h, ...own });
          else if (what === "events")
            await send("GET /v1/runs/:id/events", `/v1/runs/${id}/events${q}`, { headers: h });
          else await send("POST /v1/runs/:id/cancel", `/v1/runs/${id}/cancel`, { method: "POST", headers: h, ...own });
        },
      ),
      runs(150),
    );
    // Another key's run is a 404 on every route, for this key.
    for (const [route, path, method] of [
      ["GET /v1/runs/:id", "", "GET"],
      ["GET /v1/runs/:id/events", "/events", "GET"],
      ["POST /v1/runs/:id/cancel", "/cancel", "POST"],
    ] as const) {
      const res = await SELF.fetch(`${BASE}/v1/runs/${foreignRunId}${path}`, {
        method,
        headers: { authorization: AUTH },
      });
      expect(res.status).toBe(404);
      await ledger.check(route, res);
    }
  });

  it("POST /v1/runs/:id/fork: random ids and bodies", async () => {
    const id = fc.oneof(
      fc.constantFrom(ownRunId, foreignRunId, "run_XYZ", `run_${"f".repeat(65)}`),
      fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `run_${h}`),
    );
    const stage = fc.oneof(
      fc.constantFrom("SUMMARY", "CAPTION", "REASONING", "CONCLUSION", "ANSWER", "summary", ""),
      nastyString,
    );
    const body = fc.oneof(
      fc.record(
        {
          from: stage,
          search: fc.record(
            {
              strategy: fc.constantFrom("greedy", "stage_beam", "best_of_n", "beam"),
              candidates: fc.oneof(fc.integer({ min: -2, max: 20 }), fc.constant("4")),
              scorer: fc.constantFrom("judge", "vote", "verifier", "x"),
            },
            { requiredKeys: [] },
          ),
          sampling: fc.record({ seed: fc.oneof(fc.integer(), fc.constant(-1)) }, { requiredKeys: [] }),
          model: fc.constantFrom("mock:fixed", "nope", ""),
          limits: fc.record({ deadline_seconds: fc.integer({ min: -1, max: 5000 }) }, { requiredKeys: [] }),
          extra: fc.jsonValue(),
        },
        { requiredKeys: ["from"] },
      ),
      fc.jsonValue(),
    );
    await fc.assert(
      fc.asyncProperty(id, body, async (runId, b) => {
        await send("POST /v1/runs/:id/fork", `/v1/runs/${runId}/fork`, json(b));
      }),
      runs(60),
    );
    // Another key's run does not exist for this key, whatever the body.
    const res = await SELF.fetch(`${BASE}/v1/runs/${foreignRunId}/fork`, json({ from: "CAPTION" }));
    expect(res.status).toBe(404);
    await ledger.check("POST /v1/runs/:id/fork", res);
  });

  it("GET /v1/runs, /v1/usage, /v1/models: random queries", async () => {
    const qv = fc.oneof(
      fc.constantFrom(
        "",
        "0",
        "1",
        "20",
        "100",
        "101",
        "-1",
        "1.5",
        "1e2",
        "abc",
        "2026-01-01",
        "2026-02-30",
        "2025-13-01",
        "0000-00-00",
        "9999-12-31",
        "2026-1-1",
        "1970-01-01",
      ),
      fc.string({ maxLength: 30 }).map(encodeURIComponent),
      fc.integer({ min: 190, max: 260 }).map((n) => "c".repeat(n)),
      fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
    );
    const query = fc.dictionary(fc.constantFrom("limit", "cursor", "from", "to", "x", "limit[]", ""), qv, {
      maxKeys: 3,
    });
    const target = fc.constantFrom(
      ["GET /v1/runs", "/v1/runs"],
      ["GET /v1/usage", "/v1/usage"],
      ["GET /v1/models", "/v1/models"],
      ["GET /v1/models", "/v1/models/mock:fixed"],
      ["GET /v1/models", "/v1/models/nope"],
      ["GET /v1/models", "/v1/models/mock%3Afixed"],
      ["GET /v1/models", "/v1/models/%00"],
    ) as fc.Arbitrary<[Route, string]>;
    await fc.assert(
      fc.asyncProperty(target, query, authorization, async ([route, path], q, auth) => {
        const qs = Object.entries(q)
          .map(([k, v]) => `${encodeURIComponent(k)}=${v}`)
          .join("&");
        await send(route, `${path}${qs ? `?${qs}` : ""}`, { headers: { authorization: auth } });
      }),
      runs(120),
    );
  });

  it("/admin/keys: random secrets, bodies and key ids", async () => {
    const secret = fc.oneof(
      { weight: 3, arbitrary: fc.constant(`Bearer ${env.ADMIN_SECRET ?? ""}`) },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          "",
          "Bearer",
          "Bearer wrong",
          `Bearer ${env.ADMIN_SECRET ?? ""}x`,
          `bearer ${env.ADMIN_SECRET ?? ""}`,
          AUTH,
          `Basic ${btoa("admin:x")}`,
        ),
      },
      { weight: 1, arbitrary: headerText },
    );
    const keyBody = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record(
        { name: fc.oneof(nastyString, fieldValue), budget_usd: fieldValue, rate_limit_per_minute: fieldValue },
        { requiredKeys: [] },
      ),
      fc.record({
        name: fc.string({ minLength: 1, maxLength: 20 }),
        budget_usd: fc.option(fc.double({ min: 0, max: 10, noNaN: true })),
        rate_limit_per_minute: fc.integer({ min: 1, max: 1000 }),
      }),
    );
    // Never the key this suite calls with (key_dev), nor the other key's id.
    const keyId = fc
      .oneof(
        fc.stringMatching(/^key_[A-Za-z0-9_]{1,64}$/),
        fc.string({ maxLength: 70 }).map(encodeURIComponent),
        fc.constantFrom("", "key_", `key_${"a".repeat(65)}`, "%00"),
      )
      .filter((id) => id !== "key_dev" && !id.startsWith("key_dev"));
    const call = fc.oneof(
      keyBody.map((b) => ({ method: "POST", path: "/admin/keys", body: JSON.stringify(b) })),
      rawBody.map((b) => ({ method: "POST", path: "/admin/keys", body: b })),
      fc.constant({ method: "GET", path: "/admin/keys", body: undefined }),
      keyId.map((id) => ({ method: "POST", path: `/admin/keys/${id}/revoke`, body: undefined })),
    );
    await fc.assert(
      fc.asyncProperty(call, secret, contentType, async (c, auth, type) => {
        await send("/admin/keys", c.path, {
          method: c.method,
          headers: { authorization: auth, "content-type": type },
          body: c.body as BodyInit | undefined,
        });
      }),
      runs(120),
    );
  });

  it("any method on any path", async () => {
    const method = fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD");
    const path = fc.oneof(
      fc.constantFrom(
        "/v1/runs",
        "/v1/runs/",
        "/v1/runs/x",
        "/v1/runs/x/events",
        "/v1/runs/x/cancel",
        "/v1/runs/x/y/z",
        "/v1/chat/completions",
        "/v1/chat",
        "/v1/models",
        "/v1/usage",
        "/v1",
        "/v2/runs",
        "/admin/keys",
        "/admin/keys/key_x/revoke",
        "/admin",
        "/healthz",
        "/openapi.json",
        "//v1//runs",
        "/v1/runs?x=%zz",
      ),
      fc
        .array(fc.string({ maxLength: 12 }).map(encodeURIComponent), { maxLength: 4 })
        .map((parts) => `/v1/${parts.join("/")}`),
    );
    await fc.assert(
      fc.asyncProperty(method, path, authorization, async (m, p, auth) => {
        const init: RequestInit = { method: m, headers: { authorization: auth, "content-type": "application/json" } };
        if (m !== "GET" && m !== "HEAD") init.body = "{}";
        const res = await SELF.fetch(`${BASE}${p}`, init);
        // Static and documentation routes answer HTML or JSON documents; everything else is the API.
        if (res.status < 400 && (p === "/healthz" || p === "/openapi.json")) {
          await res.body?.cancel();
          return;
        }
        await ledger.check("any method, any path", res, { method: m });
      }),
      runs(100),
    );
  });

  it("POST /v1/runs: JSON values of any shape", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 5 }), async (body) => send("POST /v1/runs", "/v1/runs", json(body))),
      runs(60),
    );
  });

  it("POST /v1/runs: near-valid bodies with one or more fields mutated, with random headers", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(runMutation, runMutations), headers, async (body, h) =>
        send("POST /v1/runs", "/v1/runs", json(body, h)),
      ),
      runs(200),
    );
  });

  it("POST /v1/runs: images of random bytes, bad base64, wrong media types", async () => {
    await fc.assert(
      fc.asyncProperty(imageData, mediaType, async (data, media_type) =>
        send("POST /v1/runs", "/v1/runs", json({ ...validRun(), image: { data, media_type } })),
      ),
      runs(120),
    );
  });

  it("POST /v1/runs: raw bodies (not JSON, invalid UTF-8, truncated, deeply nested) under any content type", async () => {
    await fc.assert(
      fc.asyncProperty(rawBody, contentType, fc.nat(3), async (body, type, pick) => {
        // Mostly the right content type, so that the bytes reach the JSON reader.
        const h: Record<string, string> = { authorization: AUTH };
        if (pick > 0) h["content-type"] = pick > 1 ? "application/json" : type;
        await send("POST /v1/runs", "/v1/runs", { method: "POST", headers: h, body });
      }),
      runs(100),
    );
  });

  it("POST /v1/chat/completions: JSON of any shape and near-valid requests", async () => {
    const validChat = (): Record<string, unknown> => ({
      model: "mock:fixed",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "How many squares?" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${PNG_8x6_B64}` } },
          ],
        },
      ],
      search: { strategy: "greedy" },
      seed: 3,
    });
    const chatPaths = [
      "model",
      "messages",
      "messages.0",
      "messages.0.role",
      "messages.0.content",
      "stream",
      "stream_options",
      "stream_options.include_usage",
      "n",
      "temperature",
      "top_p",
      "seed",
      "max_tokens",
      "max_completion_tokens",
      "metadata",
      "search",
      "search.candidates",
      "reasoning_format",
      "tools",
      "logprobs",
      "stop",
      "user",
      "extra",
    ];
    const chatBody = fc.oneof(
      fc.jsonValue({ maxDepth: 5 }),
      fc.tuple(fc.constantFrom(...chatPaths), fieldValue).map(([path, value]) => {
        const body = validChat();
        if (path.startsWith("messages.0")) {
          const msg = setPath({ m: (body.messages as unknown[])[0] }, `m${path.slice("messages.0".length)}`, value).m;
          return { ...body, messages: path === "messages.0" ? [value] : [msg] };
        }
        return setPath(body, path, value);
      }),
      fc
        .tuple(imageData, fc.constantFrom("image/png", "image/jpeg", "image/gif", "text/plain"))
        .map(([data, type]) => ({
          ...validChat(),
          messages: [
            {
              role: "user",
              content: [
                { type: "text", text: "q" },
                { type: "image_url", image_url: { url: `data:${type};base64,${data}` } },
              ],
            },
          ],
        })),
      fc
        .array(
          fc.record({
            role: fc.constantFrom("system", "user", "assistant", "tool", "developer"),
            content: fc.oneof(nastyString, fc.constant(null), fc.jsonValue({ maxDepth: 2 })),
          }),
          { maxLength: 4 },
        )
        .map((messages) => ({ ...validChat(), messages })),
    );
    await fc.assert(
      fc.asyncProperty(
        chatBody,
        fc.record({ "idempotency-key": idempotencyKey }, { requiredKeys: [] }),
        async (body, h) => send("POST /v1/chat/completions", "/v1/chat/completions", json(body, h)),
      ),
      runs(100, 5),
    );
  });

  it("sizes around every limit", async () => {
    const big = (n: number): string => "q".repeat(n);
    const png = Uint8Array.from(atob(PNG_8x6_B64), (c) => c.charCodeAt(0));
    const paddedPng = (size: number): string => {
      const bytes = new Uint8Array(size);
      bytes.set(png);
      return bytesB64Chunked(bytes);
    };
    const cases: [string, RequestInit][] = [
      ["question at the limit", json({ ...validRun(), question: big(MAX_QUESTION_CHARS) })],
      ["question one over", json({ ...validRun(), question: big(MAX_QUESTION_CHARS + 1) })],
      ["question far over", json({ ...validRun(), question: big(1_000_000) })],
      [
        "metadata 16 keys",
        json({ ...validRun(), metadata: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, "v"])) }),
      ],
      [
        "metadata 17 keys",
        json({ ...validRun(), metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) }),
      ],
      ["metadata key 64", json({ ...validRun(), metadata: { [big(64)]: "v" } })],
      ["metadata key 65", json({ ...validRun(), metadata: { [big(65)]: "v" } })],
      ["metadata value 512", json({ ...validRun(), metadata: { k: big(512) } })],
      ["metadata value 513", json({ ...validRun(), metadata: { k: big(513) } })],
      ["idempotency key 255", json(validRun(), { "idempotency-key": "i".repeat(255) })],
      ["idempotency key 256", json(validRun(), { "idempotency-key": "i".repeat(256) })],
      [
        "webhook url 2048",
        json({
          ...validRun(),
          webhook: { url: `${receiver}/ok/${"a".repeat(2048 - receiver.length - 4)}`, events: ["run.succeeded"] },
        }),
      ],
      [
        "webhook url 2049",
        json({
          ...validRun(),
          webhook: { url: `${receiver}/ok/${"a".repeat(2049 - receiver.length - 4)}`, events: ["run.succeeded"] },
        }),
      ],
      ["image url 2049", json({ ...validRun(), image: { url: `https://127.0.0.1:1/${"a".repeat(2049 - 21)}` } })],
      [
        "image: 4 MiB decoded (a PNG header, then zeros)",
        json({ ...validRun(), image: { data: paddedPng(MAX_IMAGE_BYTES), media_type: "image/png" } }),
      ],
      [
        "image: 4 MiB + 1 decoded",
        json({ ...validRun(), image: { data: paddedPng(MAX_IMAGE_BYTES + 1), media_type: "image/png" } }),
      ],
      [
        "body one byte over 6 MiB",
        {
          method: "POST",
          headers: { authorization: AUTH, "content-type": "application/json" },
          body: `{"question":"${big(MAX_BODY_BYTES - 14)}"}`,
        },
      ],
      [
        "body at 6 MiB",
        {
          method: "POST",
          headers: { authorization: AUTH, "content-type": "application/json" },
          body: `{"question":"${big(MAX_BODY_BYTES - 15)}"}`,
        },
      ],
      [
        "body over 6 MiB, streamed without Content-Length",
        {
          method: "POST",
          headers: { authorization: AUTH, "content-type": "application/json" },
          body: streamOf(`{"question":"${big(MAX_BODY_BYTES)}"}`),
        },
      ],
      [
        "Content-Length lies (small)",
        {
          method: "POST",
          headers: { authorization: AUTH, "content-type": "application/json", "content-length": "5" },
          body: JSON.stringify(validRun()),
        },
      ],
      ["Prefer wait=60", json(validRun(), { prefer: "wait=60" })],
      ["Prefer wait=61", json(validRun(), { prefer: "wait=61" })],
      ["candidates 16", json({ ...validRun(), search: { strategy: "stage_beam", candidates: 16, keep: 4 } })],
      ["candidates 17", json({ ...validRun(), search: { strategy: "stage_beam", candidates: 17 } })],
      ["keep 5", json({ ...validRun(), search: { strategy: "stage_beam", candidates: 8, keep: 5 } })],
      ["deadline 900", json({ ...validRun(), limits: { deadline_seconds: 900 } })],
      ["deadline 901", json({ ...validRun(), limits: { deadline_seconds: 901 } })],
      ["seed 2^32-1", json({ ...validRun(), sampling: { seed: 2 ** 32 - 1 } })],
      ["seed 2^32", json({ ...validRun(), sampling: { seed: 2 ** 32 } })],
    ];
    for (const [name, init] of cases) {
      const res = await SELF.fetch(`${BASE}/v1/runs`, init).catch((err: unknown) => {
        throw new Error(`${name}: ${String(err)}`);
      });
      await ledger.check("POST /v1/runs", res).catch((err: unknown) => {
        throw new Error(`${name}: ${String(err)}`);
      });
    }
    const chatBig = json({ messages: [{ role: "user", content: big(MAX_QUESTION_CHARS + 1) }] });
    await ledger.check("POST /v1/chat/completions", await SELF.fetch(`${BASE}/v1/chat/completions`, chatBig));
    const adminBig = {
      method: "POST",
      headers: { ...adminHeaders(), "content-type": "application/json" },
      body: JSON.stringify({ name: big(16 * 1024) }),
    };
    await ledger.check("/admin/keys", await SELF.fetch(`${BASE}/admin/keys`, adminBig));
    for (const q of ["from=2026-01-01&to=2027-01-01", "from=2026-01-01&to=2027-01-02", "limit=100", "limit=101"]) {
      const route: Route = q.startsWith("limit") ? "GET /v1/runs" : "GET /v1/usage";
      await ledger.check(
        route,
        await SELF.fetch(`${BASE}${route === "GET /v1/runs" ? "/v1/runs" : "/v1/usage"}?${q}`, {
          headers: { authorization: AUTH },
        }),
      );
    }
  });

  it("no run, index row or ledger entry exists but for the requests answered with a 2xx", async () => {
    const accepted = new Set([...ledger.acceptedRuns, ownRunId, foreignRunId]);
    // Every accepted run finishes (cheap greedy runs on the mock model) and is billed once.
    const until = Date.now() + 30_000;
    let billed: string[] = [];
    for (;;) {
      billed = await d1RunIds("usage_ledger");
      if (billed.length >= accepted.size || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const unbilled = [...accepted].filter((id) => !billed.includes(id));
    for (const id of unbilled.slice(0, 10)) {
      const v = (await (
        await SELF.fetch(`${BASE}/v1/runs/${id}`, { headers: { authorization: AUTH } })
      ).json()) as Record<string, unknown>;
      console.log(
        `unbilled run ${id}: ${JSON.stringify({ status: v.status, search: v.search, sampling: v.sampling, progress: v.progress, error: v.error, question: String(v.question).slice(0, 50) })}`,
      );
    }
    const objects = await objectIds();
    const created = [...objects].filter((id) => !initialObjects.has(id));
    expect(
      created.filter((id) => !accepted.has(id)),
      "run objects created by rejected requests",
    ).toEqual([]);
    expect(
      [...accepted].filter((id) => !objects.has(id)),
      "accepted runs without an object",
    ).toEqual([]);
    expect(
      billed.filter((id) => !accepted.has(id)),
      "ledger rows of rejected requests",
    ).toEqual([]);
    expect(new Set(billed).size, "one ledger row per run").toBe(billed.length);
    expect(billed.length, "every accepted run billed").toBe(accepted.size);
    const indexed = await d1RunIds("runs");
    expect(
      indexed.filter((id) => !accepted.has(id)),
      "index rows of rejected requests",
    ).toEqual([]);
    console.log(
      `bad input: ${accepted.size} runs accepted (2xx), ${objects.size} run objects, ${billed.length} ledger rows, ${indexed.length} index rows; nothing else created`,
    );
  });
});

function bytesB64Chunked(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 0x8000) out += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(out);
}

function streamOf(text: string): ReadableStream<Uint8Array> {
  const bytes = enc.encode(text);
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at + 65536));
      at += 65536;
    },
  });
}
