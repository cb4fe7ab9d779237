"""The Thinker's tokenizer: a small byte-level BPE over the format's units, or a backbone's.

Pre-tokens are the format's units (every digit alone, words and symbols with their
leading space), so BPE never merges digits and a common word is one token, as the
schedules count it. Words never seen in training still encode, as smaller pieces.
The same `add_special_tokens` call prepares a real backbone's tokenizer.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from omni_reasoner.format.tokens import EOS, PAD, SPECIAL_TOKENS

UNIT_PATTERN = r" ?(?:\d|[A-Za-z]+|[^\sA-Za-z\d])"


def train_tokenizer(texts: Iterable[str], vocab_size: int = 2048, min_frequency: int = 2):
    """Train a byte-level BPE on `texts`; returns a transformers PreTrainedTokenizerFast."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.Sequence(
        [normalizers.Replace(Regex(r"\s+"), " "), normalizers.Strip()]
    )
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(UNIT_PATTERN), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, clean_up_tokenization_spaces=False)
    add_special_tokens(fast)
    return fast


def add_special_tokens(tokenizer, model=None, extra: tuple[str, ...] = ()) -> int:
    """Give any HF tokenizer (and its model's embeddings) the stream's special tokens, plus
    `extra` ones (the audio stages add `AUDIO_TOKENS`; new embedding rows start at the mean)."""
    added = tokenizer.add_special_tokens(
        {
            "pad_token": PAD,
            "eos_token": EOS,
            "additional_special_tokens": [
                t for t in (*SPECIAL_TOKENS, *extra) if t not in (PAD, EOS)
            ],
        },
        replace_extra_special_tokens=False,
    )
    if model is not None and len(tokenizer) > model.get_input_embeddings().weight.shape[0]:
        model.resize_token_embeddings(len(tokenizer))
    return added


OWN_TOKENIZER_CLASSES = ("TokenizersBackend", "PreTrainedTokenizerFast")


def load_tokenizer(path: str | Path):
    """Our own tokenizer loads as the plain fast class: AutoTokenizer would read the model's
    config.json, take it for a Qwen2 tokenizer and add Qwen's own unknown token."""
    import json

    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    config_path = Path(path) / "tokenizer_config.json"
    try:
        tokenizer_class = (
            json.loads(config_path.read_text()).get("tokenizer_class")
            if config_path.is_file()
            else None
        )
    except json.JSONDecodeError:
        raise ValueError(f"{config_path} is not valid JSON") from None
    if tokenizer_class in OWN_TOKENIZER_CLASSES:
        tok = PreTrainedTokenizerFast.from_pretrained(str(path), local_files_only=True)
    else:
        tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    missing = [
        t for t in SPECIAL_TOKENS if tok.convert_tokens_to_ids(t) in (None, tok.unk_token_id)
    ]
    if missing:
        raise ValueError(
            f"tokenizer at {path} lacks the stream's special tokens ({', '.join(missing)}): not an omni-reasoner tokenizer"
        )
    return tok


def tokenizer_fingerprint(tokenizer) -> str:
    """Identifies a vocabulary: a checkpoint records it, so a swapped tokenizer is caught."""
    import hashlib
    import json

    vocab = sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])
    return hashlib.sha256(json.dumps(vocab).encode()).hexdigest()[:16]


class TokenPieces:
    """Encode text into ids together with each id's own text, which the scheduler needs."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self._piece_cache: dict[int, str] = {}

    def piece(self, token_id: int) -> str:
        text = self._piece_cache.get(token_id)
        if text is None:
            text = self.tokenizer.decode([token_id], clean_up_tokenization_spaces=False)
            self._piece_cache[token_id] = text
        return text

    def encode(self, text: str) -> tuple[list[int], list[str]]:
        ids = self.tokenizer.encode(text, add_special_tokens=False)
        return ids, [self.piece(i) for i in ids]
