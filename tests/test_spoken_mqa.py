"""Spoken-MQA from parquet files in its public schema, with clips Piper says in the test."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import soundfile

from omni_reasoner.cli import main
from omni_reasoner.eval.spoken_mqa import (
    SpokenMQAError,
    read_split,
    reference_answer,
    split_files,
    weighted_averages,
)
from omni_reasoner.model.talker import load_talker

# (question, answer cell); two references are deliberately wrong, to be scored wrong
ITEMS = {
    "short_digit": [("What is seven plus five?", {"text": "12"})],
    "long_digit": [("Calculate five hundred ninety-two plus four hundred ten.", {"text": "1002"})],
    "single_step_reasoning": [
        ("Lily reads twelve pages a day for six days. How many pages does she read?", "72"),
        ("What is forty-eight times seven?", "335"),
        ("What is forty-eight times seven?", "#### 335"),
    ],
    "multi_step_reasoning": [
        (
            "Sarah has three boxes with eight pencils in each box. How many pencils does she have?",
            "3 boxes of 8 is <<3*8=24>>24 pencils.\n#### 24",
        )
    ],
}
AUDIO = pa.struct([("bytes", pa.binary()), ("path", pa.string())])


def _schema(answer_type) -> pa.Schema:
    return pa.schema(
        [
            ("context", AUDIO),
            ("context_transcript", pa.string()),
            ("instruction", pa.struct([("text", pa.string()), ("audio", AUDIO)])),
            ("answer", answer_type),
        ]
    )


@pytest.fixture(scope="module")
def spoken_mqa(tmp_path_factory) -> Path:
    """Four splits in the Hugging Face layout: data/<split>-00000-of-00001.parquet."""
    talker = load_talker("piper")
    root = tmp_path_factory.mktemp("spoken-mqa")
    (root / "data").mkdir()
    for split, items in ITEMS.items():
        rows = []
        for question, answer in items:
            buffer = io.BytesIO()
            soundfile.write(buffer, talker.synthesize(question), talker.sample_rate, format="WAV")
            rows.append(
                {
                    "context": {"bytes": buffer.getvalue(), "path": None},
                    "context_transcript": question,
                    "instruction": {"text": "Solve the problem.", "audio": None},
                    "answer": answer,
                }
            )
        answer_type = pa.struct([("text", pa.string())]) if split.endswith("digit") else pa.string()
        table = pa.Table.from_pylist(rows, schema=_schema(answer_type))
        pq.write_table(table, root / "data" / f"{split}-00000-of-00001.parquet")
    return root


def test_the_reader_finds_the_splits_and_their_rows(spoken_mqa):
    files = split_files(spoken_mqa)
    assert list(files) == list(ITEMS)
    size, items = read_split("single_step_reasoning", files["single_step_reasoning"])
    assert size == 3 and [i.reference for i in items] == ["72", "335", "335"]
    assert items[0].transcript.startswith("Lily") and isinstance(items[0].audio, bytes)
    size, sample = read_split("single_step_reasoning", files["single_step_reasoning"], 2)
    assert size == 3 and len(sample) == 2
    again = read_split("single_step_reasoning", files["single_step_reasoning"], 2)[1]
    assert [i.index for i in sample] == [i.index for i in again]  # seeded


def test_references_as_the_public_evaluation_reads_them():
    assert reference_answer({"text": "1002"}) == "1002"
    assert reference_answer("Natalia sold 48/2 = 24 clips.\n#### 72") == "72"
    assert reference_answer(" 5 ") == "5"


def test_averages_weight_each_split_by_its_full_size():
    splits = {
        "short_digit": {"size": 100, "evaluated": 2, "accuracy": 1.0},
        "long_digit": {"size": 300, "evaluated": 2, "accuracy": 0.5},
        "single_step_reasoning": {"size": 50, "evaluated": 2, "accuracy": 0.0},
    }
    averages = weighted_averages(splits)
    assert averages["arithmetic"] == pytest.approx(250 / 400)
    assert averages["reasoning"] == pytest.approx(0.0)
    assert averages["overall"] == pytest.approx(250 / 450)


def test_eval_hears_scores_and_reports(spoken_mqa, tmp_path, capsys):
    out = tmp_path / "smqa.json"
    argv = ["eval", "--spoken-mqa", str(spoken_mqa), "--pipeline", "cascade", "--per-split", "2"]
    assert main([*argv, "--quiet", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    report = json.loads(out.read_text())
    splits = report["splits"]
    assert report["pipeline"] == "cascade" and set(splits) == set(ITEMS)
    # the seeded sample of the 3-item split: only its item 0 has the right reference
    sample = read_split(
        "single_step_reasoning", split_files(spoken_mqa)["single_step_reasoning"], 2
    )
    lily = int(0 in [i.index for i in sample[1]])
    assert {s: (v["evaluated"], v["correct"]) for s, v in splits.items()} == {
        "short_digit": (1, 1),
        "long_digit": (1, 1),
        "single_step_reasoning": (2, lily),
        "multi_step_reasoning": (1, 1),
    }
    single = lily / 2
    assert report["averages"]["arithmetic"] == pytest.approx(1.0)
    assert report["averages"]["reasoning"] == pytest.approx((single * 3 + 1) / 4)
    assert report["averages"]["overall"] == pytest.approx((2 + single * 3 + 1) / 6)
    item = next(i for i in report["items"] if i["split"] == "short_digit")
    assert item["transcript"] and item["reference_transcript"] == ITEMS["short_digit"][0][0]
    assert 0 < item["audio_encode_s"] <= item["time_to_first_spoken_s"] <= item["total_s"]
    assert report["latency"]["time_to_first_spoken_s"]["median"] > 0
    assert "overall (size-weighted)" in table and "2/3" in table


def _error(argv, capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("omni-reasoner: error:") and "\n" not in err
    return err


def test_bad_directories_are_one_line(tmp_path, capsys):
    assert "no such directory" in _error(["eval", "--spoken-mqa", str(tmp_path / "nope")], capsys)
    assert "no Spoken-MQA parquet" in _error(["eval", "--spoken-mqa", str(tmp_path)], capsys)
    pq.write_table(pa.table({"context_transcript": ["x"]}), tmp_path / "short_digit.parquet")
    err = _error(["eval", "--spoken-mqa", str(tmp_path)], capsys)
    assert "short_digit.parquet lacks the column(s) context, answer" in err
    (tmp_path / "short_digit.parquet").write_text("not parquet")
    assert "not a readable parquet" in _error(["eval", "--spoken-mqa", str(tmp_path)], capsys)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SpokenMQAError, match="no Spoken-MQA parquet"):
        split_files(empty)
