/**
 * The embedded model without ONNX Runtime: the decoder computed by `X1Decoder` on the x1 kernels
 * (kernels.c, a 20 KB wasm module) and the vision graph, which runs once per image, by the graph
 * interpreter with the kernels' convolution, erf and element-wise arithmetic. Behind the same `OrtRuntime` seam as
 * onnxruntime-web, so `X1Model` and the tools run either (docs/embedded-model.md, Serving).
 */
import type { OrtRuntime, OrtSessionLike, OrtTensorLike } from "../runtime";
import { OPS, type Op } from "../graph/ops";
import { convOp } from "../graph/ops-matmul";
import { readModel } from "../graph/proto";
import { GraphSession } from "../graph/session";
import type { Tensor } from "../graph/tensor";
import type { ModelManifest } from "../manifest";
import { X1Decoder } from "./decoder";
import { BINARY, Kernels } from "./kernel";

export const X1_RUNTIME_NAME = "x1 engine (its own wasm kernels, one thread)";

const asOrt = (t: Tensor): Tensor & OrtTensorLike => ({ ...t, type: t.dtype }) as Tensor & OrtTensorLike;

export function x1Runtime(
  kernelModule: WebAssembly.Module,
  architecture: ModelManifest["architecture"],
  nextTurn?: () => Promise<void>,
): OrtRuntime {
  const kernels = new Kernels(kernelModule);
  // The vision graph (once per image) runs on the interpreter with the kernels' convolution and
  // erf. Its operands live in the arena, which it rewinds: it runs whole between decoder calls.
  const inArena = <R>(work: () => R): R => {
    const mark = kernels.alloc(0);
    try {
      return work();
    } finally {
      kernels.rewind(mark);
    }
  };
  // Convolution filters and biases are copied into kernel memory once, when the vision session is
  // built (before the decoder's weights, and before any call).
  const resident = new Map<object, number>();
  const keep = (t: Tensor | undefined): number => {
    if (!t) return 0;
    let at = resident.get(t.data);
    if (at === undefined) resident.set(t.data, (at = kernels.resident(t.data)));
    return at;
  };
  const Conv = convOp((x, w, bias, g) =>
    inArena(() => {
      const plane = g.OH * g.OW;
      const cols = kernels.alloc(g.C * g.KH * g.KW * plane * 4);
      const out = kernels.alloc(g.M * plane * 4);
      const { C, H, W, M, KH, KW, sy, sx, py, px, dy, dx, OH, OW } = g;
      kernels.k.conv2d(
        kernels.put(x),
        C,
        H,
        W,
        keep(w),
        keep(bias),
        M,
        KH,
        KW,
        sy,
        sx,
        py,
        px,
        dy,
        dx,
        OH,
        OW,
        cols,
        out,
      );
      return kernels.take(out, M * plane);
    }),
  );
  const Erf: Op = ([x]) => {
    if (!x || x.dtype !== "float32") throw new Error("Erf needs a float32 input");
    return [
      inArena(() => {
        const at = kernels.put(x.data as Float32Array);
        kernels.k.erf_inplace(at, x.data.length);
        return { dtype: "float32", data: kernels.take(at, x.data.length), dims: [...x.dims] } as Tensor;
      }),
    ];
  };
  // Element-wise arithmetic on whole feature maps (the image normalisation and GELUs) in wasm; other
  // shapes, and small tensors, stay with the interpreter's operators.
  const elementwise = (name: keyof typeof BINARY): Op => {
    const fallback = OPS[name] as Op;
    return (inputs, attrs, outputs) => {
      const [a, b] = inputs;
      const fits =
        a?.dtype === "float32" &&
        b?.dtype === "float32" &&
        a.data.length >= 1024 &&
        (b.data.length === 1 || (b.dims.length === a.dims.length && b.dims.every((d, i) => d === a.dims[i])));
      if (!fits) return fallback(inputs, attrs, outputs);
      return [
        inArena(() => {
          const n = a.data.length;
          const out = kernels.alloc(n * 4);
          kernels.k.binary(
            BINARY[name],
            kernels.put(a.data as Float32Array),
            kernels.put(b.data as Float32Array),
            out,
            n,
            b.data.length,
          );
          return { dtype: "float32", data: kernels.take(out, n), dims: [...a.dims] } as Tensor;
        }),
      ];
    };
  };
  const visionOps = {
    Conv,
    Erf,
    Add: elementwise("Add"),
    Sub: elementwise("Sub"),
    Mul: elementwise("Mul"),
    Div: elementwise("Div"),
  };

  return {
    nextTurn,
    name: X1_RUNTIME_NAME,
    wasmHeapBytes: () => kernels.k.memory.buffer.byteLength,
    tensor: (type, data, dims) => asOrt({ dtype: type, data, dims: [...dims] }),
    createSession: async (graph): Promise<OrtSessionLike> => {
      const proto = readModel(graph.bytes, new Map(graph.externalData.map((e) => [e.path, e.data])));
      let run: { run(feeds: Readonly<Record<string, Tensor>>): Record<string, Tensor> };
      if (graph.name === "decoder") run = new X1Decoder(kernels, architecture, proto);
      else {
        run = new GraphSession(proto, graph.name, visionOps);
        for (const node of proto.nodes) {
          if (node.op === "Conv") node.inputs.slice(1).forEach((name) => keep(proto.initializers.get(name)));
        }
      }
      return {
        run: async (feeds) => {
          const out = run.run(feeds as unknown as Record<string, Tensor>);
          return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, asOrt(t)]));
        },
      };
    },
  };
}
