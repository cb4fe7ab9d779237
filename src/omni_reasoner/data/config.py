"""The data builder's configuration: a plain dataclass read from a small YAML preset."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from omni_reasoner.checks import is_count
from omni_reasoner.data.phrasings import WORDING_VERSIONS
from omni_reasoner.data.problem import CATEGORIES
from omni_reasoner.data.traces import TRACE_STYLES
from omni_reasoner.format.schedule import DEFAULT_SCHEDULES, parse_schedule

PRESETS_DIR = Path(__file__).resolve().parent.parent / "configs"
# Sources with no split of their own: used whole for training, deduplicated against every
# item of every evaluation source (data/build.py), never evaluated on. The first three are
# human-written (research only: their licences, README "Data and licences"); `authored` is
# the project's own (data/authored/).
WHOLE_SOURCE_ORIGINS = ("asdiv", "multiarith", "singleeq", "authored", "authored-2")
# A source's training split cut to problems of at most so many calculator steps (the size
# this model can fit), repeated to fill its quota: origin -> (source, split, max steps).
SHORT_ORIGINS = {"gsm8k-short": ("gsm8k", "train", 2)}
DEFAULT_TRAIN_ORIGINS = tuple(f"generator/{c}" for c in CATEGORIES) + ("gsm8k",)
TRAIN_ORIGINS = DEFAULT_TRAIN_ORIGINS + WHOLE_SOURCE_ORIGINS + tuple(SHORT_ORIGINS)


class ConfigError(ValueError):
    pass


@dataclass
class BuildConfig:
    name: str = "custom"
    seed: int = 1234
    n_train: int = 2000
    # the generator's training wording version (data/phrasings.py WORDING_VERSIONS): an older
    # one rebuilds an older dataset byte for byte; held-out splits are the same in all
    wording: int = WORDING_VERSIONS[-1]
    train_mix: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(DEFAULT_TRAIN_ORIGINS, 0.2)
    )
    n_test_per_category: int = 100
    n_heldout_phrasing_per_category: int = 100
    n_valid_per_category: int = 50
    n_valid_phrasing_per_category: int = 50
    eval_sources: list[str] = field(
        default_factory=lambda: ["gsm8k:test", "svamp", "addsub", "singleop"]
    )
    n_eval_per_source: int = 200
    trace_style: str = "calculator"
    schedules: list[str] = field(default_factory=lambda: list(DEFAULT_SCHEDULES))
    shard_size: int = 250
    dedup_ngram: int = 8
    dedup_containment: float = 0.5
    rewriter: str = "rules"
    llm_url: str = ""
    llm_model: str = ""
    # question speech (`data build --audio`, `data speak`): see data/speech.py AudioConfig
    audio: dict = field(default_factory=dict)

    def validate(self) -> BuildConfig:
        def need(ok: bool, why: str) -> None:
            if not ok:
                raise ConfigError(f"config {self.name!r}: {why}")

        need(self.n_train >= 1, f"n_train must be >= 1, got {self.n_train}")
        need(
            is_count(self.wording) and self.wording in WORDING_VERSIONS,
            f"wording must be one of {', '.join(map(str, WORDING_VERSIONS))}, got {self.wording!r}",
        )
        need(self.shard_size >= 1, "shard_size must be >= 1")
        need(
            self.trace_style in TRACE_STYLES,
            f"trace_style must be one of {TRACE_STYLES}, got {self.trace_style!r}",
        )
        need(bool(self.train_mix), "train_mix is empty")
        for origin, share in self.train_mix.items():
            need(
                origin in TRAIN_ORIGINS,
                f"unknown train_mix origin {origin!r}; known: {', '.join(TRAIN_ORIGINS)}",
            )
            need(
                isinstance(share, int | float) and share >= 0,
                f"train_mix[{origin}] must be a number >= 0",
            )
        need(sum(self.train_mix.values()) > 0, "train_mix shares sum to 0")
        evaluated = {spec.partition(":")[0] for spec in self.eval_sources}
        for origin in WHOLE_SOURCE_ORIGINS:
            need(
                not (self.train_mix.get(origin) and origin in evaluated),
                f"{origin} is both a train_mix origin and an eval source; it has no split "
                "to keep them apart",
            )
        need(bool(self.schedules), "schedules is empty")
        self.schedules = [parse_schedule(s).name for s in self.schedules]
        need(len(set(self.schedules)) == len(self.schedules), "a schedule is listed twice")
        need(self.dedup_ngram >= 3, "dedup_ngram must be >= 3")
        need(0 < self.dedup_containment <= 1, "dedup_containment must be in (0, 1]")
        need(
            self.rewriter in ("rules", "llm"),
            f"rewriter must be 'rules' or 'llm', got {self.rewriter!r}",
        )
        if self.rewriter == "llm":
            need(
                bool(self.llm_url and self.llm_model), "rewriter 'llm' needs llm_url and llm_model"
            )
        if self.audio:
            from omni_reasoner.data.speech import audio_config_from_dict

            audio_config_from_dict(self.audio)
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def fingerprint(self) -> str:
        """What the text output depends on; a resumed build must match it (audio has its own)."""
        data = {k: v for k, v in self.to_dict().items() if k != "audio"}
        if data["wording"] == 1:  # datasets built before the field existed keep their fingerprint
            del data["wording"]
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def config_from_dict(data: dict, name: str = "custom") -> BuildConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"config {name!r} must be a mapping of keys to values")
    known = {f.name for f in dataclasses.fields(BuildConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"config {name!r}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    return BuildConfig(**{"name": name, **data}).validate()


def load_config(preset: str | None = None, path: str | Path | None = None) -> BuildConfig:
    """A preset by name (configs/<preset>/data.yaml) or any YAML file."""
    if path is None:
        if not preset:
            raise ConfigError("give a preset name (--preset tiny) or a config file (--config FILE)")
        path = PRESETS_DIR / preset / "data.yaml"
        if not path.is_file():
            known = sorted(p.name for p in PRESETS_DIR.iterdir() if (p / "data.yaml").is_file())
            raise ConfigError(f"no data preset {preset!r}; known presets: {', '.join(known)}")
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"config file {path} is not valid YAML: {str(exc).splitlines()[0]}"
        ) from None
    return config_from_dict(
        data or {}, name=str(data.get("name", path.stem)) if isinstance(data, dict) else path.stem
    )
