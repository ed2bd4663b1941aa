/**
 * Runtimes for the Node tools (evaluation, parity, benchmark): the x1 engine (the Worker's own,
 * its kernels read from disk), onnxruntime-node, which reads external data from files beside the
 * graph (so it loads graphs by path), or onnxruntime-web's wasm build in Node (fed the same bytes
 * and externalData as in workerd).
 */
import { readFile } from "node:fs/promises";
import type { ModelManifest } from "../../src/inference/embedded/manifest";
import { x1Runtime } from "../../src/inference/embedded/x1/runtime";
import { join } from "node:path";
import type { FileSource } from "../../src/inference/embedded/loader";
import { ortWebRuntime } from "../../src/inference/embedded/ort-web";
import type { OrtRuntime, OrtTensorLike, TensorData } from "../../src/inference/embedded/runtime";

/** A turn of Node's event loop without setTimeout's 1 ms clamp (OrtRuntime.nextTurn). */
const immediateTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function dirSource(dir: string): FileSource {
  return async (name) => new Uint8Array(await readFile(join(dir, name)));
}

export async function nodeRuntime(dir: string, threads = 1): Promise<OrtRuntime> {
  const ort = await import("onnxruntime-node");
  return {
    nextTurn: immediateTurn,
    name: `onnxruntime-node ${ort.env.versions.node ?? ""} (${threads} thread${threads > 1 ? "s" : ""})`,
    tensor: (type, data: TensorData, dims) => new ort.Tensor(type, data, dims as number[]) as unknown as OrtTensorLike,
    createSession: async (graph) =>
      (await ort.InferenceSession.create(join(dir, graph.file), {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: "all",
      })) as unknown as Awaited<ReturnType<OrtRuntime["createSession"]>>,
  };
}

export async function webRuntimeInNode(): Promise<OrtRuntime> {
  return ortWebRuntime(await import("onnxruntime-web/wasm"), "Node", immediateTurn);
}

/** The x1 engine, as the Worker runs it (src/inference/embedded/x1). */
export async function x1RuntimeInNode(architecture: ModelManifest["architecture"]): Promise<OrtRuntime> {
  // The tools run from the repository root (npm scripts).
  const bytes = await readFile(join(process.cwd(), "src/inference/embedded/x1/kernels.wasm"));
  const compile = (WebAssembly as unknown as { compile(b: Uint8Array): Promise<WebAssembly.Module> }).compile;
  return x1Runtime(await compile(bytes), architecture, immediateTurn);
}
