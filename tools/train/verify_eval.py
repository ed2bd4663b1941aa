"""The stage verifier on held-out samples of the model's own: per stage, the AUC of its score, its
accuracy at 0.5, and its accuracy on pairs — a right and a wrong sample of the same question and
stage, each in its own context — counted right when the right one scores higher (ties half).

The score is what the engine reads (src/reasoning/verify.ts): after the verify prompt and the
prefilled `CHECK:`, P(" CORRECT") / (P(" CORRECT") + P(" INCORRECT")) at the next token.

    /usr/bin/python3 tools/train/verify_eval.py --data tools/.cache/x1-shapes/dev-verify-all \
        --ckpt tools/.cache/x1-train/model.pt [--out tools/.cache/x1-train/verify-dev.json]
(the data: mine.py --all --chains on a held-out split, then tools/x1-shapes/run.sh verify --all)
"""
import argparse
import json
import os
import sys
import time
from collections import defaultdict

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import Split  # noqa: E402
from evaluate import load_model  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402

STAGE_CODES = ["SUMMARY", "CAPTION", "REASONING", "CONCLUSION", "ANSWER"]  # the generator's JUDGED_CODES


def auc(scores, labels):
    """Probability that a random right sample outscores a random wrong one (ties count half)."""
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    if not pos or not neg:
        return None
    neg_sorted = np.sort(np.array(neg))
    total = 0.0
    for s in pos:
        lo = np.searchsorted(neg_sorted, s, side="left")
        hi = np.searchsorted(neg_sorted, s, side="right")
        total += lo + 0.5 * (hi - lo)
    return total / (len(pos) * len(neg))


@torch.no_grad()
def scores_of(model, split, yes, no, bs=64):
    """The verifier's score of every example, batched by length."""
    order = np.argsort(split.index[:, 1])
    out = np.zeros(len(split))
    for s in range(0, len(order), bs):
        rows = order[s:s + bs]
        ids, images, _mask, _cells = split.batch(rows)
        plens = torch.from_numpy(split.index[rows, 1].astype(np.int64))
        T = int(plens.max())
        ids = ids[:, :T]
        valid = torch.arange(T)[None, :] < plens[:, None]
        logits, _ = model(ids, images, None, valid)
        last = logits[torch.arange(len(rows)), plens - 1]
        p = last.float().softmax(-1)
        py, pn = p[:, yes], p[:, no]
        out[rows] = (py / (py + pn).clamp_min(1e-12)).numpy()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--ckpt", default="tools/.cache/x1-train/model.pt")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tok = Tokenizer()
    yes, no = tok.encode(" CORRECT"), tok.encode(" INCORRECT")
    assert len(yes) == 1 and len(no) == 1, "the verdicts must be single tokens"
    yes, no = yes[0], no[0]
    model, ck = load_model(args.ckpt)
    split = Split(args.data)
    t0 = time.time()
    scores = scores_of(model, split, yes, no)
    idx = split.index
    labels = split.tokens[idx[:, 0] + idx[:, 1]] == yes  # the first target token is the label
    stages = [STAGE_CODES[c] for c in idx[:, 6]]
    groups = idx[:, 7]
    report = {"checkpoint": args.ckpt, "step": ck.get("step"), "data": args.data, "samples": len(split), "stages": {}}
    by_stage = defaultdict(list)
    for k, st in enumerate(stages):
        by_stage[st].append(k)
    for st in STAGE_CODES:
        ks = by_stage.get(st)
        if not ks:
            continue
        s, y = scores[ks], labels[ks]
        pairs, won = 0, 0.0
        members = defaultdict(list)
        for k in ks:
            members[groups[k]].append(k)
        for g in members.values():
            for a in g:
                for b in g:
                    if labels[a] and not labels[b]:
                        pairs += 1
                        won += 1.0 if scores[a] > scores[b] else 0.5 if scores[a] == scores[b] else 0.0
        report["stages"][st] = {
            "samples": len(ks),
            "right": int(y.sum()),
            "wrong": int((~y).sum()),
            "auc": auc(list(s), list(y)),
            "accuracy_at_0.5": float(((s >= 0.5) == y).mean()),
            "pairs": pairs,
            "pair_accuracy": won / pairs if pairs else None,
        }
    report["seconds"] = round(time.time() - t0, 1)
    for st, r in report["stages"].items():
        fmt = lambda v: "n/a" if v is None else f"{100 * v:.1f}%"  # noqa: E731
        print(f"{st:10s} samples {r['samples']:5d} (wrong {r['wrong']:5d})  AUC {fmt(r['auc'])}  "
              f"acc@0.5 {fmt(r['accuracy_at_0.5'])}  pairs {r['pairs']:5d}  pair accuracy {fmt(r['pair_accuracy'])}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
