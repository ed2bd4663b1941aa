"""The X1-Shapes tokenizer in Python: byte-for-byte the algorithm of tools/x1-shapes/tokenizer.ts
(greedy longest match over UTF-8 bytes, one token per byte as the fallback). Checked against
data/x1-shapes/tokenizer-vectors.json by `python3 tools/train/tokenizer.py --check`."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PAD, BOS, EOS, IMAGE, SYSTEM, USER, ASSISTANT = 0, 1, 2, 3, 4, 5, 6


class Tokenizer:
    def __init__(self, path=os.path.join(HERE, "tokenizer.json")):
        with open(path, encoding="utf-8") as f:
            self.file = json.load(f)
        self.byte_offset = self.file["byte_offset"]
        self.piece_offset = self.file["piece_offset"]
        self.image_tokens = self.file["image_tokens"]
        self.id_to_bytes = [b""] * self.byte_offset + [bytes([b]) for b in range(256)]
        self.by_first = {}
        for k, piece in enumerate(self.file["pieces"]):
            raw = piece.encode("utf-8")
            self.id_to_bytes.append(raw)
            self.by_first.setdefault(raw[0], []).append((raw, self.piece_offset + k))
        for lst in self.by_first.values():
            lst.sort(key=lambda c: (-len(c[0]), c[1]))
        self.vocab_size = len(self.id_to_bytes)

    def encode(self, text):
        data = text.encode("utf-8")
        ids, i, n = [], 0, len(data)
        while i < n:
            for raw, tid in self.by_first.get(data[i], ()):
                if data.startswith(raw, i):
                    ids.append(tid)
                    i += len(raw)
                    break
            else:
                ids.append(self.byte_offset + data[i])
                i += 1
        return ids

    def decode(self, ids):
        return b"".join(self.id_to_bytes[i] for i in ids if 0 <= i < len(self.id_to_bytes)).decode("utf-8", errors="replace")

    def encode_prompt(self, prompt):
        ids = [BOS]
        if prompt.get("with_image"):
            ids += [IMAGE] * self.image_tokens
        if prompt.get("system") is not None:
            ids += [SYSTEM] + self.encode(prompt["system"])
        ids += [USER] + self.encode(prompt["user"]) + [ASSISTANT] + self.encode(prompt["assistant_prefix"])
        return ids

    def encode_target(self, completion):
        return self.encode(completion) + [EOS]


def check(vectors_path):
    tok = Tokenizer()
    with open(vectors_path, encoding="utf-8") as f:
        vec = json.load(f)
    bad = 0
    for v in vec["texts"]:
        bad += tok.encode(v["text"]) != v["ids"]
        bad += tok.decode(v["ids"]) != v["text"]
    for v in vec["prompts"]:
        bad += tok.encode_prompt(v["prompt"]) != v["ids"]
    for v in vec["targets"]:
        bad += tok.encode_target(v["text"]) != v["ids"]
    total = 2 * len(vec["texts"]) + len(vec["prompts"]) + len(vec["targets"])
    print(f"tokenizer vectors: {total - bad}/{total} agree")
    return bad == 0


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(0 if check(os.path.join(HERE, "../../data/x1-shapes/tokenizer-vectors.json")) else 1)
