/**
 * `POST /v1/batches`: up to 1,000 run requests, each with a `custom_id`, as one JSON object or as
 * JSONL (one `{custom_id, body}` per line, options in the query). Every request is checked as
 * `POST /v1/runs` would check it before the batch exists: a bad line is a 400 naming it, and
 * nothing is created. docs/batches.md.
 */
import { z } from "zod";
import { webhookViewSchema } from "../../runs/view-schema";
import { ApiError, invalidRequest } from "../errors";
import { isJsonMediaType, readCapped, readJsonBody } from "../http/body";
import { formatBytes, type Range } from "../http/limits";
import { createRunSchema, metadataSchema, ranged } from "../runs/schemas";
import { apiErrorMap } from "../zod-messages";

const MiB = 1024 * 1024;
export const MAX_BATCH_REQUESTS = 1_000;
export const MAX_BATCH_BODY_BYTES = 24 * MiB;
/** One request as stored in the batch's SQLite (a value there is at most 2 MB). */
export const MAX_BATCH_ITEM_BYTES = 1.5 * MiB;
export const MAX_CUSTOM_ID_CHARS = 64;
export const BATCH_CONCURRENCY: Range = { name: "concurrency", min: 1, max: 16 };
export const DEFAULT_BATCH_CONCURRENCY = 4;
/** All batch runs of one key at once, across its batches (BATCH_KEY_CONCURRENCY overrides it). */
export const DEFAULT_BATCH_KEY_CONCURRENCY = 8;
export const JSONL_TYPES = ["application/jsonl", "application/x-ndjson", "application/jsonlines"];

const batchItemSchema = z.strictObject({
  custom_id: z
    .string()
    .min(1, { error: "must not be empty" })
    .max(MAX_CUSTOM_ID_CHARS, {
      error: `must be at most ${MAX_CUSTOM_ID_CHARS} characters (limit: custom_id ≤ ${MAX_CUSTOM_ID_CHARS} chars)`,
    }),
  body: createRunSchema,
});

export const createBatchSchema = z
  .strictObject({
    requests: z
      .array(batchItemSchema)
      .min(1, { error: "must hold at least one request" })
      .max(MAX_BATCH_REQUESTS, {
        error: `must hold at most ${MAX_BATCH_REQUESTS} requests (limit: a batch ≤ ${MAX_BATCH_REQUESTS} requests)`,
      }),
    concurrency: ranged(BATCH_CONCURRENCY, "int")
      .default(DEFAULT_BATCH_CONCURRENCY)
      .meta({ description: "How many of the batch's runs go at once (the key's batches share a cap too)." }),
    webhook: z
      .strictObject({ url: z.string().min(1).max(2_048) })
      .optional()
      .meta({ description: "Where to POST `batch.completed` (or `batch.canceled`) once, when the batch ends." }),
    metadata: metadataSchema.optional(),
  })
  .superRefine((batch, ctx) => {
    const seen = new Map<string, number>();
    batch.requests.forEach((r, i) => {
      const first = seen.get(r.custom_id);
      if (first !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["requests", i, "custom_id"],
          message: `"${r.custom_id}" is already the custom_id of requests[${first}] (custom_id must be unique in a batch)`,
        });
      else seen.set(r.custom_id, i);
    });
  })
  .meta({
    id: "CreateBatchRequest",
    description:
      "Each `body` is a `POST /v1/runs` request. As JSONL instead: one `{custom_id, body}` per line, `concurrency` and `webhook_url` in the query.",
  });

export type CreateBatchBody = z.output<typeof createBatchSchema>;

const count = z.number().int().min(0);
export const BATCH_STATUSES = ["running", "completed", "canceled"] as const;

export const batchViewSchema = z
  .object({
    id: z.string().meta({ example: "batch_3f2a…" }),
    object: z.literal("batch"),
    status: z.enum(BATCH_STATUSES).meta({
      description: "running until every request has ended (completed), or until canceled.",
    }),
    concurrency: count,
    counts: z
      .object({
        total: count,
        pending: count.meta({ description: "Not started yet." }),
        running: count,
        succeeded: count,
        failed: count.meta({ description: "Runs that failed, and requests refused when they were started." }),
        canceled: count,
      })
      .meta({ description: "Every request is in exactly one of the last five." }),
    created_at: z.string(),
    finished_at: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    webhook: z.union([webhookViewSchema, z.null()]),
    links: z.object({ self: z.string(), results: z.string(), cancel: z.string() }),
  })
  .meta({ id: "Batch" });

export type BatchView = z.infer<typeof batchViewSchema>;

export const batchResultSchema = z
  .object({
    custom_id: z.string(),
    run_id: z.string().nullable().meta({ description: "Null for a request that never became a run." }),
    status: z.enum(["pending", "running", "succeeded", "failed", "canceled"]),
    answer: z.string().nullable(),
    stages: z.record(z.string(), z.string()).optional(),
    error: z
      .object({ code: z.string(), message: z.string() })
      .nullable()
      .meta({ description: "Why the run failed, or why the request could not be started." }),
    usage: z
      .object({
        total_tokens: count.optional(),
        cost_usd: z.number().min(0).optional(),
        model_steps: count,
      })
      .optional(),
  })
  .meta({ id: "BatchResult", description: "One line of `GET /v1/batches/{id}/results`, in input order." });

export type BatchResult = z.infer<typeof batchResultSchema>;

const isJsonl = (contentType: string | null): boolean =>
  JSONL_TYPES.includes(contentType?.split(";", 1)[0]?.trim().toLowerCase() ?? "");

/** The submission, from either form, parsed and checked; every error names the request (and line). */
export async function readBatch(req: Request): Promise<{ raw: unknown; batch: CreateBatchBody }> {
  let raw: unknown;
  const type = req.headers.get("Content-Type");
  if (!isJsonl(type) && !isJsonMediaType(type))
    throw new ApiError(
      415,
      "invalid_request_error",
      `Content-Type must be application/json or application/jsonl (received ${type ? `"${type}"` : "none"})`,
      { param: "Content-Type", code: "unsupported_media_type" },
    );
  if (isJsonl(type)) raw = await readJsonl(req);
  else {
    raw = await readJsonBody(req, MAX_BATCH_BODY_BYTES);
    // A bare array is the requests alone.
    if (Array.isArray(raw)) raw = { requests: raw };
  }
  const batch = createBatchSchema.parse(raw, { error: apiErrorMap });
  const items = (raw as { requests: { body: unknown }[] }).requests;
  items.forEach((item, i) => {
    const bytes = new TextEncoder().encode(JSON.stringify(item.body)).byteLength;
    if (bytes > MAX_BATCH_ITEM_BYTES)
      throw new ApiError(
        413,
        "invalid_request_error",
        `requests[${i}].body is ${formatBytes(bytes)} (limit: a batched request ≤ ${formatBytes(MAX_BATCH_ITEM_BYTES)}; give large images as image.url)`,
        { param: `requests[${i}].body`, code: "batch_item_too_large" },
      );
  });
  return { raw, batch };
}

async function readJsonl(req: Request): Promise<unknown> {
  const url = new URL(req.url);
  const tooLarge = () =>
    new ApiError(
      413,
      "invalid_request_error",
      `the batch is larger than ${formatBytes(MAX_BATCH_BODY_BYTES)} (limit: batch body ≤ ${formatBytes(MAX_BATCH_BODY_BYTES)})`,
      { code: "body_too_large" },
    );
  const bytes = req.body ? await readCapped(req.body, MAX_BATCH_BODY_BYTES, tooLarge) : new Uint8Array();
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw invalidRequest("the JSONL body is not valid UTF-8", "body", "invalid_json");
  }
  const requests = text
    .split(/\r?\n/)
    .map((line, i) => ({ line, n: i + 1 }))
    .filter(({ line }) => line.trim() !== "")
    .map(({ line, n }) => {
      try {
        return JSON.parse(line) as unknown;
      } catch (err) {
        throw invalidRequest(
          `line ${n} is not JSON: ${err instanceof Error ? err.message : String(err)}`,
          `line ${n}`,
          "invalid_json",
        );
      }
    });
  const concurrency = url.searchParams.get("concurrency");
  const webhookUrl = url.searchParams.get("webhook_url");
  return {
    requests,
    ...(concurrency !== null ? { concurrency: Number(concurrency) } : {}),
    ...(webhookUrl !== null ? { webhook: { url: webhookUrl } } : {}),
  };
}
