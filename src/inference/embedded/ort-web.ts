/**
 * An `OrtRuntime` over onnxruntime-web's wasm build, fed graph bytes and their shards in memory:
 * the Worker's engine (ort-workerd.ts) and the same engine under Node for the tools
 * (tools/eval/node-runtime.ts). One thread, no proxy worker; `ort` is the loaded module.
 */
import type * as OrtWeb from "onnxruntime-web/wasm";
import type { OrtRuntime, OrtSessionLike, OrtTensorLike, TensorData } from "./runtime";

export function ortWebRuntime(ort: typeof OrtWeb, where: string, nextTurn?: () => Promise<void>): OrtRuntime {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  return {
    nextTurn,
    name: `onnxruntime-web ${ort.env.versions.web ?? ""} (wasm in ${where}, 1 thread)`,
    tensor: (type, data: TensorData, dims) => new ort.Tensor(type, data, dims as number[]) as unknown as OrtTensorLike,
    createSession: async (graph) =>
      (await ort.InferenceSession.create(graph.bytes, {
        executionProviders: ["wasm"],
        graphOptimizationLevel: "all",
        externalData: graph.externalData,
      })) as unknown as OrtSessionLike,
  };
}
