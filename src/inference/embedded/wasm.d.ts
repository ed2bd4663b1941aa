// wrangler's CompiledWasm rule: a `.wasm` import is a WebAssembly.Module compiled at deploy time.
declare module "onnxruntime-web/ort-wasm-simd-threaded.wasm" {
  const module: WebAssembly.Module;
  export default module;
}

declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
