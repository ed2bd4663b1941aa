/** Helpers for the HTTP API tests: requests through the real worker (SELF) and error checks. */
import { SELF, env, listDurableObjectIds } from "cloudflare:test";
import { expect } from "vitest";
import { PNG_8x6_B64 } from "../fixtures/images";
import { authHeaders } from "../helpers/auth";

export const BASE = "https://api.test";

export function validBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    question: "How many blue squares are there?",
    image: { data: PNG_8x6_B64, media_type: "image/png" },
    ...overrides,
  };
}

export function postRun(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`${BASE}/v1/runs`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...authHeaders(), ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export const countRuns = async (): Promise<number> => (await listDurableObjectIds(env.RUNS)).length;

export interface ErrorJson {
  error: { type: string; message: string; param?: string; code?: string; request_id?: string };
}

/** The response is a JSON error with this status, and its message matches. */
export async function expectError(
  res: Response,
  status: number,
  message: RegExp,
  more: { param?: string; type?: string; code?: string } = {},
): Promise<ErrorJson> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  const json = JSON.parse(text) as ErrorJson;
  expect(json.error.message).toMatch(message);
  if (more.param !== undefined) expect(json.error.param).toBe(more.param);
  if (more.type !== undefined) expect(json.error.type).toBe(more.type);
  if (more.code !== undefined) expect(json.error.code).toBe(more.code);
  return json;
}

/** Set a value deep in a copy of `body` by dotted path (`search.candidates`). */
export function withPath(body: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  const parts = path.split(".");
  let node = copy;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== "object" || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  const last = parts.at(-1) ?? "";
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}
