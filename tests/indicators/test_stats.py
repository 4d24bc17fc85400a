"""Provincial statistics imported as observations; derived indicators checked by hand."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from observatory.indicators import compute, import_province_stats
from observatory.registry.errors import ImportFailed
from tests.reference_data import reference_path

FILE = "china_innovation_stats/province_year.csv"
CODES = {"山东": "370000", "广东": "440000", "北京": "110000", "西藏": "540000", "全国": "100000"}


def published(path: Path) -> dict[tuple[str, str, int], float]:
    """(indicator, province, year) -> value in yuan/percent, computed by hand from the file."""
    factor = {"100 million yuan": 1e8, "10 thousand yuan": 1e4}
    out = {}
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out[row["indicator_code"], row["province_zh"], int(row["year"])] = (
                float(row["value"]) * factor.get(row["unit"], 1.0))
    return out


@pytest.fixture
def stats(sqlite_engine: Engine) -> tuple[Engine, dict]:
    path = reference_path(FILE)
    import_province_stats(sqlite_engine, path)
    return sqlite_engine, published(path)


def test_import_counts_rows_and_records_provenance(stats: tuple[Engine, dict]) -> None:
    engine, pub = stats
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM observations")).scalar_one()
        unit, note = conn.execute(text(
            "SELECT unit, note FROM observations WHERE indicator_code='rd_expenditure' "
            "AND region_code='370000' AND period='2023'")).one()
    assert n == len(pub)
    assert (unit, note) == ("yuan", "published in 100 million yuan")
    # Re-importing changes nothing.
    again = import_province_stats(engine, reference_path(FILE))
    assert again.as_dict()["observations"]["inserted"] == 0


@pytest.mark.parametrize("province", ["山东", "广东", "北京"])
def test_growth_cagr_and_national_shares(stats: tuple[Engine, dict], province: str) -> None:
    engine, pub = stats
    region = CODES[province]
    f = compute(engine, ["rd_expenditure_growth", "rd_expenditure_cagr_5y",
                         "rd_expenditure_share_national",
                         "techmarket_outflow_turnover_share_national",
                         "techmarket_net_inflow_turnover", "hte_recognised_share_national"],
                range(2018, 2024), region)
    got = {(r.indicator, r.period): r.value for r in f.itertuples()}
    for year in (2019, 2021, 2023):
        rd = pub["rd_expenditure", province, year]
        assert got["rd_expenditure_growth", year] == pytest.approx(
            100 * (rd / pub["rd_expenditure", province, year - 1] - 1), rel=1e-9)
        assert got["rd_expenditure_cagr_5y", year] == pytest.approx(
            100 * ((rd / pub["rd_expenditure", province, year - 5]) ** 0.2 - 1), rel=1e-9)
        assert got["rd_expenditure_share_national", year] == pytest.approx(
            100 * rd / pub["rd_expenditure", "全国", year], rel=1e-9)
        out = pub["techmarket_outflow_turnover", province, year]
        assert got["techmarket_outflow_turnover_share_national", year] == pytest.approx(
            100 * out / pub["techmarket_outflow_turnover", "全国", year], rel=1e-9)
        assert got["techmarket_net_inflow_turnover", year] == pytest.approx(
            pub["techmarket_inflow_turnover", province, year] - out, rel=1e-9)
        assert got["hte_recognised_share_national", year] == pytest.approx(
            100 * pub["hte_recognised", province, year] / pub["hte_recognised", "全国", year],
            rel=1e-9)


def test_missing_published_cells_give_no_figure(stats: tuple[Engine, dict]) -> None:
    engine, pub = stats
    assert ("techmarket_outflow_turnover", "西藏", 2016) not in pub  # missing in the source
    f = compute(engine, ["techmarket_outflow_turnover_growth"], [2016, 2017, 2018], "540000")
    assert 2016 not in set(f.period) and 2017 not in set(f.period)


def test_bad_province_stops_the_import(sqlite_engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("province_zh,province_en,year,indicator_code,indicator_name_en,"
                   "indicator_name_zh,value,unit,source_table\n"
                   "山东,Shandong,2023,rd_expenditure,R&D,R&D,2386.0,100 million yuan,x\n"
                   "火星,Mars,2023,rd_expenditure,R&D,R&D,1,100 million yuan,x\n"
                   "山东,Shandong,2022,rd_expenditure,R&D,R&D,1,furlongs,x\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as info:
        import_province_stats(sqlite_engine, bad)
    where = {(e.row, e.column, e.value) for e in info.value.errors}
    assert where == {(3, "province_zh", "火星"), (4, "unit", "furlongs")}
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM observations")).scalar_one() == 0
