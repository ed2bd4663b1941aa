/**
 * `workers-ai`: the Llama 3.2 Vision family on the `AI` binding (Cloudflare GPUs).
 *
 * Its input schema has no stop sequences, no `n`, no logprobs and reports no usage, so:
 * - the prompt is rendered with the model's chat template and sent with `raw: true`, ending inside
 *   the assistant turn with the accepted prefix, so the model continues the current stage;
 * - the reply is streamed (`stream: true`) and the stream is cancelled as soon as a stop sequence
 *   (the stage's closing tag) appears, so no tokens are paid past it; the text is cut there;
 * - n continuations are n concurrent calls, each with its own seed (capabilities.n is false, so
 *   the engine already sends one call per candidate; `generate` still fans out when n > 1);
 * - usage is estimated (≈ 4 characters per token) and marked `estimated: true`, unless the stream
 *   reports counted usage (it can only do so when it runs to the end);
 * - logprobs requested → a warning, and no mean_logprob.
 */
import type { Usage } from "../reasoning/types";
import {
  BackendError,
  type Backend,
  type BackendCapabilities,
  type GenerateOptions,
  type GenerateResult,
  type Generation,
} from "./backend";
import { renderLlama3Prompt } from "./chat-template";
import { withFormatInstruction } from "./format-prompt";
import { readSse } from "../shared/sse-read";
import { findStop, searchFrom } from "./stop-sequences";
import { estimateTokens, sumUsage } from "./usage-estimate";
import { toWorkersAiError } from "./workers-ai-errors";

export const DEFAULT_WORKERS_AI_MODEL = "@cf/meta/llama-3.2-11b-vision-instruct";

/** The part of the `AI` binding this backend uses (`env.AI.run`). */
export interface AiBinding {
  run(model: string, inputs: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown>;
}

export interface WorkersAiConfig {
  ai: AiBinding;
  /** Workers AI model id, e.g. `@cf/meta/llama-3.2-11b-vision-instruct`. */
  model: string;
  /** A LoRA adapter (its name or id) applied on top of the model. */
  lora?: string;
  /** Add the four-stage instruction to generation calls (for a model not fine-tuned on the format). */
  formatPrompt: boolean;
  /** `backend:model` id; defaults to `workers-ai:<model>`. */
  id?: string;
}

/** Workers AI seeds start at 1; ours are uint32 from 0, so every seed is shifted by one. */
const toAiSeed = (seed: number): number => (seed >>> 0) + 1;

interface OneResult {
  generation: Generation;
  usage: Usage;
}

export class WorkersAiBackend implements Backend {
  readonly id: string;
  readonly capabilities: BackendCapabilities;

  constructor(private readonly config: WorkersAiConfig) {
    this.id = config.id ?? `workers-ai:${config.model}${config.lora ? `:${config.lora}` : ""}`;
    // Usage is estimated from the text (usage-estimate.ts), where Mllama's image is one token.
    this.capabilities = {
      n: false,
      stop: false,
      logprobs: false,
      prefill: true,
      vision: /vision/i.test(config.model),
      image_tokens: 1,
    };
  }

  async generate(options: GenerateOptions): Promise<GenerateResult> {
    const warnings: string[] = [];
    if (options.logprobs) warnings.push("logprobs: not available on Workers AI; mean_logprob is left undefined");
    const withImage = options.prompt.with_image && options.image !== undefined;
    if (options.image && options.prompt.with_image && !this.capabilities.vision) {
      throw new BackendError(`workers-ai ${this.config.model} cannot read images`, false, 400);
    }
    const prompt = renderLlama3Prompt({
      system: withFormatInstruction(options.prompt, options.purpose, this.config.formatPrompt),
      user: options.prompt.user,
      assistant_prefix: options.prompt.assistant_prefix,
      with_image: withImage,
    });
    // One byte array for all n calls: the binding serialises it per call anyway.
    const image = withImage && options.image ? Array.from(options.image.bytes) : undefined;
    const seeds = options.seeds.length > 0 ? options.seeds : [0];
    const results = await Promise.all(seeds.map((seed) => this.one(options, prompt, image, seed)));
    return {
      generations: results.map((r) => r.generation),
      usage: sumUsage(results.map((r) => r.usage)),
      warnings,
    };
  }

  private async one(
    options: GenerateOptions,
    prompt: string,
    image: number[] | undefined,
    seed: number,
  ): Promise<OneResult> {
    const inputs: Record<string, unknown> = {
      prompt,
      raw: true,
      stream: true,
      max_tokens: options.max_tokens,
      temperature: options.temperature,
      top_p: options.top_p,
      seed: toAiSeed(seed),
    };
    if (image) inputs.image = image;
    if (this.config.lora) inputs.lora = this.config.lora;
    const signal = options.signal;
    signal?.throwIfAborted();
    let reply: unknown;
    try {
      reply = await this.config.ai.run(this.config.model, inputs, signal ? { signal } : {});
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw toWorkersAiError(err, this.config.model);
    }
    if (reply instanceof ReadableStream) return this.readStream(reply as ReadableStream<Uint8Array>, options, prompt);
    // A binding that ignores `stream` answers with `{ response }`: cut it the same way.
    const text =
      typeof (reply as { response?: unknown } | null)?.response === "string"
        ? (reply as { response: string }).response
        : undefined;
    if (text === undefined) throw new BackendError(`workers-ai ${this.config.model}: unexpected reply shape`, true);
    return this.finish(text, options, prompt, undefined, false);
  }

  private async readStream(
    stream: ReadableStream<Uint8Array>,
    options: GenerateOptions,
    prompt: string,
  ): Promise<OneResult> {
    const signal = options.signal;
    let text = "";
    let searched = 0;
    let counted: Usage | undefined;
    let stopAt: number | undefined;
    let ended = false;
    try {
      for await (const { data, comment } of readSse(stream)) {
        if (comment) continue;
        if (signal?.aborted) break;
        if (data.trim() === "[DONE]") {
          ended = true;
          break;
        }
        const event = parseEvent(data);
        if (!event)
          throw new BackendError(
            `workers-ai ${this.config.model}: malformed stream event ${JSON.stringify(data.slice(0, 80))}`,
            true,
          );
        if (event.usage) counted = event.usage;
        if (event.response) {
          text += event.response;
          const hit = findStop(text, options.stop, searched);
          searched = searchFrom(text.length, options.stop);
          if (hit) {
            stopAt = hit.index;
            break; // cancels the stream: no tokens are generated or paid past the stop
          }
        }
      }
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw toWorkersAiError(err, this.config.model);
    }
    if (signal?.aborted) throw signal.reason;
    // Workers AI ends every complete stream with [DONE]: a stream that stops before it, without a stop
    // hit, was cut off (a dropped connection), and its text is a fragment. Retry it, never keep it.
    if (stopAt === undefined && !ended) {
      throw new BackendError(
        `workers-ai ${this.config.model}: the stream ended before [DONE] after ${text.length} characters (a cut-off reply)`,
        true,
      );
    }
    return this.finish(
      text,
      options,
      prompt,
      stopAt === undefined && ended ? counted : undefined,
      stopAt !== undefined,
    );
  }

  /** `received` is everything streamed (paid for); the generation is cut at the stop. */
  private finish(
    received: string,
    options: GenerateOptions,
    prompt: string,
    counted: Usage | undefined,
    stoppedInStream: boolean,
  ): OneResult {
    let text = received;
    let stopped = stoppedInStream;
    const hit = findStop(received, options.stop);
    if (hit) {
      text = received.slice(0, hit.index);
      stopped = true;
    }
    const outputTokens = counted?.output_tokens ?? estimateTokens(received);
    const usage: Usage =
      counted?.input_tokens !== undefined && counted.output_tokens !== undefined
        ? { input_tokens: counted.input_tokens, output_tokens: counted.output_tokens }
        : { input_tokens: estimateTokens(prompt), output_tokens: outputTokens, estimated: true };
    const length = !stopped && outputTokens >= options.max_tokens;
    return {
      generation: {
        text,
        finish_reason: length ? "length" : "stop",
        raw_finish_reason: stopped ? "stop_sequence" : length ? "max_tokens" : "end_of_stream",
      },
      usage,
    };
  }
}

interface StreamEvent {
  response?: string;
  usage?: Usage;
}

/** `{"response":"…"}`, possibly with `usage: {prompt_tokens, completion_tokens}` on the last event. */
function parseEvent(data: string): StreamEvent | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!raw || typeof raw !== "object") return undefined;
  const o = raw as { response?: unknown; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } };
  const event: StreamEvent = {};
  if (typeof o.response === "string") event.response = o.response;
  const u = o.usage;
  if (u && typeof u.prompt_tokens === "number" && typeof u.completion_tokens === "number") {
    event.usage = { input_tokens: u.prompt_tokens, output_tokens: u.completion_tokens };
  }
  return event;
}
