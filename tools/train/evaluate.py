"""Greedy evaluation of a checkpoint on a split written with --jsonl (dev or test):
four-stage accuracy per family (the engine's stage prompts, one stage at a time, CONCLUSION parsed
and normalised), direct-answer accuracy, judge accuracy per stage and self-check accuracy.
Usage: python3 tools/train/evaluate.py [--split dev] [--limit N] [--ckpt PATH] [--out JSON]"""
import argparse
import json
import os
import re
import sys
import time
from collections import defaultdict

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, X1Tiny  # noqa: E402
from tokenizer import EOS, PAD, Tokenizer  # noqa: E402

STAGES = ["SUMMARY", "CAPTION", "REASONING", "CONCLUSION"]
DIRECT_SUFFIX = "\nAnswer with a single word, number or option."


def render_stages(stages):
    return "\n".join(f"<{s}>{stages[s]}</{s}>" for s in STAGES if s in stages)


def stage_prompt(question, accepted, stage):
    acc = render_stages(accepted)
    return {"user": question, "assistant_prefix": f"<{stage}>" if acc == "" else f"{acc}\n<{stage}>", "with_image": True}


LEAD_INS = [r"\b(?:so|therefore|thus|hence)\b,?", r"\bthe (?:final |correct )?answer (?:is|would be|should be)\b:?",
            r"\b(?:final )?answer\s*:", r"\bthe correct (?:option|choice) is\b"]


def normalize_answer(text):
    """As normalizeAnswer in src/reasoning/normalize.ts."""
    s = text.lower()
    for p in LEAD_INS:
        s = re.sub(p, " ", s)
    s = re.sub(r"(\d)\.(\d)", "\\1\ue000\\2", s)
    s = re.sub(r"[^\w\ue000]+|_", "", s)
    return s.replace("\ue000", ".")


def answer_ok(pred, gold):
    if normalize_answer(pred) == normalize_answer(gold):
        return True
    g = re.match(r"\(([A-D])\)", gold)
    p = re.match(r"\s*\(?([A-D])\)?(?:\s|$)", pred)
    return bool(g and p and g.group(1) == p.group(1))


def load_model(path, device="cpu"):
    ck = torch.load(path, map_location="cpu")
    model = X1Tiny(Config(**ck["config"]))
    model.load_state_dict(ck["model"])
    model.eval()
    return model.to(device), ck


def pick_next(logits, temperature=0.0, top_p=1.0, gen=None):
    """Greedy at temperature 0; else nucleus sampling (the smallest set of tokens whose probability reaches top_p)."""
    if temperature <= 0:
        return logits.argmax(-1)
    probs = torch.softmax(logits.float() / temperature, -1)
    sorted_p, order = probs.sort(-1, descending=True)
    keep = (sorted_p.cumsum(-1) - sorted_p) < top_p
    sorted_p = sorted_p * keep
    choice = torch.multinomial(sorted_p / sorted_p.sum(-1, keepdim=True), 1, generator=gen)
    return order.gather(-1, choice).squeeze(-1)


@torch.no_grad()
def generate(model, prompt_ids, images, stop_ids, max_new, temperature=0.0, top_p=1.0, gen=None):
    """Batched with left padding and a KV cache; greedy unless temperature > 0. Returns generated ids per row (stop token included)."""
    B = len(prompt_ids)
    L = max(len(p) for p in prompt_ids)
    ids = torch.full((B, L), PAD, dtype=torch.long)
    valid = torch.zeros((B, L), dtype=torch.bool)
    for i, p in enumerate(prompt_ids):
        ids[i, L - len(p):] = torch.tensor(p)
        valid[i, L - len(p):] = True
    dev = model.tok.weight.device  # the model's device (a GPU for tools/train/mine.py --device cuda)
    ids, valid, images = ids.to(dev), valid.to(dev), images.to(dev)
    pos = (valid.long().cumsum(1) - 1).clamp(min=0)
    logits, past = model(ids, images, pos, valid)
    nxt = pick_next(logits[:, -1], temperature, top_p, gen)
    cur = pos[:, -1]
    out = [[] for _ in range(B)]
    done = [False] * B
    for _ in range(max_new):
        picked = nxt.tolist()  # one copy from the device per step
        for i in range(B):
            if not done[i]:
                t = picked[i]
                out[i].append(t)
                done[i] = t in stop_ids
        if all(done) or int(cur.max()) + 2 >= model.c.max_len:
            break
        valid = torch.cat([valid, torch.ones((B, 1), dtype=torch.bool, device=dev)], 1)
        cur = cur + 1
        logits, past = model(nxt[:, None], None, cur[:, None], valid, past)
        nxt = pick_next(logits[:, -1], temperature, top_p, gen)
    return out


def run_batched(model, tok, jobs, images_u8, stop_text, max_new, bs=48, **sampling):
    """jobs: list of (prompt, img); returns decoded texts cut at stop_text. sampling: temperature, top_p, gen (see generate)."""
    stop_ids = {EOS}
    if stop_text:
        stop_ids |= set(tok.encode(stop_text)[-1:])
    texts = []
    order = sorted(range(len(jobs)), key=lambda i: len(tok.encode_prompt(jobs[i][0])))
    res = [None] * len(jobs)
    for s in range(0, len(order), bs):
        chunk = order[s:s + bs]
        prompts = [tok.encode_prompt(jobs[i][0]) for i in chunk]
        imgs = torch.from_numpy(images_u8[[jobs[i][1] for i in chunk]])
        gens = generate(model, prompts, imgs, stop_ids, max_new, **sampling)
        for i, g in zip(chunk, gens):
            text = tok.decode([t for t in g if t != EOS])
            if stop_text and stop_text in text:
                text = text[:text.index(stop_text)]
            res[i] = text
    return res


def greedy_stages(model, tok, items, images):
    """Four-stage greedy answers, one stage at a time through the engine's stage prompts: per item,
    a dict stage -> text."""
    accepted = [dict() for _ in items]
    for stage in STAGES:
        jobs = [(stage_prompt(it["question"], accepted[k], stage), it["img"]) for k, it in enumerate(items)]
        for k, out in enumerate(run_batched(model, tok, jobs, images, f"</{stage}>", 110)):
            accepted[k][stage] = out.strip()
    return accepted


def load_images(root):
    """A generated split's images, (scenes, size, size, 3) uint8."""
    s = json.load(open(os.path.join(root, "stats.json")))["image_size"]
    return np.fromfile(os.path.join(root, "images.u8"), dtype=np.uint8).reshape(-1, s, s, 3)


def load_split_items(root, limit=0):
    """A --jsonl split's images and its items (the first `limit` when limit > 0)."""
    items = [json.loads(line) for line in open(os.path.join(root, "items.jsonl"))]
    return load_images(root), items[:limit] if limit else items


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="dev")
    ap.add_argument("--root", default="tools/.cache/x1-shapes")
    ap.add_argument("--ckpt", default="tools/.cache/x1-train/model.pt")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--out", default="")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tok = Tokenizer()
    model, ck = load_model(args.ckpt)
    root = os.path.join(args.root, args.split)
    images, items = load_split_items(root, args.limit)
    keep = {it["id"] for it in items}
    examples = [e for e in map(json.loads, open(os.path.join(root, "examples.jsonl"))) if e["item"] in keep]
    t0 = time.time()
    report = {"checkpoint": args.ckpt, "step": ck.get("step"), "split": args.split, "items": len(items)}

    accepted = greedy_stages(model, tok, items, images)
    fam = defaultdict(lambda: [0, 0])
    stage_exact = defaultdict(int)
    samples = []
    for k, it in enumerate(items):
        ok = answer_ok(accepted[k]["CONCLUSION"], it["answer"])
        fam[it["family"]][0] += ok
        fam[it["family"]][1] += 1
        for st in STAGES:
            stage_exact[st] += accepted[k][st] == it["stages"][st]
        if len(samples) < 12 and (not ok or k < 4):
            samples.append({"question": it["question"], "answer": it["answer"], "got": accepted[k]})
    total_ok = sum(v[0] for v in fam.values())
    report["four_stage"] = {"overall": total_ok / len(items), "per_family": {f: v[0] / v[1] for f, v in sorted(fam.items())},
                            "stage_text_exact": {st: stage_exact[st] / len(items) for st in STAGES}}

    # Direct answers.
    jobs = [({"user": it["question"] + DIRECT_SUFFIX, "assistant_prefix": "", "with_image": True}, it["img"]) for it in items]
    outs = run_batched(model, tok, jobs, images, "", 16)
    dfam = defaultdict(lambda: [0, 0])
    for it, o in zip(items, outs):
        dfam[it["family"]][0] += answer_ok(o.strip(), it["answer"])
        dfam[it["family"]][1] += 1
    report["direct"] = {"overall": sum(v[0] for v in dfam.values()) / len(items), "per_family": {f: v[0] / v[1] for f, v in sorted(dfam.items())}}

    # Judge and self-check items.
    judge = [e for e in examples if e["kind"] == "judge"]
    outs = run_batched(model, tok, [(e["prompt"], e["img"]) for e in judge], images, "", 256)
    jst = defaultdict(lambda: [0, 0])
    for e, o in zip(judge, outs):
        m = re.findall(r"VERDICT:\s*([12])", o)
        jst[e["stage"]][0] += bool(m) and m[-1] == e["label"]
        jst[e["stage"]][1] += 1
    report["judge"] = {"overall": sum(v[0] for v in jst.values()) / max(1, len(judge)), "n": len(judge),
                       "per_stage": {k: v[0] / v[1] for k, v in sorted(jst.items())}}
    checks = [e for e in examples if e["kind"] == "check"]
    outs = run_batched(model, tok, [(e["prompt"], e["img"]) for e in checks], images, "", 8)
    cor = sum(bool(re.findall(r"CHECK:\s*(CORRECT|INCORRECT)", o)) and re.findall(r"CHECK:\s*(CORRECT|INCORRECT)", o)[-1] == e["label"] for e, o in zip(checks, outs))
    report["selfcheck"] = {"accuracy": cor / max(1, len(checks)), "n": len(checks)}
    report["seconds"] = round(time.time() - t0, 1)
    report["samples"] = samples

    print(f"{args.split}: {len(items)} items, checkpoint step {ck.get('step')}  ({report['seconds']} s)")
    print(f"{'family':<14}{'4-stage':>9}{'direct':>9}")
    for f in sorted(fam):
        print(f"{f:<14}{report['four_stage']['per_family'][f]:>9.3f}{report['direct']['per_family'][f]:>9.3f}")
    print(f"{'overall':<14}{report['four_stage']['overall']:>9.3f}{report['direct']['overall']:>9.3f}")
    print("stage text exact match:", {k: round(v, 3) for k, v in report["four_stage"]["stage_text_exact"].items()})
    print(f"judge accuracy {report['judge']['overall']:.3f} (n={len(judge)})", {k: round(v, 3) for k, v in report["judge"]["per_stage"].items()})
    print(f"self-check accuracy {report['selfcheck']['accuracy']:.3f} (n={len(checks)})")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
