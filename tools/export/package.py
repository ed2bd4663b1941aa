"""Package the exported graphs for the Worker: weights moved to external data split over shards,
the tokenizer copied beside them, and a manifest with every file's size and SHA-256.

  model-shards/manifest.json      model id, version, architecture, tokenizer, quantization, files
  model-shards/vision.onnx        graph only (weights external)
  model-shards/decoder.onnx       graph only (weights external)
  model-shards/weights-NN.bin     the weights of both graphs, tensor by tensor (64-byte aligned)
  model-shards/tokenizer.json     tools/train/tokenizer.json

Every weight lives in exactly one shard; a graph's initializers point at (shard, offset, length),
and the loader hands ORT the shards a graph names (`sessionOptions.externalData`). The shard size
limit is min(25 MiB, total / --min-shards), so there are always at least --min-shards shards.

Usage: /usr/bin/python3 tools/export/package.py --vision V.onnx --decoder D.onnx --export-meta export.json --out model-shards
"""
import argparse
import hashlib
import json
import math
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

MAX_SHARD = 25 * 1024 * 1024
ALIGN = 64
INLINE_BELOW = 64  # bytes: shape constants stay in the graph
MODEL_ID = "x1-shapes-tiny"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def clean_names(model):
    """`m.blocks.0.qkv.bias` -> `blocks.0.qkv.bias` (the export wrapper's prefix)."""
    ren = {i.name: i.name[2:] for i in model.graph.initializer if i.name.startswith("m.")}
    for i in model.graph.initializer:
        i.name = ren.get(i.name, i.name)
    for n in model.graph.node:
        for k, name in enumerate(n.input):
            if name in ren:
                n.input[k] = ren[name]


def external_tensors(model):
    out = []
    for t in model.graph.initializer:
        raw = numpy_helper.to_array(t).tobytes()
        if len(raw) >= INLINE_BELOW:
            out.append((t, raw))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vision", required=True)
    ap.add_argument("--decoder", required=True)
    ap.add_argument("--export-meta", required=True)
    ap.add_argument("--tokenizer", default="tools/train/tokenizer.json")
    ap.add_argument("--out", default="model-shards")
    ap.add_argument("--min-shards", type=int, default=2)
    ap.add_argument("--version", default="")
    args = ap.parse_args()
    meta = json.load(open(args.export_meta))
    cfg = meta["config"]
    graphs = {"vision": onnx.load(args.vision), "decoder": onnx.load(args.decoder)}
    for m in graphs.values():
        clean_names(m)
    tensors = [(g, t, raw) for g, m in graphs.items() for t, raw in external_tensors(m)]
    total = sum(math.ceil(len(raw) / ALIGN) * ALIGN for _, _, raw in tensors)
    limit = min(MAX_SHARD, math.ceil(total / args.min_shards / ALIGN) * ALIGN)
    # Pack in order (vision first, then the decoder layer by layer); never split a tensor.
    shards, cur, cur_len = [], [], 0
    for item in tensors:
        size = math.ceil(len(item[2]) / ALIGN) * ALIGN
        if size > MAX_SHARD:
            raise SystemExit(f"tensor {item[1].name} ({size} bytes) exceeds the 25 MiB shard limit")
        if cur and cur_len + size > limit:
            shards.append(cur)
            cur, cur_len = [], 0
        cur.append(item)
        cur_len += size
    if cur:
        shards.append(cur)
    if len(shards) < args.min_shards:
        raise SystemExit(f"only {len(shards)} shard(s); lower INLINE_BELOW or --min-shards")

    os.makedirs(args.out, exist_ok=True)
    for f in os.listdir(args.out):
        if f.startswith("weights-") and f.endswith(".bin"):
            os.remove(os.path.join(args.out, f))
    uses = {g: set() for g in graphs}
    shard_entries = []
    int8_bytes = fp32_bytes = 0
    for k, shard in enumerate(shards):
        name = f"weights-{k:02d}.bin"
        buf = bytearray()
        for g, t, raw in shard:
            offset = len(buf)
            buf += raw
            buf += b"\0" * ((-len(buf)) % ALIGN)
            if t.data_type == TensorProto.INT8:
                int8_bytes += len(raw)
            else:
                fp32_bytes += len(raw)
            arr_dims, dtype, tname = list(t.dims), t.data_type, t.name
            t.Clear()
            t.name, t.data_type = tname, dtype
            t.dims.extend(arr_dims)
            t.data_location = TensorProto.EXTERNAL
            for key, value in (("location", name), ("offset", str(offset)), ("length", str(len(raw)))):
                e = t.external_data.add()
                e.key, e.value = key, value
            uses[g].add(name)
        path = os.path.join(args.out, name)
        with open(path, "wb") as f:
            f.write(bytes(buf))
        shard_entries.append({"file": name, "bytes": len(buf), "sha256": sha256(path)})

    graph_entries = {}
    for g, m in graphs.items():
        path = os.path.join(args.out, f"{g}.onnx")
        onnx.save(m, path)
        graph_entries[g] = {
            "file": f"{g}.onnx", "bytes": os.path.getsize(path), "sha256": sha256(path),
            "shards": sorted(uses[g]),
            "inputs": [i.name for i in m.graph.input], "outputs": [o.name for o in m.graph.output],
        }
    tok_path = os.path.join(args.out, "tokenizer.json")
    shutil.copyfile(args.tokenizer, tok_path)
    tok = json.load(open(tok_path))
    n_params = int(sum(np.prod(t.dims) for m in graphs.values() for t in m.graph.initializer))
    manifest = {
        "model": MODEL_ID,
        "version": args.version or f"1.0.0+step{meta.get('step')}",
        "format": "onnx",
        "opset": 17,
        "runtime": "the x1 engine in the Worker (src/inference/embedded/x1); onnxruntime-web 1.30 (wasm, one thread) or onnxruntime-node run the same graphs",
        "architecture": {
            "name": "X1-Tiny",
            "summary": "conv stem (72x72 RGB -> 9 image tokens) + pre-norm causal decoder with a per-layer KV cache, tied output embedding",
            "vocab_size": cfg["vocab_size"], "d_model": cfg["d_model"], "n_layers": cfg["n_layers"], "n_heads": cfg["n_heads"],
            "head_dim": cfg["d_model"] // cfg["n_heads"], "d_ff": cfg["d_ff"], "max_len": cfg["max_len"],
            "positions": cfg.get("positions", "rope"), "image_size": cfg["image_size"], "image_tokens": cfg["image_tokens"],
            "image_input": "uint8 (B, H, W, 3) RGB, H = W = image_size; normalised inside the graph ((x / 255 - 0.5) / 0.25)",
            "kv_cache": "prefix_key_i / prefix_value_i (1, H, S, Dh): the prompt's, shared by the batch; past_key_i / past_value_i "
                        "(1 + P, B, H, Dh), token-major, slot 0 a placeholder masked by key_valid; the graph returns only "
                        "new_key_i / new_value_i (B, H, T, Dh), which the caller appends as the next slot",
            "parameters": n_params,
        },
        "tokenizer": {
            "file": "tokenizer.json", "bytes": os.path.getsize(tok_path), "sha256": sha256(tok_path),
            "name": tok["name"], "algorithm": tok["algorithm"], "vocab_size": tok["vocab_size"],
            "specials": {s: i for i, s in enumerate(tok["specials"])}, "template": tok["template"],
        },
        "quantization": {
            "scheme": "int8 weights, per-column symmetric scales; activations quantized at run time to uint8 (DynamicQuantizeLinear + MatMulInteger)",
            "quantized": "every decoder MatMul with a constant weight (qkv, proj, fc1, fc2 of each layer, the tied output projection)",
            "fp32": "image encoder convolutions, embeddings, norms, biases",
            "int8_bytes": int8_bytes, "fp32_bytes": fp32_bytes,
        },
        "graphs": graph_entries,
        "shards": shard_entries,
        "source": {"checkpoint": os.path.basename(meta["checkpoint"]), "step": meta.get("step")},
    }
    # The model card's facts (scripts/model-card.mjs renders docs/model-card.md from them) are carried
    # over from the previous manifest; they keep naming the version they describe, so the card refuses
    # to render for a new export until its evaluation, parity and training are updated.
    previous = os.path.join(args.out, "manifest.json")
    if os.path.exists(previous):
        card = json.load(open(previous)).get("card")
        if card is not None:
            manifest["card"] = card
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"{len(shard_entries)} shards ({', '.join(str(s['bytes']) for s in shard_entries)} bytes), "
          f"int8 {int8_bytes} B, fp32 {fp32_bytes} B -> {args.out}/manifest.json")


if __name__ == "__main__":
    main()
