/**
 * Element-wise ONNX operators with numpy broadcasting, and the normalisations (LayerNormalization,
 * Softmax). Values are computed in doubles and stored in the output's type, so a float32 result is
 * the correctly rounded one, as ONNX Runtime's scalar kernels give.
 */
import type { Op } from "./ops";
import {
  alloc,
  axisOf,
  broadcastDims,
  broadcastIndex,
  sizeOf,
  type DType,
  type Tensor,
  type TensorArray,
} from "./tensor";

type Binary = (x: number, y: number) => number;

/** An output of the inputs' broadcast shape; `f` reads one element of each input. */
function zip(inputs: Tensor[], dtype: DType, f: (values: TensorArray[], at: number[]) => number): Tensor {
  const dims = inputs.map((t) => t.dims).reduce((a, b) => broadcastDims(a, b));
  const n = sizeOf(dims);
  const out = alloc(dtype, n);
  const values = inputs.map((t) => t.data);
  const same = inputs.every((t) => t.data.length === n);
  const index = same ? undefined : inputs.map((t) => (t.data.length === n ? undefined : broadcastIndex(t.dims, dims)));
  const at = new Array<number>(inputs.length).fill(0);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < at.length; k++) at[k] = index?.[k]?.[i] ?? i;
    out[i] = f(values, at);
  }
  return { dtype, data: out, dims };
}

/**
 * A binary operator. The common layouts (same shape; a scalar; a vector along the last axis, like a
 * bias) run in their own loops, without the index table of a general broadcast.
 */
function binary(f: Binary, result?: DType): Op {
  return ([a, b]) => {
    if (!a || !b) throw new Error("a binary operator needs two inputs");
    const dtype = result ?? a.dtype;
    const x = a.data;
    const y = b.data;
    if (a.dims.length >= b.dims.length) {
      const n = x.length;
      const m = y.length;
      const last = a.dims[a.dims.length - 1] ?? 1;
      const lastAligned = m === last && b.dims[b.dims.length - 1] === last;
      if ((m === n && a.dims.every((d, i) => d === b.dims[i])) || m === 1 || lastAligned) {
        const out = alloc(dtype, n);
        if (m === n) for (let i = 0; i < n; i++) out[i] = f(x[i] as number, y[i] as number);
        else if (m === 1) {
          const v = y[0] as number;
          for (let i = 0; i < n; i++) out[i] = f(x[i] as number, v);
        } else for (let i = 0; i < n; i++) out[i] = f(x[i] as number, y[i % m] as number);
        return [{ dtype, data: out, dims: [...a.dims] }];
      }
    }
    return [zip([a, b], dtype, (v, at) => f(v[0]?.[at[0] as number] as number, v[1]?.[at[1] as number] as number))];
  };
}

function unary(f: (x: number) => number): Op {
  return ([a]) => {
    if (!a) throw new Error("a unary operator needs an input");
    const out = alloc(a.dtype, a.data.length);
    for (let i = 0; i < out.length; i++) out[i] = f(a.data[i] as number);
    return [{ dtype: a.dtype, data: out, dims: [...a.dims] }];
  };
}

/**
 * erf(x), |error| < 1.2e-7 (Numerical Recipes' erfc by Chebyshev fit): below float32's resolution
 * of GELU's result, which is all the graphs use it for.
 */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - erfc : erfc - 1;
}

const isInt = (t: Tensor): boolean => t.dtype !== "float32";
/** ONNX's Div truncates integers. */
const intDiv = binary((x, y) => Math.trunc(x / y));
const floatDiv = binary((x, y) => x / y);

export const mathOps: Record<string, Op> = {
  Add: binary((x, y) => x + y),
  Sub: binary((x, y) => x - y),
  Mul: binary((x, y) => x * y),
  Div: (inputs, attrs, outputs) => (inputs[0] && isInt(inputs[0]) ? intDiv : floatDiv)(inputs, attrs, outputs),
  Equal: binary((x, y) => (x === y ? 1 : 0), "bool"),
  Less: binary((x, y) => (x < y ? 1 : 0), "bool"),
  LessOrEqual: binary((x, y) => (x <= y ? 1 : 0), "bool"),
  Greater: binary((x, y) => (x > y ? 1 : 0), "bool"),
  And: binary((x, y) => (x && y ? 1 : 0), "bool"),
  Or: binary((x, y) => (x || y ? 1 : 0), "bool"),
  Not: unary((x) => (x ? 0 : 1)),
  Neg: unary((x) => -x),
  Sqrt: unary(Math.sqrt),
  Cos: unary(Math.cos),
  Sin: unary(Math.sin),
  Erf: unary(erf),
  Clip: ([x, lo, hi]) => {
    if (!x) throw new Error("Clip needs an input");
    const min = lo ? (lo.data[0] as number) : -Infinity;
    const max = hi ? (hi.data[0] as number) : Infinity;
    return unary((v) => Math.min(Math.max(v, min), max))([x], new Map(), 1);
  },
  Where: ([c, x, y]) => {
    if (!c || !x || !y) throw new Error("Where needs a condition and two inputs");
    return [
      zip([c, x, y], x.dtype, (v, at) => {
        const [cond, yes, no] = v as [TensorArray, TensorArray, TensorArray];
        const [ci, yi, ni] = at as [number, number, number];
        return (cond[ci] ? yes[yi] : no[ni]) as number;
      }),
    ];
  },
  Softmax: ([x], attrs) => {
    if (!x) throw new Error("Softmax needs an input");
    const axis = axisOf(Number(attrs.get("axis") ?? -1), x.dims.length);
    if (axis !== x.dims.length - 1) throw new Error("Softmax is implemented over the last axis only");
    const n = x.dims[axis] as number;
    const out = new Float32Array(x.data.length);
    const tmp = new Float64Array(n);
    for (let r = 0; r < x.data.length; r += n) {
      let max = -Infinity;
      for (let i = 0; i < n; i++) max = Math.max(max, x.data[r + i] as number);
      let sum = 0;
      for (let i = 0; i < n; i++) sum += tmp[i] = Math.exp((x.data[r + i] as number) - max);
      for (let i = 0; i < n; i++) out[r + i] = (tmp[i] as number) / sum;
    }
    return [{ dtype: "float32", data: out, dims: [...x.dims] }];
  },
  LayerNormalization: ([x, scale, bias], attrs) => {
    if (!x || !scale) throw new Error("LayerNormalization needs an input and a scale");
    const axis = axisOf(Number(attrs.get("axis") ?? -1), x.dims.length);
    if (axis !== x.dims.length - 1) throw new Error("LayerNormalization is implemented over the last axis only");
    const eps = Number(attrs.get("epsilon") ?? 1e-5);
    const n = x.dims[axis] as number;
    const out = new Float32Array(x.data.length);
    const g = scale.data;
    const b = bias?.data;
    for (let r = 0; r < x.data.length; r += n) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += x.data[r + i] as number;
      mean /= n;
      let v = 0;
      for (let i = 0; i < n; i++) {
        const d = (x.data[r + i] as number) - mean;
        v += d * d;
      }
      const inv = 1 / Math.sqrt(v / n + eps);
      for (let i = 0; i < n; i++)
        out[r + i] =
          ((x.data[r + i] as number) - mean) * inv * (g[i] as number) + ((b?.[i] as number | undefined) ?? 0);
    }
    return [{ dtype: "float32", data: out, dims: [...x.dims] }];
  },
};
