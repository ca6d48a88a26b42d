"""What an import did: counters and the row errors, downloadable as a CSV the user opens in Excel."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from typing import BinaryIO

MAX_VALUE_CHARS = 200
REPORT_COLUMNS = ("row", "column", "error", "value")


@dataclass(frozen=True)
class RowError:
    row: int
    reason: str
    column: str | None = None
    value: str | None = None


@dataclass
class ImportReport:
    """Counters for an import plus its row errors.

    Only the first ``max_errors`` errors are kept (a file that fails on every one of a million rows must not
    fill the memory); the rest are counted in ``errors_omitted``.
    """

    read: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)
    errors_omitted: int = 0
    max_errors: int = 10_000
    #: What the import kind counts besides records, e.g. {"refunds": 3, "customers_created": 12}.
    counts: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    _last_failed_row: int | None = field(default=None, repr=False, compare=False)

    def add_error(self, row: int, reason: str, *, column: str | None = None, value: object = None) -> None:
        """Record a problem and count the row as failed, once however many of its cells are wrong.

        Rows are expected in file order. ``value`` is the original cell, kept truncated.
        """
        if row != self._last_failed_row:
            self.failed += 1
            self._last_failed_row = row
        if len(self.errors) >= self.max_errors:
            self.errors_omitted += 1
            return
        self.errors.append(RowError(row, reason, column, _truncate(value)))

    def summary(self) -> dict[str, int]:
        """The counters, e.g. to store as a job result or show on the import page."""
        return {
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "failed": self.failed,
            "errors": len(self.errors) + self.errors_omitted,
            **self.counts,
        }

    def write_csv(self, target: str | os.PathLike[str] | BinaryIO) -> None:
        """Write the errors as CSV to a path or binary stream, in UTF-8 with a BOM so Excel shows any script.

        Cells that Excel would run as a formula are prefixed with an apostrophe: they come from the uploaded
        file and must not become a formula injection in the user's spreadsheet.
        """
        if isinstance(target, str | os.PathLike):
            with open(target, "wb") as stream:
                self._write(stream)
        else:
            self._write(target)

    def _write(self, stream: BinaryIO) -> None:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        try:
            writer = csv.writer(text)
            writer.writerow(REPORT_COLUMNS)
            for error in self.errors:
                writer.writerow((error.row, _safe(error.column), error.reason, _safe(error.value)))
            if self.errors_omitted:
                writer.writerow(("", "", f"{self.errors_omitted} more errors not listed", ""))
            text.flush()
        finally:
            text.detach()


def _truncate(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"


def _safe(text: str | None) -> str:
    if not text:
        return ""
    return "'" + text if text[0] in "=+-@\t\r" else text
