#!/usr/bin/env python3
"""How the judge decides on a search's own candidates, from an `npm run eval -- --dump FILE` dump.

    npm run eval -- --split test --modes beam4,beam4x2 --skip-judge --dump /tmp/runs.jsonl
    /usr/bin/python3 tools/eval/search_postmortem.py /tmp/runs.jsonl beam4

Held-out judge items pair a right stage with a planted slip; a search pairs the model's own
samples. This counts, for CAPTION, REASONING and CONCLUSION, the matches in which exactly one
side is the split's reference text for the stage (X1-Shapes stages are templated, so a candidate
that differs from the reference is wrong), and how often the match went to that side: overall, by
the side the right response was shown on (Response 1 or 2), and by what decided it. SUMMARY is
left out: many plans are right, so the reference text does not tell a right plan from a wrong one.
"""
import collections
import json
import re
import sys


def inner(stage: str, text: str) -> str:
    m = re.search(r"<%s>([\s\S]*?)(</%s>|$)" % (stage, stage), text)
    return (m.group(1) if m else text).strip()


def main() -> None:
    path, mode = sys.argv[1], sys.argv[2]
    rows = [json.loads(line) for line in open(path)]
    rows = [r for r in rows if r["mode"] == mode]
    if not rows:
        sys.exit(f"no runs of mode {mode} in {path}")
    print(f"{mode}: {len(rows)} questions, {sum(r['ok'] for r in rows)} answered right")
    by = collections.Counter()
    first_shown = collections.Counter()
    for r in rows:
        for st in r["trace"]["stages"]:
            stage = st["stage"]
            if stage not in ("CAPTION", "REASONING", "CONCLUSION"):
                continue
            gold = r["gold_stages"][stage].strip()
            text = {c["id"]: inner(stage, c["text"]) for c in st["candidates"]}
            for m in st["matches"]:
                if m.get("status") != "decided":
                    continue
                a, b = m["pair"]
                if (text[a] == gold) == (text[b] == gold):
                    continue
                right_at = 1 if text[a] == gold else 2
                won = 1 if m["winner"] == a else 2
                by[(stage, m.get("decided_by"), won == right_at)] += 1
                first_shown[(stage, right_at, won == right_at)] += 1
    for stage in ("CAPTION", "REASONING", "CONCLUSION"):
        total = sum(n for (s, _, _), n in by.items() if s == stage)
        if total == 0:
            continue
        right = sum(n for (s, _, ok), n in by.items() if s == stage and ok)
        print(f"\n{stage}: {total} matches with exactly one right side; the right side won {right} ({100 * right / total:.1f}%)")
        for pos in (1, 2):
            n_ok, n_bad = first_shown[(stage, pos, True)], first_shown[(stage, pos, False)]
            if n_ok + n_bad:
                print(f"  right side shown as Response {pos}: won {n_ok} of {n_ok + n_bad} ({100 * n_ok / (n_ok + n_bad):.1f}%)")
        for how in sorted({d for (s, d, _) in by if s == stage}, key=str):
            n_ok, n_bad = by[(stage, how, True)], by[(stage, how, False)]
            print(f"  decided by {how}: right {n_ok} of {n_ok + n_bad} ({100 * n_ok / (n_ok + n_bad):.1f}%)")


if __name__ == "__main__":
    main()
