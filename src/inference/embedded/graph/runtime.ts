/**
 * The embedded model's graphs on the TypeScript interpreter, behind the same `OrtRuntime` seam as
 * onnxruntime-web: no wasm to instantiate and no session to optimise, so a fresh isolate answers
 * its first request without paying for ONNX Runtime's start-up (docs/embedded-model.md).
 */
import type { OrtRuntime, OrtSessionLike, OrtTensorLike } from "../runtime";
import { GraphSession } from "./session";
import type { Tensor } from "./tensor";

export const GRAPH_RUNTIME_NAME = "x1 graph interpreter (TypeScript)";

export function graphRuntime(nextTurn?: () => Promise<void>): OrtRuntime {
  return {
    nextTurn,
    name: GRAPH_RUNTIME_NAME,
    tensor: (type, data, dims) => ({ dtype: type, type, data, dims: [...dims] }) as Tensor & OrtTensorLike,
    createSession: async (graph): Promise<OrtSessionLike> => {
      const session = new GraphSession(
        graph.bytes,
        new Map(graph.externalData.map((e) => [e.path, e.data])),
        graph.name,
      );
      return {
        run: async (feeds) => {
          const out = session.run(feeds as unknown as Record<string, Tensor>);
          return Object.fromEntries(
            Object.entries(out).map(([name, t]) => [name, { ...t, type: t.dtype } as Tensor & OrtTensorLike]),
          );
        },
      };
    },
  };
}
