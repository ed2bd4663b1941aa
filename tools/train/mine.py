"""The model's own wrong stages, for judge items that look like a real search's matches.

Held-out judge items pair a right stage with a planted slip, and the judge learned to spot those
(91% on CAPTION pairs) while on the search's own candidates it picks the right CAPTION only 54.9%
of the time (measured on run 10 with tools/eval/search_postmortem.py): the model's own confusions
(small/large, a neighbouring cell) look nothing like the planted ones. This samples each stage the
way a search does (temperature 0.6, top_p 0.9, the accepted earlier stages being the reference
ones) and keeps every distinct sample that differs from the reference stage; tools/x1-shapes/cmd-mined.ts
`mined` turns them into judge items (both orders, the reference as the judge's check).

    /usr/bin/python3 tools/train/mine.py --split train-mine --ckpt tools/.cache/x1-train/run10.pt \
        --samples 4 --out tools/.cache/x1-shapes/train-mine/mined.jsonl
Only CAPTION and REASONING by default: SUMMARY has many right plans, and CONCLUSION samples are
nearly always right once the reasoning is.

For the stage verifier (the `verifier` scorer), `--stages SUMMARY,CAPTION,REASONING,CONCLUSION
--all` keeps every distinct sample, right or wrong, with `times`, how often it was sampled;
tools/x1-shapes/cmd-mined.ts `verify` labels them exactly (any phrasing the generator could have used is
right, tools/x1-shapes/labels.ts) and turns them into training items.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evaluate import answer_ok, load_model, load_split_items, run_batched, stage_prompt  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402

STAGES = ["SUMMARY", "CAPTION", "REASONING", "CONCLUSION"]


def is_right(stage, sample, item):
    """Whether a sample is the reference stage (a CONCLUSION: gives the reference answer). Other
    phrasings of a right stage count as wrong here; the verifier's items are labelled in TypeScript."""
    if stage == "CONCLUSION":
        return answer_ok(sample, item["answer"])
    return sample == item["stages"][stage]


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
    ap.add_argument("--device", default="cpu", help="cpu or cuda (the sampling differs between them)")
    ap.add_argument("--batch", type=int, default=48, help="sequences decoded together")
    ap.add_argument("--stages", default="CAPTION,REASONING")
    ap.add_argument("--all", action="store_true", help="keep every distinct sample, right or wrong (for the verifier)")
    ap.add_argument("--chains", action="store_true",
                    help="each sample continues its own sampled earlier stages, as a search does, not the reference ones; "
                         "rows carry that `context`")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    stages = args.stages.split(",")
    torch.set_num_threads(args.threads)
    gen = torch.Generator(device=args.device).manual_seed(args.seed)
    tok = Tokenizer()
    model, ck = load_model(args.ckpt, args.device)
    root = os.path.join(args.root, args.split)
    images, items = load_split_items(root, args.limit)
    t0 = time.time()
    if args.chains and stages != STAGES[: len(stages)]:
        raise SystemExit("--chains samples the stages in order from SUMMARY: --stages must be a prefix of " + ",".join(STAGES))
    rows, stats = [], {}
    # chains[k][j]: the earlier stages sample j of item k continues (its own samples with --chains)
    chains = [[{} for _ in range(args.samples)] for _ in items]
    for stage in stages:
        jobs = []
        for k, it in enumerate(items):
            for j in range(args.samples):
                accepted = chains[k][j] if args.chains else {s: it["stages"][s] for s in STAGES[: STAGES.index(stage)]}
                jobs.append((stage_prompt(it["question"], accepted, stage), it["img"]))
        outs = run_batched(model, tok, jobs, images, f"</{stage}>", 110, bs=args.batch, temperature=args.temperature,
                           top_p=args.top_p, gen=gen)
        wrong = 0
        for k, it in enumerate(items):
            samples = [o.strip() for o in outs[k * args.samples:(k + 1) * args.samples]]
            wrong += sum(not is_right(stage, s, it) for s in samples)
            if args.chains:
                seen = {}
                for j, text in enumerate(samples):
                    key = (json.dumps(chains[k][j], sort_keys=True), text)
                    if text and key not in seen:
                        seen[key] = {"item": it["id"], "stage": stage, "text": text, "context": dict(chains[k][j]), "times": 0}
                        rows.append(seen[key])
                    if text:
                        seen[key]["times"] += 1
                    chains[k][j][stage] = text
                continue
            for text in dict.fromkeys(s for s in samples if s):
                if args.all:
                    rows.append({"item": it["id"], "stage": stage, "text": text, "times": samples.count(text)})
                elif not is_right(stage, text, it):
                    rows.append({"item": it["id"], "stage": stage, "wrong": text, "times": samples.count(text)})
        stats[stage] = {"samples": len(items) * args.samples, "wrong": wrong, "distinct": sum(r["stage"] == stage for r in rows)}
        print(f"{stage}: {wrong} of {len(items) * args.samples} samples differ from the reference; "
              f"{stats[stage]['distinct']} distinct kept ({time.time() - t0:.0f} s)", flush=True)
    with open(args.out, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    with open(args.out + ".stats.json", "w") as f:
        json.dump({"checkpoint": args.ckpt, "step": ck.get("step"), "split": args.split, "items": len(items),
                   "temperature": args.temperature, "top_p": args.top_p, "samples": args.samples, "stages": stats}, f, indent=1)


if __name__ == "__main__":
    main()
