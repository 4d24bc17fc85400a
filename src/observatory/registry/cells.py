"""Spreadsheet-safe text cells: every CSV and XLSX this package writes goes through here.

A spreadsheet program runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and, in some
programs, a tab or carriage return before one) as a formula, so a listing title such as
``=HYPERLINK("http://x","y")`` typed by one user would run in the workbook of whoever opens an
export. Following OWASP's advice on CSV injection, such text is written with a leading
apostrophe, which spreadsheet programs read as "this is text" and do not show.

The rule is a bijection, so the importer can undo it and export -> import -> export gives the
same bytes: text that needs it gets one more apostrophe, where "needs it" looks past any
apostrophes already in front (``'=x`` is written ``''=x`` and read back as ``'=x``). Numbers
stay numbers: ``-12.5`` is a value, not a formula, and is never prefixed.

>>> neutralise('=SUM(1)'), restore("'=SUM(1)")
("'=SUM(1)", '=SUM(1)')
>>> neutralise('-12.5'), neutralise('-1+2')
('-12.5', "'-1+2")
"""

from __future__ import annotations

import re
from typing import Any

TRIGGERS = frozenset("=+-@\t\r")
"""First characters that make a spreadsheet program treat a cell as a formula."""

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def needs_quote(text: str) -> bool:
    """Whether ``text`` would be read as a formula (after any apostrophes already in front)."""
    bare = text.lstrip("'")
    return bare[:1] in TRIGGERS and not _NUMBER.match(bare)


def neutralise(value: Any) -> Any:
    """``value`` as it goes into a CSV or XLSX cell: text that would be a formula gets a
    leading apostrophe; numbers, dates and everything else are returned unchanged."""
    if isinstance(value, str) and needs_quote(value):
        return "'" + value
    return value


def restore(text: str) -> str:
    """The text that :func:`neutralise` turned into ``text`` (the importer's side)."""
    if text.startswith("'") and needs_quote(text[1:]):
        return text[1:]
    return text


def neutralise_row(row: dict[str, Any]) -> dict[str, Any]:
    """A CSV row (column -> value) with every text value neutralised."""
    return {column: neutralise(value) for column, value in row.items()}


def xlsx_cells(sheet: Any, values: list[Any]) -> list[Any]:
    """Cells for a write-only openpyxl ``sheet``: text neutralised and typed as a string, so
    openpyxl never stores it as a formula whatever it begins with; other values as they are."""
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=neutralise(value))
        if isinstance(value, str):
            cell.data_type = "s"
        cells.append(cell)
    return cells


def type_text_cells(sheet: Any) -> None:
    """Neutralise and type as string every text cell of a (not write-only) openpyxl sheet,
    for workbooks written by another library (pandas) before they are saved."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.value = neutralise(cell.value)
                cell.data_type = "s"
