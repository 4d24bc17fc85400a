from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from observatory.cli.match import app
from observatory.market.evaluation import EvalFileError, load_qrels, load_texts, metrics_at_k

runner = CliRunner()
HASH = ["--embedder", "hash"]


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATORY_CACHE_DIR", str(tmp_path / "cache"))


def test_metrics_by_hand() -> None:
    judged = {"a": 2, "b": 1, "c": 0}
    m = metrics_at_k(["x", "b", "a"], judged, k=3)
    dcg = (2**1 - 1) / math.log2(3) + (2**2 - 1) / math.log2(4)
    idcg = (2**2 - 1) / math.log2(2) + (2**1 - 1) / math.log2(3)
    assert m["ndcg"] == pytest.approx(dcg / idcg)
    assert m["mrr"] == pytest.approx(1 / 2)
    assert m["recall"] == 1.0 and m["precision"] == pytest.approx(2 / 3)
    none = metrics_at_k(["x", "y"], judged, k=2)
    assert none == {"recall": 0.0, "precision": 0.0, "mrr": 0.0, "ndcg": 0.0}


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    corpus = tmp_path / "corpus.csv"
    corpus.write_text(
        "doc_id,text\n"
        "d1,海水淡化反渗透膜组件，低能耗高脱盐率\n"
        "d2,石墨烯导热膜用于手机散热\n"
        "d3,Regenerative braking energy recovery for metro lines\n"
        "d4,钠离子电池正极材料循环寿命长\n",
        encoding="utf-8",
    )
    queries = tmp_path / "queries.csv"
    queries.write_text(
        "query_id,text\nq1,海水淡化\nq2,手机散热材料\nq3,metro braking energy\n", encoding="utf-8"
    )
    qrels = tmp_path / "qrels.csv"
    qrels.write_text("query_id,doc_id,grade\nq1,d1,1\nq2,d2,1\nq3,d3,1\n", encoding="utf-8")
    return corpus, queries, qrels


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_eval_cli(tmp_path: Path, mode: str) -> None:
    c, q, r = _files(tmp_path)
    res = runner.invoke(
        app,
        [
            "eval",
            "--corpus",
            str(c),
            "--queries",
            str(q),
            "--qrels",
            str(r),
            "--embedder",
            "hash",
            "--mode",
            mode,
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["queries"] == 3 and out["docs"] == 4
    assert {"recall@10", "ndcg@10", "mrr@10", "p@10"} <= out.keys()
    assert out["recall@10"] == 1.0  # every relevant doc is among 4
    if mode == "bm25":
        assert out["mrr@10"] == 1.0  # each query shares its words only with its own doc


def test_eval_file_errors(tmp_path: Path) -> None:
    c, q, r = _files(tmp_path)
    r.write_text("query_id,doc_id,grade\nq1,d9,1\n", encoding="utf-8")
    with pytest.raises(EvalFileError) as exc:
        load_qrels(r, load_texts(q, "query_id"), load_texts(c, "doc_id"))
    assert exc.value.row == 2 and exc.value.field == "doc_id" and exc.value.value == "d9"
    r.write_text("query_id,doc_id,grade\nq1,d1,high\n", encoding="utf-8")
    with pytest.raises(EvalFileError, match="grade"):
        load_qrels(r, load_texts(q, "query_id"), load_texts(c, "doc_id"))
    c.write_text("id,body\nd1,x\n", encoding="utf-8")
    with pytest.raises(EvalFileError) as exc:
        load_texts(c, "doc_id")
    assert exc.value.row == 1
    res = runner.invoke(
        app, ["eval", "--corpus", str(c), "--queries", str(q), "--qrels", str(r), "--mode", "bm25"]
    )
    assert res.exit_code == 2 and "doc_id" in res.output and "表头" in res.output


def test_query_cli_fixture_and_errors(tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["query", "海上平台钢结构防腐", "--k", "3", "--explain", "--lang", "zh"]
    )
    assert res.exit_code == 0, res.output
    assert "防腐" in res.output and "匹配词" in res.output and res.output.count("\n 1.") <= 1
    res = runner.invoke(app, ["query", "offshore coating", "--k", "2", "--json", *HASH])
    rows = json.loads(res.output)
    assert len(rows) == 2 and rows[0]["rank"] == 1
    bad = tmp_path / "l.json"
    bad.write_text(
        '[{"id": "A1", "kind": "achievement", "texts": {"en": {"title": "x"}}, "trl": 0}]'
    )
    res = runner.invoke(app, ["query", "x", "--listings", str(bad)])
    assert res.exit_code == 2 and "trl" in res.output and "row 1" in res.output
    res = runner.invoke(app, ["query", "x", "--lang", "fr"])
    assert res.exit_code == 2


def test_query_csv_and_json_agree() -> None:
    import csv
    import io

    as_json = runner.invoke(app, ["query", "offshore coating", "--k", "3", "--format", "json",
                                  *HASH])
    as_csv = runner.invoke(app, ["query", "offshore coating", "--k", "3", "--format", "csv",
                                 *HASH])
    assert as_json.exit_code == 0 and as_csv.exit_code == 0, as_csv.output
    rows = json.loads(as_json.stdout)
    parsed = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["id"] for r in parsed] == [r["id"] for r in rows]
    assert [float(r["score"]) for r in parsed] == [r["score"] for r in rows]
