"""XLSX workbooks of tables, for every face that offers a download (CLI ``--format xlsx``, the
pages' table downloads, the cultivation list).

Why one writer: each workbook must be safe and read like the pages. Text cells go through
``registry.cells`` (neutralised, typed as strings, so no cell is ever a formula); numbers stay
numbers (never text, never ``1.582e+04``) with an Excel number format that shows them as the web
does: thousands separators, whole numbers bare, shares as percentages.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from observatory.registry.cells import xlsx_cells

#: Excel number formats by how a column reads (the CLI's column kinds use the same names).
NUMBER_FORMATS = {"integer": "#,##0", "percent": "0.0%", "decimal": "#,##0.00",
                  "yuan": "#,##0", "number": None, "amount": None}
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class SheetColumn:
    """One column: the row key, its header, and how its numbers read (``NUMBER_FORMATS``)."""

    key: str
    header: str | None = None
    kind: str = "number"


@dataclass
class Sheet:
    """One table of a workbook."""

    title: str
    columns: Sequence[SheetColumn]
    rows: Sequence[Mapping[str, Any]] = field(default_factory=list)


def plain(value: Any) -> Any:
    """A value as a cell holds it: numbers as numbers, NaN empty, dates as dates, lists joined."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalar
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bool | int | float | str | dt.date):
        return value
    if isinstance(value, list | tuple | set):
        return "; ".join(str(plain(v)) for v in value)
    return str(value)


def number_format(value: Any, kind: str) -> str | None:
    """The Excel format of one numeric cell: the column's, else by the value (as the web)."""
    fmt = NUMBER_FORMATS.get(kind)
    if fmt is not None:
        return fmt
    if isinstance(value, float) and not value.is_integer() and abs(value) < 1000:
        return "#,##0.00"
    return "#,##0"


def sheet_titles(titles: Sequence[str]) -> list[str]:
    """Titles Excel accepts: no ``[]:*?/\\``, at most 31 characters, each once."""
    out: list[str] = []
    for raw in titles:
        base = _BAD_TITLE.sub(" ", raw).strip()[:31] or "table"
        title, n = base, 1
        while title in out:
            n += 1
            title = f"{base[:31 - len(str(n)) - 1]} {n}"
        out.append(title)
    return out


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """The sheets as one XLSX file (a header row each, then the rows)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    for title, sheet in zip(sheet_titles([s.title for s in sheets] or ["table"]),
                            sheets or [Sheet("table", [])], strict=True):
        ws = book.create_sheet(title)
        ws.append(xlsx_cells(ws, [c.header or c.key for c in sheet.columns]))
        for row in sheet.rows:
            values = [plain(row.get(c.key)) for c in sheet.columns]
            cells: list[WriteOnlyCell] = xlsx_cells(ws, values)
            for c, value, xcell in zip(sheet.columns, values, cells, strict=True):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    xcell.number_format = number_format(value, c.kind) or "General"
                elif isinstance(value, dt.date):
                    xcell.number_format = "yyyy-mm-dd"
            ws.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
