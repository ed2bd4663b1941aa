/**
 * `GET /v1/usage?from=YYYY-MM-DD&to=YYYY-MM-DD`: the caller's usage per UTC day and model, from the
 * usage ledger (one row per finished run). Days are inclusive; the default is the last 30 days.
 */
import type { Context } from "hono";
import { z } from "zod";
import { errors, json, keyAuth, register, type App } from "../openapi";
import { budgetState } from "../../platform/budget";
import { usageByDayAndModel, type UsageRow } from "../../platform/ledger";
import { platformDb } from "../middleware/auth";
import { invalidRequest } from "../errors";
import type { AppEnv } from "../types";
import { apiErrorMap } from "../zod-messages";

export const MAX_USAGE_DAYS = 366;
const DEFAULT_USAGE_DAYS = 30;
const DAY_MS = 86_400_000;

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: "must be a date as YYYY-MM-DD (UTC)" })
  .refine(
    (d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d),
    {
      error: "is not a calendar date",
    },
  );

export const usageQuerySchema = z.strictObject({ from: day.optional(), to: day.optional() });

const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const dayMs = (d: string): number => Date.parse(`${d}T00:00:00Z`);

const TOKEN_FIELDS = ["input_tokens", "output_tokens", "judge_input_tokens", "judge_output_tokens"] as const;

function usageItem(r: UsageRow) {
  return {
    day: r.day,
    model: r.model,
    runs: r.runs,
    runs_by_status: { succeeded: r.succeeded, failed: r.failed, canceled: r.canceled },
    input_tokens: r.input_tokens,
    output_tokens: r.output_tokens,
    judge_input_tokens: r.judge_input_tokens,
    judge_output_tokens: r.judge_output_tokens,
    runs_with_unknown_tokens: r.runs_with_unknown_tokens,
    backend_ms: r.backend_ms,
    cost_usd: r.cost_usd,
    estimated: r.estimated === 1,
  };
}

const tokens = z.number().int().min(0);
const usageFigures = {
  input_tokens: tokens,
  output_tokens: tokens,
  judge_input_tokens: tokens,
  judge_output_tokens: tokens,
  backend_ms: z.number().min(0),
  cost_usd: z.number().min(0),
};

export const usageSchema = z
  .object({
    object: z.literal("usage"),
    key_id: z.string(),
    from: z.string().meta({ description: "First UTC day, YYYY-MM-DD." }),
    to: z.string(),
    data: z.array(
      z.object({
        day: z.string(),
        model: z.string(),
        runs: z.number().int(),
        runs_by_status: z.object({ succeeded: z.number().int(), failed: z.number().int(), canceled: z.number().int() }),
        ...usageFigures,
        runs_with_unknown_tokens: z.number().int().meta({
          description: "Runs with a figure the backend did not report: left out of the sums, never counted as 0.",
        }),
        estimated: z.boolean(),
      }),
    ),
    total: z.object({ runs: z.number().int(), ...usageFigures }),
    budget: z
      .object({ budget_usd: z.number(), spent_usd: z.number(), remaining_usd: z.number() })
      .nullable()
      .meta({ description: "Null for a key without a budget." }),
  })
  .meta({ id: "Usage" });

async function getUsage(c: Context<AppEnv>): Promise<Response> {
  const q = usageQuerySchema.parse(c.req.query(), { error: apiErrorMap });
  const to = q.to ?? isoDay(Date.now());
  const from = q.from ?? isoDay(dayMs(to) - (DEFAULT_USAGE_DAYS - 1) * DAY_MS);
  if (from > to) throw invalidRequest(`from (${from}) is after to (${to})`, "from", "invalid_date_range");
  const span = (dayMs(to) - dayMs(from)) / DAY_MS + 1;
  if (span > MAX_USAGE_DAYS) {
    throw invalidRequest(
      `the range ${from}..${to} spans ${span} days (limit: at most ${MAX_USAGE_DAYS} days per request)`,
      "from",
      "invalid_date_range",
    );
  }
  const db = platformDb(c);
  const key = c.get("apiKey");
  const [rows, budget] = await Promise.all([usageByDayAndModel(db, key.id, from, to), budgetState(db, key)]);
  const data = rows.map(usageItem);
  const total = {
    runs: data.reduce((s, r) => s + r.runs, 0),
    ...Object.fromEntries(TOKEN_FIELDS.map((f) => [f, data.reduce((s, r) => s + r[f], 0)])),
    backend_ms: data.reduce((s, r) => s + r.backend_ms, 0),
    cost_usd: data.reduce((s, r) => s + r.cost_usd, 0),
  };
  return c.json({ object: "usage", key_id: key.id, from, to, data, total, budget });
}

export function usageRoutes(app: App): void {
  register(
    app,
    {
      method: "get",
      path: "/v1/usage",
      tags: ["usage"],
      security: keyAuth,
      summary: "The caller's usage per UTC day and model, and its budget",
      request: { query: usageQuerySchema },
      responses: { 200: json(usageSchema, "Usage."), ...errors },
    },
    getUsage,
  );
}
