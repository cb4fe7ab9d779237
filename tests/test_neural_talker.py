"""The neural Talker path: Qwen2.5-Omni talker + token2wav on the Thinker's spoken states.

Tiny random configs only (it cannot be trained to good audio on a CPU): the tests check
shapes, that only spoken positions reach it, that it streams phrase by phrase, and its
errors. The audio itself is noise.
"""

import numpy as np
import pytest
import torch

from omni_reasoner.format.tokens import SPECIAL_TOKENS
from omni_reasoner.model.talker import TalkerError
from omni_reasoner.model.talker.neural import (
    META,
    SPEAKER,
    NeuralTalker,
    build_random_neural_talker,
)

QUESTION = "Tom has twelve apples and gives five to Sam. How many does he have left?"


@pytest.fixture(scope="module")
def reasoner():
    from omni_reasoner.api import Reasoner

    return Reasoner.load()


@pytest.fixture(scope="module")
def talker_dir(tmp_path_factory, reasoner):
    out = tmp_path_factory.mktemp("neural") / "talker"
    return build_random_neural_talker(out, reasoner.model.config.hidden_size)


@pytest.fixture(scope="module")
def talker(talker_dir):
    return NeuralTalker(talker_dir, token2wav_steps=2)


def spoken_states(reasoner, monkeypatch=None):
    """Run the engine, keeping the spoken states and every id it fed, in order."""
    states: list[tuple[str, torch.Tensor]] = []
    fed: list[int] = []
    engine = reasoner.engine
    forward = engine._forward

    def recording_forward(ids, past, states=False):
        fed.extend(ids)
        return forward(ids, past, states)

    engine._forward = recording_forward
    try:
        generation = reasoner.ask(
            QUESTION, on_spoken_state=lambda piece, state: states.append((piece, state))
        )
    finally:
        engine._forward = forward
    return generation, states, fed


def test_only_spoken_pieces_hand_over_states_and_the_stream_is_unchanged(reasoner):
    plain = reasoner.ask(QUESTION)
    generation, states, _ = spoken_states(reasoner)
    assert generation.stream == plain.stream  # asking for states changes nothing decoded
    spoken: list[str] = []
    reasoner.ask(QUESTION, on_spoken=spoken.append)
    assert [piece for piece, _ in states] == spoken
    assert "<<" in generation.reasoning_text  # there was reasoning, and none of it came out
    assert all(piece not in SPECIAL_TOKENS for piece, _ in states)


def test_the_states_are_the_thinkers_at_the_spoken_positions(reasoner):
    """Recompute the whole stream in one pass: each handed-over state must be the last
    hidden layer plus input embedding at exactly that spoken token's position."""
    generation, states, fed = spoken_states(reasoner)
    model = reasoner.model
    embed = model.get_input_embeddings()
    ids = torch.tensor(fed)
    with torch.inference_mode():
        # a model with a reader prefills its prompt as embeddings (not among the fed ids)
        prefix = reasoner.engine._read_embeds([QUESTION])[0] if reasoner.reader else embed(ids[:0])
        inputs = torch.cat([prefix, embed(ids)])[None]
        out = model(inputs_embeds=inputs, output_hidden_states=True)
        full = (out.hidden_states[-1] + inputs)[0, len(prefix) :]
    pieces = [reasoner.engine._token(i) for i in fed]
    # the spoken pieces are the non-special pieces fed while in the speak stream
    mode, positions = None, []
    for position, piece in enumerate(pieces):
        if piece in ("<speak>", "<think>"):
            mode = piece
        elif (
            piece not in SPECIAL_TOKENS
            and mode == "<speak>"
            and position >= len(fed) - len(generation.stream)
        ):
            positions.append(position)
    assert len(positions) == len(states)
    for position, (piece, state) in zip(positions, states, strict=True):
        assert pieces[position] == piece
        torch.testing.assert_close(state, full[position].float(), atol=2e-4, rtol=2e-4)


def test_a_phrase_of_states_becomes_audio_and_the_same_phrase_sounds_the_same(talker, reasoner):
    _, states, _ = spoken_states(reasoner)
    phrase = torch.stack([state for _, state in states[:4]])
    codes = talker.codes(phrase)
    assert codes.ndim == 1 and 0 < len(codes) <= talker.max_codes_per_token * 4 + 8
    control = {talker.talker.codec_eos_token, talker.talker.codec_pad_token}
    assert not control & set(codes.tolist())
    audio = talker.synthesize_states(phrase)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert np.all(np.abs(audio) <= 1.0) and np.isfinite(audio).all()
    assert len(audio) == 480 * len(codes)  # 50 codes per second at 24 kHz
    assert np.array_equal(audio, talker.synthesize_states(phrase))
    other = talker.synthesize_states(phrase + 1.0)
    assert not np.array_equal(audio, other)  # it does listen to the states


def test_the_talker_refuses_text_wrong_shapes_and_a_foreign_thinker(talker):
    with pytest.raises(TalkerError, match="hidden states, not text"):
        talker.synthesize("hello")
    with pytest.raises(TalkerError, match="hidden states"):
        talker.synthesize_states(torch.zeros(3, talker.hidden_size + 1))
    with pytest.raises(TalkerError, match="hidden states"):
        talker.synthesize_states(torch.zeros(0, talker.hidden_size))
    with pytest.raises(TalkerError, match="expects a Thinker with hidden size"):
        talker.check_thinker(talker.hidden_size * 2)


@pytest.mark.parametrize("damage", ["meta", "speaker", "talker", "not-a-dir"])
def test_a_broken_checkpoint_is_one_line(tmp_path, talker_dir, damage):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(talker_dir, broken)
    if damage == "meta":
        (broken / META).write_text("{not json")
    elif damage == "speaker":
        (broken / SPEAKER).unlink()
    elif damage == "talker":
        shutil.rmtree(broken / "talker")
    else:
        shutil.rmtree(broken)
        broken.write_text("")
    with pytest.raises(TalkerError) as error:
        NeuralTalker(broken)
    assert "\n" not in str(error.value) and str(broken) in str(error.value)


def test_load_talker_opens_a_neural_checkpoint_by_path(talker_dir):
    from omni_reasoner.model.talker import load_talker

    assert isinstance(load_talker(f"neural:{talker_dir}"), NeuralTalker)
    with pytest.raises(TalkerError, match="neural:PATH"):
        load_talker("neural")
    with pytest.raises(TalkerError, match="neural:PATH"):
        load_talker("festival")


def test_the_speaking_engine_streams_the_neural_talker_phrase_by_phrase(reasoner, talker_dir):
    from omni_reasoner.infer.speaking import speak

    voice = NeuralTalker(talker_dir, token2wav_steps=2)
    seen: list[torch.Tensor] = []
    synthesize = voice.synthesize_states
    voice.synthesize_states = lambda states: seen.append(states) or synthesize(states)
    result, chunks = speak(reasoner, QUESTION, voice)
    generation = result.generation
    _, states, _ = spoken_states(reasoner)
    # every spoken piece's state was voiced exactly once, in order, one call per phrase
    assert len(seen) == len(result.phrases) > 1
    torch.testing.assert_close(torch.cat(seen), torch.stack([s for _, s in states]))
    # and each phrase got the states of exactly its own pieces
    pieces = [piece for piece, _ in states]
    start = 0
    for phrase, phrase_states in zip(result.phrases, seen, strict=True):
        end = start + len(phrase_states)
        assert "".join(pieces[start:end]).strip() == phrase
        start = end
    assert chunks and all(c.sample_rate == 24000 for c in chunks)
    assert 0 < result.ttfa_s <= result.total_s and result.talker == "neural"
    assert "<<" in generation.reasoning_text


def test_ask_speaks_through_a_neural_talker_checkpoint(tmp_path, talker_dir, capsys):
    import json
    import wave

    from omni_reasoner.cli import main

    out = tmp_path / "answer.wav"
    code = main(["ask", "--text", QUESTION, "--talker", f"neural:{talker_dir}", "--out", str(out), "--json"])  # fmt: skip
    assert code == 0
    fields = json.loads(capsys.readouterr().out)
    assert fields["talker"] == "neural" and fields["audio_s"] > 0
    with wave.open(str(out)) as wav:
        assert wav.getframerate() == 24000 and wav.getnframes() / 24000 == pytest.approx(
            fields["audio_s"], abs=1e-3
        )
