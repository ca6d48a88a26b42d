"""Reading CSV, .csv.gz and XLSX files as they come out of Excel in English, Russian, Ukrainian and Persian."""

from __future__ import annotations

import gzip
import io
from datetime import datetime

import pytest
from openpyxl import Workbook

from crmcore.importing import ImportFileError, Row, open_table

RUSSIAN = [
    ["ФИО", "Телефон", "Компания"],
    ["Иванов Пётр Сергеевич", "+7 495 123-45-67", "ООО «Ёлка»"],
    ["Шевченко Тарас", "+380 44 000 00 00", "ТОВ Їжак і Ґудзик"],
]
PERSIAN = [  # written with the letters Windows-1256 can encode
    ["نام", "تلفن", "شرکت"],
    ["آرش کمانگر", "09121234567", "شرکت پارس"],
    ["فرهاد", "021", "گلها تهران"],
]


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    """Rows joined the way Excel writes them: CRLF line ends, no quoting needed for these values."""
    return "".join(delimiter.join(row) + "\r\n" for row in rows)


def read_rows(source: object, **options: object) -> list[Row]:
    with open_table(source, **options) as table:
        return list(table)


def values(rows: list[Row]) -> list[list[object]]:
    return [list(row.values.values()) for row in rows]


# --- encodings -------------------------------------------------------------------------------------------------


def test_utf8_without_bom_keeps_cyrillic_and_persian_names(write):
    path = write("people.csv", csv_text([["Name", "City"], ["Іван Петренко", "Київ"], ["زهرا کاظمی", "تهران"]]))
    with open_table(path) as table:
        rows = list(table)
        assert table.encoding == "utf-8"
    assert values(rows) == [["Іван Петренко", "Київ"], ["زهرا کاظمی", "تهران"]]


def test_utf8_bom_is_stripped_from_the_first_header(write):
    path = write("bom.csv", "\ufeff" + csv_text([["Email", "Name"], ["a@example.com", "Anna"]]))
    with open_table(path) as table:
        assert table.headers == ("Email", "Name")
        assert list(table)[0].values["Email"] == "a@example.com"


def test_windows_1251_semicolon_file_from_a_russian_excel(write):
    path = write("клиенты.csv", csv_text(RUSSIAN, ";"), encoding="cp1251")
    with open_table(path) as table:
        assert (table.encoding, table.delimiter) == ("cp1251", ";")
        assert table.headers == ("ФИО", "Телефон", "Компания")
        rows = list(table)
    assert values(rows) == [row for row in RUSSIAN[1:]]


def test_windows_1251_keeps_ukrainian_letters(write):
    rows = [["Ім'я", "Місто"], ["Євгенія Ґонта", "Біла Церква"], ["Їжакевич", "Рівне"]]
    path = write("uk.csv", csv_text(rows, ";"), encoding="cp1251")
    assert values(read_rows(path)) == rows[1:]


def test_windows_1256_persian_names_come_back_intact(write):
    path = write("fa.csv", csv_text(PERSIAN), encoding="cp1256")
    with open_table(path) as table:
        assert table.encoding == "cp1256"
        assert table.headers == tuple(PERSIAN[0])
        assert values(list(table)) == PERSIAN[1:]


def test_windows_1252_western_names_are_not_mistaken_for_cyrillic(write):
    path = write("de.csv", csv_text([["Name", "City"], ["Jürgen Müller", "Zürich"], ["Café Noël", "Orléans"]]),
                 encoding="cp1252")
    assert values(read_rows(path)) == [["Jürgen Müller", "Zürich"], ["Café Noël", "Orléans"]]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom_as_excel_saves_unicode_text(write, codec):
    path = write("unicode.txt", "\ufeff" + csv_text(RUSSIAN, "\t"), encoding=codec)
    with open_table(path) as table:
        assert table.delimiter == "\t"
        assert table.headers == tuple(RUSSIAN[0])
        assert values(list(table)) == RUSSIAN[1:]


def test_utf16_without_bom_is_recognised_by_its_zero_bytes(write):
    path = write("nobom.csv", csv_text(PERSIAN, ";"), encoding="utf-16-le")
    assert values(read_rows(path)) == PERSIAN[1:]


def test_ascii_start_does_not_fix_the_encoding_before_the_first_cyrillic_row(write):
    lines = [["id", "name"]] + [[str(i), f"Customer {i}"] for i in range(5000)] + [["5000", "Ёлкин Пётр"]]
    path = write("late.csv", csv_text(lines), encoding="cp1251")
    with open_table(path) as table:
        last = list(table)[-1]
        assert table.encoding == "cp1251"
    assert last == Row(5002, {"id": "5000", "name": "Ёлкин Пётр"})


def test_undecodable_bytes_stop_the_read_naming_the_row(write):
    content = csv_text([["name"], ["Ёлка"], ["Anna"]]).encode() + b"Bad \xff\xfe\r\nBob\r\n"
    path = write("broken.csv", content)
    with pytest.raises(ImportFileError, match="row 4 cannot be decoded as utf-8") as caught:
        read_rows(path)
    assert caught.value.row == 4


def test_explicit_encoding_and_delimiter_override_detection(write):
    path = write("x.csv", "a|b\r\nä|ö\r\n", encoding="latin-1")
    assert values(read_rows(path, encoding="latin-1", delimiter="|")) == [["ä", "ö"]]


# --- compression and streams -----------------------------------------------------------------------------------


def test_gzip_compressed_csv_is_read_transparently(write):
    path = write("clients.csv.gz", gzip.compress(csv_text(RUSSIAN, ";").encode("cp1251")))
    with open_table(path) as table:
        assert (table.format, table.encoding, table.delimiter) == ("csv", "cp1251", ";")
        assert values(list(table)) == RUSSIAN[1:]


def test_binary_stream_is_read_and_left_open_for_the_caller():
    stream = io.BytesIO(csv_text(PERSIAN).encode())
    with open_table(stream, name="upload.csv") as table:
        assert table.name == "upload.csv"
        assert len(list(table)) == 2
    assert not stream.closed


def test_a_stream_that_cannot_seek_is_read_too():
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            chunk = self._data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    assert values(read_rows(Pipe(csv_text(RUSSIAN).encode()))) == RUSSIAN[1:]


# --- dialects --------------------------------------------------------------------------------------------------


def test_semicolon_wins_over_the_decimal_commas_in_the_cells(write):
    path = write("prices.csv", "Товар;Цена;Количество\r\nЧай;12,50;1,5\r\nКофе;7,25;2,0\r\n")
    with open_table(path) as table:
        assert table.delimiter == ";"
        assert list(table)[0].values == {"Товар": "Чай", "Цена": "12,50", "Количество": "1,5"}


def test_comma_wins_over_semicolons_inside_quoted_cells(write):
    path = write("notes.csv", 'name,notes\r\nAnna,"call back; urgent"\r\nBob,"a; b; c"\r\n')
    with open_table(path) as table:
        assert table.delimiter == ","
        assert values(list(table)) == [["Anna", "call back; urgent"], ["Bob", "a; b; c"]]


def test_tab_separated_file(write):
    assert values(read_rows(write("t.tsv", "a\tb\r\n1\t2\r\n"))) == [["1", "2"]]


def test_single_column_file(write):
    assert values(read_rows(write("emails.csv", "email\r\na@example.com\r\nb@example.com\r\n"))) == [
        ["a@example.com"],
        ["b@example.com"],
    ]


def test_quoted_cell_with_embedded_newlines_is_one_row_and_numbering_follows_rows(write):
    path = write("multi.csv", 'name,address\r\nAnna,"1 Main St\r\nFlat 2\r\nLondon"\r\nBob,"2 High St"\r\n')
    rows = read_rows(path)
    assert rows == [
        Row(2, {"name": "Anna", "address": "1 Main St\r\nFlat 2\r\nLondon"}),
        Row(3, {"name": "Bob", "address": "2 High St"}),
    ]


def test_classic_mac_line_endings(write):
    assert values(read_rows(write("mac.csv", "a,b\r1,2\r3,4\r"))) == [["1", "2"], ["3", "4"]]


# --- cells and rows --------------------------------------------------------------------------------------------


def test_cells_are_stripped_and_empty_cells_become_none(write):
    rows = read_rows(write("s.csv", "a,b,c\r\n  x  ,,\u00a0 \r\n"))
    assert rows[0].values == {"a": "x", "b": None, "c": None}


def test_blank_rows_are_skipped_but_keep_their_row_numbers(write):
    rows = read_rows(write("gaps.csv", "a;b\r\n1;2\r\n\r\n;;\r\n3;4\r\n"))
    assert [(row.number, row.values["a"]) for row in rows] == [(2, "1"), (5, "3")]


def test_excel_trailing_empty_cells_are_not_an_error(write):
    rows = read_rows(write("trailing.csv", "a;b;;\r\n1;2;;\r\n"))
    assert rows == [Row(2, {"a": "1", "b": "2"})]


def test_row_with_too_many_cells_is_reported_and_reading_goes_on(write):
    rows = read_rows(write("wide.csv", "a,b\r\n1,2\r\n3,4,5\r\n6,7\r\n"))
    assert [(row.number, row.error) for row in rows] == [
        (2, None),
        (3, "the row has 3 cells but the header has 2 columns"),
        (4, None),
    ]


def test_row_with_too_few_cells_is_reported_with_what_was_read(write):
    rows = read_rows(write("short.csv", "a,b,c\r\n1,2,3\r\n4\r\n"))
    assert rows[1] == Row(3, {"a": "4", "b": None, "c": None}, "the row has 1 cell but the header has 3 columns")


def test_oversized_cell_is_a_row_error(write):
    path = write("huge.csv", "a,b\r\n1," + "x" * 70_000 + "\r\n2,3\r\n")
    rows = read_rows(path)
    assert rows[0].error == "the cell in column 'b' is longer than 65536 characters"
    assert rows[1] == Row(3, {"a": "2", "b": "3"})


def test_runaway_quoted_cell_is_cut_off_as_a_row_error(write):
    path = write("runaway.csv", 'a,b\r\n1,"' + "y" * 300_000 + "\r\n2,3\r\n")
    rows = read_rows(path)
    assert rows[0].number == 2 and "longer than" in rows[0].error
    assert rows[-1].values == {"a": "2", "b": "3"}


def test_limit_on_cell_size_is_configurable(write):
    rows = read_rows(write("small.csv", "a\r\nabcdef\r\n"), max_cell_chars=5)
    assert rows[0].error == "the cell in column 'a' is longer than 5 characters"


# --- whole-file problems ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n \r\n\r\n"], ids=["no bytes", "bom only", "blank"])
def test_empty_file(write, content):
    with pytest.raises(ImportFileError, match="empty.csv: the file is empty"):
        open_table(write("empty.csv", content))


def test_header_only_file_has_no_rows(write):
    with open_table(write("h.csv", "a,b\r\n")) as table:
        assert table.headers == ("a", "b")
        assert list(table) == []


def test_duplicate_header_names(write):
    with pytest.raises(ImportFileError, match="duplicate column names in the header: Email"):
        open_table(write("dup.csv", "Email,Name,Email\r\n"))


def test_header_with_a_blank_name_between_columns(write):
    with pytest.raises(ImportFileError, match="column 2 of the header row has no name"):
        open_table(write("blank.csv", "Email,,Name\r\n"))


def test_old_binary_excel_file_is_refused_with_advice(write):
    with pytest.raises(ImportFileError, match=r"old Excel \.xls files are not supported"):
        open_table(write("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)))


def test_binary_junk_is_refused(write):
    with pytest.raises(ImportFileError, match="not a text"):
        open_table(write("photo.csv", bytes(range(256)) * 8))


def test_missing_file(tmp_path):
    with pytest.raises(ImportFileError, match="nothing.csv: cannot open the file"):
        open_table(tmp_path / "nothing.csv")


# --- XLSX ------------------------------------------------------------------------------------------------------


@pytest.fixture
def workbook_path(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Clients"
    sheet.append([])
    sheet.append(["Name", "Email", "Amount", "Since", None])
    sheet.append(["  Иван Петров ", "ivan@example.com", 12.5, datetime(2024, 1, 2, 9, 30), None])
    sheet.append([])
    sheet.append(["زهرا کاظمی", "", 3, None, None])
    sheet.append(["Stray", None, None, None, "oops"])
    workbook.create_sheet("Other").append(["Code"])
    path = tmp_path / "clients.xlsx"
    workbook.save(path)
    return path


def test_xlsx_header_and_rows_with_native_values(workbook_path):
    with open_table(workbook_path) as table:
        assert (table.format, table.encoding, table.delimiter) == ("xlsx", None, None)
        assert (table.headers, table.header_row) == (("Name", "Email", "Amount", "Since"), 2)
        rows = list(table)
    assert rows[:2] == [
        Row(3, {"Name": "Иван Петров", "Email": "ivan@example.com", "Amount": 12.5,
                "Since": datetime(2024, 1, 2, 9, 30)}),
        Row(5, {"Name": "زهرا کاظمی", "Email": None, "Amount": 3, "Since": None}),
    ]


def test_xlsx_value_outside_the_header_is_a_row_error(workbook_path):
    stray = read_rows(workbook_path)[-1]
    assert (stray.number, stray.error) == (6, "column E has a value but no header")


def test_xlsx_from_a_stream_and_by_sheet_name(workbook_path):
    with open_table(io.BytesIO(workbook_path.read_bytes()), sheet="Other") as table:
        assert table.headers == ("Code",)


def test_xlsx_unknown_sheet_lists_the_sheets(workbook_path):
    with pytest.raises(ImportFileError, match="there is no sheet 'Data'; sheets: Clients, Other"):
        open_table(workbook_path, sheet="Data")


def test_damaged_xlsx_is_refused(write):
    with pytest.raises(ImportFileError, match="not a readable XLSX file"):
        open_table(write("bad.xlsx", b"PK\x03\x04" + bytes(200)))
