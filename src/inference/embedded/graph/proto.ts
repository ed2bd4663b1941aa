/**
 * Reads the part of an ONNX model file (protobuf, onnx.proto3) that the graph interpreter needs:
 * the graph's nodes with their attributes, its initializers (inline or in external shards) and the
 * names of its inputs and outputs. A protobuf wire reader of forty lines instead of a protobuf
 * library and the .proto schema: the embedded model uses a handful of fields, all listed below.
 */
import { tensorOf, type DType, type Tensor } from "./tensor";

/** ONNX TensorProto.DataType codes the interpreter can hold. */
const DTYPES: Record<number, DType> = { 1: "float32", 2: "uint8", 3: "int8", 6: "int32", 7: "int64", 9: "bool" };

export type Attribute = number | number[] | string | Tensor;

export interface GraphNode {
  op: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, Attribute>;
}

export interface GraphProto {
  nodes: GraphNode[];
  initializers: Map<string, Tensor>;
  inputs: string[];
  outputs: string[];
}

/** Bytes of the shards, by the file name an initializer gives as its `location`. */
export type ExternalData = ReadonlyMap<string, Uint8Array>;

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  /** A varint as a bigint, so that negative int64 values (ten bytes, two's complement) survive. */
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error("ONNX model: truncated varint");
      const byte = this.buf[this.pos++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asIntN(64, result);
      shift += 7n;
    }
  }
  /** A varint as a number: values below 2^28 (almost every field) without a bigint. */
  int(): number {
    let result = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      const byte = this.buf[this.pos];
      if (byte === undefined) throw new Error("ONNX model: truncated varint");
      if (byte >= 0x80) {
        result |= (byte & 0x7f) << shift;
        this.pos++;
        continue;
      }
      this.pos++;
      return result | (byte << shift);
    }
    // Longer (or negative): rewind past what was read and take the exact path.
    this.pos -= 4;
    return Number(this.varint());
  }
  bytes(): Uint8Array {
    const len = this.int();
    if (len < 0 || this.pos + len > this.buf.length) throw new Error("ONNX model: field runs past its message");
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  string(): string {
    return new TextDecoder().decode(this.bytes());
  }
  float(): number {
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`ONNX model: unsupported protobuf wire type ${wire}`);
  }
  /** Calls `field` for each (number, wire type) of the message; it reads the value or returns false to skip it. */
  each(field: (no: number, wire: number) => boolean | void): void {
    while (!this.done) {
      const key = this.int();
      const no = key >>> 3;
      const wire = key & 7;
      if (field(no, wire) === false) this.skip(wire);
    }
  }
  /** A repeated int64 field, packed or not. */
  ints(wire: number, into: number[]): void {
    if (wire !== 2) {
      into.push(this.int());
      return;
    }
    const r = new Reader(this.bytes());
    while (!r.done) into.push(r.int());
  }
}

/** Copies bytes into a fresh, aligned buffer and views them as the dtype's array. */
function fromBytes(dtype: DType, bytes: Uint8Array, count: number): Tensor["data"] {
  const copy = new Uint8Array(bytes).buffer;
  switch (dtype) {
    case "float32":
      return new Float32Array(copy, 0, count);
    case "int32":
      return new Int32Array(copy, 0, count);
    case "int64":
      return Float64Array.from(new BigInt64Array(copy, 0, count), Number);
    case "int8":
      return new Int8Array(copy, 0, count);
    default:
      return new Uint8Array(copy, 0, count);
  }
}

function readTensor(buf: Uint8Array, external: ExternalData | undefined): Tensor & { name: string } {
  const r = new Reader(buf);
  const dims: number[] = [];
  const floats: number[] = [];
  const ints: number[] = [];
  const ext = new Map<string, string>();
  let code = 0;
  let name = "";
  let raw: Uint8Array | undefined;
  r.each((no, wire) => {
    if (no === 1) r.ints(wire, dims);
    else if (no === 2) code = r.int();
    else if (no === 4) {
      if (wire !== 2) return void floats.push(r.float());
      const p = new Reader(r.bytes());
      while (!p.done) floats.push(p.float());
    } else if (no === 5 || no === 7) r.ints(wire, ints);
    else if (no === 8) name = r.string();
    else if (no === 9) raw = r.bytes();
    else if (no === 13) {
      const entry = new Reader(r.bytes());
      let key = "";
      let value = "";
      entry.each((n) => {
        if (n === 1) key = entry.string();
        else if (n === 2) value = entry.string();
        else return false;
      });
      ext.set(key, value);
    } else return false;
  });
  const dtype = DTYPES[code];
  if (!dtype) throw new Error(`ONNX model: tensor ${name} has data type ${code}, which the interpreter does not hold`);
  const count = dims.reduce((a, b) => a * b, 1);
  const width = { float32: 4, int32: 4, int64: 8, int8: 1, uint8: 1, bool: 1 }[dtype];
  if (ext.size > 0) {
    const location = ext.get("location") ?? "";
    const shard = external?.get(location);
    if (!shard) throw new Error(`ONNX model: tensor ${name} is in ${location}, which was not given`);
    const offset = Number(ext.get("offset") ?? 0);
    const length = Number(ext.get("length") ?? count * width);
    if (length !== count * width || offset + length > shard.length) {
      throw new Error(`ONNX model: tensor ${name} does not fit ${location} (offset ${offset}, ${length} bytes)`);
    }
    raw = shard.subarray(offset, offset + length);
  }
  if (raw) {
    if (raw.length !== count * width)
      throw new Error(`ONNX model: tensor ${name} has ${raw.length} bytes, not ${count * width}`);
    return { name, ...tensorOf(dtype, fromBytes(dtype, raw, count), dims) };
  }
  const values = dtype === "float32" ? floats : ints;
  if (values.length !== count) throw new Error(`ONNX model: tensor ${name} has ${values.length} values, not ${count}`);
  const t = tensorOf(dtype, values, dims);
  return { name, ...t };
}

function readAttribute(buf: Uint8Array, external: ExternalData | undefined): [string, Attribute] {
  const r = new Reader(buf);
  let name = "";
  let value: Attribute | undefined;
  const ints: number[] = [];
  const floats: number[] = [];
  r.each((no, wire) => {
    if (no === 1) name = r.string();
    else if (no === 2) value = r.float();
    else if (no === 3) value = r.int();
    else if (no === 4) value = r.string();
    else if (no === 5) value = readTensor(r.bytes(), external);
    else if (no === 7) {
      if (wire !== 2) return void floats.push(r.float());
      const p = new Reader(r.bytes());
      while (!p.done) floats.push(p.float());
    } else if (no === 8) r.ints(wire, ints);
    else return false;
  });
  return [name, value ?? (ints.length > 0 ? ints : floats)];
}

function readNode(buf: Uint8Array, external: ExternalData | undefined): GraphNode {
  const r = new Reader(buf);
  const node: GraphNode = { op: "", name: "", inputs: [], outputs: [], attrs: new Map() };
  r.each((no) => {
    if (no === 1) node.inputs.push(r.string());
    else if (no === 2) node.outputs.push(r.string());
    else if (no === 3) node.name = r.string();
    else if (no === 4) node.op = r.string();
    else if (no === 5) node.attrs.set(...readAttribute(r.bytes(), external));
    else return false;
  });
  return node;
}

function valueName(buf: Uint8Array): string {
  const r = new Reader(buf);
  let name = "";
  r.each((no) => {
    if (no === 1) name = r.string();
    else return false;
  });
  return name;
}

/** The graph of an ONNX model file; initializers stored outside it are read from `external`. */
export function readModel(bytes: Uint8Array, external?: ExternalData): GraphProto {
  const model = new Reader(bytes);
  let graph: GraphProto | undefined;
  model.each((no) => {
    if (no !== 7) return false;
    const g = new Reader(model.bytes());
    const out: GraphProto = { nodes: [], initializers: new Map(), inputs: [], outputs: [] };
    g.each((n) => {
      if (n === 1) out.nodes.push(readNode(g.bytes(), external));
      else if (n === 5) {
        const t = readTensor(g.bytes(), external);
        out.initializers.set(t.name, { dtype: t.dtype, data: t.data, dims: t.dims });
      } else if (n === 11) out.inputs.push(valueName(g.bytes()));
      else if (n === 12) out.outputs.push(valueName(g.bytes()));
      else return false;
    });
    graph = out;
  });
  if (!graph) throw new Error("ONNX model: no graph");
  return graph;
}
