#!/usr/bin/env python3
"""Writes zoo's bundled demo checkpoint, a tiny Hugging Face style BERT, into a folder.

    python scripts/make_bert_tiny.py [OUT_DIR]      # default: zoo/checkpoints/bert-tiny

The folder holds what a Hugging Face model repository holds: model.safetensors (written with the
official safetensors package), config.json (BertConfig), vocab.txt (WordPiece), tokenizer_config.json
and a README.md model card. The weights are seeded random numbers (Hugging Face's BERT initialisation:
normal(0, 0.02) for linear and embedding weights, zero biases, LayerNorm weight 1 and bias 0), not a
trained model. The output is deterministic: running the script again rewrites the same bytes.

make_fixtures.py imports this module for its vocabulary and tensor layout.
"""

import json
import os
import sys

import numpy as np
from safetensors.numpy import save_file

SEED = 20240607

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PUNCTUATION = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
DIGITS = list("0123456789")
LETTERS = list("abcdefghijklmnopqrstuvwxyz")

# Common lowercase English words, most frequent first (hand-written for this script); the vocabulary
# takes as many as fit in VOCAB_SIZE after the special tokens, characters and ## pieces.
WORDS = """
the of and to a in is it you that he was for on are with as i his they be at one have this from
or had by not word but what some we can out other were all there when up use your how said an each
she which do their time if will way about many then them write would like so these her long make
thing see him two has look more day could go come did number sound no most people my over know
water than call first who may down side been now find any new work part take get place made live
where after back little only round man year came show every good me give our under name very through
just form sentence great think say help low line differ turn cause much mean before move right boy
old too same tell does set three want air well also play small end put home read hand port large
spell add even land here must big high such follow act why ask men change went light kind off need
house picture try us again animal point mother world near build self earth father head stand own page
should country found answer school grow study still learn plant cover food sun four between state
keep eye never last let thought city tree cross farm hard start might story saw far sea draw left
late run while press close night real life few north open seem together next white children begin
got walk example ease paper group always music those both mark often letter until mile river car
feet care second book carry took science eat room friend began idea fish mountain stop once base
hear horse cut sure watch color face wood main enough plain girl usual young ready above ever red
list though feel talk bird soon body dog family direct pose leave song measure door product black
short numeral class wind question happen complete ship area half rock order fire south problem piece
told knew pass since top whole king space heard best hour better true during hundred five remember
step early hold west ground interest reach fast verb sing listen six table travel less morning ten
simple several vowel toward war lay against pattern slow center love person money serve appear road
map rain rule govern pull cold notice voice unit power town fine certain fly fall lead cry dark
machine note wait plan figure star box noun field rest correct able pound done beauty drive stood
contain front teach week final gave green oh quick develop ocean warm free minute strong special mind
behind clear tail produce fact street inch multiply nothing course stay wheel full force blue object
decide surface deep moon island foot system busy test record boat common gold possible plane stead
dry wonder laugh thousand ago ran check game shape equate hot miss brought heat snow tire bring yes
distant fill east paint language among grand ball yet wave drop heart am present heavy dance engine
position arm wide sail material size vary settle speak weight general ice matter circle pair include
divide syllable felt perhaps pick sudden count square reason length represent art subject region
energy hunt probable bed brother egg ride cell believe fraction forest sit race window store summer
train sleep prove lone exercise wall catch mount wish sky board joy winter sat written wild
instrument kept glass grass cow job edge sign visit past soft fun bright gas weather month million
bear finish happy hope flower clothe strange gone jump baby eight village meet root buy raise solve
metal whether push seven paragraph third shall held hair describe cook floor either result burn hill
safe cat century consider type law bit coast copy phrase silent tall sand soil roll temperature
finger industry value fight lie beat excite natural view sense ear else quite broke case middle kill
son lake moment scale loud spring observe child straight consonant nation dictionary milk speed
method organ pay age section dress cloud surprise quiet stone tiny climb cool design poor lot
experiment bottom key iron single stick flat twenty skin smile crease hole trade melody trip office
receive row mouth exact symbol die least trouble shout except wrote seed tone join suggest clean
break lady yard rise bad blow oil blood touch grew cent mix team wire cost lost brown wear garden
equal sent choose fell fit flow fair bank collect save control decimal gentle woman captain practice
separate difficult doctor please protect noon whose locate ring character insect caught period
indicate radio spoke atom human history effect electric expect crop modern element hit student
corner party supply bone rail imagine provide agree thus capital chair danger fruit rich thick soldier
process operate guess necessary sharp wing create neighbor wash bat rather crowd corn compare poem
string bell depend meat rub tube famous dollar stream fear sight thin triangle planet hurry chief
colony clock mine tie enter major fresh search send yellow gun allow print dead spot desert suit
current lift rose continue block chart hat sell success company subtract event particular deal swim
term opposite wife shoe shoulder spread arrange camp invent cotton born determine quart nine truck
noise level chance gather shop stretch throw shine property column molecule select wrong gray repeat
require broad prepare salt nose plural anger claim continent oxygen sugar death pretty skill women
season solution magnet silver thank branch match suffix especially fig afraid huge sister steel
discuss forward similar guide experience score apple bought led pitch coat mass card band rope slip
win dream evening condition feed tool total basic smell valley nor double seat arrive master track
parent shore division sheet substance favor connect post spend chord fat glad original share station
dad bread charge proper bar offer segment slave duck instant market degree populate chick dear enemy
reply drink occur support speech nature range steam motion path liquid log meant quotient teeth
shell neck model data file tensor layer shard code
"""

# WordPiece continuation pieces: single letters first (so any lowercase word can be spelled), then
# common English suffixes.
SUFFIXES = [f"##{c}" for c in LETTERS] + [
    "##es", "##ed", "##ing", "##er", "##ers", "##est", "##ly", "##ion", "##tion", "##sion",
    "##ment", "##ness", "##ful", "##less", "##able", "##ible", "##al", "##ity", "##ive", "##ize",
    "##ous", "##en", "##ish", "##ist", "##ism", "##ic", "##ical", "##ward", "##ship", "##hood",
    "##ant", "##ent", "##ance", "##ence", "##ure", "##age", "##ery", "##ory", "##ty", "##th",
]

VOCAB_SIZE = 1000

CONFIG = {
    "architectures": ["BertForSequenceClassification"],
    "attention_probs_dropout_prob": 0.1,
    "classifier_dropout": None,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": 64,
    "id2label": {"0": "NEGATIVE", "1": "POSITIVE"},
    "initializer_range": 0.02,
    "intermediate_size": 256,
    "label2id": {"NEGATIVE": 0, "POSITIVE": 1},
    "layer_norm_eps": 1e-12,
    "max_position_embeddings": 512,
    "model_type": "bert",
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "pad_token_id": 0,
    "position_embedding_type": "absolute",
    "problem_type": "single_label_classification",
    "torch_dtype": "float32",
    "type_vocab_size": 2,
    "use_cache": True,
    "vocab_size": VOCAB_SIZE,
}

TOKENIZER_CONFIG = {
    "clean_up_tokenization_spaces": True,
    "cls_token": "[CLS]",
    "do_basic_tokenize": True,
    "do_lower_case": True,
    "mask_token": "[MASK]",
    "model_max_length": 512,
    "never_split": None,
    "pad_token": "[PAD]",
    "sep_token": "[SEP]",
    "strip_accents": None,
    "tokenize_chinese_chars": True,
    "tokenizer_class": "BertTokenizer",
    "unk_token": "[UNK]",
}

MODEL_CARD = """\
---
language: en
library_name: transformers
pipeline_tag: text-classification
tags:
- bert
- test-fixture
- random-weights
---

# bert-tiny (zoo demo checkpoint)

**These weights are seeded random numbers, not a trained model.** They exist so that zoo's demo and
tests have a small, real, Hugging Face style checkpoint to import, verify, export and load. The
model's predictions are meaningless.

- Architecture: `BertForSequenceClassification` (BERT encoder, pooler, 2-class classifier head)
- Size: {parameters} float32 parameters: vocabulary {vocab_size}, hidden size {hidden_size},
  {num_hidden_layers} layers, {num_attention_heads} attention heads, intermediate size {intermediate_size},
  {max_position_embeddings} positions
- Initialisation: Hugging Face's BERT scheme with seed {seed}: linear and embedding weights
  normal(0, 0.02) (the `[PAD]` embedding row zero), biases 0, LayerNorm weight 1 and bias 0
- Files: `model.safetensors` (written with the official `safetensors` Python package),
  `config.json`, `vocab.txt` (lowercase WordPiece vocabulary of common English words),
  `tokenizer_config.json`

Regenerate every file, byte for byte, with `python scripts/make_bert_tiny.py` (needs numpy and
safetensors; `make setup` installs them).
"""


def vocabulary(size=VOCAB_SIZE):
    """The WordPiece vocabulary: special tokens, punctuation, digits, letters, words, ## pieces."""
    vocab, seen = [], set()

    def add(token):
        if token not in seen:
            seen.add(token)
            vocab.append(token)

    for token in SPECIAL_TOKENS + PUNCTUATION + DIGITS + LETTERS:
        add(token)
    suffixes = [piece for piece in dict.fromkeys(SUFFIXES) if piece not in seen]
    for word in WORDS.split():
        if len(vocab) + len(suffixes) >= size:
            break
        add(word)
    for piece in suffixes:
        add(piece)
    if len(vocab) != size:
        raise SystemExit(f"vocabulary has {len(vocab)} tokens, want {size}: edit WORDS")
    return vocab


def bert_tensor_layout(config, prefix="bert.", head=True):
    """(name, shape, init) for every tensor of a BertModel (with `prefix`) plus the pooler and, when
    `head`, a sequence-classification head; init is "normal", "zeros" or "ones"."""
    h = config["hidden_size"]
    inter = config["intermediate_size"]
    p = prefix
    out = [
        (f"{p}embeddings.word_embeddings.weight", [config["vocab_size"], h], "normal"),
        (f"{p}embeddings.position_embeddings.weight", [config["max_position_embeddings"], h], "normal"),
        (f"{p}embeddings.token_type_embeddings.weight", [config["type_vocab_size"], h], "normal"),
        (f"{p}embeddings.LayerNorm.weight", [h], "ones"),
        (f"{p}embeddings.LayerNorm.bias", [h], "zeros"),
    ]
    for i in range(config["num_hidden_layers"]):
        layer = f"{p}encoder.layer.{i}."
        for proj in ("query", "key", "value"):
            out.append((f"{layer}attention.self.{proj}.weight", [h, h], "normal"))
            out.append((f"{layer}attention.self.{proj}.bias", [h], "zeros"))
        out += [
            (f"{layer}attention.output.dense.weight", [h, h], "normal"),
            (f"{layer}attention.output.dense.bias", [h], "zeros"),
            (f"{layer}attention.output.LayerNorm.weight", [h], "ones"),
            (f"{layer}attention.output.LayerNorm.bias", [h], "zeros"),
            (f"{layer}intermediate.dense.weight", [inter, h], "normal"),
            (f"{layer}intermediate.dense.bias", [inter], "zeros"),
            (f"{layer}output.dense.weight", [h, inter], "normal"),
            (f"{layer}output.dense.bias", [h], "zeros"),
            (f"{layer}output.LayerNorm.weight", [h], "ones"),
            (f"{layer}output.LayerNorm.bias", [h], "zeros"),
        ]
    out += [
        (f"{p}pooler.dense.weight", [h, h], "normal"),
        (f"{p}pooler.dense.bias", [h], "zeros"),
    ]
    if head:
        labels = len(config.get("id2label", {"0": 0, "1": 1}))
        out += [("classifier.weight", [labels, h], "normal"), ("classifier.bias", [labels], "zeros")]
    return out


def init_tensors(layout, seed, std=0.02, pad_token_id=0):
    """Seeded float32 tensors for a layout from bert_tensor_layout, in layout order."""
    rng = np.random.default_rng(seed)
    tensors = {}
    for name, shape, init in layout:
        if init == "normal":
            t = (rng.standard_normal(shape, dtype=np.float32) * np.float32(std)).astype(np.float32)
            if name.endswith("word_embeddings.weight"):
                t[pad_token_id] = 0  # nn.Embedding(padding_idx=pad_token_id) keeps this row zero
        elif init == "zeros":
            t = np.zeros(shape, dtype=np.float32)
        elif init == "ones":
            t = np.ones(shape, dtype=np.float32)
        else:
            raise ValueError(init)
        tensors[name] = t
    return tensors


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, sort_keys=True, ensure_ascii=False)
        f.write("\n")


def write_text(path, text):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    out = argv[1] if len(argv) > 1 else os.path.join(here, "..", "zoo", "checkpoints", "bert-tiny")
    os.makedirs(out, exist_ok=True)

    vocab = vocabulary()
    config = dict(CONFIG)
    layout = bert_tensor_layout(config)
    tensors = init_tensors(layout, SEED, std=config["initializer_range"], pad_token_id=config["pad_token_id"])
    parameters = sum(int(t.size) for t in tensors.values())

    weights = os.path.join(out, "model.safetensors")
    save_file(tensors, weights, metadata={"format": "pt"})
    os.chmod(weights, 0o644)  # the Rust writer creates the file 0600
    write_json(os.path.join(out, "config.json"), config)
    write_text(os.path.join(out, "vocab.txt"), "".join(token + "\n" for token in vocab))
    write_json(os.path.join(out, "tokenizer_config.json"), TOKENIZER_CONFIG)
    write_text(os.path.join(out, "README.md"), MODEL_CARD.format(parameters=f"{parameters:,}", seed=SEED, **config))

    total = sum(os.path.getsize(os.path.join(out, n)) for n in os.listdir(out))
    print(f"make_bert_tiny: wrote {out}: {len(tensors)} tensors, {parameters:,} parameters, "
          f"{len(vocab)} tokens, {total:,} bytes")


if __name__ == "__main__":
    main(sys.argv)
