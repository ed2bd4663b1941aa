"""The model's own wrong stages, for judge items that look like a real search's matches.

Held-out judge items pair a right stage with a planted slip, and the judge learned to spot those
(91% on CAPTION pairs) while on the search's own candidates it picks the right CAPTION only 54.9%
of the time (README, "The judge on the search's own candidates"): the model's own confusions
(small/large, a neighbouring cell) look nothing like the planted ones. This samples each stage the
way a search does (temperature 0.6, top_p 0.9, the accepted earlier stages being the reference
ones) and keeps every distinct sample that differs from the reference stage; tools/x1-shapes/cli.ts
`mined` turns them into judge items (both orders, the reference as the judge's check).

    /usr/bin/python3 tools/train/mine.py --split train-mine --ckpt tools/.cache/x1-train/run10.pt \
        --samples 4 --out tools/.cache/x1-shapes/train-mine/mined.jsonl
Only CAPTION and REASONING: SUMMARY has many right plans, and CONCLUSION samples are nearly
always right once the reasoning is.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evaluate import load_model, load_split_items, run_batched, stage_prompt  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402

MINED_STAGES = ["CAPTION", "REASONING"]
EARLIER = {"CAPTION": ["SUMMARY"], "REASONING": ["SUMMARY", "CAPTION"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", required=True)
    ap.add_argument("--root", default="tools/.cache/x1-shapes")
    ap.add_argument("--ckpt", default="tools/.cache/x1-train/model.pt")
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--temperature", type=float, default=0.6)
    ap.add_argument("--top-p", type=float, default=0.9)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(args.seed)
    tok = Tokenizer()
    model, ck = load_model(args.ckpt)
    root = os.path.join(args.root, args.split)
    images, items = load_split_items(root, args.limit)
    t0 = time.time()
    rows, stats = [], {}
    for stage in MINED_STAGES:
        jobs = []
        for it in items:
            accepted = {s: it["stages"][s] for s in EARLIER[stage]}
            jobs += [(stage_prompt(it["question"], accepted, stage), it["img"])] * args.samples
        outs = run_batched(model, tok, jobs, images, f"</{stage}>", 110, temperature=args.temperature, top_p=args.top_p, gen=gen)
        wrong = 0
        for k, it in enumerate(items):
            samples = [o.strip() for o in outs[k * args.samples:(k + 1) * args.samples]]
            gold = it["stages"][stage]
            wrong += sum(s != gold for s in samples)
            for text in dict.fromkeys(s for s in samples if s and s != gold):
                rows.append({"item": it["id"], "stage": stage, "wrong": text, "times": samples.count(text)})
        stats[stage] = {"samples": len(items) * args.samples, "wrong": wrong, "distinct_wrong": sum(r["stage"] == stage for r in rows)}
        print(f"{stage}: {wrong} of {len(items) * args.samples} samples differ from the reference; "
              f"{stats[stage]['distinct_wrong']} distinct ({time.time() - t0:.0f} s)", flush=True)
    with open(args.out, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    with open(args.out + ".stats.json", "w") as f:
        json.dump({"checkpoint": args.ckpt, "step": ck.get("step"), "split": args.split, "items": len(items),
                   "temperature": args.temperature, "top_p": args.top_p, "samples": args.samples, "stages": stats}, f, indent=1)


if __name__ == "__main__":
    main()
