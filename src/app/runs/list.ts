/**
 * `GET /v1/runs`: the caller's runs, newest first, from the D1 run index; `limit` (≤ 100) and an
 * opaque `cursor` from the previous page's `next_cursor`. A finished run's status comes from the
 * ledger; an unfinished one's from its object (few at a time: a key's runs in flight).
 */
import type { Context } from "hono";
import { z } from "zod";
import { decodeCursor, encodeCursor, listRuns, type IndexedRun } from "../../platform/run-index";
import { platformDb } from "../middleware/auth";
import { invalidRequest } from "../errors";
import { runStub } from "./run-ids";
import type { AppEnv } from "../types";
import { apiErrorMap } from "../zod-messages";
import { runLinks } from "./responses";

export const MAX_LIST_LIMIT = 100;
export const DEFAULT_LIST_LIMIT = 20;

export const listQuerySchema = z.strictObject({
  limit: z
    .string()
    .regex(/^\d+$/, {
      error: `must be a whole number from 1 to ${MAX_LIST_LIMIT} (limit: 1 ≤ limit ≤ ${MAX_LIST_LIMIT})`,
    })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1, { error: `must be at least 1 (limit: 1 ≤ limit ≤ ${MAX_LIST_LIMIT})` })
        .max(MAX_LIST_LIMIT, { error: `must be at most ${MAX_LIST_LIMIT} (limit: 1 ≤ limit ≤ ${MAX_LIST_LIMIT})` }),
    )
    .optional(),
  cursor: z
    .string()
    .max(200, { error: "is not a cursor from this API (use next_cursor from the previous page)" })
    .optional(),
});

async function statusOf(c: Context<AppEnv>, run: IndexedRun): Promise<string> {
  if (run.ended_status) return run.ended_status;
  const view = await runStub(c.env, c.env.RUNS.idFromString(run.run_id.slice(4))).view(c.get("apiKey").id);
  return view?.status ?? "unknown";
}

export async function listOwnRuns(c: Context<AppEnv>): Promise<Response> {
  const query = listQuerySchema.parse(c.req.query(), { error: apiErrorMap });
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
  if (query.cursor !== undefined && !after) {
    throw invalidRequest(
      "cursor: is not a cursor from this API (use next_cursor from the previous page)",
      "cursor",
      "invalid_cursor",
    );
  }
  const page = await listRuns(platformDb(c), c.get("apiKey").id, query.limit ?? DEFAULT_LIST_LIMIT, after);
  const data = await Promise.all(
    page.runs.map(async (r) => ({
      id: r.run_id,
      object: "run" as const,
      model: r.model,
      status: await statusOf(c, r),
      created_at: new Date(r.created_at).toISOString(),
      links: runLinks(r.run_id),
    })),
  );
  return c.json({
    object: "list",
    data,
    has_more: page.next !== null,
    next_cursor: page.next ? encodeCursor(page.next) : null,
  });
}
