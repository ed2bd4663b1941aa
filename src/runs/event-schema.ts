/**
 * The data of each event a run emits (its SSE stream and its webhooks), for the OpenAPI document
 * and the typed client. Every event also carries its number in the run: `id` on the SSE frame,
 * `seq` in a webhook's data.
 */
import { z } from "zod";
import { runErrorSchema } from "./view-schema";

const stage = z.string().meta({ description: "SUMMARY, CAPTION, REASONING, CONCLUSION, or ANSWER (best_of_n)." });

export const RUN_EVENT_DATA = {
  "run.created": z.object({ id: z.string(), model: z.string(), strategy: z.string() }),
  "run.started": z.object({ id: z.string(), model: z.string() }),
  "stage.started": z.object({
    stage,
    prefixes: z.number().int(),
    candidates: z.number().int(),
    scorer: z.string(),
  }),
  "candidate.generated": z.object({
    stage,
    step: z.string().meta({ description: "The candidate's id (its generate step)." }),
    prefix: z.number().int(),
    index: z.number().int(),
    text: z.string(),
    valid: z.boolean(),
    repairs: z.array(z.string()),
    issues: z.array(z.string()).optional(),
    stages: z.record(z.string(), z.string()).optional(),
  }),
  "selfcheck.decided": z.object({
    stage,
    step: z.string(),
    candidate: z.string(),
    verdict: z.enum(["correct", "incorrect", "unknown"]),
  }),
  "judge.decided": z.object({
    stage,
    step: z.string(),
    round: z.number().int(),
    match: z.number().int(),
    first: z.string(),
    second: z.string(),
    winner: z.string(),
    decided_by: z.string(),
    rationale: z.string(),
  }),
  "stage.completed": z.object({ stage, selected: z.array(z.string()), text: z.string() }),
  "run.succeeded": z.object({ id: z.string(), status: z.literal("succeeded"), answer: z.string() }),
  "run.failed": z.object({ id: z.string(), status: z.literal("failed"), error: runErrorSchema }),
  "run.canceled": z.object({ id: z.string(), status: z.literal("canceled") }),
} as const;

export type RunEventType = keyof typeof RUN_EVENT_DATA;
export const RUN_EVENT_TYPES = Object.keys(RUN_EVENT_DATA) as RunEventType[];
export const TERMINAL_EVENT_TYPES: RunEventType[] = ["run.succeeded", "run.failed", "run.canceled"];

/** A webhook delivery's body for one event type: the event's data plus the run and the event's number. */
export function webhookPayloadSchema(type: RunEventType) {
  return z
    .object({
      type: z.literal(type),
      timestamp: z.string().meta({ description: "When the event happened (ISO 8601)." }),
      data: RUN_EVENT_DATA[type].extend({
        run_id: z.string(),
        seq: z.number().int().meta({ description: "The event's number in the run (its SSE id)." }),
      }),
    })
    .meta({ id: `Webhook_${type.replace(".", "_")}` });
}
