/**
 * The x1 engine's kernels (kernels.c, compiled to a 20 KB wasm module by build-kernels.sh) and
 * their memory: weights are copied in once, below a scratch arena that each decoder call reuses.
 * Offsets are byte addresses in the module's memory; views are made afresh after any growth.
 */
export interface KernelExports {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  gemm(a: number, b: number, out: number, M: number, K: number, N: number): void;
  layer_norm(x: number, rows: number, D: number, g: number, b: number, eps: number, out: number): void;
  quantize(x: number, n: number, q: number): number;
  dequantize(out: number, rows: number, N: number, scale: number, colScale: number, bias: number): void;
  split_heads(
    qkv: number,
    B: number,
    T: number,
    H: number,
    Dh: number,
    cos: number,
    sin: number,
    q: number,
    k: number,
    v: number,
  ): void;
  attention(
    q: number,
    B: number,
    T: number,
    H: number,
    Dh: number,
    S: number,
    P: number,
    prefixK: number,
    prefixV: number,
    pastK: number,
    pastV: number,
    newK: number,
    newV: number,
    keyValid: number,
    scale: number,
    y: number,
    scores: number,
  ): void;
  erf_inplace(x: number, n: number): void;
  /** op: a `BINARY` code; b is n values or one. */
  binary(op: number, a: number, b: number, out: number, n: number, bCount: number): void;
  conv2d(
    x: number,
    C: number,
    H: number,
    W: number,
    w: number,
    bias: number,
    M: number,
    KH: number,
    KW: number,
    sy: number,
    sx: number,
    py: number,
    px: number,
    dy: number,
    dx: number,
    OH: number,
    OW: number,
    cols: number,
    out: number,
  ): void;
  gelu(x: number, n: number): void;
}

/** `binary`'s operation codes (kernels.c). */
export const BINARY = { Add: 0, Sub: 1, Mul: 2, Div: 3 } as const;

const PAGE = 65536;
const align = (n: number): number => Math.ceil(n / 16) * 16;

export class Kernels {
  readonly k: KernelExports;
  /** End of the resident weights; the arena starts here. */
  private base: number;
  private top: number;

  constructor(module: WebAssembly.Module) {
    this.k = new WebAssembly.Instance(module, {}).exports as unknown as KernelExports;
    this.base = this.top = align(Number(this.k.__heap_base.value));
  }

  private ensure(end: number): void {
    const memory = this.k.memory;
    if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE));
  }

  /** Copies float values in for the kernels' life (weights); returns their address. */
  resident(values: ArrayLike<number>): number {
    if (this.top !== this.base) throw new Error("kernels: weights must be loaded before any call");
    const at = this.alloc(values.length * 4);
    this.f32(at, values.length).set(values);
    this.base = this.top;
    return at;
  }

  /** Frees every arena allocation (the start of a decoder call). */
  reset(): void {
    this.top = this.base;
  }

  /** Frees the arena allocations made after `mark` (an earlier `alloc`'s address). */
  rewind(mark: number): void {
    if (mark < this.base || mark > this.top) throw new Error(`kernels: ${mark} is not an arena mark`);
    this.top = mark;
  }

  alloc(bytes: number): number {
    const at = this.top;
    this.top = align(at + bytes);
    this.ensure(this.top);
    return at;
  }

  /** Allocates and fills n floats (or int32s) from `values`. */
  put(values: Float32Array | Int32Array): number {
    const at = this.alloc(values.length * 4);
    (values instanceof Int32Array ? this.i32(at, values.length) : this.f32(at, values.length)).set(values as never);
    return at;
  }

  f32(at: number, n: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, at, n);
  }

  i32(at: number, n: number): Int32Array {
    return new Int32Array(this.k.memory.buffer, at, n);
  }

  /** A copy of n floats at `at`, which outlives the arena. */
  take(at: number, n: number): Float32Array {
    return this.f32(at, n).slice();
  }
}
