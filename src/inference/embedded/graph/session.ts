/**
 * One ONNX graph, run by walking its nodes in the file's order (ONNX requires a topological one).
 * Constant nodes are evaluated once when the session is built; every other value lives only from
 * the node that makes it to the last node that reads it.
 */
import { OPS, type Op } from "./ops";
import type { GraphNode, GraphProto } from "./proto";
import type { Tensor } from "./tensor";

export class GraphSession {
  readonly inputs: string[];
  readonly outputs: string[];
  private readonly ops: Readonly<Record<string, Op>>;
  private readonly nodes: GraphNode[];
  private readonly constants: Map<string, Tensor>;
  /** For each node, the values it is the last reader of. */
  private readonly release: string[][];

  constructor(
    /** The graph as `readModel` reads it. */
    graph: GraphProto,
    /** Which graph, for error messages. */
    readonly name: string,
    /** Operators to use in place of the table's (a runtime's own kernels). */
    ops: Readonly<Record<string, Op>> = {},
  ) {
    this.ops = { ...OPS, ...ops };
    this.constants = new Map(graph.initializers);
    this.outputs = graph.outputs;
    this.inputs = graph.inputs.filter((n) => !graph.initializers.has(n));
    const unknown = [...new Set(graph.nodes.map((n) => n.op).filter((op) => !this.ops[op]))];
    if (unknown.length > 0)
      throw new Error(`graph ${name}: operators the interpreter does not implement: ${unknown.join(", ")}`);
    this.nodes = [];
    for (const node of graph.nodes) {
      if (node.op === "Constant") this.assign(node, this.apply(node, this.constants), this.constants);
      else this.nodes.push(node);
    }
    const last = new Map<string, number>();
    this.nodes.forEach((node, i) => node.inputs.forEach((input) => last.set(input, i)));
    this.release = this.nodes.map(() => []);
    for (const [value, i] of last) {
      if (!this.constants.has(value) && !this.outputs.includes(value)) this.release[i]?.push(value);
    }
  }

  run(feeds: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
    const values = new Map<string, Tensor>();
    for (const name of this.inputs) {
      const t = feeds[name];
      if (!t) throw new Error(`graph ${this.name}: input ${name} is missing`);
      values.set(name, t);
    }
    this.nodes.forEach((node, i) => {
      this.assign(node, this.apply(node, values), values);
      for (const value of this.release[i] as string[]) values.delete(value);
    });
    return Object.fromEntries(
      this.outputs.map((name) => {
        const t = values.get(name);
        if (!t) throw new Error(`graph ${this.name}: output ${name} was not computed`);
        return [name, t];
      }),
    );
  }

  private apply(node: GraphNode, values: ReadonlyMap<string, Tensor>): Tensor[] {
    const inputs = node.inputs.map((name) => {
      if (name === "") return undefined;
      const t = values.get(name) ?? this.constants.get(name);
      if (!t) throw new Error(`graph ${this.name}: node ${node.name} reads ${name}, which is not computed yet`);
      return t;
    });
    try {
      return (this.ops[node.op] as Op)(inputs, node.attrs, node.outputs.length);
    } catch (err) {
      throw new Error(
        `graph ${this.name}: ${node.op} node ${node.name}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  private assign(node: GraphNode, results: Tensor[], into: Map<string, Tensor>): void {
    node.outputs.forEach((name, i) => {
      const t = results[i];
      if (name !== "" && t) into.set(name, t);
    });
  }
}
