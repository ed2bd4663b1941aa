"""Int8 weight quantization with the `onnx` library, for onnxruntime-web's wasm CPU build.

Every MatMul whose right operand is a constant 2-D weight (an initializer, or a Transpose of one,
as the tied output embedding is) becomes

    DynamicQuantizeLinear(A) -> A_q (uint8), A_scale, A_zero
    MatMulInteger(A_q, W_q (int8, per-column symmetric), A_zero) -> int32
    Cast(float) * (A_scale * W_scale[col])

W_scale[col] = max |W[:, col]| / 127 and W_q = round(W / W_scale), zero point 0 (MatMulInteger's
default). Convolutions, embeddings (Gather), norms and biases stay fp32: they are a small part of
the weights. Never MatMulNBits (docs/embedded-model.md: it expands to fp32 on every run in wasm).

Usage: /usr/bin/python3 tools/export/quantize.py IN.onnx OUT.onnx [--keep NAME_SUBSTRING ...]
"""
import argparse
import re

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def weight_name(node_name, fallback):
    """`/m/blocks.0/qkv/MatMul` -> `blocks.0.qkv`; the head -> `lm_head`."""
    parts = [p for p in node_name.split("/") if p and p != "m" and not re.match(r"^(MatMul|Transpose)(_\d+)?$", p)]
    return ".".join(parts) if parts else fallback


def quantize_model(model, keep=()):
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    producers = {o: n for n in g.node for o in n.output}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers[i] = consumers.get(i, 0) + 1
    new_nodes, new_inits, drop = [], [], set()
    count = 0
    stats = []
    for node in g.node:
        if node.op_type != "MatMul" or any(k in node.name for k in keep):
            new_nodes.append(node)
            continue
        a, b = node.input
        w = None
        if b in inits and len(inits[b].dims) == 2:
            w = numpy_helper.to_array(inits[b])
        elif b in producers and producers[b].op_type == "Transpose" and producers[b].input[0] in inits:
            t = producers[b]
            perm = [a.i for a in t.attribute if a.name == "perm"]
            w = numpy_helper.to_array(inits[t.input[0]])
            w = w.T if not perm or list(perm[0]) == [1, 0] else np.transpose(w, perm[0])
            if consumers.get(b, 0) == 1:
                drop.add(t.name)
        if w is None or w.dtype != np.float32:
            new_nodes.append(node)
            continue
        count += 1
        # The graph's only top-level MatMul is the tied output projection.
        base = weight_name(node.name, "lm_head")
        scale = np.abs(w).max(axis=0) / 127.0
        scale[scale == 0] = 1.0
        wq = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
        err = np.abs(wq.astype(np.float32) * scale - w).max()
        stats.append((base, w.shape, float(err)))
        wq_name, ws_name = f"{base}.weight_int8", f"{base}.weight_scale"
        new_inits += [numpy_helper.from_array(wq, wq_name), numpy_helper.from_array(scale.astype(np.float32), ws_name)]
        p = f"{base}/q"
        new_nodes += [
            helper.make_node("DynamicQuantizeLinear", [a], [f"{p}/a_q", f"{p}/a_scale", f"{p}/a_zero"], name=f"{p}/DynamicQuantizeLinear"),
            helper.make_node("MatMulInteger", [f"{p}/a_q", wq_name, f"{p}/a_zero"], [f"{p}/acc"], name=f"{p}/MatMulInteger"),
            helper.make_node("Cast", [f"{p}/acc"], [f"{p}/acc_f"], name=f"{p}/Cast", to=TensorProto.FLOAT),
            helper.make_node("Mul", [f"{p}/a_scale", ws_name], [f"{p}/scale"], name=f"{p}/Scale"),
            helper.make_node("Mul", [f"{p}/acc_f", f"{p}/scale"], [node.output[0]], name=f"{p}/Mul"),
        ]
    kept = [n for n in new_nodes if n.name not in drop]
    del g.node[:]
    g.node.extend(kept)
    used = {i for n in g.node for i in n.input}
    remaining = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(remaining + new_inits)
    return count, stats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--keep", nargs="*", default=[], help="MatMul node names containing these stay fp32")
    args = ap.parse_args()
    model = onnx.load(args.src)
    count, stats = quantize_model(model, args.keep)
    onnx.checker.check_model(model)
    onnx.save(model, args.dst)
    for name, shape, err in stats:
        print(f"  {name:<24}{str(shape):<14} max |w - dq(q(w))| = {err:.2e}")
    print(f"quantized {count} MatMul -> {args.dst}")


if __name__ == "__main__":
    main()
