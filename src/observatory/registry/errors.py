"""Import errors that say exactly what is wrong, in English and Chinese."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from pathlib import Path

from observatory.registry.cells import neutralise_row


@dataclass(frozen=True)
class RowError:
    """One problem in an input file: where it is, what was found, why it is wrong."""

    file: str
    row: int | None  # line/row number as a spreadsheet shows it (header = 1); None = whole file
    column: str | None
    value: str | None
    reason_en: str
    reason_zh: str

    def describe(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        value = "" if self.value is None else f" (value {self.value!r})"
        return f"{where}{value}: {self.reason_en} / {self.reason_zh}"


ERROR_COLUMNS = ["file", "row", "column", "value", "reason_en", "reason_zh"]


def errors_to_csv(errors: list[RowError], path: Path | None = None) -> str:
    """The error report as CSV (UTF-8 with BOM so spreadsheet programs show Chinese); the
    rejected values are the uploader's text, so formulas among them are neutralised."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=ERROR_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for error in errors:
        writer.writerow(neutralise_row(asdict(error)))
    text = buffer.getvalue()
    if path is not None:
        path.write_text(text, encoding="utf-8-sig")
    return text


class ImportFailed(Exception):
    """Raised when any row is invalid; nothing has been written."""

    def __init__(self, errors: list[RowError], total: int | None = None,
                 conflict: bool = False) -> None:
        self.errors = errors
        #: How many errors there were; ``errors`` may hold only the first of them.
        self.total = len(errors) if total is None else total
        #: A concurrent import wrote the same keys (web: 409), not a fault of the file.
        self.conflict = conflict
        first = errors[0].describe() if errors else ""
        super().__init__(f"{self.total} error(s); first: {first}")
