"""Train X1-Tiny on X1-Shapes (stage answers, direct answers, judge and self-check items together).
Usage: python3 tools/train/train.py --config tools/train/config.json [--bench 20] [--device cuda]

The device is --device, else the config's `device`: "cpu" (the default), "cuda", or "auto" (cuda
where torch sees a GPU, else cpu), so a config sized for a GPU still trains on the CPU, only slower.
Checkpoints are saved as CPU tensors either way."""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import KINDS, Split, length_batches  # noqa: E402
from model import Config, X1Tiny, count_params  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402

POSITIONS = ["top left", "top middle", "top right", "middle left", "center", "middle right",
             "bottom left", "bottom middle", "bottom right"]  # tools/x1-shapes/scene.ts
# The aux head's classes (tools/x1-shapes/cmd-gen.ts writes cells.u8 as index + 1, 0 = no shape).
CONCEPTS = [None, "circle", "square", "triangle", "diamond",
            None, "red", "green", "blue", "yellow", "purple",
            None, "small", "large"]


def with_word_ids(model_cfg, tok):
    """A config's `cell_names: true` / `concepts: true` as the token ids model.py takes."""
    mcfg = dict(model_cfg)
    if mcfg.get("cell_names") is True:  # the token ids of each grid cell's name, in reading order
        mcfg["cell_names"] = [tok.encode(" " + name) for name in POSITIONS]
    if mcfg.get("concepts") is True:  # the words of the aux classes, in the aux head's order
        mcfg["concepts"] = [[] if w is None else tok.encode(" " + w) for w in CONCEPTS]
    return mcfg


def log(fh, msg):
    line = f"[{time.strftime('%H:%M:%S')}] {msg}"
    print(line, flush=True)
    if fh:
        fh.write(line + "\n")
        fh.flush()


def plot(history, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception:
        return
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    ax.plot([h["tokens"] / 1e6 for h in history["train"]], [h["loss"] for h in history["train"]], label="train (target tokens)")
    if history["dev"]:
        ax.plot([h["tokens"] / 1e6 for h in history["dev"]], [h["loss"] for h in history["dev"]], "o-", label="dev")
    ax.set_xlabel("tokens seen (M)")
    ax.set_ylabel("cross-entropy (nats/token)")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("X1-Tiny on X1-Shapes")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def target_weigher(tok, letter_weight, walk_weight):
    """Per-target loss weights, or None when all are 1.
    letter_weight counts an option letter (the `A` of ` (A)`) that many times: a multiple-choice
    answer turns on that one token, about 1 in 250 of a choice example's targets, and the model
    finds the value, then names the wrong letter (docs/model-card.md).
    walk_weight counts every target after `Checking` (the option check of --choice-format check)
    that many times, so the copied options and their yes/no weigh as much as the rest together."""
    if letter_weight == 1.0 and walk_weight == 1.0:
        return None
    paren = tok.encode(" (")
    letters = torch.tensor([tok.encode(c)[0] for c in "ABCD"])
    checking = tok.encode(" Checking")
    assert len(paren) == 1 and all(len(tok.encode(c)) == 1 for c in "ABCD")

    def weigh(ids):
        prev, target = ids[:, :-1], ids[:, 1:]
        w = 1.0 + (letter_weight - 1.0) * (torch.isin(target, letters.to(ids.device)) & (prev == paren[0])).float()
        if walk_weight != 1.0:
            n = len(checking)
            start = torch.ones_like(ids[:, : ids.shape[1] - n + 1], dtype=torch.bool)
            for k, t in enumerate(checking):
                start &= ids[:, k:ids.shape[1] - n + 1 + k] == t
            after = torch.zeros_like(ids, dtype=torch.bool)
            after[:, n:] = torch.cumsum(start.int(), dim=1)[:, : ids.shape[1] - n] > 0
            w = w * (1.0 + (walk_weight - 1.0) * after[:, 1:].float())
        return w.reshape(-1)
    return weigh


def on(device, *tensors):
    return [None if t is None else t.to(device, non_blocking=True) for t in tensors]


@torch.no_grad()
def dev_loss(model, split, rows, max_tokens, device):
    model.eval()
    tot, n = 0.0, 0.0
    for b in length_batches(split.lengths()[rows], max_tokens, np.random.RandomState(0)):
        ids, images, mask, _cells = on(device, *split.batch(rows[b]))
        logits, _ = model(ids, images)
        ce = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="none")
        tot += float((ce * mask[:, :-1].reshape(-1)).sum())
        n += float(mask.sum())
    model.train()
    return tot / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default=os.path.join(os.path.dirname(__file__), "config.json"))
    ap.add_argument("--bench", type=int, default=0, help="only time this many steps")
    ap.add_argument("--device", help="cpu, cuda, auto; overrides the config's `device`")
    ap.add_argument("--max-minutes", type=float, help="overrides the config's wall-clock cap (0: none)")
    args = ap.parse_args()
    with open(args.config) as f:
        cfg = json.load(f)
    device = args.device or cfg.get("device", "cpu")
    if device == "auto":  # a GPU where there is one: the same config trains on either
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    torch.manual_seed(cfg["seed"])
    torch.set_num_threads(cfg.get("threads", 2))
    rng = np.random.RandomState(cfg["seed"])
    os.makedirs(cfg["out_dir"], exist_ok=True)

    tok = Tokenizer()
    target_weight = target_weigher(tok, cfg.get("letter_weight", 1.0), cfg.get("walk_weight", 1.0))
    train = Split(cfg["train_dir"])
    dev = Split(cfg["dev_dir"])
    mc = Config(tok.vocab_size, **with_word_ids(cfg["model"], tok))
    model = X1Tiny(mc)
    if cfg.get("init"):  # continue from a checkpoint (same architecture), with a fresh schedule
        model.load_state_dict(torch.load(cfg["init"], map_location="cpu")["model"])
    model.to(device)
    too_long = (train.keep_within(mc.max_len), dev.keep_within(mc.max_len))
    lengths = train.lengths()
    steps_per_epoch = len(length_batches(lengths, cfg["batch_tokens"], np.random.RandomState(0)))
    total_steps = int(steps_per_epoch * cfg["epochs"])
    if cfg.get("train_tokens"):  # a token budget instead of epochs
        total_steps = int(cfg["train_tokens"] / (lengths.sum() / steps_per_epoch))
    # Optional wall-clock budget: the schedule runs on max(step progress, time progress), so the
    # cosine decay always completes and the run ends within max_minutes (CPU shared with others).
    max_sec = 60.0 * (cfg.get("max_minutes", 0) if args.max_minutes is None else args.max_minutes)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], betas=(0.9, 0.98), weight_decay=cfg["weight_decay"])
    warm = cfg["warmup_steps"]

    def progress(step):
        p = step / max(1, total_steps)
        if max_sec:
            p = max(p, (time.time() - t0) / max_sec)
        return p

    def lr_at(step):
        if step < warm:
            return cfg["lr"] * (step + 1) / warm
        p = (progress(step) * total_steps - warm) / max(1, total_steps - warm)
        return cfg["lr"] * (cfg["min_lr_ratio"] + (1 - cfg["min_lr_ratio"]) * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))

    dev_rows = np.random.RandomState(1).choice(len(dev), size=min(512, len(dev)), replace=False)
    fh = None if args.bench else open(cfg["log"], "w")
    log(fh, f"config {json.dumps(cfg)}")
    log(fh, f"device {device}" + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""))
    log(fh, f"model X1-Tiny {json.dumps(mc.to_dict())}: {count_params(model):,} parameters")
    log(fh, f"train: {len(train)} examples, {int(lengths.sum()):,} tokens; {steps_per_epoch} steps/epoch, {total_steps} steps")
    if any(too_long):
        log(fh, f"dropped examples longer than the context ({mc.max_len}): train {too_long[0]}, dev {too_long[1]}")
    history = {"train": [], "dev": []}
    step, seen, target_seen, t0 = 0, 0, 0, time.time()
    best = None

    def save(path):
        state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        torch.save({"config": mc.to_dict(), "model": state, "step": step, "tokenizer": "tools/train/tokenizer.json"}, path)
    ema = None
    aux_ema = None
    epoch = 0
    done = False
    model.train()
    while not done:
        for b in length_batches(lengths, cfg["batch_tokens"], rng):
            if step >= total_steps or (step > warm and progress(step) >= 1.0) or (args.bench and step >= args.bench):
                done = True
                break
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            ids, images, mask, cells = on(device, *train.batch(np.asarray(b)))
            feats = model.image.features(images)
            post = model.image.__dict__.get("post")
            img = feats if post is None else post(feats)
            logits, _ = model(ids, image_embeds=img)
            ce = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="none")
            m = mask[:, :-1].reshape(-1)
            w = m if target_weight is None else m * target_weight(ids)
            loss = (ce * w).sum() / w.sum()
            text_loss = (ce * m).sum() / m.sum()
            if cells is not None and cfg.get("aux_weight", 0) > 0:
                # (B, 9, 14); a concept model's aux head reads the conv features, as its bottleneck does
                a = model.aux(feats if model.concept_matrix is not None else img)
                aux = (F.cross_entropy(a[..., :5].reshape(-1, 5), cells[..., 0].reshape(-1))
                       + F.cross_entropy(a[..., 5:11].reshape(-1, 6), cells[..., 1].reshape(-1))
                       + F.cross_entropy(a[..., 11:].reshape(-1, 3), cells[..., 2].reshape(-1)))
                loss = loss + cfg["aux_weight"] * aux
                aux_ema = float(aux) if aux_ema is None else 0.98 * aux_ema + 0.02 * float(aux)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["clip"])
            opt.step()
            step += 1
            seen += int(lengths[b].sum())
            target_seen += int(m.sum())
            ema = float(text_loss) if ema is None else 0.98 * ema + 0.02 * float(text_loss)
            if step % cfg["log_every"] == 0 or step == total_steps:
                el = time.time() - t0
                eta = el / progress(step) * (1 - progress(step))
                history["train"].append({"step": step, "tokens": seen, "loss": ema})
                aux_txt = "" if aux_ema is None else f" aux {aux_ema:.4f}"
                log(fh, f"step {step}/{total_steps} ep {epoch} loss {ema:.4f}{aux_txt} lr {lr_at(step):.2e} tok/s {seen / el:,.0f} elapsed {el / 60:.1f}m eta {eta / 60:.1f}m")
            if not args.bench and (step % cfg["eval_every"] == 0 or step == total_steps):
                dl = dev_loss(model, dev, dev_rows, cfg["batch_tokens"], device)
                history["dev"].append({"step": step, "tokens": seen, "loss": dl})
                log(fh, f"step {step} dev loss {dl:.4f}")
                save(os.path.join(cfg["out_dir"], "ckpt-last.pt"))
                if best is None or dl < best:
                    best = dl
                    save(os.path.join(cfg["out_dir"], "ckpt-best.pt"))
                with open(cfg["history"], "w") as f:
                    json.dump(history, f)
                plot(history, cfg["curve"])
        epoch += 1
    if not args.bench:
        dl = dev_loss(model, dev, dev_rows, cfg["batch_tokens"], device)
        if not history["dev"] or history["dev"][-1]["step"] != step:
            history["dev"].append({"step": step, "tokens": seen, "loss": dl})
            log(fh, f"step {step} dev loss {dl:.4f}")
        with open(cfg["history"], "w") as f:
            json.dump(history, f)
        plot(history, cfg["curve"])
        if best is None or dl <= best:
            best = dl
            save(os.path.join(cfg["out_dir"], "ckpt-best.pt"))
        final = os.path.join(cfg["out_dir"], "model.pt")
        if os.path.exists(final):
            os.replace(final, os.path.join(cfg["out_dir"], "model-prev.pt"))
        os.replace(os.path.join(cfg["out_dir"], "ckpt-best.pt"), final)
        log(fh, f"final: {final} (best dev loss {best:.4f}); the previous model is model-prev.pt")
    el = time.time() - t0
    log(fh, f"done: {step} steps, {seen:,} tokens ({target_seen:,} target) in {el / 60:.1f} min, {seen / el:,.0f} tok/s")
    if fh:
        fh.close()


if __name__ == "__main__":
    main()
