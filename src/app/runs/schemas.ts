/**
 * The request body of `POST /v1/runs` (docs/api.md). Objects are strict: a misspelt field is an
 * error naming it, never silently ignored. Every numeric check names its limit (limits.ts).
 *
 * Strategy notes, as callers see them:
 * - `greedy` generates one candidate per stage: `candidates`, `keep` and per-stage `candidates`
 *   are accepted but ignored (the run records candidates = keep = 1).
 * - `stage_beam` needs keep ≤ candidates (B prefixes survive out of N candidates per stage).
 */
import { z } from "zod";
import type { Env } from "../../env";
import { defaultModelId, getModelInfo, listModels, verifierProblem, type ModelInfo } from "../../inference/registry";
import { STAGES, type Stage } from "../../reasoning/stages";
import type { RunSpec, ScorerName, SearchConfig, StageOverride } from "../../reasoning/types";
import { ApiError, invalidRequest } from "../errors";
import { webhookSchema } from "./webhook-schema";
import {
  CANDIDATES,
  DEADLINE_SECONDS,
  DEFAULT_TEMPERATURE,
  DEFAULT_TOP_P,
  DEFAULT_DEADLINE_SECONDS,
  KEEP,
  MAX_IMAGE_URL_CHARS,
  MAX_METADATA_KEY_CHARS,
  MAX_METADATA_KEYS,
  MAX_METADATA_VALUE_CHARS,
  MAX_QUESTION_CHARS,
  MAX_TOKENS_PER_STAGE,
  MAX_TOTAL_TOKENS,
  SEED,
  STAGE_MAX_TOKENS,
  TEMPERATURE,
  TOP_P,
  describeRange,
  type Range,
} from "../http/limits";

/** A number in `r`, with messages that name the limit. */
export function ranged(r: Range, kind: "int" | "number") {
  const limit = `(limit: ${describeRange(r)})`;
  let s = z.number();
  if (kind === "int") s = s.int({ error: `must be an integer ${limit}` });
  s = r.exclusiveMin
    ? s.gt(r.min, { error: `must be greater than ${r.min} ${limit}` })
    : s.min(r.min, { error: `must be at least ${r.min} ${limit}` });
  return s.max(r.max, { error: `must be at most ${r.max} ${limit}` });
}

export const STRATEGIES = ["stage_beam", "greedy", "best_of_n"] as const;
export const CACHE_MODES = ["off", "reuse"] as const;
export const SCORERS = ["judge", "logprob", "vote", "verifier"] as const;
const scorer = z.enum(SCORERS);

const stageOverrideSchema = z.strictObject({
  candidates: ranged(CANDIDATES, "int").optional(),
  scorer: scorer.optional(),
  temperature: ranged(TEMPERATURE, "number").optional(),
  max_tokens: ranged(STAGE_MAX_TOKENS, "int").optional(),
});

const stagesSchema = z.strictObject(
  Object.fromEntries(STAGES.map((s) => [s, stageOverrideSchema.optional()])) as Record<
    Stage,
    z.ZodOptional<typeof stageOverrideSchema>
  >,
);

export const searchSchema = z
  .strictObject({
    strategy: z.enum(STRATEGIES).default("stage_beam"),
    candidates: ranged(CANDIDATES, "int").default(4),
    keep: ranged(KEEP, "int").default(1),
    // Absent: the model's `default_scorer` (GET /v1/models), applied by toRunSpec.
    scorer: scorer.optional(),
    stages: stagesSchema.optional(),
    // 2: every judge match is also judged with the responses swapped (docs/search.md, "Judged in both orders").
    judge_orders: z
      .union([z.literal(1), z.literal(2)], {
        error: "must be 1 or 2 (limit: judge_orders is 1, the reference's single order, or 2, both orders)",
      })
      .default(1),
  })
  .superRefine((s, ctx) => {
    if (s.strategy !== "stage_beam") return;
    if (s.keep > s.candidates) {
      ctx.addIssue({
        code: "custom",
        path: ["keep"],
        message: `must be at most candidates (${s.candidates}) for stage_beam (limit: keep ≤ candidates)`,
      });
    }
    for (const stage of STAGES) {
      const n = s.stages?.[stage]?.candidates;
      if (n !== undefined && s.keep > n) {
        ctx.addIssue({
          code: "custom",
          path: ["stages", stage, "candidates"],
          message: `must be at least keep (${s.keep}) for stage_beam (limit: keep ≤ candidates)`,
        });
      }
    }
  });

export const samplingSchema = z.strictObject({
  temperature: ranged(TEMPERATURE, "number").default(DEFAULT_TEMPERATURE),
  top_p: ranged(TOP_P, "number").default(DEFAULT_TOP_P),
  max_tokens_per_stage: ranged(MAX_TOKENS_PER_STAGE, "int").default(512),
  seed: ranged(SEED, "int").optional(),
});

export const limitsSchema = z.strictObject({
  deadline_seconds: ranged(DEADLINE_SECONDS, "int").default(DEFAULT_DEADLINE_SECONDS),
  max_total_tokens: ranged(MAX_TOTAL_TOKENS, "int").optional(),
});

/**
 * `{url}` or `{data, media_type}`. One object with optional fields and a cross-check gives clearer
 * errors than a zod union (which reports every branch's failures). The media type and bytes are
 * checked by images.ts: an unsupported type is a 415, not a schema error.
 */
const imageSchema = z
  .strictObject({
    url: z
      .string()
      .min(1, { error: "must not be empty" })
      .max(MAX_IMAGE_URL_CHARS, {
        error: `must be at most ${MAX_IMAGE_URL_CHARS} characters (limit: url ≤ ${MAX_IMAGE_URL_CHARS} chars)`,
      })
      .optional(),
    data: z.string().min(1, { error: "must not be empty (base64 image bytes)" }).optional(),
    media_type: z.string().optional(),
  })
  .superRefine((img, ctx) => {
    const inline = img.data !== undefined || img.media_type !== undefined;
    if (img.url !== undefined && inline) {
      ctx.addIssue({ code: "custom", path: ["url"], message: "give either url or data with media_type, not both" });
    } else if (img.url === undefined && img.data === undefined) {
      ctx.addIssue({
        code: "custom",
        path: img.media_type === undefined ? [] : ["data"],
        message: "needs either url or data (base64) with media_type",
      });
    } else if (img.data !== undefined && img.media_type === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["media_type"],
        message: 'is required with data ("image/png" or "image/jpeg")',
      });
    }
  });

export const metadataSchema = z.record(z.string(), z.string()).superRefine((m, ctx) => {
  const keys = Object.keys(m);
  if (keys.length > MAX_METADATA_KEYS) {
    ctx.addIssue({
      code: "custom",
      path: [],
      message: `has ${keys.length} keys (limit: metadata ≤ ${MAX_METADATA_KEYS} keys)`,
    });
  }
  for (const key of keys) {
    if (key.length === 0 || key.length > MAX_METADATA_KEY_CHARS) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `key must be 1..${MAX_METADATA_KEY_CHARS} characters (limit: metadata key ≤ ${MAX_METADATA_KEY_CHARS} chars)`,
      });
    }
    if ((m[key] ?? "").length > MAX_METADATA_VALUE_CHARS) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `value is ${(m[key] ?? "").length} characters (limit: metadata value ≤ ${MAX_METADATA_VALUE_CHARS} chars)`,
      });
    }
  }
});

export const createRunSchema = z
  .strictObject({
    model: z.string().min(1, { error: "must not be empty (omit it for the default model)" }).optional(),
    image: imageSchema.optional(),
    question: z
      .string()
      .trim()
      .min(1, { error: "must not be empty" })
      .max(MAX_QUESTION_CHARS, {
        error: `must be at most ${MAX_QUESTION_CHARS} characters (limit: question ≤ ${MAX_QUESTION_CHARS} chars)`,
      }),
    // prefault, not default: the empty object is parsed, so the inner defaults apply.
    search: searchSchema.prefault({}),
    sampling: samplingSchema.prefault({}),
    limits: limitsSchema.prefault({}),
    metadata: metadataSchema.optional(),
    webhook: webhookSchema.optional(),
    cache: z.enum(CACHE_MODES).optional().meta({
      description:
        "`reuse`: when an earlier run of this key with the same content (image bytes, question, model and its version, search, sampling with an explicit seed) succeeded, answer with its result as a new run marked `cached_from`, with no model call and no tokens billed. Default `off`.",
    }),
  })
  .meta({
    id: "CreateRunRequest",
    description: "Unknown fields are rejected by name; every limit is named in the error.",
  });

const runLinksSchema = z.object({ self: z.string(), events: z.string(), cancel: z.string() });

/** 202: the run started; poll it or follow its events. */
export const runAcceptedSchema = z
  .object({
    id: z.string(),
    object: z.literal("run"),
    status: z.enum(["queued", "running", "succeeded", "failed", "canceled"]),
    model: z.string(),
    seed: z.number().int().min(0),
    links: runLinksSchema,
  })
  .meta({ id: "RunAccepted" });

export const runListSchema = z
  .object({
    object: z.literal("list"),
    data: z.array(
      z.object({
        id: z.string(),
        object: z.literal("run"),
        model: z.string(),
        status: z.string().meta({ description: "queued, running, succeeded, failed, canceled (or unknown)" }),
        created_at: z.string(),
        links: runLinksSchema,
      }),
    ),
    has_more: z.boolean(),
    next_cursor: z.string().nullable().meta({ description: "Pass as `cursor` for the next page." }),
  })
  .meta({ id: "RunList" });

export type CreateRunBody = z.output<typeof createRunSchema>;
export type CreateRunRequest = z.input<typeof createRunSchema>;
export type ImageBody = NonNullable<CreateRunBody["image"]>;

/** The served model the request names (or the default), checked against what the request asks of it. */
export function resolveModel(env: Env, body: Pick<CreateRunBody, "model" | "search"> & { image?: unknown }): ModelInfo {
  const available = () =>
    listModels(env)
      .map((m) => m.id)
      .join(", ") || "none";
  const id = body.model ?? defaultModelId(env);
  if (id === undefined) {
    throw new ApiError(503, "api_error", "no model is configured on this deployment (MODELS is empty)", {
      code: "no_models_configured",
    });
  }
  const info = getModelInfo(env, id);
  if (!info)
    throw invalidRequest(`model "${id}" is not served here (available: ${available()})`, "model", "model_not_found");
  if (info.status === "unavailable") {
    throw new ApiError(
      503,
      "api_error",
      `model "${id}" is configured but unavailable: ${info.error ?? "misconfigured"}`,
      { param: "model", code: "model_unavailable" },
    );
  }

  const usedAt = (name: string): string[] => [
    ...((body.search.scorer ?? info.default_scorer) === name ? ["search.scorer"] : []),
    ...STAGES.filter((stage) => body.search.stages?.[stage]?.scorer === name).map((s) => `search.stages.${s}.scorer`),
  ];
  const logprobAt = usedAt("logprob");
  const verifierAt = usedAt("verifier");
  const problem = verifierAt.length > 0 ? verifierProblem(env, info) : null;
  if (problem) throw invalidRequest(`scorer "verifier": ${problem}`, verifierAt[0], "capability_missing");
  if (logprobAt.length > 0 && !info.capabilities.logprobs) {
    throw invalidRequest(
      `scorer "logprob" needs a model that reports logprobs; "${id}" does not (capabilities.logprobs is false)`,
      logprobAt[0],
      "capability_missing",
    );
  }
  if (body.image && !info.capabilities.vision) {
    throw invalidRequest(
      `model "${id}" cannot read images (capabilities.vision is false)`,
      "image",
      "capability_missing",
    );
  }
  return info;
}

export function randomUint32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
}

/** The request as the pure core sees it. The seed is the caller's, or a fresh random one. */
export function toRunSpec(
  body: CreateRunBody,
  hasImage: boolean,
  pickSeed: () => number = randomUint32,
  defaultScorer: ScorerName = "judge",
): RunSpec {
  const greedy = body.search.strategy === "greedy";
  let stages: SearchConfig["stages"];
  if (body.search.stages) {
    stages = {};
    for (const stage of STAGES) {
      const o = body.search.stages[stage];
      if (!o) continue;
      const override: StageOverride = { ...o };
      if (greedy) delete override.candidates;
      if (Object.keys(override).length > 0) stages[stage] = override;
    }
  }
  const search: SearchConfig = {
    strategy: body.search.strategy,
    candidates: greedy ? 1 : body.search.candidates,
    keep: greedy ? 1 : body.search.keep,
    scorer: body.search.scorer ?? defaultScorer,
  };
  // Only 2 is written into the spec: a default request keeps the spec it always had.
  if (body.search.judge_orders === 2 && !greedy) search.judge_orders = 2;
  if (stages && Object.keys(stages).length > 0) search.stages = stages;
  return {
    question: body.question,
    has_image: hasImage,
    search,
    sampling: {
      temperature: body.sampling.temperature,
      top_p: body.sampling.top_p,
      max_tokens_per_stage: body.sampling.max_tokens_per_stage,
      seed: body.sampling.seed ?? pickSeed(),
    },
  };
}
