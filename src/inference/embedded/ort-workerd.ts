/**
 * onnxruntime-web inside workerd: the reference the x1 engine is tested against and benchmarked
 * beside (the Worker itself runs the x1 engine; docs/embedded-model.md, Serving). Workers cannot
 * compile WebAssembly from bytes at run time and have no threads, so the wasm is imported as a
 * module compiled at deploy time (CompiledWasm rule), and ORT is handed a marker `wasmBinary`: a
 * wrapped WebAssembly.instantiate recognises it and instantiates the precompiled module instead.
 * One thread, no proxy worker.
 */
import * as ort from "onnxruntime-web/wasm";
import ortWasm from "onnxruntime-web/ort-wasm-simd-threaded.wasm";
import { ortWebRuntime } from "./ort-web";
import type { OrtRuntime } from "./runtime";

const MARKER = new ArrayBuffer(8);
let installed = false;
let memory: WebAssembly.Memory | undefined;

/** Bytes of ORT's wasm heap (it never shrinks, so this is also the peak), once instantiated. */
export function wasmHeapBytes(): number | undefined {
  return memory?.buffer.byteLength;
}

function findMemory(
  imports: WebAssembly.Imports | undefined,
  instance: WebAssembly.Instance,
): WebAssembly.Memory | undefined {
  for (const value of Object.values(instance.exports)) if (value instanceof WebAssembly.Memory) return value;
  for (const ns of Object.values(imports ?? {})) {
    for (const value of Object.values(ns)) if (value instanceof WebAssembly.Memory) return value;
  }
  return undefined;
}

function install(): void {
  if (installed) return;
  installed = true;
  const original = WebAssembly.instantiate.bind(WebAssembly) as (...args: unknown[]) => Promise<unknown>;
  const wrapped = (source: unknown, imports?: WebAssembly.Imports): Promise<unknown> => {
    const bytes = source as { buffer?: ArrayBuffer } | ArrayBuffer;
    if (bytes === MARKER || (bytes as { buffer?: ArrayBuffer }).buffer === MARKER) {
      return WebAssembly.instantiate(ortWasm, imports).then((instance) => {
        memory = findMemory(imports, instance);
        return { instance, module: ortWasm };
      });
    }
    return original(source, imports);
  };
  (WebAssembly as unknown as { instantiate: unknown }).instantiate = wrapped;
  ort.env.wasm.wasmBinary = MARKER;
  ort.env.logLevel = "error";
}

export function workerdRuntime(): OrtRuntime {
  install();
  return ortWebRuntime(ort, "workerd");
}
