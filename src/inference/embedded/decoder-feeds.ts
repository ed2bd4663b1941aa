/**
 * The decoder graph's inputs and its returned cache, in the layout tools/export/export.py gives
 * them: `rows` rows of T new tokens; the shared prefix's keys and values (1, H, S, Dh), attended by
 * every row; each row's own past (slots, rows, H, Dh), token-major, slot 0 the masked placeholder;
 * key_valid (rows, S + slots + T). Every call of X1Model builds its feeds here.
 */
import type { ModelManifest } from "./manifest";
import type { OwnCache } from "./own-cache";
import type { OrtRuntime, OrtTensorLike } from "./runtime";

export interface DecoderCall {
  /** rows × T token ids and their positions, row-major. */
  ids: Int32Array;
  positions: Int32Array;
  rows: number;
  /** rows × (prefix length + past.slots + T), row-major. */
  keyValid: Int32Array;
  /** (rows, image_tokens, d_model): the image for rows whose ids hold `<image>`, zeros otherwise. */
  imageEmbeds: OrtTensorLike;
  /** The shared prefix's cache (`prefixCache`); none: an empty prefix. */
  prefix?: OrtTensorLike[];
  past: OwnCache;
}

export class DecoderFeeds {
  /** The cache tensors in graph order, `key_0`, `value_0`, `key_1`…: `prefix_`, `past_` and `new_` each. */
  readonly cacheNames: string[];
  private readonly zeros = new Map<number, OrtTensorLike>();

  constructor(
    private readonly rt: OrtRuntime,
    private readonly a: ModelManifest["architecture"],
  ) {
    this.cacheNames = Array.from({ length: a.n_layers }, (_, i) => [`key_${i}`, `value_${i}`]).flat();
  }

  feeds(c: DecoderCall): Record<string, OrtTensorLike> {
    const { rt, a } = this;
    const T = c.ids.length / c.rows;
    const feeds: Record<string, OrtTensorLike> = {
      ids: rt.tensor("int32", c.ids, [c.rows, T]),
      image_embeds: c.imageEmbeds,
      positions: rt.tensor("int32", c.positions, [c.rows, T]),
      key_valid: rt.tensor("int32", c.keyValid, [c.rows, c.keyValid.length / c.rows]),
    };
    this.cacheNames.forEach((name, i) => {
      feeds[`prefix_${name}`] =
        c.prefix?.[i] ?? rt.tensor("float32", new Float32Array(0), [1, a.n_heads, 0, a.head_dim]);
      feeds[`past_${name}`] = rt.tensor("float32", c.past.view(i), [c.past.slots, c.rows, a.n_heads, a.head_dim]);
    });
    return feeds;
  }

  /** A batch-1 call's new keys and values over its `length` tokens, as the prefix of later calls. */
  prefixCache(out: Record<string, OrtTensorLike>, length: number): OrtTensorLike[] {
    const { rt, a } = this;
    return this.cacheNames.map((name) =>
      rt.tensor("float32", out[`new_${name}`]?.data as Float32Array, [1, a.n_heads, length, a.head_dim]),
    );
  }

  /** The image input of `rows` rows without an image (one zero tensor per row count, reused). */
  noImage(rows: number): OrtTensorLike {
    let t = this.zeros.get(rows);
    if (!t) {
      const { a } = this;
      t = this.rt.tensor("float32", new Float32Array(rows * a.image_tokens * a.d_model), [
        rows,
        a.image_tokens,
        a.d_model,
      ]);
      this.zeros.set(rows, t);
    }
    return t;
  }
}
