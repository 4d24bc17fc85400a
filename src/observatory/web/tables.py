"""Every table of a page as XLSX: ``GET <page>?format=xlsx`` (all tables, one sheet each) or
``?format=xlsx&table=N`` (the N-th table, counted from 0 in page order).

Why from the rendered page: the page is the service result as the user reads it, so the
workbook holds exactly the tables they see, on every page, with no per-page code. A cell that
carries ``data-v`` (the raw number the template formatted) is written as that number, so
"2,583.45 亿元" arrives as 258345065764 and a percentage as its share; ``data-kind="percent"``
formats it as one. Other cells are numbers where their text is one ("15,815"), else text.
Sheet names come from the table's ``data-sheet``, its caption, or the heading above it.
Text goes through ``registry.cells`` (``services.workbook``), so no cell is a formula.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from observatory.services.workbook import Sheet, SheetColumn, workbook_bytes

_NUMBER = re.compile(r"^-?\d{1,3}(,\d{3})*(\.\d+)?$|^-?\d+(\.\d+)?$")
_SKIP = {"script", "style", "button", "select", "option"}
_HEADINGS = {"h1", "h2", "h3", "h4"}


@dataclass
class PageCell:
    text: str = ""
    value: str | None = None  # data-v, when the template gave one
    kind: str | None = None
    header: bool = False


@dataclass
class PageTable:
    title: str
    rows: list[list[PageCell]] = field(default_factory=list)


class _TableParser(HTMLParser):
    """Collects the tables of a page in document order (nested ones as tables of their own)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[PageTable] = []
        self._open: list[PageTable] = []
        self._cell: PageCell | None = None
        self._heading: list[str] | None = None
        self._last_heading = ""
        self._caption: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in _SKIP:
            self._skip += 1
        elif tag in _HEADINGS and not self._open:
            self._heading = []
        elif tag == "table":
            table = PageTable(a.get("data-sheet") or self._last_heading or "table")
            self.tables.append(table)
            self._open.append(table)
        elif tag == "caption" and self._open:
            self._caption = []
        elif tag == "tr" and self._open:
            self._open[-1].rows.append([])
        elif tag in ("td", "th") and self._open and self._open[-1].rows:
            self._cell = PageCell(value=a.get("data-v"), kind=a.get("data-kind"),
                                  header=tag == "th")
            self._open[-1].rows[-1].append(self._cell)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _HEADINGS and self._heading is not None:
            self._last_heading = " ".join("".join(self._heading).split())
            self._heading = None
        elif tag == "caption" and self._caption is not None and self._open:
            table = self._open[-1]
            if table.title == self._last_heading or table.title == "table":
                table.title = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th"):
            self._cell = None
        elif tag == "table" and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        for sink in (self._heading, self._caption):
            if sink is not None:
                sink.append(data)
        if self._cell is not None:
            self._cell.text += data


def page_tables(html: str) -> list[PageTable]:
    """The tables of a rendered page, in order."""
    parser = _TableParser()
    parser.feed(html)
    parser.close()
    return parser.tables


def cell_value(cell: PageCell) -> object:
    """What a spreadsheet cell holds: the raw number, a number read from the text, or text."""
    text = " ".join(cell.text.split())
    if cell.value is not None:
        if not cell.value.strip():
            return None
        try:
            number = float(cell.value)
        except ValueError:
            return cell.value
        return int(number) if number.is_integer() and abs(number) < 1e15 else number
    if text in ("", "—"):
        return None
    if _NUMBER.match(text):
        number = float(text.replace(",", ""))
        return int(number) if number.is_integer() else number
    return text


def table_sheet(table: PageTable) -> Sheet:
    """One page table as a sheet: its first row of header cells as the header."""
    rows = [r for r in table.rows if r]
    width = max((len(r) for r in rows), default=0)
    head = [" ".join(c.text.split()) for c in rows[0]] if rows else []
    if rows and all(c.header for c in rows[0]):
        rows = rows[1:]
    else:
        head = []
    head += [""] * (width - len(head))
    kinds = ["number"] * width
    for row in rows:
        for i, c in enumerate(row):
            if c.kind:
                kinds[i] = c.kind
    columns = [SheetColumn(f"c{i}", head[i] or f"column {i + 1}", kinds[i])
               for i in range(width)]
    data = [{f"c{i}": cell_value(c) for i, c in enumerate(row)} for row in rows]
    return Sheet(table.title, columns, data)


def page_workbook(html: str, table: int | None = None) -> bytes | None:
    """The page's tables (or only table number ``table``) as XLSX; None when there is no such
    table."""
    tables = page_tables(html)
    if table is not None:
        if not 0 <= table < len(tables):
            return None
        tables = [tables[table]]
    if not tables:
        return None
    return workbook_bytes([table_sheet(t) for t in tables])
