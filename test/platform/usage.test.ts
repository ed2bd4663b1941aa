/** GET /v1/usage: what the ledger holds for the caller, per UTC day and model. */
import { describe, expect, it } from "vitest";
import { expectError } from "../api/helpers";
import { createTestKey } from "../helpers/admin";
import { call, insertLedger } from "./helpers";

interface UsageItem {
  day: string;
  model: string;
  runs: number;
  runs_by_status: { succeeded: number; failed: number; canceled: number };
  input_tokens: number;
  output_tokens: number;
  judge_input_tokens: number;
  judge_output_tokens: number;
  runs_with_unknown_tokens: number;
  backend_ms: number;
  cost_usd: number;
  estimated: boolean;
}
interface UsageBody {
  object: string;
  key_id: string;
  from: string;
  to: string;
  data: UsageItem[];
  total: {
    runs: number;
    input_tokens: number;
    output_tokens: number;
    judge_input_tokens: number;
    judge_output_tokens: number;
    backend_ms: number;
    cost_usd: number;
  };
  budget: { budget_usd: number; spent_usd: number; remaining_usd: number } | null;
}

describe("GET /v1/usage", async () => {
  const k = await createTestKey({ name: "usage", budget_usd: 1 });
  const other = await createTestKey({ name: "someone else" });
  const rows = [
    {
      run_id: "run_u1",
      day: "2026-03-01",
      model: "mock:fixed",
      input_tokens: 100,
      output_tokens: 10,
      judge_input_tokens: 30,
      judge_output_tokens: 3,
      backend_ms: 50,
      cost_usd: 0.25,
    },
    {
      run_id: "run_u2",
      day: "2026-03-01",
      model: "mock:fixed",
      status: "failed",
      input_tokens: 200,
      output_tokens: 20,
      judge_input_tokens: 0,
      judge_output_tokens: 0,
      backend_ms: 70,
      cost_usd: 0.125,
      estimated: 1,
    },
    {
      run_id: "run_u3",
      day: "2026-03-01",
      model: "workers-ai:@cf/meta/llama-3.2-11b-vision-instruct",
      input_tokens: 1000,
      output_tokens: 100,
      judge_input_tokens: null,
      judge_output_tokens: null,
      backend_ms: 900,
      cost_usd: 0.0001,
    },
    {
      run_id: "run_u4",
      day: "2026-03-02",
      model: "mock:fixed",
      status: "canceled",
      input_tokens: 5,
      output_tokens: 1,
      judge_input_tokens: 0,
      judge_output_tokens: 0,
      backend_ms: 3,
      cost_usd: 0.0625,
    },
    { run_id: "run_u5", day: "2026-04-01", model: "mock:fixed", cost_usd: 8 }, // outside the range asked for
  ];
  for (const r of rows) await insertLedger({ key_id: k.id, ...r });
  await insertLedger({ run_id: "run_other", key_id: other.id, day: "2026-03-01", cost_usd: 100 });

  it("sums runs, tokens, backend time and cost per day and model, for the caller only", async () => {
    const res = await call("/v1/usage?from=2026-03-01&to=2026-03-31", k.key);
    expect(res.status).toBe(200);
    const body = (await res.json()) as UsageBody;
    expect(body).toMatchObject({ object: "usage", key_id: k.id, from: "2026-03-01", to: "2026-03-31" });
    expect(body.data.map((d) => [d.day, d.model])).toEqual([
      ["2026-03-01", "mock:fixed"],
      ["2026-03-01", "workers-ai:@cf/meta/llama-3.2-11b-vision-instruct"],
      ["2026-03-02", "mock:fixed"],
    ]);
    expect(body.data[0]).toEqual({
      day: "2026-03-01",
      model: "mock:fixed",
      runs: 2,
      runs_by_status: { succeeded: 1, failed: 1, canceled: 0 },
      input_tokens: 300,
      output_tokens: 30,
      judge_input_tokens: 30,
      judge_output_tokens: 3,
      runs_with_unknown_tokens: 0,
      backend_ms: 120,
      cost_usd: 0.375,
      estimated: true,
    });
    // Unknown judge tokens are not counted as 0: the run is flagged.
    expect(body.data[1]).toMatchObject({ runs: 1, input_tokens: 1000, runs_with_unknown_tokens: 1, estimated: false });
    expect(body.data[2]).toMatchObject({ runs: 1, runs_by_status: { canceled: 1 }, cost_usd: 0.0625 });
    expect(body.total).toMatchObject({ runs: 4, input_tokens: 1305, output_tokens: 131, backend_ms: 1023 });
    expect(body.total.cost_usd).toBeCloseTo(0.4376, 10);
    // The budget counts every finished run, in range or not.
    expect(body.budget?.spent_usd).toBeCloseTo(8.4376, 10);
    expect(body.budget?.remaining_usd).toBeCloseTo(1 - 8.4376, 10);
  });

  it("one day; a day with nothing is an empty list; no budget is null", async () => {
    const one = (await (await call("/v1/usage?from=2026-03-02&to=2026-03-02", k.key)).json()) as UsageBody;
    expect(one.data).toHaveLength(1);
    const none = (await (await call("/v1/usage?from=2025-01-01&to=2025-01-31", k.key)).json()) as UsageBody;
    expect(none.data).toEqual([]);
    expect(none.total.runs).toBe(0);
    const theirs = (await (await call("/v1/usage?from=2026-03-01&to=2026-03-01", other.key)).json()) as UsageBody;
    expect(theirs.total.cost_usd).toBe(100);
    expect(theirs.budget).toBeNull();
  });

  it("defaults to the last 30 days up to today (UTC)", async () => {
    const body = (await (await call("/v1/usage", k.key)).json()) as UsageBody;
    const today = new Date().toISOString().slice(0, 10);
    expect(body.to).toBe(today);
    expect((Date.parse(body.to) - Date.parse(body.from)) / 86_400_000).toBe(29);
  });

  it.each([
    ["from not a date", "from=yesterday", /^from: must be a date as YYYY-MM-DD/, "from"],
    ["to not a calendar date", "to=2026-02-30", /^to: is not a calendar date/, "to"],
    ["month 13", "from=2026-13-01", /^from: is not a calendar date/, "from"],
    ["from after to", "from=2026-03-05&to=2026-03-01", /from \(2026-03-05\) is after to \(2026-03-01\)/, "from"],
    [
      "range too long",
      "from=2024-01-01&to=2026-01-01",
      /spans 732 days \(limit: at most 366 days per request\)/,
      "from",
    ],
    ["unknown parameter", "day=2026-03-01", /^day: unknown field "day" \(allowed: from, to\)/, "day"],
  ])("%s → 400 naming it", async (_name, query, message, param) => {
    await expectError(await call(`/v1/usage?${query}`, k.key), 400, message, { param, type: "invalid_request_error" });
  });
});
