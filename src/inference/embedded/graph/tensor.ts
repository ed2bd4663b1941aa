/**
 * The interpreter's tensors: a typed array in row-major order and its dimensions. int64 values
 * (ONNX's shapes and indices) are held as doubles: every int64 in these graphs is a shape, an
 * index or a slice bound, exact below 2^53, and INT64_MAX as a slice end only needs to be large.
 */
export type DType = "float32" | "int32" | "int64" | "int8" | "uint8" | "bool";

export type TensorArray = Float32Array | Int32Array | Float64Array | Int8Array | Uint8Array;

export interface Tensor {
  dtype: DType;
  data: TensorArray;
  dims: number[];
}

const CTORS = {
  float32: Float32Array,
  int32: Int32Array,
  int64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
} as const;

export function alloc(dtype: DType, count: number): TensorArray {
  return new CTORS[dtype](count);
}

export function tensorOf(dtype: DType, values: TensorArray | readonly number[], dims: readonly number[]): Tensor {
  const data =
    values instanceof CTORS[dtype] ? (values as TensorArray) : CTORS[dtype].from(values as ArrayLike<number>);
  return { dtype, data, dims: [...dims] };
}

export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i] as number;
  }
  return s;
}

/** Numpy broadcasting of two shapes; throws with both shapes when they do not broadcast. */
export function broadcastDims(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`shapes [${a}] and [${b}] do not broadcast`);
    out[i] = x === 1 ? y : x;
  }
  return out;
}

/**
 * For each element of an output of shape `out` (row-major), a position in a source array, when
 * moving one step along output axis i moves `step[i]` elements in the source: how broadcasts,
 * slices and transposes read their input.
 */
export function walkIndex(out: readonly number[], step: readonly number[], start = 0): Int32Array {
  const total = sizeOf(out);
  const index = new Int32Array(total);
  const counter = new Array<number>(out.length).fill(0);
  let at = start;
  for (let i = 0; i < total; i++) {
    index[i] = at;
    for (let ax = out.length - 1; ax >= 0; ax--) {
      counter[ax] = (counter[ax] as number) + 1;
      at += step[ax] as number;
      if ((counter[ax] as number) < (out[ax] as number)) break;
      at -= (step[ax] as number) * (out[ax] as number);
      counter[ax] = 0;
    }
  }
  return index;
}

/** The source positions a broadcast of shape `dims` to shape `out` reads (size-1 axes repeated). */
export function broadcastIndex(dims: readonly number[], out: readonly number[]): Int32Array {
  const own = stridesOf(dims);
  const offset = out.length - dims.length;
  return walkIndex(
    out,
    out.map((_, i) => (i < offset || dims[i - offset] === 1 ? 0 : (own[i - offset] as number))),
  );
}

/** An axis attribute (negative counts from the end) as an index into `rank` dimensions. */
export function axisOf(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= Math.max(rank, 1)) throw new Error(`axis ${axis} is outside a tensor of rank ${rank}`);
  return a;
}

/** The values of a small integer tensor (a shape, axes, slice bounds) as numbers. */
export function numbers(t: Tensor): number[] {
  return Array.from(t.data as ArrayLike<number>);
}
