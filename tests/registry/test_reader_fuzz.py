"""Whatever bytes arrive, the readers answer rows or a bilingual ReadFailed, never a traceback
(issue 15 item 10, for the header mapping of issue 16)."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from observatory.registry.mapping import read_mapped
from observatory.registry.readers import Limits, ReadFailed

SMALL = Limits(rows=50, columns=20, cell_chars=200, file_bytes=20_000)
CELLS = st.one_of(st.none(), st.integers(-10**6, 10**6), st.floats(allow_nan=False),
                  st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
                  st.sampled_from(["合计", "注：", "企业名称", "uscc", "所属区县", "成交额（万元）",
                                   "序号"]))


def _read(data: bytes, name: str) -> None:
    try:
        for _entity, table in read_mapped(data, name, "organisations", limits=SMALL):
            assert table.first_row >= 1
    except ReadFailed as exc:
        assert exc.error.reason_en and exc.error.reason_zh


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400), st.sampled_from(["x.csv", "x.json", "x.xlsx"]))
def test_random_bytes(data: bytes, name: str) -> None:
    _read(data, name)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.text(alphabet="a,\"\n合计企业名称uscc；（） \r", max_size=8),
                         max_size=6), max_size=8), st.sampled_from(["utf-8", "gb18030"]))
def test_ragged_csv(rows: list[list[str]], encoding: str) -> None:
    _read("\n".join(",".join(r) for r in rows).encode(encoding), "x.csv")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(CELLS, max_size=6), max_size=8),
       st.lists(st.tuples(st.integers(1, 8), st.integers(1, 6), st.integers(0, 3),
                          st.integers(0, 3)), max_size=3))
def test_workbooks_with_random_cells_and_merges(rows: list[list[object]],
                                                merges: list[tuple[int, int, int, int]]) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for r, c, down, right in merges:
        if down or right:
            sheet.merge_cells(start_row=r, start_column=c, end_row=r + down,
                              end_column=c + right)
    out = io.BytesIO()
    workbook.save(out)
    _read(out.getvalue(), "x.xlsx")
