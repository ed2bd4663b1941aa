"""Torch reference for the parity check: greedy four-stage answers (the engine's stage prompts, one
stage at a time, as tools/train/evaluate.py) and direct answers for the first N committed dev items
(data/x1-shapes/dev/dev.jsonl, scene i = row i of the dev split's images.u8), one item at a time.
Also writes the preprocessing vectors: the SHA-256 of each committed sample's training tensor.
Usage: /usr/bin/python3 tools/export/parity_torch.py --ckpt CKPT --limit 50 --out tools/.cache/x1-export/torch.json"""
import argparse
import base64
import hashlib
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "train"))
sys.path.insert(0, HERE)
from evaluate import DIRECT_SUFFIX, STAGES, answer_ok, run_batched, stage_prompt  # noqa: E402
from export import load_checkpoint  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--limit", type=int, default=50)
    ap.add_argument("--images", default="tools/.cache/x1-shapes/dev/images.u8")
    ap.add_argument("--out", required=True)
    ap.add_argument("--vectors", default="")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, ck, cfg = load_checkpoint(args.ckpt)
    tok = Tokenizer()
    s = cfg["image_size"]
    images = np.fromfile(args.images, dtype=np.uint8).reshape(-1, s, s, 3)
    items = [json.loads(l) for l in open("data/x1-shapes/dev/dev.jsonl")][:args.limit]
    results = []
    for k, it in enumerate(items):
        accepted = {}
        for stage in STAGES:
            out = run_batched(model, tok, [(stage_prompt(it["question"], accepted, stage), k)], images, f"</{stage}>", 110, bs=1)
            accepted[stage] = out[0].strip()
        direct = run_batched(model, tok, [({"user": it["question"] + DIRECT_SUFFIX, "assistant_prefix": "", "with_image": True}, k)],
                             images, "", 16, bs=1)[0].strip()
        results.append({"id": it["id"], "family": it["family"], "answer": it["answer"], "stages": accepted, "direct": direct,
                        "ok": answer_ok(accepted["CONCLUSION"], it["answer"]), "direct_ok": answer_ok(direct, it["answer"])})
    acc = sum(r["ok"] for r in results) / len(results)
    json.dump({"checkpoint": args.ckpt, "step": ck.get("step"), "accuracy": acc, "items": results}, open(args.out, "w"), indent=1)
    print(f"torch: {len(results)} items, four-stage accuracy {acc:.3f}, direct {sum(r['direct_ok'] for r in results) / len(results):.3f}")
    if args.vectors:
        samples = json.load(open("data/x1-shapes/samples/samples.json"))
        vec = []
        for i, smp in enumerate(samples):
            # Sample i is dev scene i (tools/x1-shapes/cmd-commit.ts `commit`).
            assert smp["id"] == f"dev-{i}-0"
            t = images[i].tobytes()
            png = open(f"data/x1-shapes/samples/{smp['image']}", "rb").read()
            vec.append({"image": f"data/x1-shapes/samples/{smp['image']}", "family": smp["family"], "question": smp["question"],
                        "answer": smp["answer"], "shape": [s, s, 3], "sha256": hashlib.sha256(t).hexdigest(),
                        "first_pixels": list(t[:12]), "sum": int(images[i].astype(np.int64).sum()),
                        "png_base64": base64.b64encode(png).decode()})
        json.dump({"source": "tools/.cache/x1-shapes/dev/images.u8 (the training tensor)", "vectors": vec}, open(args.vectors, "w"), indent=1)
        print(f"preprocessing vectors -> {args.vectors}")


if __name__ == "__main__":
    main()
