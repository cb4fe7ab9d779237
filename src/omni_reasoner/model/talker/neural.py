"""The neural Talker: speech codes from the Thinker's hidden states (the paper's stage 5 path).

The paper's Talker reads the Thinker's hidden states at spoken positions only (its figure
shows pads at prompt and reasoning positions) and emits codec tokens that a decoder turns
into a waveform. We build it from the stock `transformers` Qwen2.5-Omni classes:
`Qwen2_5OmniTalkerForConditionalGeneration` (hidden states -> codec tokens) and
`Qwen2_5OmniToken2WavModel` (codec tokens -> mel with a DiT -> waveform with BigVGAN).

What it is conditioned on, per spoken token, is what Qwen2.5-Omni feeds its talker: the
Thinker's last-layer hidden state at that token's position plus the token's input
embedding. Reasoning positions never reach it: the engine hands over the states of spoken
tokens only (`Engine.generate(on_spoken_state=...)`), phrase by phrase, so the Talker
streams while the Thinker keeps reasoning.

It cannot be trained to good audio on a CPU, so no weights ship: a checkpoint comes from
a local path (`omni-reasoner ask --talker neural:PATH`). `build_random_neural_talker`
writes a tiny random one for tests and smoke runs; it produces noise, with correct shapes.

A checkpoint directory holds:
    neural_talker.json     format marker, the Thinker hidden size it expects, sample rate
    talker/                Qwen2_5OmniTalkerForConditionalGeneration (save_pretrained)
    token2wav/             Qwen2_5OmniToken2WavModel (save_pretrained)
    speaker.safetensors    the voice: `cond` (1, E) and `ref_mel` (1, T, 80) for token2wav;
                           `text_bos`, `text_eos`, `text_pad` (D,): the markers Qwen2.5-Omni
                           takes from its thinker's vocabulary, learned here instead, since
                           the Thinker's tokenizer has no such tokens
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from omni_reasoner.model.talker.base import Talker, TalkerError, as_float_audio

FORMAT = "omni-reasoner-neural-talker"
META = "neural_talker.json"
SPEAKER = "speaker.safetensors"
SPEAKER_KEYS = ("cond", "ref_mel", "text_bos", "text_eos", "text_pad")


class NeuralTalker(Talker):
    """Voices phrases given as hidden states; `synthesize(text)` is refused (no states)."""

    name = "neural"
    voices_hidden_states = True

    def __init__(
        self,
        path: str | Path,
        *,
        max_codes_per_token: int = 8,
        token2wav_steps: int = 10,
        seed: int = 0,
    ):
        from safetensors.torch import load_file
        from transformers import (
            Qwen2_5OmniTalkerForConditionalGeneration,
            Qwen2_5OmniToken2WavModel,
        )

        path = Path(path)
        meta = _read_meta(path)
        self.path = path
        self.hidden_size = int(meta["thinker_hidden_size"])
        self.sample_rate = int(meta.get("sample_rate", 24000))
        self.max_codes_per_token = max_codes_per_token
        self.token2wav_steps = token2wav_steps
        self.seed = seed
        self.talker = Qwen2_5OmniTalkerForConditionalGeneration.from_pretrained(
            path / "talker", dtype=torch.float32
        ).eval()
        self.token2wav = Qwen2_5OmniToken2WavModel.from_pretrained(
            path / "token2wav", dtype=torch.float32
        ).eval()
        speaker = load_file(path / SPEAKER)
        missing = [key for key in SPEAKER_KEYS if key not in speaker]
        if missing:
            raise TalkerError(f"{path / SPEAKER} lacks {', '.join(missing)}")
        self.speaker = speaker
        if self.talker.config.embedding_size != self.hidden_size:
            raise TalkerError(
                f"{path}: the talker reads {self.talker.config.embedding_size}-wide states "
                f"but {META} says the Thinker's are {self.hidden_size}"
            )

    def check_thinker(self, hidden_size: int) -> None:
        """Fail early, in one line, when this Talker was built for another Thinker."""
        if hidden_size != self.hidden_size:
            raise TalkerError(
                f"the neural talker at {self.path} expects a Thinker with hidden size "
                f"{self.hidden_size}, this one has {hidden_size}"
            )

    def synthesize(self, text: str) -> np.ndarray:
        raise TalkerError(
            "the neural talker voices the Thinker's hidden states, not text; "
            "use it through the speaking engine (ask --talker neural:PATH)"
        )

    @torch.inference_mode()
    def codes(self, states: torch.Tensor) -> torch.Tensor:
        """Codec tokens for one phrase, from its spoken tokens' states (n, D)."""
        states = self._check_states(states)
        talker = self.talker
        bos, eos, pad = (
            self.speaker[k].view(1, 1, -1) for k in ("text_bos", "text_eos", "text_pad")
        )
        # As in Qwen2.5-Omni: the prompt ends with the text start marker and the first state
        # (the talker adds its codec pad/start embeddings to those two positions itself); each
        # later step adds the next state to the codec embedding, then eos, then pad until done.
        prompt = torch.cat([bos, states[None, :1]], dim=1)
        reply = torch.cat([states[None, 1:], eos, pad], dim=1)
        codec_ids = torch.tensor([[talker.codec_pad_token, talker.codec_bos_token]])
        generated = talker.generate(
            input_ids=codec_ids,
            inputs_embeds=prompt,
            input_text_ids=torch.zeros_like(codec_ids),
            thinker_reply_part=reply,
            attention_mask=torch.ones_like(codec_ids),
            suppress_tokens=[talker.codec_bos_token],
            max_new_tokens=self.max_codes_per_token * len(states) + 8,
            do_sample=False,
            eos_token_id=[talker.codec_pad_token, talker.codec_eos_token],
            pad_token_id=talker.codec_pad_token,
        )
        codes = generated[0, codec_ids.shape[1] :]
        ends = (codes == talker.codec_eos_token) | (codes == talker.codec_pad_token)
        if ends.any():
            codes = codes[: int(ends.nonzero()[0])]
        return codes

    @torch.inference_mode()
    def synthesize_states(self, states: torch.Tensor) -> np.ndarray:
        """The audio of one phrase: float32 mono in [-1, 1] at `sample_rate`."""
        codes = self.codes(states)
        if len(codes) == 0:
            return np.zeros(0, dtype=np.float32)
        # token2wav starts its diffusion from noise: seed it so a phrase sounds the same twice
        torch.manual_seed(self.seed)
        wave = self.token2wav(
            codes[None],
            conditioning=self.speaker["cond"].float(),
            reference_mel=self.speaker["ref_mel"].float(),
            num_steps=self.token2wav_steps,
        )
        return as_float_audio(wave.reshape(-1).float().numpy())

    def _check_states(self, states) -> torch.Tensor:
        states = torch.as_tensor(states, dtype=torch.float32)
        if states.ndim != 2 or states.shape[1] != self.hidden_size or len(states) == 0:
            raise TalkerError(
                f"the neural talker needs (tokens, {self.hidden_size}) hidden states, "
                f"got shape {tuple(states.shape)}"
            )
        return states


def _read_meta(path: Path) -> dict:
    if not path.is_dir():
        raise TalkerError(f"no neural talker at {path}: not a directory")
    meta_path = path / META
    if not meta_path.is_file():
        raise TalkerError(f"{path} is not a neural talker checkpoint: {META} is missing")
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError:
        raise TalkerError(f"{meta_path} is not valid JSON") from None
    if meta.get("format") != FORMAT or "thinker_hidden_size" not in meta:
        raise TalkerError(f"{meta_path} is not a {FORMAT} file")
    for part in ("talker/config.json", "token2wav/config.json", SPEAKER):
        if not (path / part).is_file():
            raise TalkerError(f"the neural talker at {path} is missing {part}")
    return meta


def tiny_configs(hidden_size: int, codebook: int = 300):
    """Qwen2.5-Omni talker and token2wav configs small enough for a CPU test.

    Codec control ids sit at the top of the codebook. The text marker ids are unused (the
    markers are learned vectors here) and prompts carry no audio or images, so those ids
    only need to stay clear of the all-zero `input_text_ids`.
    """
    from transformers.models.qwen2_5_omni.configuration_qwen2_5_omni import (
        Qwen2_5OmniTalkerConfig,
        Qwen2_5OmniToken2WavConfig,
    )

    top = codebook - 8
    talker = Qwen2_5OmniTalkerConfig(
        vocab_size=codebook,
        embedding_size=hidden_size,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        rope_parameters=dict(rope_type="default", rope_theta=10000.0, mrope_section=[2, 3, 3]),
        tts_codec_pad_token_id=top,
        tts_codec_start_token_id=top + 1,
        tts_codec_end_token_id=top + 2,
        tts_codec_mask_token_id=top + 4,
        tts_text_start_token_id=top + 3,
        tts_text_end_token_id=top + 3,
        tts_text_pad_token_id=top + 3,
        audio_token_index=top + 5,
        image_token_index=top + 6,
        video_token_index=top + 7,
        vision_start_token_id=top + 5,
        vision_end_token_id=top + 5,
        audio_start_token_id=top + 5,
        audio_end_token_id=top + 5,
    )
    token2wav = Qwen2_5OmniToken2WavConfig(
        dit_config=dict(
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=2,
            head_dim=32,
            ff_mult=2,
            emb_dim=32,
            num_embeds=codebook,
            mel_dim=80,
            enc_emb_dim=32,
            enc_dim=32,
            enc_channels=[32, 32, 32, 32, 96],
            enc_attention_channels=16,
            enc_se_channels=16,
            look_ahead_layers=[1],
            look_backward_layers=[0],
            block_size=24,
            repeats=2,
        ),  # fmt: skip
        bigvgan_config=dict(mel_dim=80, upsample_initial_channel=128),
    )
    return talker, token2wav


def build_random_neural_talker(out: str | Path, hidden_size: int, seed: int = 0) -> Path:
    """Write an untrained tiny neural talker for a Thinker of `hidden_size` (tests, smoke runs)."""
    from safetensors.torch import save_file
    from transformers import Qwen2_5OmniTalkerForConditionalGeneration, Qwen2_5OmniToken2WavModel

    torch.manual_seed(seed)
    out = Path(out)
    talker_config, token2wav_config = tiny_configs(hidden_size)
    Qwen2_5OmniTalkerForConditionalGeneration(talker_config).save_pretrained(out / "talker")
    token2wav = Qwen2_5OmniToken2WavModel(token2wav_config)
    token2wav.save_pretrained(out / "token2wav")
    speaker = {
        "cond": torch.randn(1, token2wav_config.dit_config.enc_emb_dim),
        "ref_mel": torch.randn(1, 100, token2wav_config.dit_config.mel_dim),
        "text_bos": torch.randn(hidden_size),
        "text_eos": torch.randn(hidden_size),
        "text_pad": torch.randn(hidden_size),
    }
    save_file(speaker, out / SPEAKER)
    meta = {"format": FORMAT, "thinker_hidden_size": hidden_size, "sample_rate": 24000}
    (out / META).write_text(json.dumps(meta, indent=2) + "\n")
    return out
