/**
 * Request bodies and response parsing for OpenAI-compatible servers (pure helpers).
 *
 * Continuing an assistant prefix (`prefill`):
 * - `continue_final_message` (vLLM, SGLang): the prefix is the last assistant message, with
 *   `continue_final_message: true, add_generation_prompt: false`;
 * - `assistant_message`: the prefix as the last assistant message, no extra flags (llama.cpp and
 *   servers that continue a trailing assistant turn by themselves);
 * - `completions`: `/v1/completions` with the prompt rendered by the Llama 3 chat template (text
 *   only: that endpoint takes no image parts).
 */
import type { FinishReason, Usage } from "../reasoning/types";
import type { GenerateOptions, Generation, ImageInput } from "./backend";
import { renderLlama3Prompt } from "./chat-template";

export type PrefillMode = "continue_final_message" | "assistant_message" | "completions";
export const PREFILL_MODES: readonly PrefillMode[] = ["continue_final_message", "assistant_message", "completions"];

export function toDataUrl(image: ImageInput): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < image.bytes.length; i += chunk) {
    binary += String.fromCharCode(...image.bytes.subarray(i, i + chunk));
  }
  return `data:${image.media_type};base64,${btoa(binary)}`;
}

type ContentPart = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } };
interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string | ContentPart[];
}

function sampling(options: GenerateOptions, n: number, seed: number | undefined): Record<string, unknown> {
  const body: Record<string, unknown> = {
    n,
    max_tokens: options.max_tokens,
    temperature: options.temperature,
    top_p: options.top_p,
  };
  if (seed !== undefined) body.seed = seed;
  if (options.stop.length > 0) body.stop = [...options.stop];
  return body;
}

/** Body of POST /chat/completions. `seed` is the call's seed (servers take one per request). */
export function chatBody(
  model: string,
  options: GenerateOptions,
  n: number,
  seed: number | undefined,
  mode: PrefillMode,
): Record<string, unknown> {
  const messages: ChatMessage[] = [];
  if (options.prompt.system) messages.push({ role: "system", content: options.prompt.system });
  const image = options.prompt.with_image ? options.image : undefined;
  messages.push({
    role: "user",
    content: image
      ? [
          { type: "image_url", image_url: { url: toDataUrl(image) } },
          { type: "text", text: options.prompt.user },
        ]
      : options.prompt.user,
  });
  const body: Record<string, unknown> = { model, messages, ...sampling(options, n, seed) };
  if (options.prompt.assistant_prefix !== "") {
    messages.push({ role: "assistant", content: options.prompt.assistant_prefix });
    if (mode === "continue_final_message") {
      body.continue_final_message = true;
      body.add_generation_prompt = false;
    }
  }
  if (options.logprobs) body.logprobs = true;
  return body;
}

/** Body of POST /completions: the raw Llama 3 prompt, ending in the assistant prefix. */
export function completionsBody(
  model: string,
  options: GenerateOptions,
  n: number,
  seed: number | undefined,
): Record<string, unknown> {
  const prompt = renderLlama3Prompt({ ...options.prompt, with_image: false });
  const body: Record<string, unknown> = { model, prompt, ...sampling(options, n, seed) };
  if (options.logprobs) body.logprobs = 1;
  return body;
}

export function mapFinishReason(raw: unknown): FinishReason {
  if (raw === "stop" || raw === "eos" || raw === "eos_token" || raw === "stop_sequence") return "stop";
  if (raw === "length" || raw === "max_tokens") return "length";
  return "other";
}

const mean = (xs: number[]): number | undefined =>
  xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length;

export interface ParsedResponse {
  generations: Generation[];
  usage: Usage;
}

/** Thrown for a 2xx body that is not the expected shape. */
export class MalformedResponse extends Error {}

/** Parses a chat or completions response; choices are ordered by `index`. */
/**
 * A valid reply with fewer choices than asked: a server that ignores `n` (Hugging Face TGI returns
 * one). The choices it did return are kept.
 */
export class FewerChoices extends Error {
  constructor(
    readonly got: number,
    readonly asked: number,
    readonly parsed: ParsedResponse,
  ) {
    super(`${got} choices for n=${asked}`);
  }
}

export function parseResponse(body: string, kind: "chat" | "completions", n: number): ParsedResponse {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new MalformedResponse(`body is not JSON: ${JSON.stringify(body.slice(0, 80))}`);
  }
  const choices = (json as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices)) throw new MalformedResponse("body has no `choices` array");
  if (choices.length === 0) throw new MalformedResponse(`0 choices for n=${n}`);
  if (choices.length < n) throw new FewerChoices(choices.length, n, parseResponse(body, kind, choices.length));
  const ordered = [...(choices as Record<string, unknown>[])].sort(
    (a, b) => Number(a.index ?? 0) - Number(b.index ?? 0),
  );
  const generations = ordered.map((c): Generation => {
    const text = kind === "chat" ? (c.message as { content?: unknown } | undefined)?.content : c.text;
    if (typeof text !== "string" && text !== null) throw new MalformedResponse("a choice has no text");
    const g: Generation = { text: text ?? "", finish_reason: mapFinishReason(c.finish_reason) };
    if (typeof c.finish_reason === "string") g.raw_finish_reason = c.finish_reason;
    const lp = meanLogprob(c.logprobs, kind);
    if (lp !== undefined) g.mean_logprob = lp;
    return g;
  });
  const u = (json as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } }).usage;
  const usage: Usage = {};
  if (typeof u?.prompt_tokens === "number") usage.input_tokens = u.prompt_tokens;
  if (typeof u?.completion_tokens === "number") usage.output_tokens = u.completion_tokens;
  return { generations, usage };
}

/** Mean of the sampled tokens' log-probabilities: chat `logprobs.content[].logprob`, completions `logprobs.token_logprobs`. */
function meanLogprob(logprobs: unknown, kind: "chat" | "completions"): number | undefined {
  if (!logprobs || typeof logprobs !== "object") return undefined;
  const values =
    kind === "chat"
      ? ((logprobs as { content?: { logprob?: unknown }[] }).content ?? []).map((t) => t.logprob)
      : ((logprobs as { token_logprobs?: unknown[] }).token_logprobs ?? []);
  return mean(values.filter((v): v is number => typeof v === "number" && Number.isFinite(v)));
}
