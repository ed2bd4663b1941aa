/**
 * The operators that carry the model's arithmetic: MatMul, the int8 pair DynamicQuantizeLinear +
 * MatMulInteger (tools/export/quantize.py), and Conv (the image stem, as im2col + matrix product).
 * All three run on one matrix kernel over Float32Array operands, so V8 optimises one loop.
 * MatMulInteger's operands are small integers there (uint8 − zero point, int8), whose products and
 * sums a double holds exactly: its int32 result is the same as ONNX Runtime's integer kernel.
 */
import type { Op } from "./ops";
import { broadcastDims, broadcastIndex, sizeOf, type Tensor } from "./tensor";

/** out[outAt + m·N + n] = Σ_k a[aAt + m·K + k] · b[bAt + k·N + n], summed in doubles. */
function gemm(
  a: Float32Array,
  aAt: number,
  b: Float32Array,
  bAt: number,
  M: number,
  K: number,
  N: number,
  out: Float32Array | Int32Array,
  outAt: number,
): void {
  const acc = new Float64Array(N);
  for (let m = 0; m < M; m++) {
    acc.fill(0);
    const row = aAt + m * K;
    let k = 0;
    // Four rows of b per pass: a quarter of the loads and stores of acc (about 3× faster in V8).
    for (; k + 4 <= K; k += 4) {
      const a0 = a[row + k] as number;
      const a1 = a[row + k + 1] as number;
      const a2 = a[row + k + 2] as number;
      const a3 = a[row + k + 3] as number;
      const c0 = bAt + k * N;
      const c1 = c0 + N;
      const c2 = c1 + N;
      const c3 = c2 + N;
      for (let n = 0; n < N; n++) {
        acc[n] =
          (acc[n] as number) +
          a0 * (b[c0 + n] as number) +
          a1 * (b[c1 + n] as number) +
          a2 * (b[c2 + n] as number) +
          a3 * (b[c3 + n] as number);
      }
    }
    for (; k < K; k++) {
      const av = a[row + k] as number;
      const col = bAt + k * N;
      for (let n = 0; n < N; n++) acc[n] = (acc[n] as number) + av * (b[col + n] as number);
    }
    out.set(acc, outAt + m * N);
  }
}

/** A batched product over broadcast leading axes: [..., M, K] × [..., K, N]. */
function batched(a: Tensor, aData: Float32Array, b: Tensor, bData: Float32Array, out: "float32" | "int32"): Tensor {
  if (a.dims.length < 2 || b.dims.length < 2) throw new Error("MatMul is implemented for operands of rank 2 or more");
  const M = a.dims[a.dims.length - 2] as number;
  const K = a.dims[a.dims.length - 1] as number;
  const N = b.dims[b.dims.length - 1] as number;
  if (b.dims[b.dims.length - 2] !== K) throw new Error(`MatMul of [${a.dims}] and [${b.dims}]: inner sizes differ`);
  const aBatch = a.dims.slice(0, -2);
  const bBatch = b.dims.slice(0, -2);
  const batch = broadcastDims(aBatch, bBatch);
  const aIndex = broadcastIndex(aBatch, batch);
  const bIndex = broadcastIndex(bBatch, batch);
  const count = sizeOf(batch);
  const data = out === "float32" ? new Float32Array(count * M * N) : new Int32Array(count * M * N);
  for (let i = 0; i < count; i++) {
    gemm(aData, (aIndex[i] as number) * M * K, bData, (bIndex[i] as number) * K * N, M, K, N, data, i * M * N);
  }
  return { dtype: out, data, dims: [...batch, M, N] };
}

/** Integer operands as floats less their zero point; a weight's conversion is kept for its life. */
const shifted = new WeakMap<object, Float32Array>();
function lessZero(t: Tensor, zero: Tensor | undefined, keep: boolean): Float32Array {
  const cached = keep ? shifted.get(t.data) : undefined;
  if (cached) return cached;
  const z = zero ? (zero.data[0] as number) : 0;
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (t.data[i] as number) - z;
  if (keep) shifted.set(t.data, out);
  return out;
}

/** Round half to even, as the quantizer's float-to-int conversion does. */
function roundEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export const matmulOps: Record<string, Op> = {
  MatMul: ([a, b]) => {
    if (!a || !b || a.dtype !== "float32" || b.dtype !== "float32") throw new Error("MatMul needs two float32 inputs");
    return [batched(a, a.data as Float32Array, b, b.data as Float32Array, "float32")];
  },
  MatMulInteger: ([a, b, aZero, bZero]) => {
    if (!a || !b) throw new Error("MatMulInteger needs two inputs");
    // The right operand is a weight in these graphs (an initializer), converted once.
    return [batched(a, lessZero(a, aZero, false), b, lessZero(b, bZero, true), "int32")];
  },
  DynamicQuantizeLinear: ([x]) => {
    if (!x) throw new Error("DynamicQuantizeLinear needs an input");
    const v = x.data;
    let min = 0;
    let max = 0;
    for (let i = 0; i < v.length; i++) {
      const e = v[i] as number;
      if (e < min) min = e;
      if (e > max) max = e;
    }
    // The ONNX definition in float32 arithmetic: range including 0 over 255 steps.
    const scale = Math.fround((max - min) / 255);
    const zero = scale === 0 ? 0 : roundEven(Math.min(Math.max(-Math.fround(min / scale), 0), 255));
    const q = new Uint8Array(v.length);
    if (scale !== 0) {
      for (let i = 0; i < v.length; i++)
        q[i] = Math.min(Math.max(roundEven(Math.fround((v[i] as number) / scale)) + zero, 0), 255);
    }
    return [
      { dtype: "uint8", data: q, dims: [...x.dims] },
      { dtype: "float32", data: Float32Array.of(scale), dims: [] },
      { dtype: "uint8", data: Uint8Array.of(zero), dims: [] },
    ];
  },
  Conv: convOp(),
};

export interface ConvGeometry {
  C: number;
  H: number;
  W: number;
  M: number;
  KH: number;
  KW: number;
  sy: number;
  sx: number;
  py: number;
  px: number;
  dy: number;
  dx: number;
  OH: number;
  OW: number;
}

/** Each convolution's filter matrix, kept for the weight's life. */
const filterMatrices = new WeakMap<object, Float32Array>();

/** The filters (M, C, KH, KW) as the (C·KH·KW) × M matrix an im2col product with rows of patches needs. */
function filterColumns(w: Tensor): Float32Array {
  const M = w.dims[0] as number;
  const P = w.data.length / M;
  const wt = new Float32Array(P * M);
  for (let m = 0; m < M; m++) for (let p = 0; p < P; p++) wt[p * M + m] = w.data[m * P + p] as number;
  return wt;
}

/** One image (C×H×W floats) convolved: im2col rows times the filter matrix, in JavaScript. */
function convolveImage(x: Float32Array, w: Tensor, bias: Tensor | undefined, g: ConvGeometry): Float32Array {
  const { C, H, W, M, KH, KW, sy, sx, py, px, dy, dx, OH, OW } = g;
  const P = C * KH * KW;
  let wt = filterMatrices.get(w.data);
  if (!wt) filterMatrices.set(w.data, (wt = filterColumns(w)));
  const cols = new Float32Array(OH * OW * P);
  let at = 0;
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      for (let c = 0; c < C; c++) {
        for (let ky = 0; ky < KH; ky++) {
          const iy = oy * sy - py + ky * dy;
          for (let kx = 0; kx < KW; kx++) {
            const ix = ox * sx - px + kx * dx;
            cols[at++] = iy < 0 || iy >= H || ix < 0 || ix >= W ? 0 : (x[(c * H + iy) * W + ix] as number);
          }
        }
      }
    }
  }
  const prod = new Float32Array(OH * OW * M);
  gemm(cols, 0, wt, 0, OH * OW, P, M, prod, 0);
  const out = new Float32Array(M * OH * OW);
  for (let m = 0; m < M; m++) {
    const b = bias ? (bias.data[m] as number) : 0;
    for (let s = 0; s < OH * OW; s++) out[m * OH * OW + s] = (prod[s * M + m] as number) + b;
  }
  return out;
}

/**
 * Conv (2-D, NCHW, group 1), one image at a time through `convolve`, so a runtime can bring its
 * own kernel; the default is im2col and the matrix product above, in JavaScript.
 */
export function convOp(
  convolve: (x: Float32Array, w: Tensor, bias: Tensor | undefined, g: ConvGeometry) => Float32Array = convolveImage,
): Op {
  return ([x, w, bias], attrs) => {
    if (!x || !w || x.dims.length !== 4 || w.dims.length !== 4)
      throw new Error("Conv is implemented for 2-D images (NCHW)");
    if (Number(attrs.get("group") ?? 1) !== 1) throw new Error("Conv is implemented for group 1");
    const [B, C, H, W] = x.dims as [number, number, number, number];
    const [M, , KH, KW] = w.dims as [number, number, number, number];
    const [sy = 1, sx = 1] = (attrs.get("strides") as number[] | undefined) ?? [];
    const [py = 0, px = 0, py1 = 0, px1 = 0] = (attrs.get("pads") as number[] | undefined) ?? [];
    const [dy = 1, dx = 1] = (attrs.get("dilations") as number[] | undefined) ?? [];
    const OH = Math.floor((H + py + py1 - dy * (KH - 1) - 1) / sy) + 1;
    const OW = Math.floor((W + px + px1 - dx * (KW - 1) - 1) / sx) + 1;
    const g = { C, H, W, M, KH, KW, sy, sx, py, px, dy, dx, OH, OW };
    const out = new Float32Array(B * M * OH * OW);
    const image = C * H * W;
    for (let n = 0; n < B; n++) {
      out.set(convolve((x.data as Float32Array).subarray(n * image, (n + 1) * image), w, bias, g), n * M * OH * OW);
    }
    return [{ dtype: "float32", data: out, dims: [B, M, OH, OW] }];
  };
}
