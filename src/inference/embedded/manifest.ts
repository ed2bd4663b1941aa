/** model-shards/manifest.json (written by tools/export/package.py). */
export interface FileEntry {
  file: string;
  bytes: number;
  sha256: string;
}

export interface GraphEntry extends FileEntry {
  /** The shards whose tensors this graph references (external data). */
  shards: string[];
  inputs: string[];
  outputs: string[];
}

export interface ModelManifest {
  model: string;
  version: string;
  format: "onnx";
  opset: number;
  architecture: {
    name: string;
    vocab_size: number;
    d_model: number;
    n_layers: number;
    n_heads: number;
    head_dim: number;
    max_len: number;
    image_size: number;
    image_tokens: number;
    parameters: number;
  };
  tokenizer: FileEntry & { vocab_size: number };
  quantization: { scheme: string; int8_bytes: number; fp32_bytes: number };
  graphs: { vision: GraphEntry; decoder: GraphEntry };
  shards: FileEntry[];
}

export function parseManifest(text: string): ModelManifest {
  const m = JSON.parse(text) as ModelManifest;
  const ok =
    typeof m.model === "string" &&
    typeof m.architecture?.n_layers === "number" &&
    typeof m.graphs?.vision?.file === "string" &&
    typeof m.graphs?.decoder?.file === "string" &&
    Array.isArray(m.graphs.decoder.inputs) &&
    Array.isArray(m.shards) &&
    m.shards.every((s) => typeof s.file === "string" && typeof s.sha256 === "string" && typeof s.bytes === "number");
  if (!ok) throw new Error("model-shards/manifest.json is not a valid manifest");
  return m;
}
