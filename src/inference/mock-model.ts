/**
 * Test and demo backends (runtime-neutral: no Workers or Node APIs beyond timers).
 * - ScriptedModel: the test double, in the spirit of the AI SDK's mock model — a function or a
 *   sequence of replies, every call recorded.
 * - createFixedLatencyModel: a deterministic stand-in for a batched GPU server, for demos and
 *   benchmarks; it does not look at the image.
 * - testBackends: models registered by tests so the Durable Object can resolve them (the test
 *   module and the worker share one module instance in vitest-pool-workers).
 */
import type {
  Backend,
  BackendCapabilities,
  GenerateOptions,
  GenerateResult,
  Generation,
  VerifyOptions,
  VerifyResult,
} from "./backend";
import type { CallPurpose, Prompt, VerifyRequest } from "../reasoning/types";

export type ScriptedReply = string | string[] | GenerateResult;

export interface ScriptedModelOptions {
  id?: string;
  capabilities?: Partial<BackendCapabilities>;
  /** Sleep before answering each call (to test concurrency and timeouts). */
  latencyMs?: number;
  respond?: (options: GenerateOptions, callIndex: number) => ScriptedReply | Promise<ScriptedReply>;
  /** Replies in call order; an Error is thrown (a BackendError keeps its retryable flag). After the sequence, `respond` answers if given. */
  sequence?: Array<ScriptedReply | Error>;
  /** The model's own count of a prompt's input tokens (`Backend.countInputTokens`); absent: the executor bounds it. */
  inputTokens?: (prompt: Prompt) => number;
  /** The verifier (`Backend.verify`): each candidate's score; with it, capabilities.verify is set. */
  verify?: (request: VerifyRequest) => number | null;
}

const DEFAULT_CAPABILITIES: BackendCapabilities = { n: true, stop: true, logprobs: false, prefill: true, vision: true };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A string answers every continuation of the call; an array gives one text per continuation. */
function toResult(reply: ScriptedReply, n: number): GenerateResult {
  if (typeof reply !== "string" && !Array.isArray(reply)) return reply;
  const texts = typeof reply === "string" ? Array.from({ length: n }, () => reply) : reply;
  const generations: Generation[] = texts.map((text) => ({ text, finish_reason: "stop" }));
  return { generations, usage: {}, warnings: [] };
}

export class ScriptedModel implements Backend {
  readonly id: string;
  readonly capabilities: BackendCapabilities;
  /** Every call, in the order it was made. */
  readonly calls: GenerateOptions[] = [];
  private readonly options: ScriptedModelOptions;

  constructor(options: ScriptedModelOptions) {
    if (!options.respond && !options.sequence) {
      throw new Error("ScriptedModel needs `respond` (a function) or `sequence` (replies in call order)");
    }
    this.options = options;
    this.id = options.id ?? "mock:scripted";
    this.capabilities = { ...DEFAULT_CAPABILITIES, ...options.capabilities };
    const count = options.inputTokens;
    if (count) this.countInputTokens = async (prompt: Prompt) => count(prompt);
    const score = options.verify;
    if (score) {
      this.capabilities.verify = true;
      this.verify = async (o: VerifyOptions): Promise<VerifyResult> => {
        this.verifyCalls.push(o);
        return {
          scores: o.requests.map(score),
          usage: { input_tokens: 10 * o.requests.length, output_tokens: o.requests.length },
          warnings: [],
        };
      };
    }
  }

  /** Every verify call, in order. */
  readonly verifyCalls: VerifyOptions[] = [];
  verify?: (options: VerifyOptions) => Promise<VerifyResult>;

  countInputTokens?: (prompt: Prompt) => Promise<number>;

  callsBy(purpose: CallPurpose): GenerateOptions[] {
    return this.calls.filter((c) => c.purpose === purpose);
  }

  async generate(options: GenerateOptions): Promise<GenerateResult> {
    const callIndex = this.calls.length;
    this.calls.push(options);
    if (this.options.latencyMs) await sleep(this.options.latencyMs);
    const { sequence, respond } = this.options;
    const scripted = sequence?.[callIndex];
    if (scripted instanceof Error) throw scripted;
    if (scripted !== undefined) return toResult(scripted, options.n);
    if (!respond)
      throw new Error(`ScriptedModel "${this.id}": sequence exhausted at call ${callIndex} and no respond function`);
    return toResult(await respond(options, callIndex), options.n);
  }
}

const hex = (seed: number): string => (seed >>> 0).toString(16).padStart(8, "0");
const words = (text: string): number => text.split(/\s+/).filter(Boolean).length;

/** The text up to the end of its `max`-th word (all of it when it has no more). */
function firstWords(text: string, max: number): string {
  let count = 0;
  for (const m of text.matchAll(/\S+/g)) {
    count += 1;
    if (count === max) return text.slice(0, (m.index ?? 0) + m[0].length);
  }
  return text;
}
const STAGE_AT_END = /<(SUMMARY|CAPTION|REASONING|CONCLUSION)>$/;

/** Deterministic text for one continuation: depends on the request and its seed only. */
function fixedText(options: GenerateOptions, seed: number): string {
  if (options.purpose === "judge") {
    const winner = (seed & 1) + 1;
    return `Response ${winner} follows the question more closely.\nVERDICT: ${winner}`;
  }
  if (options.purpose === "check") return seed % 5 === 0 ? "CHECK: INCORRECT" : "CHECK: CORRECT";
  const conclusion = `The answer is ${(seed >>> 4) % 4}.`;
  if (options.stop.includes("</CONCLUSION>") && options.prompt.assistant_prefix === "<SUMMARY>") {
    return (
      `SUMMARY draft ${hex(seed)}</SUMMARY>\n<CAPTION>CAPTION draft ${hex(seed ^ 0x9e3779b9)}</CAPTION>\n` +
      `<REASONING>REASONING draft ${hex(seed ^ 0x7f4a7c15)}</REASONING>\n<CONCLUSION>${conclusion}`
    );
  }
  const stage = STAGE_AT_END.exec(options.prompt.assistant_prefix)?.[1] ?? "TEXT";
  return stage === "CONCLUSION" ? conclusion : `${stage} draft ${hex(seed)}`;
}

/** A deterministic demo/benchmark model: one sleep per call regardless of n, like a batched GPU server. */
export function createFixedLatencyModel(config: { id: string; latencyMs: number }): Backend {
  return {
    id: config.id,
    capabilities: { n: true, stop: true, logprobs: true, prefill: true, vision: true, image_tokens: 0 },
    async countInputTokens(prompt: Prompt): Promise<number> {
      return words(prompt.user) + words(prompt.assistant_prefix);
    },
    async generate(options: GenerateOptions): Promise<GenerateResult> {
      if (config.latencyMs > 0) await sleep(config.latencyMs);
      // A token is a word here; a reply longer than max_tokens is cut there, finish_reason "length".
      const generations: Generation[] = options.seeds.map((seed) => {
        const full = fixedText(options, seed);
        const cut = firstWords(full, options.max_tokens);
        return {
          text: cut,
          finish_reason: cut === full ? "stop" : "length",
          mean_logprob: -0.05 - (seed % 1000) / 1000,
        };
      });
      return {
        generations,
        usage: {
          input_tokens: words(options.prompt.user) + words(options.prompt.assistant_prefix),
          output_tokens: generations.reduce((sum, g) => sum + words(g.text), 0),
          estimated: true,
        },
        warnings: [],
      };
    },
  };
}

/** Backends registered by tests (`testBackends.set("mock:scripted-x", model)`), resolved by the registry. */
export const testBackends = new Map<string, Backend>();
