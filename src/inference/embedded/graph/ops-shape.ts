/**
 * ONNX operators (opset 17) that move, select or describe values without arithmetic: what the
 * exporter emits around the model's math (shape computations, head splits, cache layouts).
 */
import type { Op } from "./ops";
import {
  alloc,
  axisOf,
  broadcastDims,
  broadcastIndex,
  numbers,
  sizeOf,
  stridesOf,
  tensorOf,
  walkIndex,
  type DType,
  type Tensor,
} from "./tensor";

const ONNX_TYPES: Record<number, DType> = { 1: "float32", 2: "uint8", 3: "int8", 6: "int32", 7: "int64", 9: "bool" };

function need(t: Tensor | undefined, what: string): Tensor {
  if (!t) throw new Error(`missing input ${what}`);
  return t;
}

/** Copies `t` into `dims` (same element count): a Reshape's result, sharing nothing. */
function withDims(t: Tensor, dims: number[]): Tensor {
  if (sizeOf(dims) !== t.data.length) throw new Error(`cannot reshape [${t.dims}] to [${dims}]`);
  return { dtype: t.dtype, data: t.data, dims };
}

/** Reads `src` at `index` (one source position per output element) into a new tensor. */
function pick(src: Tensor, index: Int32Array | number[], dims: number[]): Tensor {
  const out = alloc(src.dtype, index.length);
  const from = src.data;
  for (let i = 0; i < index.length; i++) out[i] = from[index[i] as number] as number;
  return { dtype: src.dtype, data: out, dims };
}

/** For an output of `outDims`, the source positions given by per-axis start and step in `srcDims`. */
function strided(srcDims: readonly number[], outDims: number[], starts: number[], steps: number[]): Int32Array {
  const src = stridesOf(srcDims);
  return walkIndex(
    outDims,
    steps.map((s, i) => s * (src[i] as number)),
    starts.reduce((sum, v, i) => sum + v * (src[i] as number), 0),
  );
}

export const shapeOps: Record<string, Op> = {
  Identity: ([x]) => [need(x, "input")],
  Constant: (_, attrs) => {
    const v = attrs.get("value");
    if (typeof v !== "object" || Array.isArray(v)) throw new Error("Constant without a tensor value");
    return [v];
  },
  Shape: ([x], attrs) => {
    const dims = need(x, "data").dims;
    const rank = dims.length;
    const clampAxis = (a: number): number => Math.min(Math.max(a < 0 ? a + rank : a, 0), rank);
    const start = clampAxis(Number(attrs.get("start") ?? 0));
    const end = clampAxis(Number(attrs.get("end") ?? rank));
    return [tensorOf("int64", dims.slice(start, end), [Math.max(end - start, 0)])];
  },
  Cast: ([x], attrs) => {
    const t = need(x, "input");
    const to = ONNX_TYPES[Number(attrs.get("to"))];
    if (!to) throw new Error(`Cast to ONNX type ${String(attrs.get("to"))}, which the interpreter does not hold`);
    const out = alloc(to, t.data.length);
    const from = t.data;
    if (to === "bool") for (let i = 0; i < from.length; i++) out[i] = from[i] !== 0 ? 1 : 0;
    else if (to === "float32" || t.dtype !== "float32") out.set(from);
    else for (let i = 0; i < from.length; i++) out[i] = Math.trunc(from[i] as number);
    return [{ dtype: to, data: out, dims: [...t.dims] }];
  },
  Reshape: ([x, shape]) => {
    const t = need(x, "data");
    const want = numbers(need(shape, "shape")).map((d, i) => (d === 0 ? (t.dims[i] as number) : d));
    const known = want.reduce((a, d) => (d === -1 ? a : a * d), 1);
    return [
      withDims(
        t,
        want.map((d) => (d === -1 ? t.data.length / known : d)),
      ),
    ];
  },
  Unsqueeze: ([x, axes]) => {
    const t = need(x, "data");
    const rank = t.dims.length + need(axes, "axes").data.length;
    const at = new Set(numbers(axes as Tensor).map((a) => axisOf(a, rank)));
    const dims: number[] = [];
    let next = 0;
    for (let i = 0; i < rank; i++) dims.push(at.has(i) ? 1 : (t.dims[next++] as number));
    return [withDims(t, dims)];
  },
  ConstantOfShape: ([shape], attrs) => {
    const v = attrs.get("value") as Tensor | undefined;
    const dims = numbers(need(shape, "shape"));
    const dtype = v?.dtype ?? "float32";
    const out = alloc(dtype, sizeOf(dims));
    out.fill((v?.data[0] as number | undefined) ?? 0);
    return [{ dtype, data: out, dims }];
  },
  Range: ([start, limit, delta]) => {
    const [s, l, d] = [start, limit, delta].map((t, i) =>
      Number(need(t, ["start", "limit", "delta"][i] as string).data[0]),
    );
    const n = Math.max(Math.ceil(((l as number) - (s as number)) / (d as number)), 0);
    const values = Array.from({ length: n }, (_, i) => (s as number) + i * (d as number));
    return [tensorOf((start as Tensor).dtype, values, [n])];
  },
  Expand: ([x, shape]) => {
    const t = need(x, "input");
    const dims = broadcastDims(t.dims, numbers(need(shape, "shape")));
    return [pick(t, broadcastIndex(t.dims, dims), dims)];
  },
  Concat: (inputs, attrs) => {
    const parts = inputs.filter((t): t is Tensor => t !== undefined);
    const first = need(parts[0], "inputs");
    const axis = axisOf(Number(attrs.get("axis")), first.dims.length);
    const dims = [...first.dims];
    dims[axis] = parts.reduce((s, t) => s + (t.dims[axis] as number), 0);
    const outer = sizeOf(first.dims.slice(0, axis));
    const out = alloc(first.dtype, sizeOf(dims));
    let at = 0;
    for (let o = 0; o < outer; o++) {
      for (const t of parts) {
        const block = t.data.length / outer;
        out.set(t.data.subarray(o * block, (o + 1) * block), at);
        at += block;
      }
    }
    return [{ dtype: first.dtype, data: out, dims }];
  },
  Split: ([x, split], attrs, outputs) => {
    const t = need(x, "input");
    const axis = axisOf(Number(attrs.get("axis") ?? 0), t.dims.length);
    const size = t.dims[axis] as number;
    const parts = split ? numbers(split) : Array<number>(outputs).fill(Math.ceil(size / outputs));
    let start = 0;
    return parts.map((len) => {
      const n = Math.min(len, size - start);
      const starts = t.dims.map((_, i) => (i === axis ? start : 0));
      const dims = t.dims.map((d, i) => (i === axis ? n : d));
      start += n;
      return pick(t, strided(t.dims, dims, starts, Array<number>(dims.length).fill(1)), dims);
    });
  },
  Slice: ([x, starts, ends, axes, steps]) => {
    const t = need(x, "data");
    const rank = t.dims.length;
    const from = numbers(need(starts, "starts"));
    const to = numbers(need(ends, "ends"));
    const which = axes ? numbers(axes).map((a) => axisOf(a, rank)) : from.map((_, i) => i);
    const by = steps ? numbers(steps) : from.map(() => 1);
    const begin = new Array<number>(rank).fill(0);
    const step = new Array<number>(rank).fill(1);
    const dims = [...t.dims];
    which.forEach((ax, i) => {
      const dim = t.dims[ax] as number;
      const s = by[i] as number;
      if (s === 0) throw new Error("Slice step 0");
      let b = from[i] as number;
      let e = to[i] as number;
      if (b < 0) b += dim;
      if (e < 0) e += dim;
      if (s > 0) {
        b = Math.min(Math.max(b, 0), dim);
        e = Math.min(Math.max(e, 0), dim);
      } else {
        b = Math.min(Math.max(b, 0), dim - 1);
        e = Math.min(Math.max(e, -1), dim - 1);
      }
      begin[ax] = b;
      step[ax] = s;
      dims[ax] = Math.max(Math.ceil((e - b) / s), 0);
    });
    return [pick(t, strided(t.dims, dims, begin, step), dims)];
  },
  Transpose: ([x], attrs) => {
    const t = need(x, "data");
    const perm = (attrs.get("perm") as number[] | undefined) ?? t.dims.map((_, i) => t.dims.length - 1 - i);
    const src = stridesOf(t.dims);
    const dims = perm.map((p) => t.dims[p] as number);
    // Output axis i walks source axis perm[i].
    const index = walkIndex(
      dims,
      perm.map((p) => src[p] as number),
    );
    return [pick(t, index, dims)];
  },
  Gather: ([x, indices], attrs) => {
    const t = need(x, "data");
    const idx = need(indices, "indices");
    const axis = axisOf(Number(attrs.get("axis") ?? 0), t.dims.length);
    const dim = t.dims[axis] as number;
    const outer = sizeOf(t.dims.slice(0, axis));
    const inner = sizeOf(t.dims.slice(axis + 1));
    const dims = [...t.dims.slice(0, axis), ...idx.dims, ...t.dims.slice(axis + 1)];
    const out = alloc(t.dtype, sizeOf(dims));
    const n = idx.data.length;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < n; j++) {
        let k = idx.data[j] as number;
        if (k < 0) k += dim;
        if (k < 0 || k >= dim) throw new Error(`Gather index ${idx.data[j]} is outside an axis of ${dim}`);
        const src = (o * dim + k) * inner;
        out.set(t.data.subarray(src, src + inner), (o * n + j) * inner);
      }
    }
    return [{ dtype: t.dtype, data: out, dims }];
  },
  GatherElements: ([x, indices], attrs) => {
    const t = need(x, "data");
    const idx = need(indices, "indices");
    const axis = axisOf(Number(attrs.get("axis") ?? 0), t.dims.length);
    const src = stridesOf(t.dims);
    const outStrides = stridesOf(idx.dims);
    const dim = t.dims[axis] as number;
    const index = new Int32Array(idx.data.length);
    for (let i = 0; i < index.length; i++) {
      let rest = i;
      let at = 0;
      for (let ax = 0; ax < idx.dims.length; ax++) {
        const c = Math.floor(rest / (outStrides[ax] as number));
        rest -= c * (outStrides[ax] as number);
        let k = c;
        if (ax === axis) {
          k = idx.data[i] as number;
          if (k < 0) k += dim;
          if (k < 0 || k >= dim) throw new Error(`GatherElements index ${idx.data[i]} is outside an axis of ${dim}`);
        }
        at += k * (src[ax] as number);
      }
      index[i] = at;
    }
    return [pick(t, index, [...idx.dims])];
  },
  CumSum: ([x, axisT], attrs) => {
    const t = need(x, "x");
    const axis = axisOf(Number(need(axisT, "axis").data[0]), t.dims.length);
    const exclusive = Number(attrs.get("exclusive") ?? 0) === 1;
    const reverse = Number(attrs.get("reverse") ?? 0) === 1;
    const dim = t.dims[axis] as number;
    const inner = sizeOf(t.dims.slice(axis + 1));
    const outer = sizeOf(t.dims.slice(0, axis));
    const out = alloc(t.dtype, t.data.length);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let sum = 0;
        for (let s = 0; s < dim; s++) {
          const k = reverse ? dim - 1 - s : s;
          const at = (o * dim + k) * inner + i;
          const v = t.data[at] as number;
          if (!exclusive) sum += v;
          out[at] = sum;
          if (exclusive) sum += v;
        }
      }
    }
    return [{ dtype: t.dtype, data: out, dims: [...t.dims] }];
  },
};
