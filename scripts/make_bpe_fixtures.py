#!/usr/bin/env python3
"""Writes zoo's byte-level BPE (GPT-2) tokenizer fixtures with the real Hugging Face libraries.

Run ONCE by a developer (the outputs are committed); CI never runs it. It needs a Python with
`tokenizers` and `transformers` (zoo's dev machines keep one at ~/.cache/zoo-dev/torchenv):

    ~/.cache/zoo-dev/torchenv/bin/python scripts/make_bpe_fixtures.py [OUT_DIR]

OUT_DIR defaults to Tests/Fixtures/gpt2-tokenizer, which holds the committed training text
corpus.txt (README excerpt plus mixed text: accents, Greek, Cyrillic, CJK, RTL scripts, emoji
sequences, numbers, contractions, whitespace runs).

Outputs:
  vocab.json, merges.txt  a ByteLevel BPE trained by `tokenizers` on corpus.txt: the 256 byte
                          symbols plus 255 merges (ids 0-510), and <|endoftext|> added last (511),
                          as GPT-2 puts it last; vocabulary 512, like the gpt2 model fixture.
  tokenizer.json          the same tokenizer as GPT2Tokenizer (transformers) saves it.
  reference.json          for tricky inputs: GPT2Tokenizer's ids, its tokens and its decoded text,
                          and decodings of hand-picked id runs that are not valid UTF-8.
  generation              when the gpt2 model fixture (scripts/make_gpt2_reference.py) is at
                          Tests/Fixtures/gpt2: GPT2LMHeadModel.generate's greedy continuation of a
                          few prompt texts encoded by this tokenizer, its ids and decoded text.
The script also checks every encoding against a plain-Python port of OpenAI's encoder.py
(the `regex` module's GPT-2 pattern and its rank loop), so the reference has two sources.
"""
import json
import os
import sys
import tempfile

import regex
import tokenizers
import transformers
from tokenizers import ByteLevelBPETokenizer
from transformers import GPT2Tokenizer

VOCAB_SIZE = 512
EOS = "<|endoftext|>"

INPUTS = [
    "",
    "hello",
    "Hello world",
    " leading space",
    "trailing space ",
    "  two leading spaces",
    "a  b   c    d",
    "tabs\tand\t\ttabs",
    "line\nbreak\n\nand\r\nCRLF",
    "   ",
    "\n",
    " \n ",
    "It's the model's tokenizer: they're sure we've seen it, I'm told you'll like it, he'd say so.",
    "DON'T SHOUT, it'S odd: 'tis 're 'd' 'll''ve",
    "!'s ?'t",
    "Numbers: 0, 7, 42, 1234567890, 3.14159, -273.15, 1e-5, 2026-12-03, $19.99, 50%",
    "x²³ ½ Ⅻ ٣٤٥ ௰ 𝟙𝟚",
    "déjà vu, naïve café, crème brûlée, Œuvre",
    "cafe\u0301 (decomposed) vs caf\u00e9",
    "caf\u00e9 cafe\u0301 caf\u00e9 cafe\u0301",
    "Größe Straße Übergrößenträger",
    "καλημέρα κόσμε, привет мир",
    "こんにちは世界、東京タワー。你好，世界！안녕하세요",
    "مرحبا بالعالم שלום עולם नमस्ते दुनिया สวัสดี",
    "😀 😃 🎉🎉 👍🏽 ❤️ 👨‍👩‍👧‍👦 🇫🇷 🍕!!",
    "no\u00a0break\u00a0space and ideographic\u3000space",
    "zero\u200bwidth and soft\u00adhyphen and \u2028line\u2029para",
    "control\u0000nul\u0007bell\u001bescape\u007fdel",
    "info\u001cseparator\u001funit and next\u0085line",
    "let x = a[i] + b[j]; if (x >= 10 && y != 0) { return f(x, y); } // done",
    "... !!! ??? --- *** \"quoted\" 'single' — – « » „ “ ” ‘ ’",
    "The quick brown fox jumps over the lazy dog. the the the the",
    "hello" + EOS + "world",
    EOS,
    "a " + EOS + " b",
    "<|endoftext",
    "unseenzzzqqqxxxjjj",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "\ud7ff\ue000\uffff\U0010fffd",
]

# Id runs that decode to invalid UTF-8 (byte symbols by byte value; see bytes_to_unicode below).
BYTE_RUNS = [
    [0xE6, 0x97],           # a truncated 3-byte sequence
    [0x61, 0xFF, 0x62],     # a byte that never starts UTF-8
    [0xC3],                 # a lone lead byte
    [0x80, 0x80, 0x61],     # lone continuation bytes
    [0xF0, 0x9F, 0x98],     # a truncated 4-byte sequence
    [0xED, 0xA0, 0x80],     # an encoded surrogate
    [0xC0, 0xAF],           # an overlong encoding
    [0xF4, 0x90, 0x80, 0x80],  # beyond U+10FFFF
]


def bytes_to_unicode():
    """GPT-2's table (openai/gpt-2 src/encoder.py): printable bytes map to themselves, the others to 256+n."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


class OpenAIEncoder:
    """openai/gpt-2 src/encoder.py's Encoder (encode only), for a second opinion."""

    PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")

    def __init__(self, vocab, merges):
        self.encoder = vocab
        self.byte_encoder = bytes_to_unicode()
        self.ranks = {tuple(m.split(" ")): i for i, m in enumerate(merges)}

    def bpe(self, token):
        word = tuple(token)
        while len(word) > 1:
            pairs = set(zip(word, word[1:]))
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            first, second = best
            merged, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == first and word[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = tuple(merged)
        return word

    def encode(self, text):
        ids = []
        for index, part in enumerate(text.split(EOS)):
            if index > 0:
                ids.append(self.encoder[EOS])
            for token in regex.findall(self.PATTERN, part):
                mapped = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
                ids.extend(self.encoder[t] for t in self.bpe(mapped))
        return ids


GENERATION_PROMPTS = ["The quick brown fox", "It's the model's", "Größe 日本語 😀", "let x = "]
GENERATION_NEW_TOKENS = 16


def generation_reference(tokenizer, model_dir):
    """Greedy continuations by the gpt2 model fixture, or None when it is not there."""
    if not os.path.exists(os.path.join(model_dir, "model.safetensors")):
        return None
    import torch
    from transformers import GPT2LMHeadModel

    model = GPT2LMHeadModel.from_pretrained(model_dir)
    model.eval()
    eos = model.config.eos_token_id
    results = []
    for text in GENERATION_PROMPTS:
        prompt = tokenizer.encode(text)
        with torch.no_grad():
            out = model.generate(
                torch.tensor([prompt]), attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
                max_new_tokens=GENERATION_NEW_TOKENS, do_sample=False, eos_token_id=eos, pad_token_id=eos,
                output_scores=True, return_dict_in_generate=True,
            )
        new = out.sequences[0, len(prompt):].tolist()
        gap = min(float(torch.topk(scores[0], 2).values[0] - torch.topk(scores[0], 2).values[1]) for scores in out.scores)
        assert gap > 1e-3, f"a greedy step of {text!r} is nearly tied ({gap})"
        results.append({"prompt": text, "prompt_ids": prompt, "new_ids": new, "text": tokenizer.decode(new), "min_top2_gap": gap})
    return {"model": "Tests/Fixtures/gpt2", "max_new_tokens": GENERATION_NEW_TOKENS, "eos_token_id": eos, "greedy": results}


def main() -> None:
    if len(sys.argv) > 2:
        sys.exit(__doc__)
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = os.path.normpath(sys.argv[1] if len(sys.argv) == 2 else os.path.join(here, "..", "Tests", "Fixtures", "gpt2-tokenizer"))
    corpus = os.path.join(here, "..", "Tests", "Fixtures", "gpt2-tokenizer", "corpus.txt")

    trainer = ByteLevelBPETokenizer()
    # No special tokens in training, so the 256 bytes and 255 merges take ids 0-510.
    trainer.train([corpus], vocab_size=VOCAB_SIZE - 1, min_frequency=2, special_tokens=[], show_progress=False)
    with tempfile.TemporaryDirectory() as tmp:
        trainer.save_model(tmp)
        with open(os.path.join(tmp, "vocab.json"), encoding="utf-8") as f:
            vocab = json.load(f)
        with open(os.path.join(tmp, "merges.txt"), encoding="utf-8") as f:
            merges_text = f.read()
    assert len(vocab) == VOCAB_SIZE - 1, f"trained {len(vocab)} tokens, not {VOCAB_SIZE - 1}"
    vocab[EOS] = VOCAB_SIZE - 1
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False, separators=(",", ":"))
    with open(os.path.join(out_dir, "merges.txt"), "w", encoding="utf-8") as f:
        f.write(merges_text)
    merges = [line for line in merges_text.split("\n")[1:] if line]

    with tempfile.TemporaryDirectory() as tmp:
        # A folder with only vocab.json + merges.txt, as an old GPT-2 checkpoint ships them.
        for name in ("vocab.json", "merges.txt"):
            with open(os.path.join(out_dir, name), "rb") as src, open(os.path.join(tmp, name), "wb") as dst:
                dst.write(src.read())
        tokenizer = GPT2Tokenizer.from_pretrained(tmp)
        assert len(tokenizer) == VOCAB_SIZE, len(tokenizer)
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer.save_pretrained(tmp)
        with open(os.path.join(tmp, "tokenizer.json"), encoding="utf-8") as f:
            tokenizer_json = json.load(f)
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json, f, ensure_ascii=False, indent=1)
        f.write("\n")

    openai = OpenAIEncoder(vocab, merges)
    cases = []
    for text in INPUTS:
        ids = tokenizer.encode(text)
        assert ids == openai.encode(text), f"transformers and encoder.py disagree on {text!r}"
        decoded = tokenizer.decode(ids)
        assert decoded == text, f"{text!r} decodes to {decoded!r}"
        cases.append({"text": text, "ids": ids, "tokens": tokenizer.convert_ids_to_tokens(ids), "decoded": decoded})
    byte_encoder = bytes_to_unicode()
    byte_runs = []
    for run in BYTE_RUNS:
        ids = [vocab[byte_encoder[b]] for b in run]
        byte_runs.append({"bytes": run, "ids": ids, "decoded": tokenizer.decode(ids)})

    reference = {
        "made_by": "scripts/make_bpe_fixtures.py",
        "versions": {"tokenizers": tokenizers.__version__, "transformers": transformers.__version__},
        "vocab_size": VOCAB_SIZE,
        "eos_token_id": vocab[EOS],
        "cases": cases,
        "invalid_utf8_decodes": byte_runs,
    }
    generation = generation_reference(tokenizer, os.path.join(here, "..", "Tests", "Fixtures", "gpt2"))
    if generation is not None:
        reference["generation"] = generation
    with open(os.path.join(out_dir, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(reference, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {out_dir}: {len(vocab)} tokens, {len(merges)} merges, {len(cases)} cases")


if __name__ == "__main__":
    main()
