import { describe, expect, it } from "vitest";
import { OPS } from "./ops";
import type { Attribute } from "./proto";
import { tensorOf, type DType, type Tensor } from "./tensor";

const t = (dtype: DType, values: number[], dims: number[]): Tensor => tensorOf(dtype, values, dims);
const f = (values: number[], dims = [values.length]): Tensor => t("float32", values, dims);
const i64 = (values: number[]): Tensor => t("int64", values, [values.length]);

function run(op: string, inputs: (Tensor | undefined)[], attrs: Record<string, Attribute> = {}, outputs = 1): Tensor[] {
  const impl = OPS[op];
  if (!impl) throw new Error(`no ${op}`);
  return impl(inputs, new Map(Object.entries(attrs)), outputs);
}

const one = (
  op: string,
  inputs: (Tensor | undefined)[],
  attrs: Record<string, Attribute> = {},
): { v: number[]; dims: number[] } => {
  const [out] = run(op, inputs, attrs);
  return { v: Array.from(out?.data ?? []), dims: out?.dims ?? [] };
};

describe("the graph interpreter's operators (ONNX opset 17)", () => {
  it("broadcasts binary operators numpy-style", () => {
    expect(one("Add", [f([1, 2, 3, 4, 5, 6], [2, 3]), f([10, 20, 30])])).toEqual({
      v: [11, 22, 33, 14, 25, 36],
      dims: [2, 3],
    });
    expect(one("Mul", [f([1, 2], [2, 1]), f([1, 10, 100], [1, 3])])).toEqual({
      v: [1, 10, 100, 2, 20, 200],
      dims: [2, 3],
    });
    expect(one("Sub", [f([5]), f([1, 2], [2, 1])])).toEqual({ v: [4, 3], dims: [2, 1] });
    expect(one("Div", [t("int64", [7, -7], [2]), t("int64", [2], [1])]).v).toEqual([3, -3]);
    expect(one("Equal", [i64([1, 2, 3]), i64([2])])).toEqual({ v: [0, 1, 0], dims: [3] });
    expect(() => one("Add", [f([1, 2, 3]), f([1, 2])])).toThrow("do not broadcast");
  });

  it("slices with negative indices, steps and out-of-range bounds clamped", () => {
    const x = f([0, 1, 2, 3, 4, 5, 6, 7], [2, 4]);
    expect(one("Slice", [x, i64([0, 1]), i64([2, 3])])).toEqual({ v: [1, 2, 5, 6], dims: [2, 2] });
    expect(one("Slice", [x, i64([-1]), i64([-1e18]), i64([1]), i64([-2])])).toEqual({ v: [3, 1, 7, 5], dims: [2, 2] });
    expect(one("Slice", [x, i64([1]), i64([9.2e18]), i64([0])])).toEqual({ v: [4, 5, 6, 7], dims: [1, 4] });
  });

  it("gathers rows and elements, with negative indices", () => {
    const table = f([1, 2, 3, 4, 5, 6], [3, 2]);
    expect(one("Gather", [table, i64([2, -3])])).toEqual({ v: [5, 6, 1, 2], dims: [2, 2] });
    expect(one("Gather", [table, t("int64", [1], [])], { axis: 1 })).toEqual({ v: [2, 4, 6], dims: [3] });
    expect(() => one("Gather", [table, i64([3])])).toThrow("outside an axis of 3");
    const data = f([1, 2, 3, 4], [2, 2]);
    expect(one("GatherElements", [data, t("int64", [0, 0, 1, 0], [2, 2])], { axis: 1 }).v).toEqual([1, 1, 4, 3]);
  });

  it("reshapes, transposes, splits, concatenates and expands", () => {
    const x = f([0, 1, 2, 3, 4, 5], [2, 3]);
    expect(one("Reshape", [x, i64([0, -1, 1])]).dims).toEqual([2, 3, 1]);
    expect(one("Transpose", [x], { perm: [1, 0] })).toEqual({ v: [0, 3, 1, 4, 2, 5], dims: [3, 2] });
    expect(one("Unsqueeze", [x, i64([-1, 0])]).dims).toEqual([1, 2, 3, 1]);
    const parts = run("Split", [x, i64([1, 2])], { axis: 1 }, 2);
    expect(parts.map((p) => Array.from(p.data))).toEqual([
      [0, 3],
      [1, 2, 4, 5],
    ]);
    expect(run("Split", [f([1, 2, 3, 4])], {}, 2).map((p) => Array.from(p.data))).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(one("Concat", [x, f([9, 9], [2, 1])], { axis: -1 })).toEqual({ v: [0, 1, 2, 9, 3, 4, 5, 9], dims: [2, 4] });
    expect(one("Expand", [f([1, 2], [2, 1]), i64([2, 3])]).v).toEqual([1, 1, 1, 2, 2, 2]);
  });

  it("computes shapes, ranges, constants of a shape, cumulative sums and Where", () => {
    expect(one("Shape", [f([0, 0, 0, 0, 0, 0], [1, 2, 3])], { start: -2 })).toEqual({ v: [2, 3], dims: [2] });
    expect(one("Range", [t("int64", [10], []), t("int64", [4], []), t("int64", [-3], [])]).v).toEqual([10, 7]);
    expect(one("ConstantOfShape", [i64([2, 2])], { value: t("int64", [7], [1]) })).toEqual({
      v: [7, 7, 7, 7],
      dims: [2, 2],
    });
    const x = i64([1, 2, 3]);
    expect(one("CumSum", [x, t("int32", [0], [])]).v).toEqual([1, 3, 6]);
    expect(one("CumSum", [x, t("int32", [0], [])], { exclusive: 1, reverse: 1 }).v).toEqual([5, 3, 0]);
    expect(one("Where", [t("bool", [1, 0], [2]), f([1, 2]), f([-1])]).v).toEqual([1, -1]);
    expect(one("Cast", [f([-1.7, 2.9])], { to: 7 }).v).toEqual([-1, 2]);
  });

  it("quantizes dynamically as ONNX defines it: range including 0, round half to even", () => {
    // The ONNX reference example: x = [0, 2, -3, -2.5, 1.34, 0.5]. In float32, -2.5 / scale is
    // -127.49999, not -127.5, so it becomes 26; a tie does go to the even neighbour.
    const [q, scale, zero] = run("DynamicQuantizeLinear", [f([0, 2, -3, -2.5, 1.34, 0.5])], {}, 3);
    expect(Array.from(q?.data ?? [])).toEqual([153, 255, 0, 26, 221, 179]);
    // Range [-255, 0]: scale 1, zero point 255; -0.5 and -1.5 are ties, to 0 and -2.
    const [ties] = run("DynamicQuantizeLinear", [f([-255, -0.5, -1.5])], {}, 3);
    expect(Array.from(ties?.data ?? [])).toEqual([0, 255, 253]);
    expect(scale?.data[0]).toBeCloseTo(0.0196078438, 9);
    expect(zero?.data[0]).toBe(153);
  });

  it("multiplies integers with zero points exactly, and float matrices in batches", () => {
    const a = t("uint8", [11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0], [4, 3]);
    const b = t("int8", [1, 4, 2, 5, 3, 6], [3, 2]);
    // ONNX's MatMulInteger example: a_zero_point 12, b_zero_point 0.
    expect(one("MatMulInteger", [a, b, t("uint8", [12], []), undefined]).v).toEqual([
      -38, -83, -44, -98, -50, -113, -56, -128,
    ]);
    const x = f([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
    expect(one("MatMul", [x, f([1, 0, 0, 1], [2, 2])])).toEqual({ v: [1, 2, 3, 4, 5, 6, 7, 8], dims: [2, 2, 2] });
  });

  it("normalises over the last axis and convolves with padding and strides", () => {
    const ln = one("LayerNormalization", [f([1, 2, 3, 4], [1, 4]), f([1, 1, 1, 1]), f([0, 0, 0, 1])], { epsilon: 0 });
    const s = Math.sqrt(1.25);
    ln.v.forEach((v, i) => expect(v).toBeCloseTo([-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s + 1][i] as number, 5));
    const sm = one("Softmax", [f([0, Math.log(3)], [1, 2])]).v;
    expect(sm[0]).toBeCloseTo(0.25, 6);
    // A 3×3 image of ones, a 3×3 kernel of ones, padding 1, stride 2: corners see 4 ones.
    const conv = one("Conv", [f(Array(9).fill(1), [1, 1, 3, 3]), f(Array(9).fill(1), [1, 1, 3, 3]), f([0.5])], {
      pads: [1, 1, 1, 1],
      strides: [2, 2],
    });
    expect(conv).toEqual({ v: [4.5, 4.5, 4.5, 4.5], dims: [1, 1, 2, 2] });
  });

  it("computes erf to float32 precision", () => {
    const v = one("Erf", [f([0, 0.5, -1, 3])]).v;
    [0, 0.5204998778, -0.8427007929, 0.9999779095].forEach((e, i) => expect(v[i]).toBeCloseTo(e, 6));
  });
});
