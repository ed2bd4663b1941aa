/**
 * `openai`: any OpenAI-compatible server (vLLM, SGLang, TGI, llama.cpp, a hosted LLaVA-CoT) by base
 * URL and API key. Image parts go as data URLs; `n`, `stop`, `seed` and `logprobs` are passed
 * through; the assistant prefix is continued as configured (see openai-request.ts).
 *
 * - A server that rejects `n` > 1 (a 400 about `n`) or ignores it (fewer choices than asked, as
 *   TGI does) is answered with concurrent single calls, one per seed, and this instance remembers
 *   it (the registry keeps one instance per configuration).
 * - Every request has its own timeout, combined with the caller's abort signal. The caller's abort
 *   is rethrown as is (the executor knows cancel and deadline); our own timeout is a retryable
 *   BackendError.
 * - Errors: see openai-errors.ts. A 2xx body that is not a valid completion is retryable: behind a
 *   proxy or load balancer it is most often a truncated or substituted reply, which a retry fixes.
 * - Usage comes from the response (`prompt_tokens`, `completion_tokens`); absent → undefined.
 */
import {
  BackendError,
  type Backend,
  type BackendCapabilities,
  type GenerateOptions,
  type GenerateResult,
  type VerifyOptions,
  type VerifyResult,
} from "./backend";
import type { Usage } from "../reasoning/types";
import { VERIFY_TOP_LOGPROBS, verdictScore, verifyGeneration } from "./openai-verify";
import { withFormatInstruction } from "./format-prompt";
import { httpError, rejectsN } from "./openai-errors";
import { cutAtStop } from "./stop-sequences";
import {
  chatBody,
  completionsBody,
  FewerChoices,
  MalformedResponse,
  parseResponse,
  type ParsedResponse,
  type PrefillMode,
} from "./openai-request";
import { sumUsage } from "./usage-estimate";

export interface OpenAiConfig {
  /** e.g. `https://vllm.example.com/v1` (the path up to, not including, `/chat/completions`). */
  baseUrl: string;
  apiKey?: string;
  /** The server's model name (vLLM `--served-model-name`). */
  model: string;
  /** `backend:model` id; defaults to `openai:<model>`. */
  id?: string;
  prefill?: PrefillMode;
  /** Per-request timeout in ms (default 60 000). */
  timeoutMs?: number;
  /** The server returns logprobs (default true). */
  logprobs?: boolean;
  /** The model reads images (default true; always false in completions mode). */
  vision?: boolean;
  /** Add the four-stage instruction to generation calls (for a model not fine-tuned on the format). */
  formatPrompt?: boolean;
  fetch?: typeof fetch;
  /** Clock for Retry-After HTTP-dates (tests). */
  now?: () => number;
}

export const DEFAULT_OPENAI_TIMEOUT_MS = 60_000;

export class OpenAiBackend implements Backend {
  readonly id: string;
  readonly capabilities: BackendCapabilities;
  /** Learned from the server: it refuses n > 1. */
  private singleOnly = false;
  private readonly prefill: PrefillMode;
  private readonly fetcher: typeof fetch;

  constructor(private readonly config: OpenAiConfig) {
    this.id = config.id ?? `openai:${config.model}`;
    this.prefill = config.prefill ?? "continue_final_message";
    this.fetcher = config.fetch ?? ((input, init) => fetch(input, init));
    this.capabilities = {
      n: true,
      stop: true,
      logprobs: config.logprobs ?? true,
      prefill: true,
      vision: this.prefill !== "completions" && (config.vision ?? true),
      verify: (config.logprobs ?? true) && this.prefill !== "completions",
    };
  }

  /** Whether this instance has learned that the server refuses n > 1. */
  get refusesN(): boolean {
    return this.singleOnly;
  }

  async generate(options: GenerateOptions): Promise<GenerateResult> {
    const warnings: string[] = [];
    if (options.image && options.prompt.with_image && !this.capabilities.vision) {
      throw new BackendError(
        `${this.id}: this model is configured without vision (OPENAI_PREFILL=completions sends no images)`,
        false,
        400,
      );
    }
    if (options.logprobs && !this.capabilities.logprobs)
      warnings.push("logprobs: this server is configured without logprobs; mean_logprob is left undefined");
    const prompt = {
      ...options.prompt,
      system: withFormatInstruction(options.prompt, options.purpose, this.config.formatPrompt ?? false),
    };
    const request: GenerateOptions = { ...options, prompt, logprobs: options.logprobs && this.capabilities.logprobs };
    const n = Math.max(1, request.seeds.length);
    let first: ParsedResponse | undefined;
    if (n > 1 && !this.singleOnly) {
      try {
        const parsed = await this.call(request, n, request.seeds[0]);
        return { ...parsed, warnings };
      } catch (err) {
        if (err instanceof FewerChoices) first = err.parsed;
        else if (!(err instanceof NRejected)) throw err;
        this.singleOnly = true;
      }
    }
    if (n > 1) warnings.push(`n: the server does not return n > 1 choices; sent concurrent single calls`);
    // A server that ignored n answered the first seed already; the others get a call each.
    const kept = first?.generations.slice(0, 1) ?? [];
    const rest = await Promise.all(request.seeds.slice(kept.length).map((seed) => this.call(request, 1, seed)));
    const usages = [...(first ? [first.usage] : []), ...rest.map((p) => p.usage)];
    return { generations: [...kept, ...rest.flatMap((p) => p.generations)], usage: sumUsage(usages), warnings };
  }

  private async call(options: GenerateOptions, n: number, seed: number | undefined): Promise<ParsedResponse> {
    const kind = this.prefill === "completions" ? "completions" : "chat";
    const body =
      kind === "completions"
        ? completionsBody(this.config.model, options, n, seed)
        : chatBody(this.config.model, options, n, seed, this.prefill);
    const { status, text, headers, where } = await this.send(kind, body, options.signal);
    if (status < 200 || status >= 300) {
      if (n > 1 && rejectsN(status, text)) throw new NRejected();
      throw httpError(status, text, headers, where, this.config.now?.() ?? Date.now());
    }
    // Servers cut at the stop and leave it out; one that returns it anyway is cut here.
    const cutStops = (parsed: ParsedResponse): ParsedResponse => {
      for (const g of parsed.generations) {
        const cut = cutAtStop(g.text, options.stop);
        if (cut.stopped) g.text = cut.text;
      }
      return parsed;
    };
    try {
      return cutStops(parseResponse(text, kind, n));
    } catch (err) {
      if (err instanceof FewerChoices) cutStops(err.parsed);
      if (err instanceof MalformedResponse)
        throw new BackendError(`${where}: malformed response (${err.message})`, true, status);
      throw err;
    }
  }

  /**
   * The stage verifier (openai-verify.ts): one single-token completion per candidate, sent
   * together; the server batches them.
   */
  async verify(options: VerifyOptions): Promise<VerifyResult> {
    if (!this.capabilities.verify)
      throw new BackendError(
        `${this.id}: the verifier reads the verdict's logprobs from chat completions; this server is configured without them (OPENAI_LOGPROBS="0" or OPENAI_PREFILL=completions)`,
        false,
        400,
      );
    const results = await Promise.all(
      options.requests.map(async (request) => {
        const generation = verifyGeneration(request, options.image, options.signal);
        const body = {
          ...chatBody(this.config.model, generation, 1, undefined, this.prefill),
          top_logprobs: VERIFY_TOP_LOGPROBS,
        };
        const { status, text, headers, where } = await this.send("chat", body, options.signal);
        if (status < 200 || status >= 300)
          throw httpError(status, text, headers, where, this.config.now?.() ?? Date.now());
        let parsed: { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } };
        try {
          parsed = JSON.parse(text) as typeof parsed;
        } catch {
          throw new BackendError(`${where}: malformed response (not JSON)`, true, status);
        }
        let score: number | null;
        try {
          score = verdictScore(parsed);
        } catch (err) {
          throw new BackendError(
            `${where}: ${err instanceof Error ? err.message : String(err)}: the verifier needs a server that returns top_logprobs`,
            false,
            status,
          );
        }
        const count = (v: unknown) => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : undefined);
        const usage: Usage = {};
        const input = count(parsed.usage?.prompt_tokens);
        const output = count(parsed.usage?.completion_tokens);
        if (input !== undefined) usage.input_tokens = input;
        if (output !== undefined) usage.output_tokens = output;
        return { score, usage };
      }),
    );
    const unsure = results.filter((r) => r.score === null).length;
    return {
      scores: results.map((r) => r.score),
      usage: sumUsage(results.map((r) => r.usage)),
      warnings: unsure > 0 ? [`verify: ${unsure} verdict(s) named neither CORRECT nor INCORRECT (score null)`] : [],
    };
  }

  /** POST a body; network errors and our own timeout become BackendErrors, the caller's abort is rethrown. */
  private async send(
    kind: "chat" | "completions",
    body: Record<string, unknown>,
    callerSignal: AbortSignal | undefined,
  ): Promise<{ status: number; text: string; headers: Headers; where: string }> {
    const url = `${this.config.baseUrl.replace(/\/+$/, "")}/${kind === "completions" ? "completions" : "chat/completions"}`;
    const timeoutMs = this.config.timeoutMs ?? DEFAULT_OPENAI_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
    if (this.config.apiKey) headers.authorization = `Bearer ${this.config.apiKey}`;
    const where = `${this.id} (${url})`;
    try {
      const res = await this.fetcher(url, { method: "POST", headers, body: JSON.stringify(body), signal });
      return { status: res.status, text: await res.text(), headers: res.headers, where };
    } catch (err) {
      if (callerSignal?.aborted) throw callerSignal.reason;
      if (timeout.aborted)
        throw new BackendError(`${where}: no complete response within ${timeoutMs} ms (OPENAI_TIMEOUT_MS)`, true, 408);
      throw new BackendError(`${where}: network error: ${err instanceof Error ? err.message : String(err)}`, true);
    }
  }
}

class NRejected extends Error {}
