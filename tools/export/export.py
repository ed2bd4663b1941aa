"""Export X1-Tiny to ONNX for the Worker: two graphs that share nothing but the manifest.

  vision.onnx   image (B, 72, 72, 3) uint8                         -> image_embeds (B, 9, D) float
  decoder.onnx  ids (B, T) int32, image_embeds (B, 9, D), positions (B, T) int32,
                key_valid (B, S+P+T) int32, prefix_key_i / prefix_value_i (1, H, S, Dh) and
                past_key_i / past_value_i (P, B, H, Dh), token-major, for every layer
                -> logits (B, V) of the last position, new_key_i / new_value_i (B, H, T, Dh): the
                keys and values of this call's T tokens

Batch B, prompt length T, shared prefix length S and past length P are dynamic. The prefill runs
with S = 0 and its new keys and values become the prefix of every decode step (T = 1): one copy of
the prompt's keys and values that all N candidates of the batch attend to, while each candidate's
past holds only its own generated tokens. A prompt cache copied into each row would make every
step move B times the prompt's keys and values into and out of the runtime (npm run bench:prefix
measures the layouts).

The past is token-major so that the caller owns it and appends a step's new keys (B, H, 1, Dh) as
one contiguous slot, with no copy of the rest; the graph never concatenates or returns the whole
cache (1.6.0 did both, so each step copied every row's cache three times). The caller keeps slot 0
as a placeholder masked by key_valid, so P >= 1: onnxruntime 1.30 with extended graph optimizations
(the Transpose + MatMul fusion) divides by zero on a zero-length token-major past.

`<image>` placeholder ids take the image embeddings in order (the k-th placeholder of a row gets that
row's k-th image token), which is what `masked_scatter` does in model.py for rows with exactly
`image_tokens` placeholders.

Usage: /usr/bin/python3 tools/export/export.py --ckpt tools/.cache/x1-train/model.pt --out tools/.cache/x1-export
Writes <out>/fp32/{vision,decoder}.onnx (weights inline) for parity; quantize.py makes the int8 model.
"""
import argparse
import json
import math
import os
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "train"))
from model import IMAGE_ID, Config, X1Tiny  # noqa: E402

OPSET = 17


def load_checkpoint(path):
    ck = torch.load(path, map_location="cpu")
    cfg = dict(ck["config"])
    # Checkpoints written before `positions` existed used learned absolute positions.
    if "positions" not in cfg:
        cfg["positions"] = "learned" if "pos.weight" in ck["model"] else "rope"
    model = X1Tiny(Config(**cfg))
    missing, unexpected = model.load_state_dict(ck["model"], strict=False)
    # The auxiliary perception head is training-only (and absent from early checkpoints).
    missing = [k for k in missing if not k.startswith("aux.")]
    if missing or unexpected:
        raise RuntimeError(f"checkpoint does not match model.py: missing {missing}, unexpected {unexpected}")
    model.eval()
    return model, ck, cfg


class Vision(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.image = model.image
        self.aux = model.aux  # the concept bottleneck (Config.concepts) reads the aux head; unused otherwise

    def forward(self, image):
        return self.image(image)


def block_with_prefix(b, x, mask, rope, prefix, past):
    """model.Block.forward with the keys in three parts: a prefix shared by every row (batch 1,
    broadcast by MatMul, never copied per row), the row's own past (token-major), and this call's
    new tokens. One softmax over all three, so the result is the block's own on the concatenated
    cache, which is never built. Returns the new tokens' keys and values."""
    q, k, v = b.heads(x, rope)
    past = [p.permute(1, 2, 0, 3) for p in past]  # token-major (P, B, H, Dh) -> (B, H, P, Dh)
    S, P = prefix[0].shape[2], past[0].shape[2]
    att = torch.cat([q @ prefix[0].transpose(-2, -1), q @ past[0].transpose(-2, -1), q @ k.transpose(-2, -1)], dim=-1)
    att = (att * (1.0 / math.sqrt(b.dh)) + mask).softmax(dim=-1)
    y = att[..., :S] @ prefix[1] + att[..., S:S + P] @ past[1] + att[..., S + P:] @ v
    return b.residual(x, y), (k, v)


class Decoder(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.m = model
        self.n_layers = len(model.blocks)

    def forward(self, ids, image_embeds, positions, key_valid, *cache_flat):
        m = self.m
        n = 2 * self.n_layers
        prefix = [(cache_flat[2 * i], cache_flat[2 * i + 1]) for i in range(self.n_layers)]
        past_flat = cache_flat[n:]
        ids = ids.long()
        pos = positions.long()
        B, T = ids.shape
        x = m.tok(ids)
        sel = ids == IMAGE_ID
        # k-th placeholder of a row -> k-th image token of that row (masked_scatter order).
        slot = (sel.long().cumsum(1) - 1).clamp(min=0, max=image_embeds.shape[1] - 1)
        gathered = torch.gather(image_embeds, 1, slot.unsqueeze(-1).expand(B, T, image_embeds.shape[2]))
        x = torch.where(sel.unsqueeze(-1), gathered, x)
        if m.pos is not None:
            x = x + m.pos(pos)
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(self.n_layers)]
        S = prefix[0][0].shape[2]
        P = past[0][0].shape[0]
        q_at = torch.arange(T) + S + P
        k_at = torch.arange(S + P + T)
        allowed = (k_at.unsqueeze(0) <= q_at.unsqueeze(1)).unsqueeze(0) & (key_valid != 0).unsqueeze(1)
        mask = torch.zeros(allowed.shape).masked_fill(~allowed, -1e9).unsqueeze(1)
        rope = None
        if m.pos is None:
            ang = pos.unsqueeze(-1).float() * m.inv_freq
            rope = (ang.cos().unsqueeze(1), ang.sin().unsqueeze(1))
        new = []
        for i, b in enumerate(m.blocks):
            x, (k, v) = block_with_prefix(b, x, mask, rope, prefix[i], past[i])
            new += [k, v]
        h = m.ln_f(x[:, -1])
        logits = h @ m.tok.weight.t()
        return (logits, *new)


def export(model, cfg, out):
    os.makedirs(out, exist_ok=True)
    D, H, L = cfg["d_model"], cfg["n_heads"], cfg["n_layers"]
    dh = D // H
    s = cfg["image_size"]
    image = torch.randint(0, 256, (2, s, s, 3), dtype=torch.uint8)
    torch.onnx.export(Vision(model), (image,), os.path.join(out, "vision.onnx"), opset_version=OPSET,
                      input_names=["image"], output_names=["image_embeds"],
                      dynamic_axes={"image": {0: "batch"}, "image_embeds": {0: "batch"}}, do_constant_folding=True)
    B, T, S, P = 2, 12, 7, 5
    ids = torch.randint(8, cfg["vocab_size"], (B, T), dtype=torch.int32)
    ids[:, 1:1 + cfg["image_tokens"]] = IMAGE_ID
    embeds = torch.randn(B, cfg["image_tokens"], D)
    positions = torch.arange(S + P, S + P + T, dtype=torch.int32).unsqueeze(0).expand(B, T).contiguous()
    key_valid = torch.ones(B, S + P + T, dtype=torch.int32)
    cache = []
    for _ in range(L):
        cache += [torch.randn(1, H, S, dh), torch.randn(1, H, S, dh)]
    for _ in range(L):
        cache += [torch.randn(P, B, H, dh), torch.randn(P, B, H, dh)]
    prefix_names = [f"prefix_{kind}_{i}" for i in range(L) for kind in ("key", "value")]
    past_names = [f"past_{kind}_{i}" for i in range(L) for kind in ("key", "value")]
    new_names = [f"new_{kind}_{i}" for i in range(L) for kind in ("key", "value")]
    dyn = {"ids": {0: "batch", 1: "tokens"}, "image_embeds": {0: "batch"}, "positions": {0: "batch", 1: "tokens"},
           "key_valid": {0: "batch", 1: "keys"}, "logits": {0: "batch"}}
    for n in prefix_names:
        dyn[n] = {2: "prefix"}
    for n in past_names:
        dyn[n] = {0: "past", 1: "batch"}
    for n in new_names:
        dyn[n] = {0: "batch", 2: "tokens"}
    torch.onnx.export(Decoder(model), (ids, embeds, positions, key_valid, *cache), os.path.join(out, "decoder.onnx"),
                      opset_version=OPSET, input_names=["ids", "image_embeds", "positions", "key_valid", *prefix_names, *past_names],
                      output_names=["logits", *new_names], dynamic_axes=dyn, do_constant_folding=True)


@torch.no_grad()
def check(model, cfg):
    """The export wrapper with its cache against the model itself, in torch, driven the way the
    engine drives it: after a prompt, two decode steps for a batch of 3 rows (the prompt's cache as
    their shared prefix, each row's own past growing behind a placeholder slot that key_valid masks,
    filled with noise here to show it is ignored) must give the logits of a full forward pass."""
    D, H, L, V = cfg["d_model"], cfg["n_heads"], cfg["n_layers"], cfg["vocab_size"]
    dh = D // H
    g = torch.Generator().manual_seed(0)
    prompt = torch.randint(8, V, (1, 20), generator=g)
    prompt[0, 1:1 + cfg["image_tokens"]] = IMAGE_ID
    images = torch.randint(0, 256, (1, cfg["image_size"], cfg["image_size"], 3), dtype=torch.uint8, generator=g)
    embeds = model.image(images)
    dec = Decoder(model)
    S = prompt.shape[1]
    placeholder = lambda b: [torch.randn(1, b, H, dh, generator=g) for _ in range(2 * L)]  # noqa: E731
    valid = lambda b, prefix, own, new: torch.cat([torch.ones(b, prefix), torch.zeros(b, 1), torch.ones(b, own + new)], 1).int()  # noqa: E731
    out = dec(prompt.int(), embeds, torch.arange(S).unsqueeze(0).int(), valid(1, 0, 0, S),
              *[torch.zeros(1, H, 0, dh) for _ in range(2 * L)], *placeholder(1))
    prefix = list(out[1:])
    past = placeholder(3)
    steps = torch.randint(8, V, (3, 2), generator=g)
    for t in range(2):
        out = dec(steps[:, t:t + 1].int(), embeds.expand(3, -1, -1), torch.full((3, 1), S + t, dtype=torch.int32),
                  valid(3, S, t, 1), *prefix, *past)
        past = [torch.cat([p, new.permute(2, 0, 1, 3)], dim=0) for p, new in zip(past, out[1:])]
    ref, _ = model(torch.cat([prompt.expand(3, -1), steps], dim=1), images.expand(3, -1, -1, -1))
    err = float((out[0] - ref[:, -1]).abs().max())
    if err > 1e-3:
        raise RuntimeError(f"export wrapper disagrees with the model: max |logit difference| {err}")
    return err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="tools/.cache/x1-train/model.pt")
    ap.add_argument("--out", default="tools/.cache/x1-export")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, ck, cfg = load_checkpoint(args.ckpt)
    out = os.path.join(args.out, "fp32")
    print(f"export wrapper vs model: max |logit difference| {check(model, cfg):.2e}")
    export(model, cfg, out)
    meta = {"checkpoint": args.ckpt, "step": ck.get("step"), "config": cfg}
    with open(os.path.join(args.out, "export.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"exported step {ck.get('step')} ({cfg['positions']} positions) -> {out}")


if __name__ == "__main__":
    main()
