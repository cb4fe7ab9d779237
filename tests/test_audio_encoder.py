"""Speech in, model side: cropped Whisper encoder, adapter into a Qwen2 Thinker, encoder cache."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from omni_reasoner.model.adapter import (
    AdapterConfig,
    AdapterError,
    AudioAdapter,
    build_audio_inputs,
    load_adapter,
    save_adapter,
)
from omni_reasoner.model.audio_encoder import AudioEncodeError, AudioEncoder
from omni_reasoner.model.encoder_cache import EncoderCache

SR = 16000


def tone(seconds: float, freq: float = 220.0, seed: int = 0) -> np.ndarray:
    """A voiced-ish test clip: a tone with a little noise, so every clip differs."""
    t = np.arange(int(seconds * SR)) / SR
    rng = np.random.default_rng(seed)
    wave = 0.3 * np.sin(2 * np.pi * freq * t) + 0.01 * rng.standard_normal(t.size)
    return wave.astype(np.float32)


@pytest.fixture(scope="module")
def tiny_whisper():
    from transformers import WhisperConfig, WhisperFeatureExtractor
    from transformers.models.whisper.modeling_whisper import WhisperEncoder

    torch.manual_seed(0)
    config = WhisperConfig(
        d_model=32,
        encoder_layers=2,
        encoder_attention_heads=4,
        encoder_ffn_dim=64,
        num_mel_bins=80,
        max_source_positions=1500,
    )
    return WhisperEncoder(config).eval(), WhisperFeatureExtractor(feature_size=80)


@pytest.fixture
def encoder(tiny_whisper):
    return AudioEncoder(*tiny_whisper, crop=True)


CLIPS = [tone(0.5, 220, 1), tone(1.03, 330, 2), tone(2.0, 440, 3)]


def test_cropped_batch_has_utterance_length_frames_and_a_mask(encoder):
    out = encoder.encode(CLIPS)
    assert out.hidden.shape == (3, 100, 32)  # 2.0 s at 50 frames a second
    assert out.lengths.tolist() == [25, 52, 100]  # 1.03 s -> ceil(16480 / 320)
    assert out.mask.dtype == torch.bool and out.mask[0, :25].all() and not out.mask[0, 25:].any()
    assert not out.hidden[0, 25:].any()  # padding frames are zeros
    assert not out.hidden.requires_grad


def test_a_batch_gives_each_clip_what_it_gets_alone(encoder):
    together = encoder.encode(CLIPS)
    for i, clip in enumerate(CLIPS):
        alone = encoder.encode([clip])
        n = alone.hidden.shape[1]
        torch.testing.assert_close(together.hidden[i, :n], alone.hidden[0], rtol=1e-5, atol=1e-5)


def test_cropped_features_are_the_prefix_of_the_30_second_window(encoder):
    mel, frames = encoder.log_mel([CLIPS[1]])
    full = encoder.features(CLIPS[1], sampling_rate=SR, return_tensors="pt").input_features
    assert mel.shape == (1, 80, 104) and frames.tolist() == [52]
    torch.testing.assert_close(mel[0], full[0, :, :104])


def test_full_window_mode_is_huggingfaces_encoder(tiny_whisper):
    whisper, features = tiny_whisper
    full = AudioEncoder(whisper, features, crop=False)
    ours = full.encode([CLIPS[0]])
    with torch.no_grad():
        mel = features(CLIPS[0], sampling_rate=SR, return_tensors="pt").input_features
        theirs = whisper(mel).last_hidden_state
    assert ours.hidden.shape == (1, 25, 32)
    torch.testing.assert_close(ours.hidden[0], theirs[0, :25], rtol=1e-5, atol=1e-5)
    cropped = AudioEncoder(whisper, features, crop=True).encode([CLIPS[0]])
    assert not torch.allclose(cropped.hidden, ours.hidden)  # cropping changes what it sees


@pytest.mark.parametrize(
    "clip, message",
    [
        (np.zeros(0, np.float32), "empty"),
        (np.zeros((2, 1600), np.float32), "mono"),
        (np.zeros(31 * SR, np.float32), "31.0 s long"),
        (np.array([0.1, np.nan] * 800, np.float32), "NaN"),
    ],
)
def test_bad_audio_gets_one_clear_line(encoder, clip, message):
    with pytest.raises(AudioEncodeError, match=message) as error:
        encoder.encode([CLIPS[0], clip])
    assert "\n" not in str(error.value)
    with pytest.raises(AudioEncodeError, match="no audio"):
        encoder.encode([])


def test_the_encoder_stays_frozen_and_in_eval_mode(encoder):
    encoder.train()
    assert not encoder.encoder.training
    assert not any(p.requires_grad for p in encoder.parameters())
    assert encoder.encoder_id == AudioEncoder(encoder.encoder, encoder.features).encoder_id


# ---- adapter -----------------------------------------------------------------------------


def _wake_layers(adapter: AudioAdapter) -> AudioAdapter:
    """Random weights where a fresh adapter's layers have zeros, so the layers do something."""
    with torch.no_grad():
        for layer in adapter.layers:
            for linear in (layer.self_attn.out_proj, layer.linear2):
                linear.weight.normal_(0, 0.2)
    return adapter


@pytest.mark.parametrize(("pool", "layers"), [("stack", 0), ("mean", 0), ("stack", 2)])
def test_adapter_pools_k_frames_into_one_token(encoder, pool, layers):
    torch.manual_seed(0)
    config = AdapterConfig(encoder_dim=32, thinker_dim=48, k=4, pool=pool, layers=layers)
    adapter = _wake_layers(AudioAdapter(config)).eval()
    frames = encoder.encode(CLIPS)
    out, mask = adapter(frames.hidden, frames.mask)
    assert out.shape == (3, 25, 48)  # 100 frames / 4
    assert mask.sum(1).tolist() == [7, 13, 25]  # 25 -> 7 (a partial group counts), 52 -> 13
    assert not out[0, 7:].any()
    single = encoder.encode([CLIPS[1]])
    alone, alone_mask = adapter(single.hidden, single.mask)
    torch.testing.assert_close(out[1, :13], alone[0], rtol=1e-5, atol=1e-5)
    assert alone_mask.all()


def test_fresh_adapter_layers_start_as_the_identity(encoder):
    torch.manual_seed(0)
    mlp = AudioAdapter(AdapterConfig(encoder_dim=32, thinker_dim=48))
    deeper = AudioAdapter(AdapterConfig(encoder_dim=32, thinker_dim=48, layers=2))
    deeper.proj.load_state_dict(mlp.proj.state_dict())
    frames = encoder.encode(CLIPS)
    torch.testing.assert_close(
        deeper(frames.hidden, frames.mask)[0], mlp(frames.hidden, frames.mask)[0]
    )
    _wake_layers(deeper)
    assert not torch.allclose(
        deeper(frames.hidden, frames.mask)[0], mlp(frames.hidden, frames.mask)[0]
    )


def test_whisper_layers_in_the_adapter_start_as_the_encoders_own_top(tiny_whisper):
    """Encoder stopped one layer short + an adapter holding that layer = the whole encoder."""
    from omni_reasoner.model.audio_thinker import new_adapter

    whole = AudioEncoder(*tiny_whisper, crop=True)
    below = AudioEncoder(*tiny_whisper, crop=True, below_top=1)
    assert below.encoder_id == whole.encoder_id + "-below1"
    torch.manual_seed(0)
    plain = new_adapter({"k": 2}, whole, 48)
    split = new_adapter({"k": 2, "whisper_layers": 1}, below, 48)
    split.proj.load_state_dict(plain.proj.state_dict())
    assert split.config.whisper == {
        "d_model": 32,
        "encoder_attention_heads": 4,
        "encoder_ffn_dim": 64,
        "activation_function": "gelu",
    }
    top, under = whole.encode(CLIPS), below.encode(CLIPS)
    assert not torch.allclose(top.hidden, under.hidden)  # the cache stores another depth
    torch.testing.assert_close(
        split(under.hidden, under.mask)[0], plain(top.hidden, top.mask)[0], rtol=1e-4, atol=1e-5
    )
    # the copied layers train; the encoder they came from stays frozen
    split.train()
    split(under.hidden, under.mask)[0].square().sum().backward()
    assert split.whisper_top[0].fc1.weight.grad.abs().sum() > 0
    assert split.whisper_norm.weight.grad is not None
    assert not any(p.requires_grad for p in below.parameters())
    with pytest.raises(AdapterError, match="encoder stops 0 below the top"):
        new_adapter({"whisper_layers": 1}, whole, 48)
    with pytest.raises(AdapterError, match="takes over 0 Whisper layers, but the encoder stops 1"):
        new_adapter({}, below, 48)
    with pytest.raises(AudioEncodeError, match="cannot stop 3 layers below the top of a 2-layer"):
        AudioEncoder(*tiny_whisper, below_top=3)


def test_an_adapter_with_whisper_layers_saves_and_loads(tmp_path, tiny_whisper):
    from omni_reasoner.model.audio_thinker import new_adapter

    below = AudioEncoder(*tiny_whisper, crop=True, below_top=1)
    adapter = new_adapter({"k": 2, "whisper_layers": 1}, below, 16).eval()
    with torch.no_grad():
        adapter.proj[-1].weight.normal_()
        adapter.whisper_top[0].fc2.weight.add_(0.1)  # trained away from Whisper's copy
    save_adapter(adapter, tmp_path)
    loaded = load_adapter(tmp_path)
    assert loaded.config == adapter.config
    frames = below.encode(CLIPS[:2])
    torch.testing.assert_close(
        loaded(frames.hidden, frames.mask)[0], adapter(frames.hidden, frames.mask)[0]
    )


def test_adapter_config_errors_are_one_line():
    with pytest.raises(AdapterError, match="layers must be an integer >= 0"):
        AdapterConfig(layers=-1)
    with pytest.raises(AdapterError, match=r"heads \(5\) must divide thinker_dim \(256\)"):
        AdapterConfig(layers=1, heads=5)
    with pytest.raises(AdapterError, match="pool 'max'"):
        AdapterConfig(pool="max")
    with pytest.raises(AdapterError, match="k must be"):
        AdapterConfig(k=0)
    with pytest.raises(AdapterError, match="unknown adapter config keys: stride"):
        AdapterConfig.from_dict({"stride": 2})
    with pytest.raises(AdapterError, match="whisper_layers must be an integer >= 0"):
        AdapterConfig(whisper_layers=-1)
    with pytest.raises(AdapterError, match="whisper_layers needs whisper: {d_model, "):
        AdapterConfig(whisper_layers=1)
    with pytest.raises(AdapterError, match="whisper_layers must be an integer >= 0"):
        AdapterConfig(whisper_layers=True)
    whisper = {"d_model": 32, "encoder_attention_heads": 4, "encoder_ffn_dim": 64}
    with pytest.raises(AdapterError, match="activation_function 'wobble' is not one"):
        AdapterConfig(whisper_layers=1, whisper=whisper | {"activation_function": "wobble"})


def test_adapter_saves_and_loads_beside_a_checkpoint(tmp_path):
    torch.manual_seed(1)
    config = AdapterConfig(encoder_dim=32, thinker_dim=16, k=2, pool="mean", layers=1, heads=2)
    adapter = _wake_layers(AudioAdapter(config)).eval()
    save_adapter(adapter, tmp_path)
    loaded = load_adapter(tmp_path)
    assert loaded.config == adapter.config
    x, mask = torch.randn(2, 6, 32), torch.ones(2, 6, dtype=torch.bool)
    torch.testing.assert_close(loaded(x, mask)[0], adapter(x, mask)[0])
    (tmp_path / "adapter.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{bad")
    with pytest.raises(AdapterError, match="cannot load") as error:
        load_adapter(tmp_path)
    assert "\n" not in str(error.value)
    with pytest.raises(AdapterError, match="holds no audio adapter"):
        load_adapter(tmp_path / "nothing")


# ---- adapter + Thinker -------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_qwen():
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=64,
        hidden_size=48,
        intermediate_size=96,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
    )
    return Qwen2ForCausalLM(config).eval()


AUDIO_START, AUDIO_END = 60, 61


def test_inputs_embeds_place_audio_between_its_markers(encoder, tiny_qwen):
    adapter = AudioAdapter(AdapterConfig(encoder_dim=32, thinker_dim=48))
    frames = encoder.encode(CLIPS[:2])
    audio, audio_mask = adapter(frames.hidden, frames.mask)
    embed = tiny_qwen.get_input_embeddings()
    batch = build_audio_inputs(
        embed,
        prefix_ids=[[1], [1]],
        audio=audio,
        audio_mask=audio_mask,
        suffix_ids=[[2, 5, 6, 7], [2, 5]],
        suffix_labels=[[-100, 5, 6, 7], [-100, 5]],
        markers=(AUDIO_START, AUDIO_END),
        pad_to=16,
    )
    # row 0: [1, start] + 7 audio + [end] + 4 suffix = 14; row 1: 2 + 13 + 1 + 2 = 18 -> 32
    assert batch.inputs_embeds.shape == (2, 32, 48)
    assert batch.attention_mask.sum(1).tolist() == [14, 18]
    assert batch.audio_start == [2, 2] and batch.audio_len == [7, 13]
    torch.testing.assert_close(batch.inputs_embeds[0, 2:9], audio[0, :7])
    torch.testing.assert_close(batch.inputs_embeds[0, 1], embed.weight[AUDIO_START])
    torch.testing.assert_close(batch.inputs_embeds[0, 9], embed.weight[AUDIO_END])
    assert batch.labels[0].tolist()[:14] == [-100] * 11 + [5, 6, 7]
    assert (batch.labels[0, 14:] == -100).all() and (batch.labels[1, 18:] == -100).all()
    assert batch.labels[1, :18].tolist() == [-100] * 17 + [5]
    assert not batch.inputs_embeds[0, 14:].any()


def test_padding_rows_do_not_change_a_rows_logits(encoder, tiny_qwen):
    adapter = AudioAdapter(AdapterConfig(encoder_dim=32, thinker_dim=48))
    frames = encoder.encode(CLIPS[:2])
    audio, audio_mask = adapter(frames.hidden, frames.mask)
    embed = tiny_qwen.get_input_embeddings()
    markers = (AUDIO_START, AUDIO_END)
    both = build_audio_inputs(
        embed, [[1], [1]], audio, audio_mask, [[2, 5], [2, 5]], markers=markers, pad_to=16
    )
    alone = build_audio_inputs(
        embed, [[1]], audio[:1, :7], audio_mask[:1, :7], [[2, 5]], markers=markers
    )
    assert alone.labels is None and alone.inputs_embeds.shape[1] == 12  # no padding
    with torch.no_grad():
        logits_both = tiny_qwen(
            inputs_embeds=both.inputs_embeds, attention_mask=both.attention_mask
        ).logits
        logits_alone = tiny_qwen(inputs_embeds=alone.inputs_embeds).logits
    torch.testing.assert_close(logits_both[0, :12], logits_alone[0], rtol=1e-4, atol=1e-4)


def test_gradients_reach_the_adapter_and_the_thinker_not_the_encoder(encoder, tiny_qwen):
    adapter = AudioAdapter(AdapterConfig(encoder_dim=32, thinker_dim=48))
    tiny_qwen.zero_grad()
    frames = encoder.encode(CLIPS[:2])
    audio, audio_mask = adapter(frames.hidden, frames.mask)
    batch = build_audio_inputs(
        tiny_qwen.get_input_embeddings(),
        [[1], [1]],
        audio,
        audio_mask,
        [[2, 5, 6], [2, 7]],
        suffix_labels=[[-100, 5, 6], [-100, 7]],
        markers=(AUDIO_START, AUDIO_END),
    )
    out = tiny_qwen(
        inputs_embeds=batch.inputs_embeds, attention_mask=batch.attention_mask, labels=batch.labels
    )
    out.loss.backward()
    assert torch.isfinite(out.loss)
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in adapter.parameters())
    assert tiny_qwen.get_input_embeddings().weight.grad[AUDIO_START].abs().sum() > 0
    assert all(p.grad is None for p in encoder.parameters())


def test_mismatched_batches_are_refused(tiny_qwen):
    embed = tiny_qwen.get_input_embeddings()
    audio, mask = torch.zeros(2, 3, 48), torch.ones(2, 3, dtype=torch.bool)
    with pytest.raises(ValueError, match="same batch size"):
        build_audio_inputs(embed, [[1]], audio, mask, [[2], [2]])
    with pytest.raises(ValueError, match="one label per suffix token"):
        build_audio_inputs(embed, [[1], [1]], audio, mask, [[2], [2]], suffix_labels=[[2], []])


# ---- encoder cache -----------------------------------------------------------------------


def test_cache_hits_return_the_stored_frames(tmp_path):
    cache = EncoderCache(tmp_path, "enc-a", "crop")
    frames = np.random.default_rng(0).standard_normal((25, 32)).astype(np.float32)
    assert cache.get(CLIPS[0]) is None
    cache.put(CLIPS[0], frames)
    got = cache.get(CLIPS[0])
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, frames.astype(np.float16))
    assert cache.get(CLIPS[1]) is None  # another clip
    assert EncoderCache(tmp_path, "enc-b", "crop").get(CLIPS[0]) is None  # another encoder
    assert EncoderCache(tmp_path, "enc-a", "full").get(CLIPS[0]) is None  # another crop mode
    assert (cache.stats.hits, cache.stats.misses, cache.stats.writes) == (1, 2, 1)
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize("damage", ["truncate", "flip", "swap"])
def test_a_damaged_entry_is_a_miss_and_is_rewritten(tmp_path, damage):
    cache = EncoderCache(tmp_path, "enc-a", "crop")
    frames = np.ones((25, 32), np.float32)
    cache.put(CLIPS[0], frames)
    path = cache.path(cache.key(CLIPS[0]))
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":  # same size, one value changed
        path.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))
    else:  # a whole, valid entry of another clip under this clip's name
        cache.put(CLIPS[1], frames)
        path.write_bytes(cache.path(cache.key(CLIPS[1])).read_bytes())
    assert cache.get(CLIPS[0]) is None and cache.stats.corrupt == 1
    cache.put(CLIPS[0], frames)
    np.testing.assert_array_equal(cache.get(CLIPS[0]), frames.astype(np.float16))


def test_encoding_through_the_cache_encodes_each_clip_once(tmp_path, encoder):
    calls = []

    class Counting:
        def encode(self, clips):
            calls.append(len(clips))
            return encoder.encode(clips)

    cache = EncoderCache(tmp_path, encoder.encoder_id, encoder.crop_mode)
    first = cache.encode(Counting(), CLIPS[:2])
    second = cache.encode(Counting(), [CLIPS[1], CLIPS[2], CLIPS[0]])
    assert calls == [2, 1]  # only the new clip was encoded the second time
    assert first.hidden.shape == (2, 52, 32) and second.lengths.tolist() == [52, 100, 25]
    torch.testing.assert_close(second.hidden[2, :25], first.hidden[0, :25])
    direct = encoder.encode(CLIPS[:2])
    torch.testing.assert_close(first.hidden, direct.hidden, atol=2e-3, rtol=2e-3)  # fp16
    assert torch.equal(first.mask, direct.mask)
    assert (cache.stats.hits, cache.stats.misses) == (2, 3)


# ---- the real Whisper tiny.en encoder ------------------------------------------------------


def test_whisper_tiny_en_encoder_cropped(tmp_path_factory):
    from omni_reasoner.model.asr import whisper_tiny_en_path
    from omni_reasoner.model.whisper import convert_whisper

    path = convert_whisper(whisper_tiny_en_path(), tmp_path_factory.mktemp("w") / "hf")
    encoder = AudioEncoder.from_pretrained(path)
    out = encoder.encode([CLIPS[0], CLIPS[2]])
    assert out.hidden.shape == (2, 100, 384) and out.lengths.tolist() == [25, 100]
    assert encoder.encoder_id.startswith("whisper-d384-")
    full = AudioEncoder(encoder.encoder, encoder.features, crop=False).encode([CLIPS[2]])
    cos = torch.nn.functional.cosine_similarity(out.hidden[1], full.hidden[0], dim=-1)
    assert cos.mean() > 0.5  # related, not equal: the benchmark reports how close
