"""Stream the rows of an uploaded CSV (plain or gzip-compressed) or XLSX file.

Spreadsheets reach a small business CRM from Excel in whatever encoding and delimiter the user's Windows
locale chose, so both are detected rather than asked for. Reading is streamed: memory stays flat whatever the
file size.

    with open_table("clients.csv") as table:
        for row in table:              # Row(number=2, values={"Name": "Иван", ...}, error=None)
            ...
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import os
import re
import tempfile
import warnings
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date, datetime, time
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import BinaryIO, Literal, NamedTuple

CellValue = str | int | float | Decimal | bool | datetime | date | time | None
"""A cell after reading: text from CSV; from XLSX also the numbers, dates and booleans openpyxl gives."""

MAX_CELL_CHARS = 64 * 1024
MAX_ROW_CHARS = 1024 * 1024
_SAMPLE_BYTES = 64 * 1024
_SNIFF_ROWS = 50
_DELIMITERS = (",", ";", "\t")
_SINGLE_BYTE_ENCODINGS = ("cp1251", "cp1252", "cp1256")


class ImportFileError(Exception):
    """The file as a whole cannot be read. ``str(error)`` names the file and the problem, for the user."""

    def __init__(self, filename: str, problem: str, *, row: int | None = None) -> None:
        super().__init__(f"{filename}: {problem}")
        self.filename = filename
        self.problem = problem
        self.row = row


class Row(NamedTuple):
    """One data row. ``number`` is the row as a spreadsheet shows it (the header is usually row 1).

    ``error`` is set when the row is malformed (wrong number of cells, a cell too large); ``values`` then
    holds whatever could be read, and the row should be reported rather than imported.
    """

    number: int
    values: dict[str, CellValue]
    error: str | None = None


class Table:
    """An open file: its headers and detected format, iterable once over its data rows. Use ``open_table``."""

    name: str
    format: Literal["csv", "xlsx"]
    headers: tuple[str, ...]
    header_row: int

    def __init__(self, name: str, fmt: Literal["csv", "xlsx"], stack: ExitStack) -> None:
        self.name = name
        self.format = fmt
        self._stack = stack
        self._rows: Iterator[Row] = iter(())
        self._lines: _Lines | None = None
        self.delimiter: str | None = None
        self.headers = ()
        self.header_row = 0

    @property
    def encoding(self) -> str | None:
        """The text encoding of a CSV (a Python codec name such as "utf-8" or "cp1251"); None for XLSX.

        For a file whose first 64 KiB are plain ASCII this may change once a later row reveals the encoding.
        """
        return self._lines.encoding if self._lines else None

    def __iter__(self) -> Iterator[Row]:
        return self._rows

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_table(
    source: str | os.PathLike[str] | BinaryIO,
    *,
    name: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    max_cell_chars: int = MAX_CELL_CHARS,
) -> Table:
    """Open a CSV, .csv.gz or XLSX file (a path or a binary stream) and read its header row.

    The format is recognised from the content, not the file name. ``encoding`` and ``delimiter`` override
    detection for CSV; ``sheet`` picks a worksheet by name (default: the active one). ``name`` is the file
    name used in messages. A stream passed in is not closed. Raises ImportFileError.
    """
    stack = ExitStack()
    if isinstance(source, str | os.PathLike):
        display = name or Path(source).name
        try:
            stream: BinaryIO = stack.enter_context(open(source, "rb"))  # noqa: SIM115
        except OSError as exc:
            raise ImportFileError(display, f"cannot open the file ({exc.strerror})") from exc
    else:
        stream = source
        source_name = getattr(source, "name", None)
        display = name or (Path(source_name).name if isinstance(source_name, str) else "upload")
    try:
        return _open(stream, display, stack, encoding, delimiter, sheet, max_cell_chars)
    except BaseException:
        stack.close()
        raise


def _open(
    stream: BinaryIO,
    name: str,
    stack: ExitStack,
    encoding: str | None,
    delimiter: str | None,
    sheet: str | None,
    max_cell_chars: int,
) -> Table:
    head = _read_up_to(stream, _SAMPLE_BYTES)
    compressed = head.startswith(b"\x1f\x8b")
    if compressed:
        gz = gzip.GzipFile(fileobj=io.BufferedReader(_Prefixed(head, stream)), mode="rb")
        stack.callback(gz.close)
        stream = gz  # type: ignore[assignment]
        try:
            head = _read_up_to(stream, _SAMPLE_BYTES)
        except (OSError, EOFError, zlib.error) as exc:
            raise ImportFileError(name, "the compressed file is damaged") from exc
    if head.startswith(b"PK\x03\x04"):
        if compressed:
            raise ImportFileError(name, "a compressed XLSX file is not supported; upload the .xlsx itself")
        table = Table(name, "xlsx", stack)
        _start_xlsx(table, _seekable(stream, head, stack), sheet, max_cell_chars)
        return table
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(name, "old Excel .xls files are not supported; save it as .xlsx or CSV")
    table = Table(name, "csv", stack)
    _start_csv(table, head, stream, encoding, delimiter, max_cell_chars)
    return table


# --- CSV ---


class _RowTooLong(Exception):
    pass


class _Undecodable(Exception):
    pass


class _Lines:
    """Decoded physical lines for csv.reader.

    Decoding line by line (rather than through a TextIOWrapper's 8 KiB chunks) lets an undecodable byte be
    blamed on the right row, and lets a file whose sample was pure ASCII settle its encoding when the first
    non-ASCII line arrives. ``record_chars`` is reset by the row loop before each record so that a runaway
    quoted field is cut off at ``max_row_chars`` instead of swallowing the file.
    """

    def __init__(
        self,
        readline: Callable[[int], bytes | str],
        encoding: str,
        *,
        decode: bool,
        provisional: bool,
        max_row_chars: int,
    ) -> None:
        self._readline = readline
        self.encoding = encoding
        self._decode = decode
        self._settled = decode and not provisional
        self.max_row_chars = max_row_chars
        self._limit = max_row_chars + 1
        self.record_chars = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._readline(self._limit)
        if not line:
            raise StopIteration
        self.record_chars += len(line)
        if self.record_chars > self.max_row_chars:
            self._skip_rest_of_line(line)
            raise _RowTooLong
        if self._settled:
            try:
                return line.decode(self.encoding)  # type: ignore[union-attr]
            except UnicodeDecodeError:
                raise _Undecodable from None
        if not self._decode:
            return line  # type: ignore[return-value]
        return self._settle(line)  # type: ignore[arg-type]

    def _settle(self, line: bytes) -> str:
        """Decode a line while the encoding is provisional; the first non-ASCII line decides it."""
        if line.isascii():
            return line.decode("ascii")
        try:
            text = line.decode(self.encoding)
        except UnicodeDecodeError:
            self.encoding = _guess_single_byte(line) or self.encoding
            try:
                text = line.decode(self.encoding)
            except UnicodeDecodeError:
                raise _Undecodable from None
        self._settled = True
        return text

    def _skip_rest_of_line(self, line: bytes | str) -> None:
        while line and not line.endswith(("\n", "\r") if isinstance(line, str) else b"\n"):
            line = self._readline(self._limit)


def _start_csv(
    table: Table,
    head: bytes,
    stream: BinaryIO,
    encoding: str | None,
    delimiter: str | None,
    max_cell_chars: int,
) -> None:
    name = table.name
    if not _without_bom(head).strip(b"\x00 \t\r\n"):
        raise ImportFileError(name, "the file is empty")
    eof = len(head) < _SAMPLE_BYTES
    provisional = False
    if encoding:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError as exc:
            raise ImportFileError(name, f"unknown encoding {encoding!r}") from exc
    else:
        encoding, provisional = _detect_encoding(head, eof, name)
    sample = codecs.getincrementaldecoder(encoding)("replace").decode(head, final=eof)

    binary = io.BufferedReader(_Prefixed(head, stream), buffer_size=_SAMPLE_BYTES)
    table._stack.callback(binary.close)
    # Classic Mac files end lines with a bare CR, which only the text layer's universal newlines split on.
    bare_cr = b"\r" in head and b"\n" not in head
    ascii_compatible = "\n,;\t\"".encode(encoding, "replace") == b"\n,;\t\"" and not bare_cr
    if ascii_compatible:
        if encoding == "utf-8" and head.startswith(codecs.BOM_UTF8):
            binary.read(len(codecs.BOM_UTF8))
        readline: Callable[[int], bytes | str] = binary.readline
    else:
        text = io.TextIOWrapper(binary, encoding=encoding, newline="")
        table._stack.callback(text.detach)
        readline = text.readline
    lines = _Lines(readline, encoding, decode=ascii_compatible, provisional=provisional,
                   max_row_chars=max(MAX_ROW_CHARS, max_cell_chars))
    table._lines = lines

    sample = sample.lstrip("\ufeff")
    table.delimiter = delimiter or _detect_delimiter(sample, truncated=not eof)
    reader = csv.reader(lines, delimiter=table.delimiter, quotechar='"', doublequote=True)
    number = 0
    while True:
        number += 1
        lines.record_chars = 0
        try:
            cells = next(reader)
        except StopIteration:
            raise ImportFileError(name, "the file has no header row") from None
        except (_RowTooLong, csv.Error) as exc:
            raise ImportFileError(name, f"the header row {number} cannot be read", row=number) from exc
        except (_Undecodable, UnicodeDecodeError) as exc:
            raise _decode_error(name, number, lines.encoding) from exc
        except (OSError, EOFError, zlib.error) as exc:
            raise ImportFileError(name, "the file is damaged", row=number) from exc
        if any(cell.strip() for cell in cells):
            break
    headers = [cell.strip() for cell in cells]
    headers[0] = headers[0].lstrip("\ufeff").strip()
    table.headers = _check_headers(name, headers, str)
    table.header_row = number
    table._rows = _csv_rows(name, reader, lines, table.headers, number, max_cell_chars)


def _csv_rows(
    name: str,
    reader: Iterator[list[str]],
    lines: _Lines,
    headers: tuple[str, ...],
    number: int,
    max_cell_chars: int,
) -> Iterator[Row]:
    width = len(headers)
    while True:
        try:
            for cells in reader:
                number += 1
                size, lines.record_chars = lines.record_chars, 0
                values = [cell.strip() or None for cell in cells]
                if len(values) == width and size <= max_cell_chars:
                    if any(values):
                        yield _new_row((number, dict(zip(headers, values, strict=True)), None))
                elif any(values):
                    yield _irregular_row(number, headers, values, size, max_cell_chars)
            return
        except _RowTooLong:
            number += 1
            yield Row(number, {}, f"the row is longer than {lines.max_row_chars} characters")
        except csv.Error as exc:
            number += 1
            reason = str(exc)
            if "field limit" in reason:
                reason = f"a cell is longer than {min(max_cell_chars, csv.field_size_limit())} characters"
            yield Row(number, {}, f"the row cannot be read: {reason}")
        except (_Undecodable, UnicodeDecodeError) as exc:
            raise _decode_error(name, number + 1, lines.encoding) from exc
        except (OSError, EOFError, zlib.error) as exc:
            raise ImportFileError(name, f"the file is damaged near row {number + 1}", row=number + 1) from exc
        lines.record_chars = 0


def _new_row(fields: tuple[int, dict[str, CellValue], str | None]) -> Row:
    """Row(...) without the Python-level __new__ of a NamedTuple: this runs once per row of large files."""
    return tuple.__new__(Row, fields)


def _irregular_row(
    number: int, headers: tuple[str, ...], values: list[CellValue], size: int, max_cell_chars: int
) -> Row:
    width, count = len(headers), len(values)
    error = _oversized(headers, values, max_cell_chars) if size > max_cell_chars else None
    mismatch = f"the row has {count} cell{'s' * (count != 1)} but the header has {width} columns"
    if count > width and any(values[width:]):
        error = error or mismatch
    elif count < width:
        error = error or mismatch
        values = values + [None] * (width - count)
    return Row(number, dict(zip(headers, values[:width], strict=True)), error)


def _decode_error(name: str, row: int, encoding: str) -> ImportFileError:
    return ImportFileError(
        name, f"row {row} cannot be decoded as {encoding}; save the file as UTF-8 CSV and try again", row=row
    )


def _oversized(headers: tuple[str, ...], values: list[CellValue], limit: int) -> str | None:
    for header, value in zip(headers, values, strict=False):
        if isinstance(value, str) and len(value) > limit:
            return f"the cell in column {header!r} is longer than {limit} characters"
    if any(isinstance(value, str) and len(value) > limit for value in values):
        return f"a cell is longer than {limit} characters"
    return None


def _detect_encoding(head: bytes, eof: bool, name: str) -> tuple[str, bool]:
    """Return (codec name, provisional). Provisional means the sample was ASCII and proves nothing yet."""
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if head.startswith(bom):
            return codec, False
    if b"\x00" in head:
        odd, even, half = head[1::2].count(0), head[0::2].count(0), len(head) // 2
        if odd > 4 * even and odd * 10 >= half:
            return "utf-16-le", False
        if even > 4 * odd and even * 10 >= half:
            return "utf-16-be", False
        raise ImportFileError(name, "this is not a text (CSV) or XLSX file")
    if head.isascii():
        return "utf-8", True
    # Text in a Windows code page is almost never valid UTF-8, so a sample that mostly is must be UTF-8 with a
    # few damaged bytes: better to stop at the damaged row than to read the whole file as mojibake.
    text = codecs.getincrementaldecoder("utf-8")("replace").decode(head, final=eof)
    damaged = text.count("\ufffd")
    if damaged * 2 <= sum(1 for ch in text if not ch.isascii()) - damaged:
        return "utf-8", False
    guessed = _guess_single_byte(head)
    if guessed is None:
        raise ImportFileError(name, "the text encoding cannot be recognised; save the file as UTF-8 CSV")
    return guessed, False


_WORD = re.compile(r"[^\W\d_]+")
_RU_UK_LETTERS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґў"
_CYRILLIC = frozenset(_RU_UK_LETTERS + _RU_UK_LETTERS.upper())


def _guess_single_byte(data: bytes) -> str | None:
    """Pick the Windows code page under which ``data`` reads as the most plausible words.

    Every byte decodes under cp1251 and cp1256 alike, so validity decides little; what differs is the shape
    of the words. Russian and Ukrainian read as cp1256 turn into Arabic letters mixed with Latin ones
    (а, о, и become à, î, è); Persian read as cp1251 turns into words with capitals in the middle. cp1252
    stands for English and Western European text, whose accented letters sit among ASCII ones.
    """
    best: tuple[int, str] | None = None
    for encoding in _SINGLE_BYTE_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _plausibility(text)
        if best is None or score > best[0]:
            best = (score, encoding)
    return best[1] if best else None


def _plausibility(text: str) -> int:
    score = 0
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        foreign = sum(1 for ch in word if not ch.isascii())
        scripts = {_script(ch) for ch in word}
        script = scripts.pop()
        if scripts or script == "other" or (script == "latin" and 1 < len(word) < foreign * 2):
            score -= foreign
        elif script == "arabic" or word.islower() or word.isupper() or word.istitle():
            score += foreign
    return score


def _script(ch: str) -> str:
    if ch in _CYRILLIC:
        return "cyrillic"
    if "\u0600" <= ch <= "\u06ff":
        return "arabic"
    if ch < "\u0250":
        return "latin"
    return "other"


def _detect_delimiter(sample: str, *, truncated: bool) -> str:
    """Choose among comma, semicolon and tab the one that splits the sample into a consistent table.

    csv.Sniffer is asked first but only breaks ties: on its own it is easily fooled by a decimal comma or
    punctuation in free text.
    """
    try:
        sniffed: str | None = csv.Sniffer().sniff(sample[:16384], delimiters="".join(_DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    best: tuple[tuple[bool, float, bool, int], str] | None = None
    for candidate in _DELIMITERS:
        try:
            rows = list(islice(csv.reader(io.StringIO(sample, newline=""), delimiter=candidate), _SNIFF_ROWS))
        except csv.Error:
            continue
        if truncated and len(rows) > 1:
            rows.pop()
        rows = [row for row in rows if any(cell.strip() for cell in row)]
        if not rows:
            continue
        width = len(rows[0])
        consistent = sum(len(row) == width for row in rows) / len(rows)
        key = (width > 1, consistent, candidate == sniffed, width)
        if best is None or key > best[0]:
            best = (key, candidate)
    return best[1] if best and best[0][0] else ","


# --- XLSX ---


def _start_xlsx(table: Table, stream: BinaryIO, sheet: str | None, max_cell_chars: int) -> None:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    name = table.name
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises anything from KeyError to zipfile.BadZipFile on a broken file
        raise ImportFileError(name, "this is not a readable XLSX file") from exc
    table._stack.callback(workbook.close)
    if sheet is not None:
        if sheet not in workbook.sheetnames:
            sheets = ", ".join(workbook.sheetnames)
            raise ImportFileError(name, f"there is no sheet {sheet!r}; sheets: {sheets}")
        worksheet = workbook[sheet]
    else:
        worksheet = workbook.active
        if not hasattr(worksheet, "iter_rows"):
            if not workbook.worksheets:
                raise ImportFileError(name, "the workbook has no worksheet")
            worksheet = workbook.worksheets[0]
    if hasattr(worksheet, "reset_dimensions"):
        worksheet.reset_dimensions()  # trust the cells, not the (often wrong) stored sheet size
    rows = enumerate(worksheet.iter_rows(values_only=True), start=1)
    for number, cells in rows:
        header = [_xlsx_cell(cell) for cell in cells]
        if any(value is not None for value in header):
            table.header_row = number
            break
    else:
        raise ImportFileError(name, "the file has no header row")
    table.headers = _check_headers(name, header, get_column_letter)
    table._rows = _xlsx_rows(name, rows, table.headers, max_cell_chars, get_column_letter)


def _xlsx_rows(
    name: str,
    rows: Iterator[tuple[int, tuple[object, ...]]],
    headers: tuple[str, ...],
    max_cell_chars: int,
    column_letter: Callable[[int], str],
) -> Iterator[Row]:
    width = len(headers)
    number = 0
    try:
        for number, cells in rows:
            values = [_xlsx_cell(cell) for cell in cells]
            if not any(value is not None for value in values):
                continue
            error = _oversized(headers, values, max_cell_chars)
            extra = [index for index in range(width, len(values)) if values[index] is not None]
            if extra:
                error = error or f"column {column_letter(extra[0] + 1)} has a value but no header"
            if len(values) < width:
                values.extend([None] * (width - len(values)))
            yield Row(number, dict(zip(headers, values, strict=False)), error)
    except Exception as exc:  # a damaged sheet surfaces as any parser or zip error
        raise ImportFileError(name, f"the file is damaged near row {number + 1}", row=number + 1) from exc


def _xlsx_cell(value: object) -> CellValue:
    if isinstance(value, str):
        return value.strip() or None
    return value  # type: ignore[return-value]


def _seekable(stream: BinaryIO, head: bytes, stack: ExitStack) -> BinaryIO:
    """A seekable stream over the whole file, as zip needs; spooled to disk if the source cannot seek."""
    try:
        if stream.seekable():
            stream.seek(stream.tell() - len(head))
            return stream
    except (OSError, ValueError):
        pass
    spool = stack.enter_context(tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024))  # noqa: SIM115
    spool.write(head)
    while chunk := stream.read(_SAMPLE_BYTES):
        spool.write(chunk)
    spool.seek(0)
    return spool  # type: ignore[return-value]


# --- shared ---


def _check_headers(name: str, headers: list[CellValue], column_name: Callable[[int], str]) -> tuple[str, ...]:
    texts = [_header_text(value) for value in headers]
    while texts and not texts[-1]:
        texts.pop()
    blank = [index for index, text in enumerate(texts) if not text]
    if blank:
        raise ImportFileError(name, f"column {column_name(blank[0] + 1)} of the header row has no name")
    seen: set[str] = set()
    duplicates: list[str] = []
    for text in texts:
        if text in seen and text not in duplicates:
            duplicates.append(text)
        seen.add(text)
    if duplicates:
        raise ImportFileError(name, f"duplicate column names in the header: {', '.join(duplicates)}")
    return tuple(texts)


def _header_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class _Prefixed(io.RawIOBase):
    """A raw stream that replays bytes already read from ``rest`` before reading on."""

    def __init__(self, prefix: bytes, rest: BinaryIO) -> None:
        self._prefix = memoryview(prefix)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._prefix:
            count = min(len(buffer), len(self._prefix))
            buffer[:count] = self._prefix[:count]
            self._prefix = self._prefix[count:]
            return count
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _without_bom(data: bytes) -> bytes:
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if data.startswith(bom):
            return data[len(bom) :]
    return data


def _read_up_to(stream: BinaryIO, size: int) -> bytes:
    parts: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)
