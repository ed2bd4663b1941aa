/**
 * The x1 engine inside workerd: the kernel is imported as a module compiled at deploy time
 * (wrangler's CompiledWasm rule), as Workers cannot compile WebAssembly from bytes at run time.
 */
import kernelsModule from "./kernels.wasm";
import type { ModelManifest } from "../manifest";
import type { OrtRuntime } from "../runtime";
import { x1Runtime } from "./runtime";

export function workerdX1Runtime(architecture: ModelManifest["architecture"]): OrtRuntime {
  return x1Runtime(kernelsModule, architecture);
}
