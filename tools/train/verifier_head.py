"""The stage verifier's head: the probability that a candidate stage is correct, from the model's
own reading of it in one forward pass (no generation). The candidate is fed where the model would
have written it — after the stage's generation prompt, up to and including its closing tag — and
the head is a logistic regression over what that pass says about it:

  mean_lp    the mean log-probability of the candidate's tokens
  min_lp     the log-probability of its least likely token
  close_lp   the log-probability of the closing tag (the model would have stopped here)
  log_len    log(1 + the number of tokens)

fitted per stage on the model's own labelled samples (mine.py --all --chains, labelled exactly by
the generator: tools/x1-shapes/run.sh verify --all). `ANSWER` is best_of_n's whole answers (the
label: the conclusion is right). Not shipped: its held-out pair accuracy is below what the
verifier scorer needs (docs/embedded-model.md, "A stage verifier"), so the engine has no embedded
verifier and this head is an experiment's.

    /usr/bin/python3 tools/train/verifier_head.py --ckpt tools/.cache/x1-train/run20.pt \
        --fit tools/.cache/x1-shapes/verify-mine-labels --eval tools/.cache/x1-shapes/dev-verify \
        --out tools/.cache/x1-train/verifier-head.json
Evaluation: per stage, AUC, accuracy at 0.5 and accuracy on held-out pairs (a right and a wrong
sample of the same question and stage; also only pairs that continue the same earlier stages, as
the candidates of one search step do).
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
from evaluate import load_images, load_model, stage_prompt  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402
from verify_eval import auc  # noqa: E402

STAGES = ["SUMMARY", "CAPTION", "REASONING", "CONCLUSION"]
FEATURES = ["mean_lp", "min_lp", "close_lp", "log_len"]


def render(stages):
    return "\n".join(f"<{s}>{stages[s]}</{s}>" for s in STAGES if s in stages)


def rows_of(labels_dir, split_dir):
    """Labelled stage samples, plus whole answers (best_of_n's `ANSWER`) rebuilt from the chains."""
    items = {}
    for line in open(os.path.join(split_dir, "items.jsonl")):
        it = json.loads(line)
        items[it["id"]] = it
    rows = [json.loads(line) for line in open(os.path.join(labels_dir, "labels.jsonl"))]
    answers = []
    for r in rows:
        if r["stage"] == "CONCLUSION" and r.get("context"):
            whole = dict(r["context"], CONCLUSION=r["text"])
            answers.append({"item": r["item"], "stage": "ANSWER", "text": render(whole), "right": r["right"],
                            "context": None, "times": r["times"]})
    return items, rows + answers


def continuation(tok, item, row):
    """(prompt ids, candidate ids): the stage's generation prompt, then the candidate and its closing tag."""
    if row["stage"] == "ANSWER":
        prompt = {"user": item["question"], "assistant_prefix": "<SUMMARY>", "with_image": True}
        text = row["text"][len("<SUMMARY>"):]
    else:
        prompt = stage_prompt(item["question"], row.get("context") or {}, row["stage"])
        text = f"{row['text']}</{row['stage']}>"
    return tok.encode_prompt(prompt), tok.encode(text)


@torch.no_grad()
def features(model, tok, items, images, rows, bs=48):
    out = np.zeros((len(rows), len(FEATURES)))
    seqs = [continuation(tok, items[r["item"]], r) for r in rows]
    order = sorted(range(len(rows)), key=lambda i: len(seqs[i][0]) + len(seqs[i][1]))
    for s in range(0, len(order), bs):
        chunk = order[s:s + bs]
        full = [seqs[i][0] + seqs[i][1] for i in chunk]
        T = max(len(x) for x in full)
        ids = torch.zeros((len(chunk), T), dtype=torch.long)
        valid = torch.zeros((len(chunk), T), dtype=torch.bool)
        for j, x in enumerate(full):
            ids[j, :len(x)] = torch.tensor(x)
            valid[j, :len(x)] = True
        imgs = torch.from_numpy(images[[items[rows[i]["item"]]["img"] for i in chunk]])
        logits, _ = model(ids, imgs, None, valid)
        lp = logits.float().log_softmax(-1)
        for j, i in enumerate(chunk):
            a, b = len(seqs[i][0]), len(full[j])
            tl = lp[j, a - 1:b - 1].gather(-1, ids[j, a:b, None]).squeeze(-1).numpy()
            out[i] = [tl.mean(), tl.min(), tl[-1], np.log1p(len(tl))]
    return out


def fit_logistic(x, y, l2=1e-2, steps=3000, lr=0.5):
    """Weights for P(right) = sigmoid(b + w·z), z the standardised features; plain gradient descent."""
    mu, sd = x.mean(0), x.std(0) + 1e-6
    z = (x - mu) / sd
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        g = p - y
        w -= lr * (z.T @ g / len(y) + l2 * w)
        b -= lr * g.mean()
    # Fold the standardisation into the weights: the engine applies them to raw features.
    return {"bias": float(b - (w * mu / sd).sum()), "weights": [float(v) for v in w / sd]}


def score(head, x):
    return 1 / (1 + np.exp(-(x @ np.array(head["weights"]) + head["bias"])))


def evaluate(rows, scores):
    report = {}
    for st in STAGES + ["ANSWER"]:
        ks = [k for k, r in enumerate(rows) if r["stage"] == st]
        if not ks:
            continue
        y = np.array([rows[k]["right"] for k in ks])
        s = scores[ks]
        entry = {"samples": len(ks), "wrong": int((~y).sum()), "auc": auc(list(s), list(y)),
                 "accuracy_at_0.5": float(((s >= 0.5) == y).mean())}
        for name, key in (("pairs", lambda r: r["item"]),
                          ("same_context_pairs", lambda r: (r["item"], json.dumps(r.get("context"), sort_keys=True)))):
            groups = defaultdict(list)
            for k in ks:
                groups[key(rows[k])].append(k)
            n = won = 0
            for g in groups.values():
                for a in g:
                    for b in g:
                        if rows[a]["right"] and not rows[b]["right"]:
                            n += 1
                            won += 1.0 if scores[a] > scores[b] else 0.5 if scores[a] == scores[b] else 0.0
            entry[name] = n
            entry[f"{name}_accuracy"] = won / n if n else None
        report[st] = entry
    return report


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--fit", required=True, help="verify --all output of the mined train samples")
    ap.add_argument("--fit-split", default="tools/.cache/x1-shapes/verify-mine")
    ap.add_argument("--eval", required=True, help="verify output of held-out (dev) samples")
    ap.add_argument("--eval-split", default="tools/.cache/x1-shapes/dev")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tok = Tokenizer()
    model, ck = load_model(args.ckpt)
    t0 = time.time()
    heads = {}
    items, fit_rows = rows_of(args.fit, args.fit_split)
    fx = features(model, tok, items, load_images(args.fit_split), fit_rows)
    for st in STAGES + ["ANSWER"]:
        ks = [k for k, r in enumerate(fit_rows) if r["stage"] == st]
        y = np.array([fit_rows[k]["right"] for k in ks], dtype=float)
        if len(ks) == 0 or y.min() == y.max():
            continue  # a stage the model never got wrong: it takes CAPTION's head below
        heads[st] = fit_logistic(fx[ks], y)
    for st in STAGES + ["ANSWER"]:
        heads.setdefault(st, heads["CAPTION"])
    eitems, eval_rows = rows_of(args.eval, args.eval_split)
    ex = features(model, tok, eitems, load_images(args.eval_split), eval_rows)
    scores = np.array([score(heads[r["stage"]], ex[k]) for k, r in enumerate(eval_rows)])
    mean_only = ex[:, 0]
    report = {
        "checkpoint": args.ckpt, "step": ck.get("step"), "features": FEATURES, "heads": heads,
        "fit": {"data": args.fit, "samples": len(fit_rows)},
        "eval": {"data": args.eval, "verifier": evaluate(eval_rows, scores), "mean_logprob": evaluate(eval_rows, mean_only)},
        "seconds": round(time.time() - t0, 1),
    }
    fmt = lambda v: "n/a" if v is None else f"{100 * v:.1f}%"  # noqa: E731
    for name in ("verifier", "mean_logprob"):
        for st, r in report["eval"][name].items():
            print(f"{name:12s} {st:10s} n {r['samples']:5d} wrong {r['wrong']:5d}  AUC {fmt(r['auc'])}  "
                  f"acc@0.5 {fmt(r['accuracy_at_0.5'])}  pairs {r['pairs']:5d} {fmt(r['pairs_accuracy'])}  "
                  f"same-context {r['same_context_pairs']:4d} {fmt(r['same_context_pairs_accuracy'])}")
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
