/**
 * The search tree's shape, declared once: zod schemas from which the trace's TypeScript types are
 * inferred (trace.ts builds values of them) and the API's OpenAPI document is generated.
 * Plain data only; zod is a pure library, so the core stays free of Workers and HTTP.
 */
import { z } from "zod";
import { STAGES } from "./stages";
import { SCORER_NAMES, STRATEGY_NAMES } from "./spec-schema";
import type { BackendAttempt, FinishReason, Usage } from "./types";

const FINISH_REASONS = ["stop", "length", "error", "other"] as const satisfies readonly FinishReason[];

/** Token counts; a figure the backend did not report is absent, never a made-up 0. */
export const usageSchema = z.object({
  input_tokens: z.number().int().min(0).optional(),
  output_tokens: z.number().int().min(0).optional(),
  estimated: z.boolean().optional(),
}) satisfies z.ZodType<Usage>;

export const backendAttemptSchema = z.object({
  backend: z.string(),
  error: z.string(),
  retryable: z.boolean(),
  status: z.number().int().optional(),
  latency_ms: z.number(),
}) satisfies z.ZodType<BackendAttempt>;

const stageKey = z.enum([...STAGES, "ANSWER"]);
const stageTexts = z.object(Object.fromEntries(STAGES.map((s) => [s, z.string()]))).partial() as z.ZodType<
  Partial<Record<(typeof STAGES)[number], string>>
>;

/** Set only where a fallback chain moved a step: the backend that served it and the attempts that failed first. */
const servedBy = {
  backend: z
    .string()
    .optional()
    .meta({ description: "The `backend:model` that served the step, when a fallback chain moved it." }),
  fallback: z.array(backendAttemptSchema).optional(),
};

export const candidateTraceSchema = z.object({
  id: z.string().meta({ description: "The generate step id, which is also the candidate's id (`CAPTION/gen/0.2`)." }),
  step: z.string(),
  prefix: z.number().int(),
  index: z.number().int(),
  text: z.string(),
  stages: stageTexts.optional().meta({ description: "best_of_n: the parsed stages of the whole answer." }),
  valid: z.boolean(),
  repairs: z.array(z.string()),
  issues: z.array(z.string()),
  merged_into: z
    .string()
    .optional()
    .meta({ description: "The identical candidate it was merged into (twins play no match)." }),
  mean_logprob: z.number().nullable(),
  finish_reason: z.enum(FINISH_REASONS),
  usage: usageSchema,
  ...servedBy,
});

export const matchTraceSchema = z.object({
  step: z.string(),
  round: z.number().int(),
  index: z.number().int(),
  pair: z.array(z.string()).meta({ description: "[Response 1, Response 2]: candidate ids." }),
  status: z.enum(["pending", "decided"]),
  winner: z.string().optional(),
  decided_by: z.string().optional().meta({ description: "judge, forfeit, selfcheck or fallback." }),
  rationale: z.string().optional(),
  raw: z.string().optional().meta({ description: "The judge's reply." }),
  swapped_step: z
    .string()
    .optional()
    .meta({ description: "search.judge_orders = 2: the step judging the pair swapped." }),
  raw_swapped: z.string().optional(),
  ...servedBy,
});

export const selfCheckTraceSchema = z.object({
  step: z.string(),
  candidate: z.string(),
  verdict: z.string().nullable(),
  raw: z.string().optional(),
  ...servedBy,
});

export const verificationTraceSchema = z.object({
  step: z.string(),
  candidate: z.string(),
  score: z.number().nullable().optional().meta({
    description:
      "The verifier's probability that the candidate is correct; absent while pending, null when it could not say.",
  }),
  ...servedBy,
});

export const stageTraceSchema = z.object({
  stage: stageKey,
  scorer: z.enum([...SCORER_NAMES, "none"]),
  status: z.enum(["generating", "scoring", "completed"]),
  prefixes: z.array(z.object({ index: z.number().int(), parent: z.string().nullable() })),
  candidates: z.array(candidateTraceSchema),
  selfchecks: z.array(selfCheckTraceSchema),
  verifications: z
    .array(verificationTraceSchema)
    .meta({ description: "Verifier scorer: each valid candidate's score." }),
  bracket: z.array(z.string()).optional().meta({ description: "Seed order of the bracket (judge scorer)." }),
  matches: z.array(matchTraceSchema),
  ranking: z.array(z.string()),
  selected: z.array(z.string()),
  scores: z.record(z.string(), z.number().nullable()).optional(),
  issues: z.array(z.string()),
});

export const traceSchema = z
  .object({
    strategy: z.enum(STRATEGY_NAMES),
    scorer: z.enum(SCORER_NAMES),
    candidates: z.number().int(),
    keep: z.number().int(),
    given: stageTexts.optional().meta({
      description:
        "Stages taken as given, not searched: a fork's stages from its parent, or a cached run's whole answer (see the run's `origin`).",
    }),
    stages: z.array(stageTraceSchema),
  })
  .meta({ id: "Trace", description: "The search tree: every candidate, self-check, judge match and selection." });
