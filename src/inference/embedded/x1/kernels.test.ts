import { describe, expect, it } from "vitest";
import kernelsModule from "./kernels.wasm";
import { OPS } from "../graph/ops";
import { tensorOf, type Tensor } from "../graph/tensor";
import { Kernels } from "./kernel";

/** A deterministic pseudo-random stream (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const op = (name: string, inputs: (Tensor | undefined)[], attrs: Record<string, unknown> = {}, outputs = 1): Tensor[] =>
  (OPS[name] as NonNullable<(typeof OPS)[string]>)(inputs, new Map(Object.entries(attrs)) as never, outputs);

describe("the x1 engine's wasm kernels", () => {
  it("compute a quantized layer exactly as the graph's operators define it", () => {
    const rnd = random(7);
    const kernels = new Kernels(kernelsModule);
    for (const [rows, K, N] of [
      [1, 128, 384],
      [37, 512, 128],
      [5, 128, 663],
    ] as [number, number, number][]) {
      const x = Float32Array.from({ length: rows * K }, () => (rnd() - 0.4) * 6);
      const w = Int8Array.from({ length: K * N }, () => Math.round(rnd() * 254 - 127));
      const ws = Float32Array.from({ length: N }, () => rnd() / 100);
      const bias = Float32Array.from({ length: N }, () => rnd() - 0.5);
      kernels.reset();
      const at = { w: kernels.resident(w), ws: kernels.resident(ws), bias: kernels.resident(bias) };
      const xa = kernels.put(x);
      const q = kernels.alloc(rows * K * 4);
      const out = kernels.alloc(rows * N * 4);
      const scale = kernels.k.quantize(xa, rows * K, q);
      kernels.k.gemm(q, at.w, out, rows, K, N);
      kernels.k.dequantize(out, rows, N, scale, at.ws, at.bias);
      const mine = kernels.take(out, rows * N);

      const [aq, as, az] = op("DynamicQuantizeLinear", [tensorOf("float32", x, [rows, K])], {}, 3);
      expect(scale).toBe(as?.data[0]);
      const [acc] = op("MatMulInteger", [aq, tensorOf("int8", w, [K, N]), az]);
      const [accF] = op("Cast", [acc], { to: 1 });
      const [colScale] = op("Mul", [as, tensorOf("float32", ws, [N])]);
      const [scaled] = op("Mul", [accF, colScale]);
      const [theirs] = op("Add", [scaled, tensorOf("float32", bias, [N])]);
      expect(mine).toEqual(theirs?.data);
    }
  });

  it("convolve as the interpreter's im2col does, and compute GELU's erf to float32 precision", () => {
    const rnd = random(3);
    const kernels = new Kernels(kernelsModule);
    const x = Float32Array.from({ length: 3 * 9 * 9 }, () => rnd() - 0.5);
    const w = Float32Array.from({ length: 4 * 3 * 3 * 3 }, () => rnd() - 0.5);
    const bias = Float32Array.from([0.1, -0.2, 0.3, 0]);
    const [ref] = op(
      "Conv",
      [tensorOf("float32", x, [1, 3, 9, 9]), tensorOf("float32", w, [4, 3, 3, 3]), tensorOf("float32", bias, [4])],
      {
        strides: [2, 2],
        pads: [1, 1, 1, 1],
      },
    );
    const cols = kernels.alloc(27 * 25 * 4);
    const out = kernels.alloc(4 * 25 * 4);
    kernels.k.conv2d(
      kernels.put(x),
      3,
      9,
      9,
      kernels.put(w),
      kernels.put(bias),
      4,
      3,
      3,
      2,
      2,
      1,
      1,
      1,
      1,
      5,
      5,
      cols,
      out,
    );
    const mine = kernels.take(out, 100);
    expect(ref?.dims).toEqual([1, 4, 5, 5]);
    mine.forEach((v, i) => expect(Math.abs(v - (ref?.data[i] as number))).toBeLessThan(1e-5));

    const points = [-4, -1, -0.3, 0, 0.5, 1, 2.5];
    const at = kernels.put(Float32Array.from(points));
    kernels.k.erf_inplace(at, points.length);
    const erf = kernels.take(at, points.length);
    [-0.9999999846, -0.8427007929, -0.3286267595, 0, 0.5204998778, 0.8427007929, 0.999593048].forEach((e, i) =>
      expect(Math.abs((erf[i] as number) - e)).toBeLessThan(2e-7),
    );
  });
});
