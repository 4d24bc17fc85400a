"""``observatory eligibility pipeline --by-district`` on a small example city: every format
says the same, districts by name, candidates and renewals apart, every open condition listed;
and the default pack comes from the deployment's settings."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from observatory.cli import app
from observatory.config import Settings, SettingsError, get_settings, write_settings
from observatory.examples import EXAMPLE_CITY_SETTINGS
from observatory.examples.generator import generate_city
from observatory.services.eligibility import default_pack, eligibility_packs

runner = CliRunner()
AS_OF = "2025-06-30"


@pytest.fixture(scope="module")
def small_city(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    import shutil

    from observatory.db import make_engine

    path = tmp_path_factory.mktemp("pipeline_city") / "city.db"
    shutil.copy(sqlite_template, path)
    engine: Engine = make_engine(f"sqlite:///{path}")
    generate_city(engine, seed=3, scale=0.03)
    engine.dispose()
    return f"sqlite:///{path}"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_settings(tmp_path / "home", EXAMPLE_CITY_SETTINGS)
    monkeypatch.setenv("OBSERVATORY_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _run(url: str, *args: str) -> str:
    res = runner.invoke(app, ["eligibility", "pipeline", "--by-district", "--top", "3",
                              "--as-of", AS_OF, "--database-url", url, *args])
    assert res.exit_code == 0, res.output
    return res.stdout


def test_by_district_in_every_format(small_city: str, home: Path, tmp_path: Path) -> None:
    data = json.loads(_run(small_city, "--format", "json"))
    assert data["pack"] == "hte"  # the example city's default pack, from its settings
    firms = [f for g in data["districts"] for f in g["candidates"] + g["renewals"]]
    assert firms and {f["kind"] for f in firms} == {"candidate", "renewal"}
    for g in data["districts"]:
        assert g["name_zh"]  # districts by name
        for kind in ("candidates", "renewals"):
            assert [f["rank"] for f in g[kind]] == list(range(1, len(g[kind]) + 1))
    for f in firms:
        assert len(f["conditions"]) == f["n_failed"] + f["n_undecided"] + f["n_missing"] >= 1
    assert any(c["self_graded"] for f in firms for c in f["conditions"])

    rows = list(csv.DictReader(io.StringIO(_run(small_city, "--format", "csv"))))
    assert [(r["enterprise_id"], r["kind"], int(r["rank"])) for r in rows] == [
        (f["enterprise_id"], f["kind"], f["rank"]) for f in firms]
    for r, f in zip(rows, firms, strict=True):
        assert r["conditions"].count("[") == len(f["conditions"])  # every condition, not one
        assert r["district_name"] == next(g["name_zh"] for g in data["districts"]
                                          if g["district"] == f["district"])

    out = tmp_path / "pipeline.xlsx"
    _run(small_city, "--format", "xlsx", "--out", str(out))
    book = openpyxl.load_workbook(out)
    sheet = list(book[book.sheetnames[0]].values)
    assert [(r[4], r[2], r[3]) for r in sheet[1:]] == [
        (f["enterprise_id"], f["kind"], f["rank"]) for f in firms]
    assert len(list(book["conditions"].values)) == 1 + sum(len(f["conditions"]) for f in firms)

    table = _run(small_city, "--lang", "en")
    assert "first-time candidates" in table and "renewals" in table
    assert data["districts"][0]["name_en"] in table


def test_filters_and_bad_input(small_city: str, home: Path) -> None:
    full = json.loads(_run(small_city, "--format", "json"))
    group = next(g for g in full["districts"] if g["renewals"])
    one = json.loads(_run(small_city, "--format", "json", "--district", group["name_zh"],
                          "--kind", "renewal"))
    assert [g["district"] for g in one["districts"]] == [group["district"]]
    assert not one["districts"][0]["candidates"]
    res = runner.invoke(app, ["eligibility", "pipeline", "--by-district", "--kind", "x",
                              "--database-url", small_city])
    assert res.exit_code == 2 and "类别" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["eligibility", "pipeline", "--by-district", "--format", "xlsx",
                              "--database-url", small_city])
    assert res.exit_code == 2 and "--out" in res.output


def test_default_pack_comes_from_the_settings(tmp_path: Path) -> None:
    plain = Settings(home=tmp_path)
    assert default_pack(plain) == "hte"  # the first bundled national pack, never a local one
    assert eligibility_packs(plain)[0].code == "hte"
    city = Settings(home=tmp_path, **EXAMPLE_CITY_SETTINGS)
    assert default_pack(city) == "hte"
    assert "gazelle" not in [p.code for p in eligibility_packs(city)]
    chosen = Settings(home=tmp_path, eligibility_packs=("tsme", "hte"))
    assert default_pack(chosen) == "tsme"
    assert [p.code for p in eligibility_packs(chosen)] == ["tsme", "hte"]


def test_bad_pack_settings_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATORY_HOME", str(tmp_path))
    monkeypatch.setenv("OBSERVATORY_ELIGIBILITY_PACKS", "hte,huangpu")
    with pytest.raises(SettingsError, match="huangpu"):
        get_settings()
    monkeypatch.setenv("OBSERVATORY_ELIGIBILITY_PACKS", "hte")
    monkeypatch.setenv("OBSERVATORY_DEFAULT_PACK", "tsme")
    with pytest.raises(SettingsError, match="default_pack"):
        get_settings()
    write_settings(tmp_path, {"eligibility_packs": ["tsme"], "default_pack": "tsme"})
    monkeypatch.delenv("OBSERVATORY_ELIGIBILITY_PACKS")
    monkeypatch.delenv("OBSERVATORY_DEFAULT_PACK")
    assert get_settings().default_pack == "tsme"
