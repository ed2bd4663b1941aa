/**
 * The `embedded` backend: X1-Tiny inside the Worker (docs/embedded-model.md). N candidates of one prompt
 * decode as one batch; stop strings, temperature, top-p and per-candidate seeds are honoured;
 * usage is counted (prompt tokens including the image tokens, once per call; generated tokens of
 * every candidate); mean log-probabilities are reported. Judge and self-check calls are ordinary
 * prompts for this model (it was trained on them).
 */
import type { Backend, GenerateOptions, GenerateResult, Generation, ImageInput } from "../backend";
import { BackendError } from "../backend";
import type { FinishReason, Prompt } from "../../reasoning/types";
import { decodeImage, toModelImage } from "./image";
import type { DecodeFinish, X1Model } from "./model";
import { EMBEDDED_CAPABILITIES } from "./catalog";

const FINISH: Record<DecodeFinish, FinishReason> = {
  eos: "stop",
  stop: "stop",
  max_tokens: "length",
  context: "length",
};

/** The image as the model's image tokens; an image it cannot decode is the caller's 400. */
export async function embedImage(model: X1Model, image: ImageInput, backendId: string): Promise<Float32Array> {
  let rgb: Uint8Array;
  try {
    rgb = toModelImage(await decodeImage(image.bytes, image.media_type), model.manifest.architecture.image_size);
  } catch (err) {
    throw new BackendError(`${backendId}: ${err instanceof Error ? err.message : String(err)}`, false, 400);
  }
  return model.encodeImage(rgb);
}

export interface EmbeddedBackendOptions {
  id: string;
  /** The model, built once per isolate by the caller (a failure is reported on each call). */
  model: () => Promise<X1Model>;
}

export class EmbeddedBackend implements Backend {
  readonly id: string;
  readonly capabilities = EMBEDDED_CAPABILITIES;

  constructor(private readonly options: EmbeddedBackendOptions) {
    this.id = options.id;
  }

  /** Exactly what `generate` reports as input tokens: the prompt's token ids (the image's tokens included). */
  async countInputTokens(prompt: Prompt): Promise<number> {
    return (await this.options.model()).tokenizer.encodePrompt(prompt).length;
  }

  async generate(options: GenerateOptions): Promise<GenerateResult> {
    let model: X1Model;
    try {
      model = await this.options.model();
    } catch (err) {
      throw new BackendError(
        `${this.id} could not be loaded: ${err instanceof Error ? err.message : String(err)}`,
        false,
        503,
      );
    }
    const warnings: string[] = [];
    const { prompt } = options;
    let imageEmbeds: Float32Array | undefined;
    if (prompt.with_image) {
      if (options.image) imageEmbeds = await embedImage(model, options.image, this.id);
      else warnings.push("the prompt expects an image but none was given: the model saw a blank one");
    }
    const n = Math.max(1, options.n);
    if (n > (this.capabilities.max_n ?? n))
      throw new BackendError(`${this.id} decodes at most ${this.capabilities.max_n} candidates per call`, false, 400);
    const promptIds = model.tokenizer.encodePrompt(prompt);
    const seeds = Array.from({ length: n }, (_, i) => options.seeds[i] ?? (options.seeds[0] ?? 0) + i);
    let result;
    try {
      result = await model.decode({
        promptIds,
        ...(imageEmbeds ? { imageEmbeds } : {}),
        n,
        seeds,
        temperature: options.temperature,
        topP: options.top_p,
        maxTokens: Math.max(1, options.max_tokens),
        stop: options.stop,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (err) {
      if (err instanceof RangeError) throw new BackendError(`${this.id}: ${err.message}`, false, 400);
      throw err;
    }
    const generations: Generation[] = result.candidates.map((c) => {
      const g: Generation = { text: c.text, finish_reason: FINISH[c.finish], raw_finish_reason: c.finish };
      if (c.ids.length > 0) g.mean_logprob = c.logprob_sum / c.ids.length;
      return g;
    });
    return {
      generations,
      usage: {
        input_tokens: result.prompt_tokens,
        output_tokens: result.candidates.reduce((s, c) => s + c.ids.length, 0),
      },
      warnings,
    };
  }
}
