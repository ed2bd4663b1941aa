/**
 * The operator table: each ONNX operator the embedded model's graphs use (opset 17, default
 * domain), as a function of its inputs (undefined where an optional input is left out), its
 * attributes and how many outputs the node names.
 */
import type { Attribute } from "./proto";
import { matmulOps } from "./ops-matmul";
import { mathOps } from "./ops-math";
import { shapeOps } from "./ops-shape";
import type { Tensor } from "./tensor";

export type Op = (inputs: (Tensor | undefined)[], attrs: ReadonlyMap<string, Attribute>, outputs: number) => Tensor[];

export const OPS: Readonly<Record<string, Op>> = { ...shapeOps, ...mathOps, ...matmulOps };
