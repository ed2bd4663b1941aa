/**
 * Global setup: a small OpenAI-compatible server on loopback, started in Node before the workerd
 * pool, so the `openai` backend is tested over real HTTP (the Worker's own `fetch`, a real socket).
 * It behaves like vLLM where it matters: `n`, `stop` (the stop string is cut and not returned),
 * `seed`, `logprobs`, `continue_final_message` + `add_generation_prompt: false` (the reply continues
 * the last assistant message), image parts as data URLs, usage. URL layout:
 *
 *   /<tag>/<mode>…/v1/chat/completions | /v1/completions     the API; <tag> names a test's log
 *   /<tag>/log                                               GET: the requests received under <tag>
 *
 * Modes (path segments before `v1`): `fail-<status>-<count>` (the first <count> requests fail with
 * <status>; 429 carries `Retry-After: 2`), `slow-<ms>`, `delay-<ms>`, `malformed` (200, not JSON),
 * `auth` (needs `Bearer sk-upstream-test`). Model `single-n` rejects n > 1 with a 400 about `n`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    openaiUpstream: string;
  }
}

interface Logged {
  path: string;
  headers: Record<string, string>;
  body: unknown;
  /** Requests of this tag in flight when this one arrived (itself included). */
  inflight: number;
}

type Json = Record<string, unknown>;

const STAGES = ["SUMMARY", "CAPTION", "REASONING", "CONCLUSION"];

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

const badRequest = (res: ServerResponse, message: string, param: string | null = null) =>
  send(res, 400, { object: "error", message, type: "BadRequestError", param, code: 400 });

/** What the fake "model" writes for one choice, before stop sequences are applied. */
function generate(userText: string, prefix: string, seed: number, index: number): string {
  const s = seed + index;
  if (/VERDICT/.test(userText)) return `Response ${(s % 2) + 1} is more careful.\nVERDICT: ${(s % 2) + 1}`;
  if (/CHECK:/.test(userText)) return s % 5 === 0 ? "CHECK: INCORRECT" : "CHECK: CORRECT";
  const stage = [...prefix.matchAll(/<(SUMMARY|CAPTION|REASONING|CONCLUSION)>/g)].at(-1)?.[1] ?? "SUMMARY";
  const next = STAGES[STAGES.indexOf(stage) + 1];
  const body = stage === "CONCLUSION" ? `The answer is ${s % 4}.` : `${stage.toLowerCase()} draft ${s}`;
  return `${body}</${stage}>${next ? `\n<${next}>more text past the stop` : ""}`;
}

function applyStop(text: string, stop: unknown): { text: string; finish: string } {
  const stops = typeof stop === "string" ? [stop] : Array.isArray(stop) ? (stop as string[]) : [];
  let cut = -1;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && (cut < 0 || i < cut)) cut = i;
  }
  return cut >= 0 ? { text: text.slice(0, cut), finish: "stop" } : { text, finish: "stop" };
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((p: Json) => (p.type === "text" ? String(p.text) : "")).join("");
  return "";
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const logs = new Map<string, Logged[]>();
  const inflight = new Map<string, number>();
  const failures = new Map<string, number>();

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const parts = url.pathname.split("/").filter(Boolean);
    const tag = parts[0] ?? "";
    if (req.method === "GET" && parts[1] === "log") return send(res, 200, logs.get(tag) ?? []);
    const v1 = parts.indexOf("v1");
    const modes = parts.slice(1, v1 < 0 ? 1 : v1);
    const endpoint = v1 < 0 ? "" : parts.slice(v1 + 1).join("/");
    const raw = await readBody(req);
    let body: Json;
    try {
      body = JSON.parse(raw) as Json;
    } catch {
      return badRequest(res, "body is not JSON");
    }
    inflight.set(tag, (inflight.get(tag) ?? 0) + 1);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    logs.set(tag, [...(logs.get(tag) ?? []), { path: url.pathname, headers, body, inflight: inflight.get(tag) ?? 1 }]);
    try {
      for (const mode of modes) {
        const wait = /^(?:slow|delay)-(\d+)$/.exec(mode);
        if (wait) await new Promise((r) => setTimeout(r, Number(wait[1])));
        const fail = /^fail-(\d{3})-(\d+)$/.exec(mode);
        if (fail) {
          const key = `${tag}/${mode}`;
          const seen = (failures.get(key) ?? 0) + 1;
          failures.set(key, seen);
          if (seen <= Number(fail[2])) {
            const status = Number(fail[1]);
            return send(
              res,
              status,
              { error: { message: `injected failure ${seen} (${status})`, type: "server_error" } },
              status === 429 ? { "retry-after": "2" } : {},
            );
          }
        }
        if (mode === "malformed") return send(res, 200, '{"id":"cmpl-1","choices":[{"index":0,"message":');
        if (mode === "auth" && req.headers.authorization !== "Bearer sk-upstream-test") {
          return send(res, 401, {
            error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" },
          });
        }
      }
      const n = typeof body.n === "number" ? body.n : 1;
      if (body.model === "single-n" && n > 1)
        return badRequest(res, "n must be 1 when using this model (got n=" + n + ")", "n");
      const seed = typeof body.seed === "number" ? body.seed : 0;
      let userText: string;
      let prefix: string;
      if (endpoint === "chat/completions") {
        const messages = Array.isArray(body.messages) ? (body.messages as Json[]) : [];
        const last = messages.at(-1);
        const continues = body.continue_final_message === true;
        if (continues && (last?.role !== "assistant" || body.add_generation_prompt !== false)) {
          return badRequest(
            res,
            "continue_final_message needs a final assistant message and add_generation_prompt=false",
          );
        }
        for (const m of messages) {
          if (!Array.isArray(m.content)) continue;
          for (const p of m.content as Json[]) {
            const image = p.type === "image_url" ? String((p.image_url as Json | undefined)?.url ?? "") : "";
            if (p.type === "image_url" && !/^data:image\/(png|jpeg);base64,[A-Za-z0-9+/]+=*$/.test(image))
              return badRequest(res, "image_url must be a base64 data URL");
          }
        }
        userText = textOf(messages.find((m) => m.role === "user")?.content);
        prefix = last?.role === "assistant" ? textOf(last.content) : "";
      } else if (endpoint === "completions") {
        userText = String(body.prompt ?? "");
        prefix = userText.slice(userText.lastIndexOf("<|end_header_id|>"));
      } else {
        return send(res, 404, { error: { message: `no route ${endpoint}` } });
      }
      const choices = Array.from({ length: n }, (_, i) => {
        const { text, finish } = applyStop(generate(userText, prefix, seed, i), body.stop);
        const tokens = text.split(/(?<=\s)/).filter(Boolean);
        const lp = -(((seed + i) % 7) + 1) / 10;
        const choice: Json = { index: i, finish_reason: finish };
        if (endpoint === "chat/completions") {
          choice.message = { role: "assistant", content: text };
          if (body.logprobs === true)
            choice.logprobs = { content: tokens.map((t) => ({ token: t, logprob: lp, bytes: [], top_logprobs: [] })) };
        } else {
          choice.text = text;
          if (typeof body.logprobs === "number") choice.logprobs = { tokens, token_logprobs: tokens.map(() => lp) };
        }
        return choice;
      });
      const completion = choices.reduce(
        (s, c) =>
          s +
          String((c.message as Json | undefined)?.content ?? c.text)
            .split(/\s+/)
            .filter(Boolean).length,
        0,
      );
      const promptTokens = Math.ceil(raw.length / 8);
      send(res, 200, {
        id: "cmpl-fake",
        object: endpoint === "completions" ? "text_completion" : "chat.completion",
        model: body.model,
        choices,
        usage: { prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion },
      });
    } finally {
      inflight.set(tag, (inflight.get(tag) ?? 1) - 1);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  project.provide("openaiUpstream", `http://127.0.0.1:${port}`);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
