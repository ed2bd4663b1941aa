/**
 * X1-Tiny's decoder graph (tools/export/export.py) computed directly: the same inputs, outputs and
 * arithmetic as decoder.onnx, with its weights read from the graph's initializers and every loop
 * over tensor elements in the wasm kernels (kernels.c). One call does what the graph's 836 nodes
 * do, without a node's bookkeeping per operation.
 *
 * What it reproduces: each quantized product (DynamicQuantizeLinear over the whole activation
 * tensor, round half to even, integer products summed exactly); the `<image>` placeholders taking
 * the image tokens in order; attention over the shared prefix, the row's own past and the new
 * tokens under `key_valid` and the causal order; rotary positions in half-split form. Logits agree
 * with onnxruntime's to float32 rounding, except where the last bits of a float step (erf, softmax,
 * norms) move one activation across an int8 step: then by a few hundredths
 * (test/embedded/x1-engine.test.ts).
 */
import type { GraphProto } from "../graph/proto";
import type { Tensor } from "../graph/tensor";
import { BINARY, type Kernels } from "./kernel";

export interface DecoderShape {
  vocab_size: number;
  d_model: number;
  n_layers: number;
  n_heads: number;
  head_dim: number;
  image_tokens: number;
}

/** Addresses in kernel memory. */
interface Linear {
  w: number;
  rows: number;
  cols: number;
  scale: number;
  /** 0: none. */
  bias: number;
}

interface Norm {
  g: number;
  b: number;
}

interface Layer {
  ln1: Norm;
  qkv: Linear;
  proj: Linear;
  ln2: Norm;
  fc1: Linear;
  fc2: Linear;
}

const IMAGE_ID = 3;
/** nn.LayerNorm's default epsilon, as the graph's float32 attribute. */
const EPS = Math.fround(1e-5);
/** model.py's default rotary base (the manifest does not record it; the parity test checks it). */
const ROPE_BASE = 10000;
const f32 = Math.fround;

export class X1Decoder {
  private readonly layers: Layer[];
  private readonly tok: Float32Array;
  private readonly lnF: Norm;
  private readonly head: Linear;
  private readonly invFreq: Float64Array;

  constructor(
    private readonly kernels: Kernels,
    private readonly shape: DecoderShape,
    graph: GraphProto,
  ) {
    const take = (name: string): Tensor => {
      const t = graph.initializers.get(name);
      if (!t) throw new Error(`decoder graph: no weight ${name}; its layout is not X1-Tiny's (tools/export/export.py)`);
      return t;
    };
    const resident = (name: string): number => kernels.resident(take(name).data);
    const norm = (name: string): Norm => ({ g: resident(`${name}.weight`), b: resident(`${name}.bias`) });
    // quantize.py names each layer's weights after the exporter's node names: qkv, qkv_1, qkv_2…
    const linear = (name: string, bias?: string): Linear => {
      const w = take(`${name}.weight_int8`);
      return {
        w: kernels.resident(w.data),
        rows: w.dims[0] as number,
        cols: w.dims[1] as number,
        scale: resident(`${name}.weight_scale`),
        bias: bias ? resident(bias) : 0,
      };
    };
    this.layers = Array.from({ length: shape.n_layers }, (_, i) => {
      const s = i === 0 ? "" : `_${i}`;
      const b = `blocks.${i}`;
      return {
        ln1: norm(`${b}.ln1`),
        qkv: linear(`qkv${s}`, `${b}.qkv.bias`),
        proj: linear(`proj${s}`, `${b}.proj.bias`),
        ln2: norm(`${b}.ln2`),
        fc1: linear(`fc1${s}`, `${b}.fc1.bias`),
        fc2: linear(`fc2${s}`, `${b}.fc2.bias`),
      };
    });
    this.lnF = norm("ln_f");
    this.head = linear("lm_head");
    this.tok = take("tok.weight").data as Float32Array;
    const half = shape.head_dim / 2;
    this.invFreq = Float64Array.from({ length: half }, (_, i) =>
      f32(1 / f32(ROPE_BASE ** f32((2 * i) / shape.head_dim))),
    );
  }

  /** DynamicQuantizeLinear + MatMulInteger + scale + bias: x (rows × l.rows) → out (rows × l.cols). */
  private linear(x: number, rows: number, l: Linear, out: number): void {
    const k = this.kernels.k;
    const q = this.kernels.alloc(rows * l.rows * 4);
    const scale = k.quantize(x, rows * l.rows, q);
    k.gemm(q, l.w, out, rows, l.rows, l.cols);
    k.dequantize(out, rows, l.cols, scale, l.scale, l.bias);
  }

  run(feeds: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
    const { d_model: D, n_heads: H, head_dim: Dh, vocab_size: V, image_tokens: I } = this.shape;
    const input = (name: string): Tensor => {
      const t = feeds[name];
      if (!t) throw new Error(`decoder: input ${name} is missing`);
      return t;
    };
    const ids = input("ids");
    const [B, T] = ids.dims as [number, number];
    const positions = input("positions").data;
    const embeds = input("image_embeds").data as Float32Array;
    const S = input("prefix_key_0").dims[2] as number;
    const P = input("past_key_0").dims[0] as number;
    const W = S + P + T;
    const rows = B * T;
    const half = Dh / 2;
    const mem = this.kernels;
    const k = mem.k;
    mem.reset();

    // Token embeddings; the k-th <image> of a row takes that row's k-th image token.
    const xHost = new Float32Array(rows * D);
    for (let b = 0; b < B; b++) {
      let seen = 0;
      for (let t = 0; t < T; t++) {
        const id = ids.data[b * T + t] as number;
        if (id < 0 || id >= V) throw new RangeError(`decoder: token id ${id} is outside the vocabulary (${V})`);
        if (id === IMAGE_ID) {
          const slot = (b * I + Math.min(seen++, I - 1)) * D;
          xHost.set(embeds.subarray(slot, slot + D), (b * T + t) * D);
        } else xHost.set(this.tok.subarray(id * D, (id + 1) * D), (b * T + t) * D);
      }
    }
    // Rotary angles per (row, token), as the graph computes them in float32.
    const cosHost = new Float32Array(rows * half);
    const sinHost = new Float32Array(rows * half);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < half; j++) {
        const ang = f32((positions[r] as number) * (this.invFreq[j] as number));
        cosHost[r * half + j] = Math.cos(ang);
        sinHost[r * half + j] = Math.sin(ang);
      }
    }

    const x = mem.put(xHost);
    const cos = mem.put(cosHost);
    const sin = mem.put(sinHost);
    const keyValid = mem.put(Int32Array.from(input("key_valid").data as ArrayLike<number>));
    const width = rows * D * 4;
    const xn = mem.alloc(width);
    const qkv = mem.alloc(3 * width);
    const q = mem.alloc(width);
    const newK = mem.alloc(width);
    const newV = mem.alloc(width);
    const y = mem.alloc(width);
    const proj = mem.alloc(width);
    const mid = mem.alloc(width);
    const fc1 = mem.alloc(rows * (this.layers[0]?.fc1.cols ?? 0) * 4);
    const fc2 = mem.alloc(width);
    const scores = mem.alloc(W * 8);
    const prefixK = mem.alloc(S * D * 4);
    const prefixV = mem.alloc(S * D * 4);
    const pastK = mem.alloc(P * B * D * 4);
    const pastV = mem.alloc(P * B * D * 4);
    // The linear layers' quantized inputs are allocated past this mark, and freed after each layer.
    const arena = mem.alloc(0);
    const scale = f32(1 / Math.sqrt(Dh));

    const out: Record<string, Tensor> = {};
    this.layers.forEach((layer, li) => {
      mem.f32(prefixK, S * D).set(input(`prefix_key_${li}`).data as Float32Array);
      mem.f32(prefixV, S * D).set(input(`prefix_value_${li}`).data as Float32Array);
      mem.f32(pastK, P * B * D).set(input(`past_key_${li}`).data as Float32Array);
      mem.f32(pastV, P * B * D).set(input(`past_value_${li}`).data as Float32Array);
      k.layer_norm(x, rows, D, layer.ln1.g, layer.ln1.b, EPS, xn);
      this.linear(xn, rows, layer.qkv, qkv);
      k.split_heads(qkv, B, T, H, Dh, cos, sin, q, newK, newV);
      k.attention(q, B, T, H, Dh, S, P, prefixK, prefixV, pastK, pastV, newK, newV, keyValid, scale, y, scores);
      this.linear(y, rows, layer.proj, proj);
      k.binary(BINARY.Add, x, proj, mid, rows * D, rows * D);
      k.layer_norm(mid, rows, D, layer.ln2.g, layer.ln2.b, EPS, xn);
      this.linear(xn, rows, layer.fc1, fc1);
      k.gelu(fc1, rows * layer.fc1.cols);
      this.linear(fc1, rows, layer.fc2, fc2);
      k.binary(BINARY.Add, mid, fc2, x, rows * D, rows * D);
      out[`new_key_${li}`] = { dtype: "float32", data: mem.take(newK, rows * D), dims: [B, H, T, Dh] };
      out[`new_value_${li}`] = { dtype: "float32", data: mem.take(newV, rows * D), dims: [B, H, T, Dh] };
      mem.rewind(arena);
    });

    // The logits of each row's last token.
    const last = mem.alloc(B * D * 4);
    for (let b = 0; b < B; b++) mem.f32(last + b * D * 4, D).set(mem.f32(x + (b * T + T - 1) * D * 4, D));
    const normed = mem.alloc(B * D * 4);
    k.layer_norm(last, B, D, this.lnF.g, this.lnF.b, EPS, normed);
    const logits = mem.alloc(B * V * 4);
    this.linear(normed, B, this.head, logits);
    return { logits: { dtype: "float32", data: mem.take(logits, B * V), dims: [B, V] }, ...out };
  }
}
