"""Tokenizer, example encoding, the slot plan, the engine, training, ask and eval (tiny shapes)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from conftest import batch_gradient
from omni_reasoner.api import Reasoner
from omni_reasoner.cli import main
from omni_reasoner.format import build_stream, loss_mask, split_units
from omni_reasoner.format.schedule import DEFAULT_SCHEDULES, as_schedule
from omni_reasoner.format.tokens import EOS, SPECIAL_TOKENS
from omni_reasoner.infer.plan import Force, slot_plan
from omni_reasoner.model.tokenizer import TokenPieces, add_special_tokens, train_tokenizer

TINY_MODEL = {
    "hidden_size": 64,
    "num_layers": 2,
    "num_heads": 2,
    "num_kv_heads": 2,
    "intermediate_size": 128,
    "max_positions": 1024,
}
PLAN_SCHEDULES = [
    *DEFAULT_SCHEDULES,
    "interleave:1:4",
    "interleave:4:6+lead:3",
    "interleave:3:5+lead:2+nopad",
    "aligned:1:3",
]


def test_tokenizer_keeps_digits_apart_and_round_trips():
    texts = ["Tom has twelve apples and 345 pears.", "<<12-5=7>>", "The answer is 72."] * 30
    tok = train_tokenizer(texts, vocab_size=320)
    pieces = TokenPieces(tok)
    for text in ["Tom has 9876 apples.", "<<48/2=24>>", "Zebras never seen before!"]:
        ids, parts = pieces.encode(text)
        assert tok.decode(ids) == text
        assert "".join(parts) == text
        assert all(not (p.strip().isdigit() and len(p.strip()) > 1) for p in parts)
    for token in SPECIAL_TOKENS:
        assert tok.convert_tokens_to_ids(token) != tok.unk_token_id
        assert tok.encode(token, add_special_tokens=False) == [tok.convert_tokens_to_ids(token)]


def test_special_tokens_join_a_foreign_backbone():
    from omni_reasoner.model.thinker import ThinkerShape, new_thinker

    other = train_tokenizer(["plain words only here"] * 10, vocab_size=300)
    # simulate a backbone tokenizer that lacks our tokens: a fresh fast tokenizer of its own
    from transformers import PreTrainedTokenizerFast

    backbone = PreTrainedTokenizerFast(
        tokenizer_object=other.backend_tokenizer.__class__.from_str(
            other.backend_tokenizer.to_str()
        )
    )
    model = new_thinker(ThinkerShape(**TINY_MODEL), backbone)
    before = model.get_input_embeddings().weight.shape[0]
    add_special_tokens(backbone, model)
    assert all(backbone.convert_tokens_to_ids(t) is not None for t in SPECIAL_TOKENS)
    assert model.get_input_embeddings().weight.shape[0] >= len(backbone) >= before


@pytest.mark.parametrize("schedule", PLAN_SCHEDULES)
def test_slot_plan_forces_exactly_what_the_schedule_placed(schedule):
    """The inference plan and the data scheduler agree token for token."""
    rng = random.Random(hash(schedule) % 1000)
    words = [
        "so",
        " the",
        " apples",
        " 7",
        " 1",
        " okay",
        ",",
        " <<",
        "4",
        "+",
        "2",
        "=",
        "6",
        ">>",
    ]
    for _ in range(60):
        r = split_units("".join(rng.choice(words) for _ in range(rng.randint(0, 30))))
        s = split_units("".join(rng.choice(words) for _ in range(rng.randint(0, 20))))
        stream = build_stream(r, s, schedule)
        plan = slot_plan(schedule)
        slot = next(plan)
        forced = []
        for token in stream:
            if isinstance(slot, Force):
                assert slot.token == token, (schedule, stream)
            forced.append(isinstance(slot, Force))
            try:
                slot = plan.send(token)
            except StopIteration:
                break
        else:
            pytest.fail("plan did not end at <eos>")
        assert token == EOS and len(forced) == len(stream)
        mask = loss_mask(stream, schedule, calculator=False)
        assert forced == [m == 0 for m in mask], (schedule, stream)


def test_encode_example_masks_prompt_pads_and_forced(small_dataset):
    from omni_reasoner.data.store import load_split
    from omni_reasoner.train.examples import IGNORE, encode_example
    from omni_reasoner.train.loop import training_corpus

    rows = load_split(small_dataset, "train")
    tok = train_tokenizer(training_corpus(rows), vocab_size=600)
    pieces = TokenPieces(tok)
    row = rows[0]
    enc = encode_example(row, "interleave:2:8", pieces, row["question"], calculator=True)
    assert len(enc.input_ids) == len(enc.labels)
    assert all(label == IGNORE for label in enc.labels[: enc.prompt_len])
    pad, speak = tok.convert_tokens_to_ids("<pad>"), tok.convert_tokens_to_ids("<speak>")
    for token_id, label in zip(enc.input_ids, enc.labels, strict=True):
        if token_id in (pad, speak):
            assert label == IGNORE
    decoded = tok.decode(enc.input_ids[enc.prompt_len :], skip_special_tokens=True)
    assert (
        decoded.replace(" ", "") == (row["response"] + row["reasoning"]).replace(" ", "")
        or len(decoded) > 0
    )
    assert tok.convert_tokens_to_ids(EOS) in enc.input_ids and enc.labels[
        -1
    ] == tok.convert_tokens_to_ids(EOS)


def _train_config(tmp_path: Path, data: Path, **overrides) -> Path:
    config = {
        "name": "test-tiny",
        "data": str(data),
        "out": str(tmp_path / "run"),
        "schedule": "interleave:2:8",
        "model": TINY_MODEL,
        "vocab_size": 500,
        "batch_size": 8,
        "lr": 0.003,
        "warmup_steps": 5,
        "max_steps": 24,
        "save_every": 8,
        "log_every": 4,
        "threads": 1,
        "precision": "fp32",
        **overrides,
    }
    path = tmp_path / "train.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory, small_dataset) -> Path:
    tmp = tmp_path_factory.mktemp("trained")
    assert main(["train", "--config", str(_train_config(tmp, small_dataset)), "--quiet"]) == 0
    return tmp / "run"


def test_training_writes_safetensors_checkpoints_and_a_log(trained):
    final = trained / "final"
    assert (final / "model.safetensors").is_file() and (final / "tokenizer.json").is_file()
    meta = json.loads((final / "omni_reasoner.json").read_text())
    assert meta["schedule"] == "interleave:2:8" and meta["trace_style"] == "calculator"
    records = [json.loads(line) for line in (trained / "log.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in records if "loss" in r]
    assert len(losses) == 6 and losses[-1] < losses[0]
    assert all(r["tokens_per_s"] > 0 for r in records if "loss" in r)


def _run(
    args: list[str], env_extra: dict | None = None, timeout: int = 600
) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "omni_reasoner.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_resume_after_kill_matches_an_uninterrupted_run(tmp_path, small_dataset, trained):
    from safetensors.torch import load_file

    config = _train_config(tmp_path, small_dataset)
    killed = _run(
        ["train", "--config", str(config), "--quiet"], {"OMNI_REASONER_KILL_AFTER_STEPS": "8"}
    )
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert (tmp_path / "run" / "checkpoint-last" / "trainer_state.pt").is_file()
    assert not (tmp_path / "run" / "final").exists()
    refused = _run(["train", "--config", str(config), "--quiet", "--max-steps", "30"])
    assert refused.returncode != 0
    assert "another config (differs in: max_steps)" in refused.stderr.strip().splitlines()[-1]
    resumed = _run(["train", "--config", str(config), "--quiet"])
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    a = load_file(tmp_path / "run" / "final" / "model.safetensors")
    b = load_file(trained / "final" / "model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-4, atol=1e-5)


def test_a_resumed_run_may_change_only_how_it_runs():
    from omni_reasoner.train.loop import config_changes

    saved = {"lr": 0.003, "threads": 1, "max_steps": 24}
    assert config_changes(saved, {**saved, "threads": 2, "length_chunks": 4}) == []
    assert config_changes(saved, {**saved, "lr": 0.001, "max_steps": 30}) == ["lr", "max_steps"]
    assert config_changes(saved, {**saved, "reader": {"word_dropout": 1}}) == ["reader"]


def test_a_run_saved_before_an_option_existed_still_resumes():
    """A field added later takes its default when the saved config is read back."""
    from omni_reasoner.train.config import train_config_from_dict
    from omni_reasoner.train.loop import config_changes, with_defaults

    now = train_config_from_dict({"audio": {"mix": {"transcribe": 1.0}}, "init_from": "x"})
    saved = now.to_dict()
    del saved["audio"]["whisper_layers"], saved["question_noise"]  # as an older version wrote it
    assert config_changes(saved, now.to_dict()) == ["audio", "question_noise"]
    assert config_changes(with_defaults(saved), now.to_dict()) == []
    assert with_defaults({"no_such_field": 1}) == {"no_such_field": 1}  # compared as it was


def test_length_chunks_give_the_whole_batchs_gradient_with_less_padding(small_dataset):
    from omni_reasoner.data.store import load_split
    from omni_reasoner.model.thinker import ThinkerShape, new_thinker
    from omni_reasoner.train.config import train_config_from_dict
    from omni_reasoner.train.loop import text_batch, training_corpus

    rows = load_split(small_dataset, "train")
    tokenizer = train_tokenizer(training_corpus(rows), 500)
    torch.manual_seed(0)
    model = new_thinker(ThinkerShape(**TINY_MODEL), tokenizer)
    picks = [(i, 0) for i in range(12)]
    results = {}
    for n in (1, 3, 20):
        config = train_config_from_dict({"schedule": "interleave:2:8", "length_chunks": n})
        chunks, tokens, _ = text_batch(
            rows, picks, config, TokenPieces(tokenizer), True, tokenizer.pad_token_id, "cpu"
        )
        padded = sum(inputs["input_ids"].numel() for inputs, _ in chunks)
        results[n] = (batch_gradient(model, chunks), tokens, padded, len(chunks))
    whole, tokens, padded, count = results[1]
    assert count == 1 and results[3][3] == 3 and results[20][3] == 12  # at most one per example
    for n in (3, 20):
        assert results[n][1] == tokens  # the same real tokens
        assert results[n][2] < padded  # fewer pad positions computed
        torch.testing.assert_close(results[n][0], whole, rtol=1e-4, atol=1e-6)


def test_length_chunks_sort_and_share_out_the_loss_tokens():
    from omni_reasoner.train.examples import IGNORE
    from omni_reasoner.train.loop import length_chunks, weigh_chunks

    assert length_chunks([5, 1, 4, 2, 3], 2) == [[1, 3], [4, 2, 0]]
    assert length_chunks([], 4) == [] and length_chunks([7], 4) == [[0]]
    learn = {"labels": torch.tensor([[IGNORE, 1, 2, 3]])}  # 3 tokens after the shift
    nothing = {"labels": torch.full((2, 4), IGNORE)}
    one = {"labels": torch.tensor([[IGNORE, IGNORE, IGNORE, 9]])}
    shares = weigh_chunks([learn, nothing, one])
    assert [(c is learn, c is one, s) for c, s in shares] == [
        (True, False, 0.75),
        (False, True, 0.25),
    ]
    assert weigh_chunks([nothing]) == []


def test_ddp_with_two_cpu_processes(tmp_path, small_dataset):
    # two chunks a micro-batch: gradients are averaged across processes only at the last one
    config = _train_config(tmp_path, small_dataset, max_steps=6, save_every=3, length_chunks=2)
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517",
         "-m", "omni_reasoner.cli", "train", "--config", str(config), "--quiet"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    meta = json.loads((tmp_path / "run" / "final" / "omni_reasoner.json").read_text())
    assert meta["world_size"] == 2


def test_engine_follows_every_schedule_and_forced_feeding_saves_passes(trained):
    from omni_reasoner.api import Reasoner
    from omni_reasoner.format.schedule import parse_stream

    reasoner = Reasoner.load(trained / "final")
    question = "Tom has twelve apples and gives five to Sam. How many does he have left?"
    for schedule in [
        "interleave:2:8",
        "interleave:2:8+nopad",
        "think-first",
        "answer-only",
        "aligned",
    ]:
        one = reasoner.ask(
            question, schedule=schedule, max_new_tokens=200, feed_forced_together=False
        )
        together = reasoner.ask(question, schedule=schedule, max_new_tokens=200)
        assert one.stream == together.stream, schedule  # same greedy tokens either way
        assert together.forward_passes <= one.forward_passes
        if as_schedule(schedule).kind == "interleave" and together.forced_tokens > 2:
            assert together.forward_passes < one.forward_passes
        # the fixed schedules' switch tokens sit exactly where the plan puts them
        plan = slot_plan(schedule)
        slot = next(plan)
        for token in together.stream:
            if isinstance(slot, Force):
                assert token == slot.token
            try:
                slot = plan.send(token)
            except StopIteration:
                break
        assert parse_stream(together.stream).spoken_text == together.spoken_text
    first = reasoner.ask(question, schedule="interleave:2:8", max_new_tokens=100)
    assert first.tokens_before_first_spoken == 0
    batch = reasoner.engine.generate_batch(
        [question, "What is 7 plus 5?"], "interleave:2:8", max_new_tokens=100
    )
    assert batch[0] == first.stream[: len(batch[0])]


def test_long_batched_budgets_decode_the_same_tokens_into_a_preallocated_cache(
    trained, monkeypatch
):
    """Batches with a long budget (scratchpad traces, checkpoints that never stop) decode
    into a static cache instead of one that copies itself every step; the tokens are the same."""
    import transformers

    from omni_reasoner.api import Reasoner
    from omni_reasoner.infer import engine as engine_module

    reasoner = Reasoner.load(trained / "final")
    questions = ["What is 7 plus 5?", "Tom has twelve apples and gives five away. How many left?"]
    caches = []
    real = transformers.StaticCache

    def counted(*args, **kwargs):
        caches.append(kwargs["max_cache_len"])
        return real(*args, **kwargs)

    monkeypatch.setattr(transformers, "StaticCache", counted)
    for schedule in ["think-first", "interleave:2:8"]:
        monkeypatch.setattr(engine_module, "PREALLOCATE_FROM", 10**6)
        growing = reasoner.engine.generate_batch(questions, schedule, max_new_tokens=300)
        assert caches == []
        monkeypatch.setattr(engine_module, "PREALLOCATE_FROM", 64)
        static = reasoner.engine.generate_batch(questions, schedule, max_new_tokens=300)
        assert len(caches) == 1 and caches.pop() > 300
        assert static == growing, schedule


def test_loop_guard_counts_each_streams_content_tokens():
    from omni_reasoner.infer.engine import LOOP_WINDOW, LoopGuard

    guard = LoopGuard()
    loop = [".", "3", "7"] * LOOP_WINDOW
    assert not any(guard.looping(token, "<speak>") for token in loop[: LOOP_WINDOW - 1])
    assert not guard.looping("<pad>", "<speak>")  # special tokens are not content
    assert guard.looping(loop[LOOP_WINDOW - 1], "<speak>")
    guard = LoopGuard()  # a real scratchpad: long, repetitive, and no loop
    pad = "[1111111+1111111]" + "1+1+0=02," * 7 + "=2222222"
    assert not any(guard.looping(token, "<think>") for token in pad)
    # a long spoken answer of few words is no loop either
    words = "So , the answer is one , one , one , two . The answer is 1112 ."
    assert not any(guard.looping(token, "<speak>") for token in words.split() * 3)


def test_engine_cuts_an_answer_that_loops(trained, monkeypatch, capsys):
    """A Thinker that says "7" in every free slot never ends its stream by itself."""
    from omni_reasoner.api import Reasoner
    from omni_reasoner.infer import engine as engine_module
    from omni_reasoner.infer.engine import LOOP_WINDOW, ends_in_loop

    reasoner = Reasoner.load(trained / "final")
    seven = reasoner.tokenizer.convert_tokens_to_ids("7")
    monkeypatch.setattr(engine_module, "choose", lambda *args: seven)
    spoken = []
    result = reasoner.ask("What is 7 plus 5?", max_new_tokens=400, on_spoken=spoken.append)
    assert result.looped and not result.stopped
    # interleave:2:8 fills 8 reasoning slots a cycle: the reasoning stream loops first
    assert result.reasoning_text.count("7") == LOOP_WINDOW and len(spoken) < LOOP_WINDOW
    assert len(result.stream) < 2 * LOOP_WINDOW
    batch = reasoner.engine.generate_batch(["What is 7 plus 5?"], "interleave:2:8", 400)
    assert batch[0] == result.stream
    assert ends_in_loop(batch[0]) and not ends_in_loop(batch[0][:-1])
    assert main(["ask", "--model", str(trained / "final"), "--text", "What is 7 plus 5?"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "7" * len(spoken) and "fell into a loop" in err


def test_ask_json_and_streaming(trained, capsys):
    args = [
        "ask",
        "--model",
        str(trained / "final"),
        "--text",
        "What is 7 plus 5?",
        "--max-new-tokens",
        "120",
    ]
    assert main([*args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in (
        "spoken_text",
        "reasoning_text",
        "answer",
        "schedule",
        "tokens_before_first_spoken",
        "time_to_first_spoken_s",
        "total_s",
    ):
        assert key in out
    assert out["schedule"] == "interleave:2:8"
    assert main(args) == 0
    assert capsys.readouterr().out.strip() == out["spoken_text"].strip()


@pytest.mark.parametrize(
    "text, needle",
    [("", "empty"), ("x" * 5000, "limit"), ("say <eos> now", "reserved")],
)
def test_ask_bad_questions(trained, capsys, text, needle):
    assert main(["ask", "--model", str(trained / "final"), "--text", text]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1


def test_ask_bad_schedule_and_checkpoints(trained, tmp_path, capsys):
    assert (
        main(
            [
                "ask",
                "--model",
                str(trained / "final"),
                "--text",
                "hi",
                "--schedule",
                "interleave:0:8",
            ]
        )
        == 2
    )
    assert "interleave:0:8" in capsys.readouterr().err
    assert main(["ask", "--model", str(tmp_path / "nothing"), "--text", "hi"]) == 2
    assert "no checkpoint directory" in capsys.readouterr().err
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(trained / "final", broken)
    (broken / "model.safetensors").unlink()
    assert main(["ask", "--model", str(broken), "--text", "hi"]) == 2
    assert "missing model.safetensors" in capsys.readouterr().err
    mixed = tmp_path / "mixed"
    shutil.copytree(trained / "final", mixed)
    other = train_tokenizer(
        ["completely other words for another tokenizer " * 3 + str(i) for i in range(300)],
        vocab_size=900,
    )
    other.save_pretrained(mixed)
    code = main(["ask", "--model", str(mixed), "--text", "hi"])
    err = capsys.readouterr().err
    assert code == 2 and "different trainings" in err


def test_device_choice_for_ask_and_eval(trained, small_dataset, capsys, monkeypatch):
    """`auto` falls back to the CPU without a GPU; asking for cuda without one is one line."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    model = str(trained / "final")
    assert main(["ask", "--model", model, "--text", "hi", "--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert "torch sees no CUDA GPU" in err and len(err.strip().splitlines()) == 1
    assert main(["eval", "--model", model, "--data", str(small_dataset), "--device", "cuda"]) == 2
    assert "torch sees no CUDA GPU" in capsys.readouterr().err
    reasoner = Reasoner.load(model, device="auto")
    assert reasoner.engine.device.type == "cpu"
    assert next(reasoner.model.parameters()).device.type == "cpu"


def test_train_config_errors(tmp_path, small_dataset, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"data": str(small_dataset), "learning_rate": 0.1}))
    assert main(["train", "--config", str(bad)]) == 2
    assert "learning_rate" in capsys.readouterr().err
    bad.write_text(yaml.safe_dump({"data": str(small_dataset), "model": {"layers": 3}}))
    assert main(["train", "--config", str(bad)]) == 2
    assert "layers" in capsys.readouterr().err
    assert main(["train", "--config", str(tmp_path / "none.yaml")]) == 2
    assert "not found" in capsys.readouterr().err
    good = _train_config(tmp_path, small_dataset)
    assert main(["train", "--config", str(good), "--threads", "-1"]) == 2
    assert "threads must be an integer >= 0" in capsys.readouterr().err
    for chunks in (0, True):
        bad.write_text(yaml.safe_dump({"data": str(small_dataset), "length_chunks": chunks}))
        assert main(["train", "--config", str(bad)]) == 2
        assert "length_chunks must be an integer >= 1" in capsys.readouterr().err
    audio = {"init_from": "x", "length_chunks": 2, "audio": {"mix": {"transcribe": 1.0}}}
    bad.write_text(yaml.safe_dump({"data": str(small_dataset), **audio}))
    assert main(["train", "--config", str(bad)]) == 2
    assert "length_chunks applies to text stages" in capsys.readouterr().err


def test_eval_writes_json_table_and_plot(trained, small_dataset, tmp_path, capsys):
    out, png = tmp_path / "eval.json", tmp_path / "plot.png"
    code = main([
        "eval", "--model", str(trained / "final"), "--data", str(small_dataset), "--set", "test",
        "--schedule", "interleave:2:8", "--schedule", "think-first", "--per-category", "2",
        "--latency-n", "2", "--json", str(out), "--plot", str(png), "--quiet",
    ])  # fmt: skip
    assert code == 0
    report = json.loads(out.read_text())
    assert [r["schedule"] for r in report["results"]] == ["interleave:2:8", "think-first"]
    for r in report["results"]:
        assert r["n"] == 8 and set(r["by_category"]) == {
            "arithmetic_short",
            "arithmetic_long",
            "single_step",
            "multi_step",
        }
        assert 0 <= r["accuracy"] <= 1 and r["latency"]["n"] == 2
        assert r["looped_rate"] == round(sum(i["looped"] for i in r["items"]) / r["n"], 4)
    tf = report["results"][1]
    assert report["results"][0]["median_tokens_before_first_spoken"] <= (
        tf["median_tokens_before_first_spoken"] or 0
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "interleave:2:8" in capsys.readouterr().out


def test_embedded_default_loads_with_no_flags_and_answers(capsys):
    """The shipped model: a checkpoint in the package, its provenance beside it, a right answer."""
    from omni_reasoner.api import DEFAULT_MODEL

    for name in (
        "model.safetensors",
        "tokenizer.json",
        "omni_reasoner.json",
        "train_config.json",
        "data_manifest.json",
        "eval.json",
    ):
        assert (DEFAULT_MODEL / name).is_file(), name
    assert (DEFAULT_MODEL / "model.safetensors").stat().st_size < 20 * 1024 * 1024
    question = "Tom has twelve apples and gives five to Sam. How many does he have left?"
    assert main(["ask", "--text", question, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["answer"] == "7" and out["tokens_before_first_spoken"] == 0
    assert out["spoken_text"].endswith("The answer is 7.")
