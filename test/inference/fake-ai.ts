/**
 * A fake Workers AI binding for `@cf/meta/llama-3.2-11b-vision-instruct` (the real one has no local
 * simulation). It validates every call against the model's documented input schema (the prompt
 * form: `prompt`, `image`, `raw`, `stream`, `max_tokens`, `temperature`, `top_p`, `top_k`, `seed`,
 * the penalties, `lora`) and rejects anything else — `stop`, `n`, `logprobs`, unknown keys, wrong
 * types, out-of-range values — the way the binding does, with an `AiError`-style message.
 * With `stream: true` it answers a pull-based SSE byte stream (`data: {"response":"…"}` per token,
 * then `data: [DONE]`), one event per read, and counts what was read and whether it was cancelled.
 */

export interface FakeAiCall {
  model: string;
  inputs: Record<string, unknown>;
  options?: Record<string, unknown>;
  /** SSE events the stream had to offer (tokens + [DONE]). */
  available: number;
  /** Events actually pulled by the reader. */
  read: number;
  cancelled: boolean;
  startedAt: number;
  endedAt?: number;
}

export interface FakeAiOptions {
  /** The text the "model" generates for a call (the whole continuation, past any stop). Throw to fail the call. */
  reply: (inputs: Record<string, unknown>, callIndex: number) => string;
  /** Characters per streamed token (default 4). */
  tokenChars?: number;
  /** Delay before each event, in ms (default 0). */
  eventDelayMs?: number;
  /** Models this account may use (default: the Llama 3.2 Vision model). */
  models?: string[];
  /** The account has not accepted the Llama 3.2 licence. */
  licenceNotAccepted?: boolean;
  /** Add `usage` to the last event when a stream runs to its end. */
  usageAtEnd?: boolean;
}

const MODEL = "@cf/meta/llama-3.2-11b-vision-instruct";

type Rule = (v: unknown) => string | undefined;
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);
const num =
  (min: number, max: number): Rule =>
  (v) =>
    typeof v !== "number" || Number.isNaN(v)
      ? "must be a number"
      : v < min || v > max
        ? `must be within [${min}, ${max}]`
        : undefined;
const int =
  (min: number, max: number): Rule =>
  (v) =>
    !isInt(v) ? "must be an integer" : v < min || v > max ? `must be within [${min}, ${max}]` : undefined;
const bool: Rule = (v) => (typeof v === "boolean" ? undefined : "must be a boolean");
const str: Rule = (v) => (typeof v === "string" ? undefined : "must be a string");

// The documented prompt-form schema of @cf/meta/llama-3.2-11b-vision-instruct.
const SCHEMA: Record<string, Rule> = {
  prompt: (v) => (typeof v !== "string" ? "must be a string" : v.length < 1 ? "must not be empty" : undefined),
  image: (v) => {
    if (typeof v === "string") return undefined;
    if (!Array.isArray(v)) return "must be an array of numbers (bytes) or a string";
    return v.every((b) => isInt(b) && b >= 0 && b <= 255) ? undefined : "must hold byte values 0..255";
  },
  raw: bool,
  stream: bool,
  max_tokens: int(1, 8192),
  temperature: num(0, 5),
  top_p: num(0, 2),
  top_k: int(1, 50),
  seed: int(1, 9_999_999_999),
  repetition_penalty: num(0, 2),
  frequency_penalty: num(0, 2),
  presence_penalty: num(0, 2),
  lora: str,
};

export function validateInputs(inputs: Record<string, unknown>): string | undefined {
  if (!("prompt" in inputs)) return "required properties at '/' are 'prompt'";
  for (const [key, value] of Object.entries(inputs)) {
    const rule = SCHEMA[key];
    if (!rule) return `unknown property '/${key}' (not in the model's input schema)`;
    const problem = rule(value);
    if (problem) return `'/${key}' ${problem}`;
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FakeAi {
  readonly calls: FakeAiCall[] = [];
  active = 0;
  maxActive = 0;

  constructor(private readonly options: FakeAiOptions) {}

  async run(model: string, inputs: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown> {
    if (!(this.options.models ?? [MODEL]).includes(model))
      throw new Error(`AiError: 5007: No such model ${model} or task`);
    if (this.options.licenceNotAccepted) {
      throw new Error(
        "AiError: 5016: Prior to using this model, you must submit the prompt 'agree' to agree to the Meta Llama 3.2 Community License and Acceptable Use Policy",
      );
    }
    const problem = validateInputs(inputs);
    if (problem) throw new Error(`AiError: 5006: Invalid input: ${problem}`);
    const call: FakeAiCall = { model, inputs, options, available: 0, read: 0, cancelled: false, startedAt: Date.now() };
    const callIndex = this.calls.length;
    this.calls.push(call);
    const text = this.options.reply(inputs, callIndex);
    if (inputs.stream !== true) {
      call.endedAt = Date.now();
      return { response: text };
    }
    const size = this.options.tokenChars ?? 4;
    const tokens: string[] = [];
    for (let i = 0; i < text.length; i += size) tokens.push(text.slice(i, i + size));
    const events = tokens.map((t) => `data: ${JSON.stringify({ response: t, p: "pad" })}\n\n`);
    if (this.options.usageAtEnd) {
      events.push(
        `data: ${JSON.stringify({ response: "", usage: { prompt_tokens: 123, completion_tokens: tokens.length, total_tokens: 123 + tokens.length } })}\n\n`,
      );
    }
    events.push("data: [DONE]\n\n");
    call.available = events.length;
    const encoder = new TextEncoder();
    const delay = this.options.eventDelayMs ?? 0;
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    const end = () => {
      if (call.endedAt === undefined) {
        call.endedAt = Date.now();
        this.active -= 1;
      }
    };
    let next = 0;
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (delay > 0) await sleep(delay);
          const event = events[next];
          if (event === undefined) {
            end();
            controller.close();
            return;
          }
          next += 1;
          call.read = next;
          controller.enqueue(encoder.encode(event));
        },
        cancel() {
          call.cancelled = true;
          end();
        },
      },
      { highWaterMark: 0 },
    );
  }
}
