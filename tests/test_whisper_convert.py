"""The CTranslate2 -> transformers Whisper converter, checked against faster-whisper."""

from __future__ import annotations

import os
import re
import struct

import numpy as np
import pytest

from omni_reasoner.format.numbers import number_to_words, number_values
from omni_reasoner.model import whisper as W
from omni_reasoner.model.asr import load_whisper_tiny_en, whisper_tiny_en_path

SENTENCES = [
    "Tom has twelve apples and gives five of them to Mary. How many apples does he have now?",
    "A baker made forty eight cookies and sold thirty of them. How many are left?",
    "Sarah reads fifteen pages a day for six days. How many pages did she read?",
]


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    return W.convert_whisper(whisper_tiny_en_path(), tmp_path_factory.mktemp("whisper") / "hf")


@pytest.fixture(scope="module")
def clips():
    from scipy.signal import resample_poly

    from omni_reasoner.model.talker import load_talker

    talker = load_talker("piper")
    return [
        resample_poly(talker.synthesize(s), 16000, talker.sample_rate).astype(np.float32)
        for s in SENTENCES
    ]


def words(text: str) -> list[str]:
    """Lower-case words, digits said as words, no punctuation: what WER compares."""
    text = re.sub(r"\d+(?:\.\d+)?", lambda m: f" {number_to_words(m.group())} ", text.lower())
    return re.findall(r"[a-z']+", text.replace("-", " "))


def errors(reference: list[str], hypothesis: list[str]) -> int:
    """Word edit distance (substitutions + insertions + deletions)."""
    row = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        prev, row[0] = row[0], i
        for j, hyp in enumerate(hypothesis, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ref != hyp))
    return row[-1]


def wer(references: list[str], hypotheses: list[str]) -> float:
    pairs = [(words(r), words(h)) for r, h in zip(references, hypotheses, strict=True)]
    return sum(errors(r, h) for r, h in pairs) / sum(len(r) for r, _ in pairs)


def test_word_error_rate_counts_edits():
    assert wer(["he has 12 apples"], ["he has twelve apples"]) == 0.0
    assert wer(["a b c d"], ["a x c"]) == 0.5


def test_converted_whisper_transcribes_as_well_as_faster_whisper(converted, clips):
    model, features, tokenizer = W.load_whisper(converted)
    ours = [W.transcribe(model, features, tokenizer, clip) for clip in clips]
    reference_model = load_whisper_tiny_en(threads=1)
    theirs = []
    for clip in clips:
        segments, _ = reference_model.transcribe(clip, language="en", beam_size=1)
        theirs.append(" ".join(s.text for s in segments).strip())
    expected = [number_values(s) for s in SENTENCES]
    numbers_ok = sum(number_values(t) == e for t, e in zip(ours, expected, strict=True))
    reference_ok = sum(number_values(t) == e for t, e in zip(theirs, expected, strict=True))
    assert numbers_ok >= reference_ok, (ours, theirs)
    assert wer(SENTENCES, ours) <= wer(SENTENCES, theirs) + 0.05, (ours, theirs)
    assert wer(SENTENCES, ours) < 0.25, ours


def test_the_converted_directory_loads_with_from_pretrained(converted):
    from transformers import AutoFeatureExtractor, AutoTokenizer, WhisperForConditionalGeneration

    model = WhisperForConditionalGeneration.from_pretrained(str(converted), local_files_only=True)
    assert model.config.d_model == 384 and model.config.encoder_layers == 4
    assert model.proj_out.weight.data_ptr() == model.model.decoder.embed_tokens.weight.data_ptr()
    assert AutoFeatureExtractor.from_pretrained(str(converted)).feature_size == 80
    tokenizer = AutoTokenizer.from_pretrained(str(converted))
    assert tokenizer.convert_tokens_to_ids("<|notimestamps|>") == W.NO_TIMESTAMPS
    umask = os.umask(0)
    os.umask(umask)  # the cache gets ordinary permissions, not mkstemp's 0600
    assert (converted / "model.safetensors").stat().st_mode & 0o777 == 0o666 & ~umask


def test_weights_match_the_ctranslate2_file(converted):
    from safetensors.numpy import load_file

    ct2 = W.read_ctranslate2(whisper_tiny_en_path() / "model.bin")
    ours = load_file(str(converted / "model.safetensors"))
    q, k, v = np.split(ct2["encoder/layer_2/self_attention/linear_0/weight"], 3)
    np.testing.assert_array_equal(ours["model.encoder.layers.2.self_attn.k_proj.weight"], k)
    np.testing.assert_array_equal(ours["model.encoder.layers.2.self_attn.v_proj.weight"], v)
    np.testing.assert_array_equal(ours["model.encoder.conv1.weight"], ct2["encoder/conv1/weight"])
    # the k third of CTranslate2's fused bias is zero: dropping it loses nothing
    bias = np.split(ct2["decoder/layer_0/self_attention/linear_0/bias"], 3)[1]
    assert not bias.any()
    assert ct2["decoder/projection/weight"] is ct2["decoder/embeddings/weight"]  # an alias


def test_a_truncated_model_file_is_named(tmp_path):
    data = (whisper_tiny_en_path() / "model.bin").open("rb").read(200_000)
    (tmp_path / "model.bin").write_bytes(data)
    with pytest.raises(W.WhisperConvertError, match="truncated") as error:
        W.read_ctranslate2(tmp_path / "model.bin")
    assert "\n" not in str(error.value)


def test_a_file_that_is_not_ctranslate2_is_named(tmp_path):
    (tmp_path / "model.bin").write_bytes(b"PK\x03\x04 certainly not a model" * 10)
    with pytest.raises(W.WhisperConvertError, match="not a CTranslate2 model file"):
        W.read_ctranslate2(tmp_path / "model.bin")
    with pytest.raises(W.WhisperConvertError, match="no CTranslate2 model file"):
        W.read_ctranslate2(tmp_path / "missing.bin")


def test_a_ctranslate2_file_of_another_model_is_named(tmp_path):
    def string(s: str) -> bytes:
        raw = s.encode() + b"\0"
        return struct.pack("<H", len(raw)) + raw

    body = struct.pack("<I", 6) + string("TransformerSpec") + struct.pack("<II", 1, 1)
    body += string("encoder/other") + struct.pack("<BIBI", 1, 2, 0, 8) + b"\0" * 8
    body += struct.pack("<I", 0)
    (tmp_path / "model.bin").write_bytes(body)
    weights = W.read_ctranslate2(tmp_path / "model.bin")
    assert weights["encoder/other"].shape == (2,)
    with pytest.raises(W.WhisperConvertError, match="not a Whisper CTranslate2 file"):
        W.whisper_config(weights)


def test_converting_onto_another_directory_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(W.WhisperConvertError, match="exists and is not a converted Whisper"):
        W.convert_whisper(whisper_tiny_en_path(), tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_the_cache_converts_once_and_reuses(tmp_path, monkeypatch, converted):
    monkeypatch.setenv(W.CACHE_ENV, str(tmp_path))
    calls = []

    def fake_convert(source, out):  # copying the real result keeps the test fast
        import shutil

        calls.append(out)
        shutil.copytree(converted, out)
        return out

    monkeypatch.setattr(W, "convert_whisper", fake_convert)
    first = W.whisper_tiny_en_hf()
    assert first == tmp_path / W.HF_DIRNAME and len(calls) == 1
    assert W.whisper_tiny_en_hf() == first and len(calls) == 1
    (first / W.META).write_text('{"converter_version": 0}')  # an older converter's output
    assert W.whisper_tiny_en_hf() == first and len(calls) == 2
    assert [p.name for p in tmp_path.iterdir()] == [W.HF_DIRNAME]  # no temp or stale dirs left
