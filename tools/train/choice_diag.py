"""Where multiple choice goes wrong, per checkpoint (the runs 14-17 measurements; docs/model-card.md, "What was tried"):
  - the dev split's choice questions, greedy through all four stages as evaluate.py runs them:
    how many are wrong, how many of those have the right value behind the wrong letter, and how many
    have word options (a colour, shape or position to look up rather than a number);
  - option-lookup drills held out from training (a split written with `run.sh gen --per-scene 0
    --lookup 4 --jsonl`): greedy accuracy of the letter, words and numbers apart;
  - with --distance, the same drills with the answer pushed away from the options: the value and
    `That is option (` written for the model after N tokens of neutral text (0, 20, 40, 70, 120),
    or with the value mentioned twice more in that text, then the letter read greedily.
Usage: /usr/bin/python3 tools/train/choice_diag.py --ckpt A.pt [--ckpt B.pt ...]
         [--split dev] [--drills tools/.cache/x1-shapes/lookup-heldout] [--distance] [--threads 2]
The drills measured then: `bash tools/x1-shapes/run.sh gen --split train --scenes 100 --from 170000
--per-scene 0 --lookup 4 --jsonl --out tools/.cache/x1-shapes/lookup-heldout` (scenes no run trained on)."""
import argparse
import json
import os
import re
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evaluate import answer_ok, greedy_stages, load_images, load_model, load_split_items, run_batched  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402

WORD_BASES = ("attribute", "where")


def choice_errors(model, tok, images, items):
    accepted = greedy_stages(model, tok, items, images)
    wrong = [(it, acc) for it, acc in zip(items, accepted) if not answer_ok(acc["CONCLUSION"], it["answer"])]
    # A choice answer reads "(B) value": the value right and the letter wrong is a failed lookup.
    letter_only = sum(acc["CONCLUSION"][4:] == it["answer"][4:] for it, acc in wrong)
    words = [it for it in items if it["params"]["base"]["kind"] in WORD_BASES]
    words_wrong = sum(it["params"]["base"]["kind"] in WORD_BASES for it, _ in wrong)
    return {"questions": len(items), "wrong": len(wrong), "value_right_letter_wrong": letter_only,
            "word_options": len(words), "word_options_wrong": words_wrong}


def load_drills(root):
    """A drills split's images and its drills, or None when it was not generated."""
    path = os.path.join(root, "examples.jsonl")
    if not os.path.exists(path):
        return None
    return load_images(root), [json.loads(line) for line in open(path)]


def drill_accuracy(model, tok, images, drills):
    outs = run_batched(model, tok, [(d["prompt"], d["img"]) for d in drills], images, ").", 20)
    res = {"words": [0, 0], "numbers": [0, 0]}
    for out, d in zip(outs, drills):
        # The trained form is "<value>. That is option (X)." (cut before the closing ")."); a model
        # never trained on drills answers "(X) <value>" as a direct answer. Either way: its first letter.
        m = re.search(r"\(([A-D])", out)
        right = bool(m) and f"({m.group(1)})" == d["label"]
        kind = "numbers" if d["completion"][0].isdigit() else "words"
        res[kind][0] += right
        res[kind][1] += 1
    total = [res["words"][0] + res["numbers"][0], res["words"][1] + res["numbers"][1]]
    return {k: f"{r}/{n} ({100 * r / n:.1f}%)" for k, (r, n) in {"all": total, **res}.items()}


NEUTRAL = ("There are 5 shapes in total. The square is small and the triangle is large. I will count "
           "them one by one and then add up what I found in each row of the grid.").split()


def filler(tok, n, value, mention):
    words = []
    while len(tok.encode(" ".join(words))) < n:
        words.append(NEUTRAL[len(words) % len(NEUTRAL)])
    text = " ".join(words)
    if mention:
        text = f"I see the {value} here. {text} Again {value}."
    return f"{text} " if text else ""


def drill_distance(model, tok, images, drills):
    """Letter accuracy with the answer N tokens after the options, without and with the value repeated."""
    res = {}
    for mention in (False, True):
        for n in (0, 20, 40, 70, 120):
            jobs = []
            for d in drills:
                value = d["completion"].split(". That is option")[0]
                prefix = filler(tok, n, value, mention) + f"{value}. That is option ("
                jobs.append(({**d["prompt"], "assistant_prefix": prefix}, d["img"]))
            outs = run_batched(model, tok, jobs, images, ")", 2)
            right = sum(out.strip()[:1] == d["label"][1] for out, d in zip(outs, drills))
            res[f"{'value repeated' if mention else 'neutral'}, {n} tokens"] = f"{100 * right / len(drills):.1f}%"
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", action="append", required=True)
    ap.add_argument("--split", default="dev")
    ap.add_argument("--root", default="tools/.cache/x1-shapes")
    ap.add_argument("--drills", default="tools/.cache/x1-shapes/lookup-heldout")
    ap.add_argument("--distance", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tok = Tokenizer()
    images, items = load_split_items(os.path.join(args.root, args.split))
    choice = [it for it in items if it["family"] == "choice"]
    drills = load_drills(args.drills)
    for path in args.ckpt:
        model, _ = load_model(path)
        report = {"checkpoint": path, "choice": choice_errors(model, tok, images, choice)}
        if drills:
            report["drills"] = drill_accuracy(model, tok, *drills)
            if args.distance:
                report["drills_at_distance"] = drill_distance(model, tok, *drills)
        print(json.dumps(report))


if __name__ == "__main__":
    main()
