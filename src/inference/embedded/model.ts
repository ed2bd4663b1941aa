/**
 * X1-Tiny on ONNX Runtime: the vision graph once per image, then one prefill of the prompt and
 * batched decode steps for N candidates. The prompt's KV cache is computed once and fed to every
 * step as the decoder's shared `prefix` (batch 1, attended by every row). Each candidate's own
 * cache (`past`) holds only the tokens it generated; this class owns it, token-major, and appends
 * the keys and values each step returns as one contiguous slot, so the graph neither concatenates
 * nor returns the whole cache (tools/export/export.py). Finished candidates leave the batch. Each
 * candidate samples from its own seeded generator, stops at EOS, at a stop string (cut before it),
 * at max_tokens or at the context length, and reports the mean log-probability of its tokens.
 */
import type { LoadedModelFiles } from "./loader";
import type { ModelManifest } from "./manifest";
import { DecoderFeeds } from "./decoder-feeds";
import type { GraphFiles, OrtRuntime, OrtSessionLike, OrtTensorLike } from "./runtime";
import { OwnCache } from "./own-cache";
import { logSumExp, sampleToken, seededRandom } from "./sampling";
import { X1Tokenizer, type TokenizerSpec } from "./tokenizer";

export interface DecodeOptions {
  promptIds: number[];
  /** image_tokens × d_model floats from `encodeImage`, when the prompt has `<image>` tokens. */
  imageEmbeds?: Float32Array;
  n: number;
  seeds: number[];
  temperature: number;
  topP: number;
  maxTokens: number;
  stop: string[];
  signal?: AbortSignal;
  /** Benchmarks only: keep decoding past EOS, so every candidate makes exactly maxTokens tokens. */
  ignoreEos?: boolean;
}

export type DecodeFinish = "eos" | "stop" | "max_tokens" | "context";

export interface DecodedCandidate {
  ids: number[];
  text: string;
  finish: DecodeFinish;
  /** Sum of the model's log-probabilities (temperature 1) of the generated tokens. */
  logprob_sum: number;
}

export interface DecodeResult {
  candidates: DecodedCandidate[];
  prompt_tokens: number;
  /** Decoder runs (1 prefill + decode steps). */
  steps: number;
}

/** Resolves on a later turn of the event loop, after pending I/O and timers (OrtRuntime.nextTurn). */
const timeoutTurn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

export class X1Model {
  readonly tokenizer: X1Tokenizer;
  private readonly io: DecoderFeeds;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly manifest: ModelManifest,
    private readonly runtime: OrtRuntime,
    private readonly vision: OrtSessionLike,
    private readonly decoder: OrtSessionLike,
    tokenizer: TokenizerSpec,
    /** Milliseconds to build both sessions. */
    readonly session_ms: number,
  ) {
    this.tokenizer = new X1Tokenizer(tokenizer);
    this.io = new DecoderFeeds(runtime, manifest.architecture);
  }

  /** What runs the graphs, e.g. the x1 engine or onnxruntime-web (OrtRuntime.name). */
  get runtimeName(): string {
    return this.runtime.name;
  }

  static async create(loaded: LoadedModelFiles, runtime: OrtRuntime): Promise<X1Model> {
    const { manifest, files } = loaded;
    const dec = manifest.graphs.decoder;
    if (!dec.inputs.includes("prefix_key_0") || !dec.outputs.includes("new_key_0")) {
      throw new Error(
        `model ${manifest.model} ${manifest.version}: its decoder graph predates the caller-owned cache (inputs prefix_key_0…, outputs new_key_0…); re-export it with tools/export/build.sh`,
      );
    }
    const graph = (name: "vision" | "decoder"): GraphFiles => {
      const entry = manifest.graphs[name];
      return {
        name,
        file: entry.file,
        bytes: files.get(entry.file) as Uint8Array,
        externalData: entry.shards.map((path) => ({ path, data: files.get(path) as Uint8Array })),
      };
    };
    const started = Date.now();
    const vision = await runtime.createSession(graph("vision"));
    const decoder = await runtime.createSession(graph("decoder"));
    const sessionMs = Date.now() - started;
    const tokenizer = JSON.parse(new TextDecoder().decode(files.get(manifest.tokenizer.file))) as TokenizerSpec;
    return new X1Model(manifest, runtime, vision, decoder, tokenizer, sessionMs);
  }

  /**
   * One session run at a time: concurrent calls interleave step by step. Each run first waits for
   * a turn of the event loop: ORT's wasm runs settle as microtasks, so a chain of queued decode
   * steps would otherwise hold the isolate — every request, alarm and reply of every run in it —
   * until all decodes were done (the load benchmark saw a 36 s median wait for GET /v1/models).
   * The wait happens in the caller's own context, before it joins the shared queue: a timer set
   * inside the queue would belong to whichever Durable Object's step ran before, and workerd
   * fails a run that waits on another object's I/O (seen with 200 concurrent runs).
   */
  private async run(
    session: OrtSessionLike,
    feeds: Record<string, OrtTensorLike>,
  ): Promise<Record<string, OrtTensorLike>> {
    await (this.runtime.nextTurn ?? timeoutTurn)();
    const next = this.queue.then(() => session.run(feeds));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** size × size × 3 uint8 RGB → image_tokens × d_model floats. */
  async encodeImage(rgb: Uint8Array): Promise<Float32Array> {
    const s = this.manifest.architecture.image_size;
    const out = await this.run(this.vision, { image: this.runtime.tensor("uint8", rgb, [1, s, s, 3]) });
    return new Float32Array(out.image_embeds?.data as Float32Array);
  }

  /**
   * The log-probabilities (temperature 1) of `tokenIds` as the next token after the prompt, from one
   * forward pass with nothing generated: what the stage verifier reads.
   */
  async nextLogprobs(
    promptIds: number[],
    imageEmbeds: Float32Array | undefined,
    tokenIds: number[],
  ): Promise<number[]> {
    const out = await this.prefill(promptIds, imageEmbeds);
    return logprobsOf((out.logits?.data as Float32Array).subarray(0, this.manifest.architecture.vocab_size), tokenIds);
  }

  /**
   * `nextLogprobs` for several prompts that share a beginning (a stage's verify prompts differ only
   * in the candidate): the shared tokens are read once, as the prefix, then every prompt's own
   * tokens in one batched call, left-padded so that each row's last token is the last position
   * (the graph returns the last position's logits; padding is masked out of attention). The
   * numbers differ from one-at-a-time calls only by int8 rounding: activations are quantized per
   * call. A prompt that does not fit the context gets null.
   */
  async nextLogprobsShared(
    prompts: number[][],
    imageEmbeds: Float32Array | undefined,
    tokenIds: number[],
  ): Promise<(number[] | null)[]> {
    const a = this.manifest.architecture;
    const fits = prompts.map((p, i) => ({ p, i })).filter(({ p }) => p.length < a.max_len);
    const results: (number[] | null)[] = prompts.map(() => null);
    if (fits.length === 0) return results;
    // The shared part: the longest common beginning, leaving every prompt at least one own token
    // and keeping every <image> placeholder in it (the batched call carries no image).
    let shared = Math.min(...fits.map(({ p }) => p.length - 1));
    const first = fits[0]!.p;
    for (const { p } of fits) {
      let k = 0;
      while (k < shared && p[k] === first[k]) k++;
      shared = k;
    }
    const ownImage = fits.some(({ p }) => p.slice(shared).includes(this.tokenizer.image));
    if (fits.length === 1 || shared === 0 || ownImage) {
      for (const { p, i } of fits) results[i] = await this.nextLogprobs(p, imageEmbeds, tokenIds);
      return results;
    }
    const prefix = this.io.prefixCache(await this.prefill(first.slice(0, shared), imageEmbeds), shared);
    const B = fits.length;
    const T = Math.max(...fits.map(({ p }) => p.length - shared));
    const ids = new Int32Array(B * T).fill(this.tokenizer.pad);
    const positions = new Int32Array(B * T).fill(shared);
    const past = new OwnCache(this.io.cacheNames.length, B, a.n_heads * a.head_dim, 1);
    const width = shared + past.slots + T; // the prefix, the masked placeholder slot, the new tokens
    const keyValid = new Int32Array(B * width);
    fits.forEach(({ p }, b) => {
      const own = p.length - shared;
      keyValid.fill(1, b * width, b * width + shared);
      for (let j = 0; j < own; j++) {
        const col = T - own + j;
        ids[b * T + col] = p[shared + j] as number;
        positions[b * T + col] = shared + j;
        keyValid[b * width + shared + past.slots + col] = 1;
      }
    });
    const out = await this.run(
      this.decoder,
      this.io.feeds({ ids, positions, rows: B, keyValid, imageEmbeds: this.io.noImage(B), prefix, past }),
    );
    const logits = out.logits?.data as Float32Array;
    const V = a.vocab_size;
    fits.forEach(({ i }, b) => (results[i] = logprobsOf(logits.subarray(b * V, (b + 1) * V), tokenIds)));
    return results;
  }

  /** The prompt once (batch 1), empty prefix, a past of the placeholder slot only. */
  private async prefill(
    promptIds: number[],
    imageEmbeds: Float32Array | undefined,
  ): Promise<Record<string, OrtTensorLike>> {
    const a = this.manifest.architecture;
    const L = promptIds.length;
    if (L >= a.max_len) throw new RangeError(`the prompt has ${L} tokens; the model's context is ${a.max_len}`);
    const past = new OwnCache(this.io.cacheNames.length, 1, a.n_heads * a.head_dim, 1);
    const feeds = this.io.feeds({
      ids: Int32Array.from(promptIds),
      positions: Int32Array.from({ length: L }, (_, i) => i),
      rows: 1,
      keyValid: past.keyValid(0, L),
      imageEmbeds: imageEmbeds
        ? this.runtime.tensor("float32", imageEmbeds, [1, a.image_tokens, a.d_model])
        : this.io.noImage(1),
      past,
    });
    return this.run(this.decoder, feeds);
  }

  async decode(o: DecodeOptions): Promise<DecodeResult> {
    const a = this.manifest.architecture;
    const L = o.promptIds.length;
    const names = this.io.cacheNames;
    let out = await this.prefill(o.promptIds, o.imageEmbeds);
    let steps = 1;

    const V = a.vocab_size;
    const n = o.n;
    // The prompt's cache: every step's shared prefix.
    const prefix = this.io.prefixCache(out, L);
    // Each candidate's own cache, token-major: slot t holds the active rows' keys (row-major,
    // heads × head_dim floats each) of their (t-1)-th token; slot 0 is the masked placeholder. It
    // starts small and doubles, so at most half of it is ever empty: an isolate may hold hundreds of
    // decodes at once.
    let cache = new OwnCache(names.length, n, a.n_heads * a.head_dim, Math.min(16, o.maxTokens + 1));
    const first = (out.logits?.data as Float32Array).slice(0, V);
    let logits: Float32Array = new Float32Array(n * V);
    for (let r = 0; r < n; r++) logits.set(first, r * V);

    const longestStop = o.stop.reduce((m, s) => Math.max(m, s.length), 0);
    const cands = Array.from({ length: n }, (_, i) => ({
      ids: [] as number[],
      text: "",
      utf8: new TextDecoder(),
      finish: undefined as DecodeFinish | undefined,
      logprob_sum: 0,
      random: seededRandom(o.seeds[i] ?? i),
    }));
    let active = cands.map((_, i) => i);
    let past = L;
    for (;;) {
      if (o.signal?.aborted) throw o.signal.reason instanceof Error ? o.signal.reason : new Error("aborted");
      const next: number[] = [];
      active.forEach((c, row) => {
        const cand = cands[c] as (typeof cands)[number];
        const rowLogits = logits.subarray(row * V, (row + 1) * V);
        const tok = sampleToken(rowLogits, o.temperature, o.topP, cand.random);
        cand.logprob_sum += (rowLogits[tok] as number) - logSumExp(rowLogits);
        cand.ids.push(tok);
        if (tok === this.tokenizer.eos && !o.ignoreEos) {
          cand.text += cand.utf8.decode();
          cand.finish = "eos";
          return;
        }
        // Incremental UTF-8 (a character may span tokens); a stop can only end in the new text.
        const before = cand.text.length;
        cand.text += cand.utf8.decode(this.tokenizer.bytesOf(tok), { stream: true });
        const hit = firstStop(cand.text, o.stop, Math.max(0, before - longestStop + 1));
        if (hit >= 0) {
          cand.text = cand.text.slice(0, hit);
          cand.finish = "stop";
        } else if (cand.ids.length >= o.maxTokens) cand.finish = "max_tokens";
        else if (past >= a.max_len - 1) cand.finish = "context";
        if (cand.finish === "max_tokens" || cand.finish === "context") cand.text += cand.utf8.decode();
        if (!cand.finish) next.push(row);
      });
      if (next.length === 0) break;
      if (next.length !== active.length) cache = cache.keepRows(next);
      const lastIds = next.map((row) => {
        const cand = cands[active[row] as number] as (typeof cands)[number];
        return cand.ids[cand.ids.length - 1] as number;
      });
      active = next.map((row) => active[row] as number);
      const B = active.length;
      const stepFeeds = this.io.feeds({
        ids: Int32Array.from(lastIds),
        positions: new Int32Array(B).fill(past),
        rows: B,
        keyValid: cache.keyValid(L, 1),
        imageEmbeds: this.io.noImage(B),
        prefix,
        past: cache,
      });
      out = await this.run(this.decoder, stepFeeds);
      steps++;
      past++;
      cache.append(names.map((name) => out[`new_${name}`]?.data as Float32Array));
      logits = out.logits?.data as Float32Array;
    }
    return {
      candidates: cands.map((c) => ({
        ids: c.ids,
        text: c.text,
        finish: c.finish as DecodeFinish,
        logprob_sum: c.logprob_sum,
      })),
      prompt_tokens: L,
      steps,
    };
  }
}

/** The log-probabilities (temperature 1) of `tokenIds` under one row of logits. */
function logprobsOf(logits: Float32Array, tokenIds: number[]): number[] {
  const norm = logSumExp(logits);
  return tokenIds.map((id) => (logits[id] as number) - norm);
}

function firstStop(text: string, stops: readonly string[], from: number): number {
  let best = -1;
  for (const s of stops) {
    if (!s) continue;
    const i = text.indexOf(s, from);
    if (i >= 0 && (best < 0 || i < best)) best = i;
  }
  return best;
}
