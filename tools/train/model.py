"""X1-Tiny: a small vision-language model. A conv stem turns the 72x72 image into 9 tokens (one
per grid cell); they replace the <image> placeholders of the prompt, and a pre-norm causal decoder
with learned positions predicts the text. Written for a clean ONNX export later: explicit
position ids, an additive attention mask, and a per-layer key/value cache."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

IMAGE_ID = 3


class Config:
    def __init__(self, vocab_size, d_model=160, n_layers=6, n_heads=5, d_ff=640, max_len=512, image_size=72, image_tokens=9,
                 positions="rope", rope_base=10000.0, cell_names=None, concepts=None):
        self.vocab_size = vocab_size
        self.d_model = d_model
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.d_ff = d_ff
        self.max_len = max_len
        self.image_size = image_size
        self.image_tokens = image_tokens
        self.positions = positions  # "rope" (rotary on q/k) or "learned" (absolute embeddings)
        self.rope_base = rope_base
        # Optional (None = off, the original model): for each of the 9 image tokens, the token ids of
        # its grid cell's name (" top", " left"; " center"). Their (tied) embeddings, normalised and
        # scaled, are added to the image token, so the decoder can find a cell by name and copy the
        # name of the cell it reads.
        self.cell_names = cell_names
        # Optional (None = off): a concept bottleneck beside the conv features. For each auxiliary
        # class of a cell (shape|empty, colour|none, size|none, in that order: 5 + 6 + 3) the token
        # ids of its word ([] for the "nothing here" classes). Each image token then also carries the
        # expected embedding of its words under the aux head's probabilities, so the decoder finds a
        # "purple" cell by the embedding of " purple" and copies the word through the tied output
        # embedding, instead of having to learn to decode the conv features (run 5 read them wrongly
        # in most of its errors while the aux head itself was near perfect).
        self.concepts = concepts

    def to_dict(self):
        return dict(self.__dict__)


def word_counts(rows, vocab_size):
    """Token-id lists -> a constant (len(rows), V) count matrix; `matrix @ embedding` sums each row's
    word embeddings (a cell's name, an aux class's word)."""
    m = torch.zeros(len(rows), vocab_size)
    for i, ids in enumerate(rows):
        for t in ids:
            m[i, t] += 1.0
    return m


class ImageEncoder(nn.Module):
    """72x72 RGB -> 3x3 = 9 tokens of d_model (stride 2, 2, 2, 3)."""

    def __init__(self, d):
        super().__init__()
        self.convs = nn.Sequential(
            nn.Conv2d(3, 32, 3, 2, 1), nn.GELU(),
            nn.Conv2d(32, 64, 3, 2, 1), nn.GELU(),
            nn.Conv2d(64, 96, 3, 2, 1), nn.GELU(),
            nn.Conv2d(96, d, 3, 3, 0),
        )
        self.pos = nn.Parameter(torch.zeros(9, d))
        self.norm = nn.LayerNorm(d)

    def features(self, images_u8):
        # images: (B, 72, 72, 3) uint8 -> normalised floats (B, 3, 72, 72)
        x = images_u8.permute(0, 3, 1, 2).float() / 255.0
        x = (x - 0.5) / 0.25
        x = self.convs(x)  # (B, d, 3, 3)
        x = x.flatten(2).transpose(1, 2)  # (B, 9, d)
        return self.norm(x + self.pos)

    def forward(self, images_u8):
        x = self.features(images_u8)
        post = self.__dict__.get("post")  # X1Tiny.add_cell_context when Config.cell_names or .concepts is set
        return x if post is None else post(x)


def rotate(x, cos, sin):
    """Rotary position embedding, half-split form: (x1, x2) -> (x1 cos - x2 sin, x1 sin + x2 cos)."""
    h = x.shape[-1] // 2
    x1, x2 = x[..., :h], x[..., h:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.h = c.n_heads
        self.dh = c.d_model // c.n_heads
        self.ln1 = nn.LayerNorm(c.d_model)
        self.qkv = nn.Linear(c.d_model, 3 * c.d_model)
        self.proj = nn.Linear(c.d_model, c.d_model)
        self.ln2 = nn.LayerNorm(c.d_model)
        self.fc1 = nn.Linear(c.d_model, c.d_ff)
        self.fc2 = nn.Linear(c.d_ff, c.d_model)

    def heads(self, x, rope=None, past=None):
        """q (B, h, T, dh) of the new tokens; k, v with the past prepended (the block's cache)."""
        B, T, D = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=2)
        q = q.view(B, T, self.h, self.dh).transpose(1, 2)
        k = k.view(B, T, self.h, self.dh).transpose(1, 2)
        v = v.view(B, T, self.h, self.dh).transpose(1, 2)
        if rope is not None:
            q, k = rotate(q, *rope), rotate(k, *rope)
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        return q, k, v

    def residual(self, x, y):
        """The attention output y (B, h, T, dh) merged back, then the MLP."""
        B, T, D = x.shape
        x = x + self.proj(y.transpose(1, 2).reshape(B, T, D))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))

    def forward(self, x, mask, rope=None, past=None):
        q, k, v = self.heads(x, rope, past)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.dh)) + mask
        att = att.softmax(dim=-1)
        return self.residual(x, att @ v), (k, v)


class X1Tiny(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.tok = nn.Embedding(c.vocab_size, c.d_model)
        self.pos = nn.Embedding(c.max_len, c.d_model) if c.positions == "learned" else None
        dh = c.d_model // c.n_heads
        self.register_buffer("inv_freq", 1.0 / (c.rope_base ** (torch.arange(0, dh, 2).float() / dh)), persistent=False)
        self.image = ImageEncoder(c.d_model)
        if getattr(c, "cell_names", None) or getattr(c, "concepts", None):
            # model.image(images) stays the whole image path (the ONNX vision graph exports it as is);
            # a plain attribute, not a submodule, so the state dict keeps its keys.
            self.image.__dict__["post"] = self.add_cell_context
        if getattr(c, "cell_names", None):
            self.register_buffer("cell_name_matrix", word_counts(c.cell_names, c.vocab_size), persistent=False)  # (9, V)
            self.cell_gain = nn.Parameter(torch.tensor(0.5 * math.sqrt(c.d_model)))
        else:
            self.cell_name_matrix = None
        if getattr(c, "concepts", None):
            self.register_buffer("concept_matrix", word_counts(c.concepts, c.vocab_size), persistent=False)  # (14, V)
            self.concept_gain = nn.Parameter(torch.tensor(0.5 * math.sqrt(c.d_model)))
            self.concept_empty = nn.Parameter(torch.zeros(c.d_model))  # what an empty cell carries
        else:
            self.concept_matrix = None
        # Training-only auxiliary head: each image token classifies its cell (shape|empty, colour, size).
        self.aux = nn.Linear(c.d_model, 5 + 6 + 3)
        self.blocks = nn.ModuleList([Block(c) for _ in range(c.n_layers)])
        self.ln_f = nn.LayerNorm(c.d_model)
        self.apply(self._init)
        for b in self.blocks:
            nn.init.normal_(b.proj.weight, std=0.02 / math.sqrt(2 * c.n_layers))
            nn.init.normal_(b.fc2.weight, std=0.02 / math.sqrt(2 * c.n_layers))

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def add_cell_context(self, img):
        """Called by self.image on its normalised cell features (B, 9, d): adds each cell's name (and,
        with Config.concepts, the expected embedding of what the aux head sees in the cell)."""
        feats = img
        if self.cell_name_matrix is not None:
            emb, gain = self.tok.weight, self.cell_gain
            if not self.training:  # constants for inference and export (the vision graph traces model.image alone)
                emb, gain = emb.data, gain.data
            names = F.normalize(self.cell_name_matrix @ emb, dim=-1)  # (9, d)
            img = img + gain * names
        if self.concept_matrix is not None:
            emb, gain, empty = self.tok.weight, self.concept_gain, self.concept_empty
            if not self.training:
                emb, gain, empty = emb.data, gain.data, empty.data
            words = F.normalize(self.concept_matrix @ emb, dim=-1)  # (14, d); zero rows stay zero
            a = self.aux(feats)  # (B, 9, 14)
            p = torch.cat([a[..., :5].softmax(-1), a[..., 5:11].softmax(-1), a[..., 11:].softmax(-1)], dim=-1)
            img = img + gain * (p @ words + p[..., :1] * empty)
        return img

    def encode_image(self, images):
        """(B, 72, 72, 3) uint8 -> (B, 9, d): the image tokens (what `image_embeds` holds); same as self.image."""
        return self.image(images)

    def embed(self, ids, images, pos_ids, image_embeds=None):
        x = self.tok(ids)
        if images is not None or image_embeds is not None:
            img = self.encode_image(images) if image_embeds is None else image_embeds  # (B, 9, d)
            sel = ids == IMAGE_ID
            x = x.masked_scatter(sel.unsqueeze(-1), img.to(x.dtype))
        return x if self.pos is None else x + self.pos(pos_ids)

    def forward(self, ids, images=None, pos_ids=None, key_valid=None, past=None, image_embeds=None):
        """ids (B,T); key_valid (B, T_past+T) bool for padding; returns logits (B,T,V) and the new cache."""
        B, T = ids.shape
        P = 0 if past is None else past[0][0].shape[2]
        if pos_ids is None:
            pos_ids = torch.arange(P, P + T, device=ids.device).unsqueeze(0).expand(B, T)
        x = self.embed(ids, images, pos_ids, image_embeds)
        causal = torch.ones(T, P + T, dtype=torch.bool, device=ids.device).tril(diagonal=P)
        allowed = causal.unsqueeze(0)
        if key_valid is not None:
            allowed = allowed & key_valid.unsqueeze(1)
        mask = torch.zeros(allowed.shape, device=ids.device).masked_fill(~allowed, -1e9).unsqueeze(1)
        rope = None
        if self.pos is None:
            ang = pos_ids.unsqueeze(-1).float() * self.inv_freq  # (B, T, dh/2)
            rope = (ang.cos().unsqueeze(1), ang.sin().unsqueeze(1))
        new = []
        for i, b in enumerate(self.blocks):
            x, kv = b(x, mask, rope, None if past is None else past[i])
            new.append(kv)
        logits = self.ln_f(x) @ self.tok.weight.t()
        return logits, new


def count_params(model):
    return sum(p.numel() for p in model.parameters())
