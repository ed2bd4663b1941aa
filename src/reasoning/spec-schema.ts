/**
 * A run's search and sampling as the API shows them back (every default filled in), declared as
 * zod schemas that must stay assignable to the core's types (checked at compile time).
 */
import { z } from "zod";
import { STAGES } from "./stages";
import type { SamplingConfig, ScorerName, SearchConfig, Strategy } from "./types";

export const STRATEGY_NAMES = ["stage_beam", "greedy", "best_of_n"] as const satisfies readonly Strategy[];
export const SCORER_NAMES = ["judge", "logprob", "vote", "verifier"] as const satisfies readonly ScorerName[];

const stageOverride = z.object({
  candidates: z.number().int().optional(),
  scorer: z.enum(SCORER_NAMES).optional(),
  temperature: z.number().optional(),
  max_tokens: z.number().int().optional(),
});

export const searchConfigSchema = z
  .object({
    strategy: z.enum(STRATEGY_NAMES),
    candidates: z.number().int(),
    keep: z.number().int(),
    scorer: z.enum(SCORER_NAMES),
    stages: z.object(Object.fromEntries(STAGES.map((s) => [s, stageOverride.optional()]))).optional(),
    judge_orders: z.union([z.literal(1), z.literal(2)]).optional(),
  })
  .meta({ id: "Search" }) satisfies z.ZodType<SearchConfig>;

export const samplingConfigSchema = z
  .object({
    temperature: z.number(),
    top_p: z.number(),
    max_tokens_per_stage: z.number().int(),
    seed: z.number().int(),
  })
  .meta({ id: "Sampling" }) satisfies z.ZodType<SamplingConfig>;
