"""Where the judge goes wrong, on the dev split.

1. Free-running (greedy) judge replies on the first --limit judge items: verdict accuracy per stage,
   how often its own reference ("Check: ...") is exactly right, the accuracy when it is, and the
   engine's reading (src/reasoning/judge.ts readJudgeReply: the response with fewer word edits to
   the reference wins, the verdict line breaks ties).
2. Teacher-forced on copy-format REASONING / ANSWER judge items (--copy-split, the first 240): at the
   piece where the wrong response departs from the reference, does the model copy the response's
   piece (not the reference's), and, given that piece, does it stop (" ->")?

  /usr/bin/python3 tools/train/judge_diag.py --ckpt tools/.cache/x1-train/run8.pt
"""
import argparse
import json
import os
import re
import sys
from collections import defaultdict

import torch

sys.path.insert(0, os.path.dirname(__file__))
from data import Split  # noqa: E402
from evaluate import load_images, load_model, run_batched  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402

JUDGE_KIND, REASONING, ANSWER = 2, 2, 4  # data.KINDS index of "judge"; generator's JUDGED_CODES indices


WORD = re.compile(r"\w+|[^\w\s]")


def word_edits(a, b):
    """readJudgeReply's distance: Levenshtein over words and punctuation marks, case ignored."""
    x, y = WORD.findall(a.lower()), WORD.findall(b.lower())
    prev = list(range(len(y) + 1))
    for i, p in enumerate(x, 1):
        cur = [i]
        for j, q in enumerate(y, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (p != q)))
        prev = cur
    return prev[-1]


def reference_form(stage, text):
    """referenceForm: a whole answer as "<REASONING> Answer: <CONCLUSION>."."""
    if stage != "ANSWER":
        return text
    inner = lambda s: (re.search(f"<{s}>(.*?)</{s}>", text, re.S) or [None, ""])[1]  # noqa: E731
    return f"{inner('REASONING')} Answer: {inner('CONCLUSION')}."


def engine_reading(stage, prompt_user, reply, verdict):
    m = re.search(r"\n\nResponse 1:\n(.*)\n\nResponse 2:\n(.*)$", prompt_user, re.S)
    first = reply.lstrip().split("\n")[0].strip()
    ref = re.match(r"(?i)check:\s*(\S.*)$", first)
    if m and ref:
        d1, d2 = (word_edits(ref.group(1), reference_form(stage, r)) for r in m.groups())
        if d1 != d2:
            return "1" if d1 < d2 else "2"
    return verdict


def free_running(model, tok, root, limit):
    images = load_images(root)
    ex = [e for e in map(json.loads, open(os.path.join(root, "examples.jsonl"))) if e["kind"] == "judge"][:limit]
    outs = run_batched(model, tok, [(e["prompt"], e["img"]) for e in ex], images, "", 256)
    st = defaultdict(lambda: [0, 0, 0, 0, 0])  # n, right verdict, reference exact, right verdict with exact reference, engine right
    for e, o in zip(ex, outs):
        m = re.findall(r"VERDICT:\s*([12])", o)
        ok = bool(m) and m[-1] == e["label"]
        want = e["completion"].split("\n")[0]
        exact = want.startswith("Check:") and want == o.split("\n")[0]
        a = st[e["stage"]]
        engine = engine_reading(e["stage"], e["prompt"]["user"], o, m[-1] if m else None) == e["label"]
        a[0] += 1; a[1] += ok; a[2] += exact; a[3] += ok and exact; a[4] += engine
    for k, (n, ok, exact, both, engine) in sorted(st.items()):
        cond = f"{both / exact:.3f}" if exact else "-"
        print(f"{k:<11} n={n:<4} verdict {ok / n:.3f}  reference exact {exact / n:.3f}  verdict | exact reference {cond}  engine reading {engine / n:.3f}")
    n, ok, engine = (sum(a[i] for a in st.values()) for i in (0, 1, 4))
    print(f"{'all':<11} n={n:<4} verdict {ok / n:.3f}  engine reading {engine / n:.3f}")


def teacher_forced(model, tok, root):
    dev = Split(root)
    rows = [i for i in range(len(dev)) if dev.index[i, 4] == JUDGE_KIND and dev.index[i, 6] in (REASONING, ANSWER)][:240]
    arrow, no = tok.encode(" ->"), tok.encode(" not")
    copy, stop = [0, 0], [0, 0]
    with torch.no_grad():
        for s in range(0, len(rows), 16):
            ids, images, _mask, _cells = dev.batch(rows[s:s + 16])
            pred = model(ids, images)[0].argmax(-1)
            for r in range(ids.shape[0]):
                seq, p = ids[r].tolist(), pred[r].tolist()
                plen, tlen = int(dev.index[rows[s + r], 1]), int(dev.index[rows[s + r], 2])
                for t in range(plen, tlen - len(arrow) - 1):
                    if seq[t:t + len(arrow)] == arrow and seq[t + len(arrow)] == no[0]:
                        copy[0] += p[t - 2] == seq[t - 1]; copy[1] += 1  # the departing piece, copied from the response
                        stop[0] += p[t - 1] == seq[t]; stop[1] += 1  # then the stop
    print(f"teacher-forced, {copy[1]} departures: copies the response's piece {copy[0] / max(1, copy[1]):.3f}, "
          f"then stops {stop[0] / max(1, stop[1]):.3f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="tools/.cache/x1-train/model.pt")
    ap.add_argument("--split", default="tools/.cache/x1-shapes/dev")
    ap.add_argument("--copy-split", default="tools/.cache/x1-shapes/dev-copy")
    ap.add_argument("--limit", type=int, default=600)
    args = ap.parse_args()
    torch.set_num_threads(1)
    tok = Tokenizer()
    model, ck = load_model(args.ckpt)
    model.eval()
    print(f"{args.ckpt} (step {ck.get('step')})")
    free_running(model, tok, args.split, args.limit)
    teacher_forced(model, tok, args.copy_split)


if __name__ == "__main__":
    main()
