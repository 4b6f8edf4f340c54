"""Writes the demo release in fixtures/demo: a tiny Llama-architecture model with two safetensors
shards, its index, config, tokenizer and model card. Run with the project's virtual environment
(`.venv/bin/python scripts/make-demo.py`); the output is deterministic, so running it again gives
byte-identical files.

The weights are random (seeded) and meaningless; the layout, names, dtypes and metadata are those
a Hugging Face release of such a model would have, written by the real `safetensors` package.
"""

import json
import os
import sys

import numpy as np
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "demo")

HIDDEN = 64
INTERMEDIATE = 176
LAYERS = 2
HEADS = 4
KV_HEADS = 2
HEAD_DIM = HIDDEN // HEADS
VOCAB = 512
CONTEXT = 2048

CORPUS = """
Le modèle apprend à compléter des phrases en français et en anglais.
The model learns to complete sentences in French and in English.
Les données d'entraînement proviennent de sources publiques et de textes sous licence.
Training data comes from public sources and licensed text.
Chaque fichier de poids est scellé avec son empreinte SHA-256.
Every weight file is sealed with its SHA-256 digest.
La provenance des jeux de données est documentée pour les auditeurs.
Dataset provenance is documented for auditors.
"""


def bytes_to_unicode():
    """The byte-level alphabet of GPT-2 style tokenizers: every byte gets a printable character."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(
        range(ord("®"), ord("ÿ") + 1)
    )
    chars = printable[:]
    n = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(printable, chars)}


def train_bpe(text, merges_wanted):
    """A plain byte-level BPE trainer: repeatedly merge the most frequent adjacent pair."""
    alphabet = bytes_to_unicode()
    words = {}
    for raw in text.split():
        word = tuple(alphabet[b] for b in (" " + raw).encode("utf-8"))
        words[word] = words.get(word, 0) + 1
    merges = []
    for _ in range(merges_wanted):
        pairs = {}
        for word, count in words.items():
            for a, b in zip(word, word[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + count
        if not pairs:
            break
        best = max(sorted(pairs), key=lambda p: pairs[p])
        merges.append(best)
        merged = {}
        for word, count in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + count
        words = merged
    return alphabet, merges


def tokenizer_files():
    specials = ["<s>", "</s>", "<unk>"]
    alphabet, merges = train_bpe(CORPUS, VOCAB - len(specials) - 256)
    vocab = {tok: i for i, tok in enumerate(specials)}
    for ch in sorted(alphabet.values(), key=lambda c: ord(c)):
        vocab.setdefault(ch, len(vocab))
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    added = [
        {"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True}
        for t in specials
    ]
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                          "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": False, "vocab": vocab, "merges": [[a, b] for a, b in merges]},
    }
    config = {
        "add_bos_token": True,
        "add_eos_token": False,
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "clean_up_tokenization_spaces": False,
        "model_max_length": CONTEXT,
        "tokenizer_class": "PreTrainedTokenizerFast",
    }
    special_map = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
    return len(vocab), tokenizer, config, special_map


def weights(rng):
    def w(*shape):
        return (rng.standard_normal(shape) * 0.02).astype(np.float16)

    def norm():
        return np.ones(HIDDEN, dtype=np.float32)

    shards = [{}, {}]
    shards[0]["model.embed_tokens.weight"] = w(VOCAB, HIDDEN)
    for layer in range(LAYERS):
        shard = shards[0] if layer == 0 else shards[1]
        p = f"model.layers.{layer}."
        shard[p + "self_attn.q_proj.weight"] = w(HEADS * HEAD_DIM, HIDDEN)
        shard[p + "self_attn.k_proj.weight"] = w(KV_HEADS * HEAD_DIM, HIDDEN)
        shard[p + "self_attn.v_proj.weight"] = w(KV_HEADS * HEAD_DIM, HIDDEN)
        shard[p + "self_attn.o_proj.weight"] = w(HIDDEN, HEADS * HEAD_DIM)
        shard[p + "mlp.gate_proj.weight"] = w(INTERMEDIATE, HIDDEN)
        shard[p + "mlp.up_proj.weight"] = w(INTERMEDIATE, HIDDEN)
        shard[p + "mlp.down_proj.weight"] = w(HIDDEN, INTERMEDIATE)
        shard[p + "input_layernorm.weight"] = norm()
        shard[p + "post_attention_layernorm.weight"] = norm()
    shards[1]["model.norm.weight"] = norm()
    shards[1]["lm_head.weight"] = w(VOCAB, HIDDEN)
    return shards


def write_json(name, value):
    with open(os.path.join(OUT, name), "w", encoding="utf-8", newline="\n") as f:
        json.dump(value, f, indent=2, ensure_ascii=False)
        f.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    vocab_size, tokenizer, tok_config, special_map = tokenizer_files()
    # Like many releases, the embedding is padded past the tokenizer's vocabulary.
    if vocab_size > VOCAB:
        sys.exit(f"tokenizer has {vocab_size} tokens, more than the embedding's {VOCAB}")
    rng = np.random.default_rng(20261128)
    shards = weights(rng)
    names = [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))]
    weight_map, total = {}, 0
    for name, tensors in zip(names, shards):
        save_file(tensors, os.path.join(OUT, name), metadata={"format": "pt"})
        for tensor_name, array in tensors.items():
            weight_map[tensor_name] = name
            total += array.nbytes
    write_json("model.safetensors.index.json",
               {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))})
    write_json("config.json", {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": HIDDEN,
        "intermediate_size": INTERMEDIATE,
        "num_hidden_layers": LAYERS,
        "num_attention_heads": HEADS,
        "num_key_value_heads": KV_HEADS,
        "head_dim": HEAD_DIM,
        "vocab_size": VOCAB,
        "max_position_embeddings": CONTEXT,
        "rms_norm_eps": 1e-05,
        "rope_theta": 10000.0,
        "hidden_act": "silu",
        "tie_word_embeddings": False,
        "bos_token_id": 0,
        "eos_token_id": 1,
        "torch_dtype": "float16",
        "transformers_version": "4.57.1",
    })
    write_json("generation_config.json",
               {"bos_token_id": 0, "eos_token_id": 1, "max_new_tokens": 128, "temperature": 0.7,
                "do_sample": True, "transformers_version": "4.57.1"})
    write_json("tokenizer.json", tokenizer)
    write_json("tokenizer_config.json", tok_config)
    write_json("special_tokens_map.json", special_map)
    params = sum(a.size for s in shards for a in s.values())
    print(f"wrote {OUT}: {params} parameters in {len(shards)} shards, vocabulary {vocab_size}")


if __name__ == "__main__":
    main()
