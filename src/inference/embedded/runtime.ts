/**
 * The slice of the ONNX Runtime API the embedded model uses, so the same decoding code runs on the
 * x1 engine inside the Worker and on onnxruntime-web or onnxruntime-node in the tests and tools.
 */
export type TensorData = Float32Array | Int32Array | Uint8Array;

export interface OrtTensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
  readonly type: string;
}

export interface OrtSessionLike {
  run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, OrtTensorLike>>;
}

export interface GraphFiles {
  /** `vision` or `decoder`. */
  name: string;
  file: string;
  bytes: Uint8Array;
  /** The shards the graph references, by the file name its initializers give as `location`. */
  externalData: { path: string; data: Uint8Array }[];
}

export interface OrtRuntime {
  /** For reports and benchmarks, e.g. `onnxruntime-web 1.30.0 (wasm)`. */
  readonly name: string;
  tensor(type: "float32" | "int32" | "uint8", data: TensorData, dims: readonly number[]): OrtTensorLike;
  createSession(graph: GraphFiles): Promise<OrtSessionLike>;
  /**
   * Resolves on a later turn of the host's event loop; X1Model waits for one before every session
   * run. Default `setTimeout(0)`, which Node clamps to 1 ms: the Node runtimes give `setImmediate`,
   * or a 64-token decode would spend 64 ms waiting and a Node benchmark would time the clamp.
   */
  nextTurn?: () => Promise<void>;
  /** Bytes of the runtime's wasm memory, where it has its own (benchmarks). */
  wasmHeapBytes?: () => number;
}
