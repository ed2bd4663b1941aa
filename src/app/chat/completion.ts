/**
 * A run in OpenAI's Chat Completions shapes: the completion, its chunks, its usage, its errors.
 *
 * Usage, honestly: the search calls the model many times (candidates, judge matches,
 * self-checks), and every call re-reads the prompt. So `prompt_tokens` is every prompt token the
 * backend read and `completion_tokens` every token it generated, judging included;
 * `completion_tokens_details.reasoning_tokens` is the judging share (generated, never shown).
 * A figure the backend did not report is left out rather than shown as 0.
 */
import { STAGES, closeTag, openTag, type Stage } from "../../reasoning/stages";
import type { RunError, RunUsageView, RunView } from "../../runs/contract";
import type { ReasoningFormat } from "./schema";

export const REASONING_STAGES = STAGES.filter((s) => s !== "CONCLUSION");

/** `chatcmpl-` + the run's hex id: the completion id names its run. */
export const completionId = (runId: string): string => `chatcmpl-${runId.replace(/^run_/, "")}`;

export const createdSeconds = (view: RunView): number => Math.floor(Date.parse(view.timings.created_at) / 1000);

/**
 * One stage as it appears in the output: tagged (`<CAPTION>…</CAPTION>`), each stage after the
 * first on a new line, so the pieces concatenate to the run's `text`.
 */
export function stagePiece(stage: Stage, text: string, first: boolean): string {
  return `${first ? "" : "\n"}${openTag(stage)}${text}${closeTag(stage)}`;
}

export interface ChatMessageOut {
  role: "assistant";
  content: string;
  reasoning_content?: string;
  refusal: null;
}

export function messageOf(view: RunView, format: ReasoningFormat): ChatMessageOut {
  const stages = view.stages;
  if (format === "tagged") {
    const content = STAGES.map((s, i) => stagePiece(s, stages[s] ?? "", i === 0)).join("");
    return { role: "assistant", content, refusal: null };
  }
  const reasoning = REASONING_STAGES.map((s, i) => stagePiece(s, stages[s] ?? "", i === 0)).join("");
  return {
    role: "assistant",
    content: stages.CONCLUSION ?? view.answer ?? "",
    reasoning_content: reasoning,
    refusal: null,
  };
}

export interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  completion_tokens_details?: { reasoning_tokens: number };
  /** Extension: the run's cost in USD, when the deployment prices its models. */
  cost_usd?: number;
}

const sum = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined ? undefined : a + b;

export function usageOf(u: RunUsageView): ChatUsage {
  const out: ChatUsage = {};
  const prompt = sum(u.input_tokens, u.judge_input_tokens);
  const completion = sum(u.output_tokens, u.judge_output_tokens);
  if (prompt !== undefined) out.prompt_tokens = prompt;
  if (completion !== undefined) out.completion_tokens = completion;
  const total = u.total_tokens ?? sum(prompt, completion);
  if (total !== undefined) out.total_tokens = total;
  if (u.judge_output_tokens !== undefined) out.completion_tokens_details = { reasoning_tokens: u.judge_output_tokens };
  if (u.cost_usd !== undefined) out.cost_usd = u.cost_usd;
  return out;
}

export function completionOf(view: RunView, format: ReasoningFormat) {
  return {
    id: completionId(view.id),
    object: "chat.completion" as const,
    created: createdSeconds(view),
    model: view.model,
    choices: [{ index: 0, message: messageOf(view, format), finish_reason: "stop" as const, logprobs: null }],
    usage: usageOf(view.usage),
    /** Extension: the run behind this completion (GET /v1/runs/:id has its trace). */
    run_id: view.id,
  };
}

export interface ChunkDelta {
  role?: "assistant";
  content?: string;
  reasoning_content?: string;
}

export interface ChunkHead {
  id: string;
  created: number;
  model: string;
  run_id: string;
  /** With stream_options.include_usage every chunk carries `usage: null` but the last. */
  includeUsage: boolean;
}

export function chunkOf(head: ChunkHead, delta: ChunkDelta, finish: "stop" | null = null) {
  const chunk: Record<string, unknown> = {
    id: head.id,
    object: "chat.completion.chunk",
    created: head.created,
    model: head.model,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    run_id: head.run_id,
  };
  if (head.includeUsage) chunk.usage = null;
  return chunk;
}

export function usageChunkOf(head: ChunkHead, usage: ChatUsage) {
  return {
    id: head.id,
    object: "chat.completion.chunk",
    created: head.created,
    model: head.model,
    choices: [],
    usage,
    run_id: head.run_id,
  };
}

/** The HTTP status of a run that did not succeed, by its error code. */
export function failureStatus(view: RunView): 402 | 409 | 500 | 502 | 504 {
  if (view.status === "canceled") return 409;
  switch (view.error?.code) {
    case "budget_exceeded":
      return 402;
    case "deadline_exceeded":
      return 504;
    case "model_unavailable":
      return 502;
    default:
      return view.error?.type === "backend_error" ? 502 : 500;
  }
}

/** OpenAI's error shape, naming the run so that its trace can be fetched. */
export function runFailureBody(view: RunView) {
  const err: RunError = view.error ?? { type: "run_error", code: view.status, message: `the run ended ${view.status}` };
  return {
    error: {
      type: err.type,
      code: err.code,
      message: `run ${view.id} ${view.status}: ${err.message} (GET /v1/runs/${view.id} has its trace)`,
      param: null,
      run_id: view.id,
    },
  };
}
