"""Loads a split written by the X1-Shapes generator (tools/.cache/x1-shapes/<split>/)."""
import json
import os

import numpy as np
import torch

KINDS = ["stages", "direct", "judge", "check", "lookup"]  # the generator's EXAMPLE_KINDS, in order
FAMILIES = ["count_colour", "count_shape", "count_both", "compare", "attribute", "remove", "corners", "choice"]


class Split:
    def __init__(self, root):
        if isinstance(root, list):  # several generated directories read as one split
            self._merge([Split(r) for r in root])
            return
        self.root = root
        with open(os.path.join(root, "stats.json")) as f:
            self.stats = json.load(f)
        s = self.stats["image_size"]
        self.images = np.fromfile(os.path.join(root, "images.u8"), dtype=np.uint8).reshape(-1, s, s, 3)
        self.tokens = np.fromfile(os.path.join(root, "tokens.u16"), dtype=np.uint16).astype(np.int64)
        self.index = np.fromfile(os.path.join(root, "index.i32"), dtype=np.int32).reshape(-1, 8)
        cells = os.path.join(root, "cells.u8")
        self.cells = np.fromfile(cells, dtype=np.uint8).reshape(-1, 9, 3).astype(np.int64) if os.path.exists(cells) else None

    def _merge(self, parts):
        self.root = [p.root for p in parts]
        self.stats = parts[0].stats
        tok_off = np.cumsum([0] + [len(p.tokens) for p in parts[:-1]])
        img_off = np.cumsum([0] + [len(p.images) for p in parts[:-1]])
        index = []
        for p, t, i in zip(parts, tok_off, img_off):
            idx = p.index.copy()
            idx[:, 0] += t  # token start
            idx[:, 3] += i  # image row
            index.append(idx)
        self.images = np.concatenate([p.images for p in parts])
        self.tokens = np.concatenate([p.tokens for p in parts])
        self.index = np.concatenate(index)
        has_cells = all(p.cells is not None for p in parts)
        self.cells = np.concatenate([p.cells for p in parts]) if has_cells else None

    def __len__(self):
        return len(self.index)

    def keep_within(self, max_len):
        """Drop examples longer than the model's context (a few copy-format judge replies); returns how many."""
        keep = self.index[:, 2] <= max_len
        self.index = self.index[keep]
        return int((~keep).sum())

    def lengths(self):
        return self.index[:, 2]

    def batch(self, rows):
        """Right-padded (ids, images, loss mask over next-token targets, per-cell labels or None)."""
        idx = self.index[rows]
        T = int(idx[:, 2].max())
        ids = np.zeros((len(rows), T), dtype=np.int64)
        loss_mask = np.zeros((len(rows), T), dtype=np.float32)
        for r, (start, plen, tlen, *_rest) in enumerate(idx):
            ids[r, :tlen] = self.tokens[start:start + tlen]
            loss_mask[r, plen - 1:tlen - 1] = 1.0  # position t predicts token t+1
        images = torch.from_numpy(self.images[idx[:, 3]])
        cells = None if self.cells is None else torch.from_numpy(self.cells[idx[:, 3]])
        return torch.from_numpy(ids), images, torch.from_numpy(loss_mask), cells


def length_batches(lengths, max_tokens, rng, pool=64):
    """Shuffle, sort within pools of similar length, cut into batches of <= max_tokens padded tokens, shuffle the batches."""
    order = rng.permutation(len(lengths))
    batches = []
    chunk = max(1, pool * max_tokens // int(lengths.mean()))
    for c in range(0, len(order), chunk):
        part = sorted(order[c:c + chunk], key=lambda i: lengths[i])
        cur, cur_max = [], 0
        for i in part:
            m = max(cur_max, lengths[i])
            if cur and m * (len(cur) + 1) > max_tokens:
                batches.append(cur)
                cur, m = [], lengths[i]
            cur.append(i)
            cur_max = m
        if cur:
            batches.append(cur)
    rng.shuffle(batches)
    return batches
