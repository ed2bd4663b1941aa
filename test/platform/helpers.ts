/** Helpers for the platform tests: calls with a given API key, and direct D1 reads and writes. */
import { SELF, env } from "cloudflare:test";
import { BASE } from "../api/helpers";
import { PNG_8x6_B64 } from "../fixtures/images";

export function call(path: string, key: string | null, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (key !== null) headers.set("authorization", `Bearer ${key}`);
  return SELF.fetch(`${BASE}${path}`, { ...init, headers });
}

export function createRun(
  key: string,
  body: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<Response> {
  return call("/v1/runs", key, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({
      question: "How many red circles are there?",
      image: { data: PNG_8x6_B64, media_type: "image/png" },
      ...body,
    }),
  });
}

export const db = (): D1Database => {
  if (!env.DB) throw new Error("no DB binding in the test environment");
  return env.DB;
};

export interface LedgerRow {
  run_id: string;
  key_id: string;
  model: string;
  day: string;
  status: string;
  input_tokens: number | null;
  output_tokens: number | null;
  judge_input_tokens: number | null;
  judge_output_tokens: number | null;
  backend_ms: number;
  cost_usd: number;
  estimated: number;
  recorded_at: number;
}

export async function ledgerRows(where: { key_id?: string; run_id?: string }): Promise<LedgerRow[]> {
  const [col, value] = where.run_id !== undefined ? ["run_id", where.run_id] : ["key_id", where.key_id];
  return (
    await db()
      .prepare(`SELECT * FROM usage_ledger WHERE ${col} = ? ORDER BY day, model, run_id`)
      .bind(value)
      .all<LedgerRow>()
  ).results;
}

/** A ledger row as the run's object would write it (the unit tests of reads insert their own). */
export async function insertLedger(row: Partial<LedgerRow> & Pick<LedgerRow, "run_id" | "key_id">): Promise<void> {
  const r: LedgerRow = {
    model: "mock:fixed",
    day: "2026-03-01",
    status: "succeeded",
    input_tokens: 100,
    output_tokens: 50,
    judge_input_tokens: 20,
    judge_output_tokens: 5,
    backend_ms: 40,
    cost_usd: 0.001,
    estimated: 0,
    recorded_at: Date.now(),
    ...row,
  };
  await db()
    .prepare(
      `INSERT INTO usage_ledger (run_id, key_id, model, day, status, input_tokens, output_tokens, judge_input_tokens, judge_output_tokens, backend_ms, cost_usd, estimated, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      r.run_id,
      r.key_id,
      r.model,
      r.day,
      r.status,
      r.input_tokens,
      r.output_tokens,
      r.judge_input_tokens,
      r.judge_output_tokens,
      r.backend_ms,
      r.cost_usd,
      r.estimated,
      r.recorded_at,
    )
    .run();
}

/** Poll until the run's ledger row exists (the object writes it right after the run ends). */
export async function waitForLedger(runId: string, ms = 10_000): Promise<LedgerRow> {
  const until = Date.now() + ms;
  for (;;) {
    const [row] = await ledgerRows({ run_id: runId });
    if (row) return row;
    if (Date.now() > until) throw new Error(`no ledger row for ${runId} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function indexedRunIds(keyId: string): Promise<string[]> {
  return (
    await db()
      .prepare(`SELECT run_id FROM runs WHERE key_id = ? ORDER BY created_at`)
      .bind(keyId)
      .all<{ run_id: string }>()
  ).results.map((r) => r.run_id);
}

/** A run id the RUNS namespace accepts (its object holds nothing). */
export const fakeRunId = (): string => `run_${env.RUNS.newUniqueId().toString()}`;
