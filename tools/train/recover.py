"""Rebuild a torch checkpoint from a committed export (model-shards/), for when the training
checkpoint is gone (tools/.cache does not survive between machines) and training should continue
from the model that ships.

What comes back: every fp32 tensor exactly (the vision graph, embeddings, norms, biases), each int8
matrix as W_q * scale (per column) — the weights the int8 graph computes with, so re-quantizing them
gives the same int8 weights and scales again — and the cell-name gain, from the constant the export
folded into the vision graph (gain * normalised cell-name embedding, so gain = its row norm). The
training-only aux head is not in the export: it starts fresh (its loss trains it within a few
hundred steps).

Usage: /usr/bin/python3 tools/train/recover.py --shards model-shards --out tools/.cache/x1-train/run5.pt
(then tools/train/config-continue2.json continues from it, as tools/train/run.sh does from its own run 5)
"""
import argparse
import json
import os
import re
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, X1Tiny  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402
from train import with_word_ids  # noqa: E402


def block_weight_name(base):
    """The shared-prefix export (1.5.1 on) calls each block's layers outside Block.forward, so its
    int8 weights are named by layer and occurrence (`qkv`, `qkv_1`, …) instead of `blocks.1.qkv`."""
    m = re.fullmatch(r"(qkv|proj|fc1|fc2)(?:_(\d+))?", base)
    return f"blocks.{m.group(2) or 0}.{m.group(1)}" if m else base


def initializers(path):
    m = onnx.load(path, load_external_data=True)
    return m, {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shards", default="model-shards")
    ap.add_argument("--out", default="tools/.cache/x1-train/run5.pt")
    args = ap.parse_args()
    with open(os.path.join(args.shards, "manifest.json")) as f:
        manifest = json.load(f)
    a = manifest["architecture"]
    tok = Tokenizer()
    arch = {k: a[k] for k in ("d_model", "n_layers", "n_heads", "d_ff", "max_len", "image_size", "image_tokens", "positions")}
    cfg = Config(a["vocab_size"], **with_word_ids({**arch, "cell_names": True}, tok))
    model = X1Tiny(cfg)
    state = model.state_dict()
    vision, vis = initializers(os.path.join(args.shards, manifest["graphs"]["vision"]["file"]))
    _, dec = initializers(os.path.join(args.shards, manifest["graphs"]["decoder"]["file"]))
    got = {}
    for name, value in {**vis, **dec}.items():
        if name.endswith(".weight_int8"):
            base = name[: -len(".weight_int8")]
            if base == "lm_head":  # the tied output embedding: its fp32 copy is tok.weight
                continue
            w = value.astype(np.float32) * dec[base + ".weight_scale"][None, :]
            got[block_weight_name(base) + ".weight"] = torch.from_numpy(w.T.copy())  # ONNX (in, out) -> torch Linear (out, in)
        elif not name.endswith(".weight_scale"):
            got[name] = torch.from_numpy(value.copy())
    missing = [k for k in state if k not in got and not k.startswith("aux.") and k != "cell_gain"]
    unexpected = [k for k in got if k not in state]
    if missing or unexpected:
        raise SystemExit(f"export does not match model.py: missing {missing}, unexpected {unexpected}")
    # The cell names the vision graph adds: gain * normalise(names @ tok.weight), one row per cell.
    consts = [numpy_helper.to_array(at.t) for n in vision.graph.node if n.op_type == "Constant" for at in n.attribute
              if at.type == onnx.AttributeProto.TENSOR and list(at.t.dims) == [a["image_tokens"], a["d_model"]]]
    if len(consts) != 1:
        raise SystemExit(f"expected one ({a['image_tokens']}, {a['d_model']}) cell-name constant in the vision graph, found {len(consts)}")
    names = torch.from_numpy(consts[0].copy())
    gain = float(names.norm(dim=-1).mean())
    expect = F.normalize(model.cell_name_matrix @ got["tok.weight"], dim=-1) * gain
    err = float((expect - names).abs().max())
    if err > 1e-4:
        raise SystemExit(f"cell-name constant does not match the token embeddings (max difference {err})")
    got["cell_gain"] = torch.tensor(gain)
    for k, v in got.items():
        state[k] = v
    model.load_state_dict(state)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    torch.save({"config": cfg.to_dict(), "model": model.state_dict(), "step": 0,
                "recovered_from": f"{args.shards} {manifest['model']} {manifest['version']}", "tokenizer": "tools/train/tokenizer.json"}, args.out)
    print(f"recovered {manifest['model']} {manifest['version']} ({len(got)} tensors, cell gain {gain:.3f}, "
          f"cell-name check {err:.1e}) -> {args.out}")


if __name__ == "__main__":
    main()
