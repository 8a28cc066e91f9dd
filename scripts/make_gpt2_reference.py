#!/usr/bin/env python3
"""Writes zoo's GPT-2 reference fixtures with the real Hugging Face `transformers`.

Run ONCE by a developer (the outputs are committed); CI never runs it. It needs a Python with torch
and transformers (zoo's dev machines keep one at ~/.cache/zoo-dev/torchenv):

    ~/.cache/zoo-dev/torchenv/bin/python scripts/make_gpt2_reference.py [OUT_DIR]

OUT_DIR defaults to Tests/Fixtures/gpt2. The model is a GPT2LMHeadModel from a small config
(3 layers, n_embd 64, 4 heads, 64 positions, vocabulary 512, gelu_new) initialised from
torch.manual_seed(SEED) with initializer_range 0.2 (wider than GPT-2's 0.02, so that logits are far
apart and greedy choices are not decided by rounding), in evaluation mode.

Outputs:
  model.safetensors, config.json, generation_config.json
                  save_pretrained(safe_serialization=True): HF key names (transformer.h.N.attn.c_attn
                  in Conv1D layout, wte/wpe; lm_head.weight is tied to wte and left out by HF).
  reference.json  for fixed token ids: every logit and every last hidden state (after ln_f), the
                  mean language-modelling loss (labels = inputs, HF shifts them), a right-padded batch's
                  last hidden states, and greedy generate() ids with and without the KV cache, with the
                  smallest gap between the best and second-best logit at each greedy step.
                  Every float32 is written exactly (a double's repr of the float32 value).
"""
import json
import os
import sys

import torch
import transformers
from transformers import GPT2Config, GPT2LMHeadModel

SEED = 20261203
INPUT_IDS = [[5, 17, 300, 42, 511, 0, 77, 128, 9, 260, 3, 64]]
# A batch of two, the second right-padded with 0 (attention_mask marks the real tokens).
PADDED_IDS = [[11, 22, 33, 44, 55, 66], [101, 202, 303, 0, 0, 0]]
PADDED_MASK = [[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]]
PROMPT = [7, 99, 250, 13]
MAX_NEW_TOKENS = 24
EOS = 511


def floats(tensor):
    return [float(x) for x in tensor.detach().to(torch.float32).reshape(-1).tolist()]


def main() -> None:
    if len(sys.argv) > 2:
        sys.exit(__doc__)
    default_out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "gpt2")
    out_dir = os.path.normpath(sys.argv[1] if len(sys.argv) == 2 else default_out)
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(SEED)
    config = GPT2Config(
        vocab_size=512, n_positions=64, n_embd=64, n_layer=3, n_head=4, activation_function="gelu_new",
        layer_norm_epsilon=1e-5, initializer_range=0.2, bos_token_id=EOS, eos_token_id=EOS,
        resid_pdrop=0.1, embd_pdrop=0.1, attn_pdrop=0.1,
    )
    model = GPT2LMHeadModel(config)
    model.eval()
    model.save_pretrained(out_dir, safe_serialization=True)

    with torch.no_grad():
        ids = torch.tensor(INPUT_IDS)
        out = model(ids, labels=ids, output_hidden_states=True)
        padded = model.transformer(torch.tensor(PADDED_IDS), attention_mask=torch.tensor(PADDED_MASK))
        prompt = torch.tensor([PROMPT])
        mask = torch.ones_like(prompt)
        greedy = {}
        for use_cache in (True, False):
            generated = model.generate(
                prompt, attention_mask=mask, max_new_tokens=MAX_NEW_TOKENS, do_sample=False, use_cache=use_cache,
                eos_token_id=EOS, pad_token_id=EOS, output_scores=True, return_dict_in_generate=True,
            )
            new = generated.sequences[0, len(PROMPT):].tolist()
            gaps = []
            for scores in generated.scores:
                top = torch.topk(scores[0], 2).values
                gaps.append(float(top[0] - top[1]))
            greedy[use_cache] = (new, min(gaps))
    assert greedy[True][0] == greedy[False][0], "transformers' greedy ids differ with and without the cache"
    assert greedy[True][1] > 1e-3, f"a greedy step is nearly tied ({greedy[True][1]}): change SEED"

    reference = {
        "made_by": "scripts/make_gpt2_reference.py",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "seed": SEED,
        "input_ids": INPUT_IDS,
        "logits_shape": list(out.logits.shape),
        "logits": floats(out.logits),
        "last_hidden_state_shape": list(out.hidden_states[-1].shape),
        "last_hidden_state": floats(out.hidden_states[-1]),
        "lm_loss": float(out.loss),
        "padded_input_ids": PADDED_IDS,
        "padded_attention_mask": PADDED_MASK,
        "padded_last_hidden_state": floats(padded.last_hidden_state),
        "prompt": PROMPT,
        "max_new_tokens": MAX_NEW_TOKENS,
        "eos_token_id": EOS,
        "greedy_new_ids": greedy[True][0],
        "greedy_min_top2_gap": greedy[True][1],
    }
    with open(os.path.join(out_dir, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")
    names = sorted(model.state_dict().keys())
    print(f"wrote {out_dir}: {sum(p.numel() for p in model.parameters())} parameters, {len(names)} state-dict keys")
    print(f"greedy ids {greedy[True][0]} (min top-2 gap {greedy[True][1]:.4f}), loss {float(out.loss):.6f}")


if __name__ == "__main__":
    main()
