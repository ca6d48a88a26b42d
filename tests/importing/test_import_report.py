"""The import report: counters, and the row errors as a CSV the user downloads and opens in Excel."""

from __future__ import annotations

import csv
import io

from crmcore.importing import ImportReport, RowError


def report_rows(report: ImportReport) -> list[list[str]]:
    out = io.BytesIO()
    report.write_csv(out)
    data = out.getvalue()
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to show UTF-8"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_counters_and_summary():
    report = ImportReport(read=5, created=2, updated=1, skipped=1)
    report.add_error(4, "not a number: 'abc'", column="Amount", value="abc")
    assert report.summary() == {"read": 5, "created": 2, "updated": 1, "skipped": 1, "failed": 1, "errors": 1}


def test_a_row_with_several_bad_cells_counts_as_one_failed_row():
    report = ImportReport()
    report.add_error(3, "not a number: 'x'", column="Amount", value="x")
    report.add_error(3, "not a date: 'y'", column="Date", value="y")
    report.add_error(7, "the row has 1 cell but the header has 3 columns")
    assert report.failed == 2
    assert report.errors == [
        RowError(3, "not a number: 'x'", "Amount", "x"),
        RowError(3, "not a date: 'y'", "Date", "y"),
        RowError(7, "the row has 1 cell but the header has 3 columns"),
    ]


def test_csv_report_lists_row_column_reason_and_value_in_any_script():
    report = ImportReport()
    report.add_error(2, "not a valid email", column="Эл. почта", value="иван@")
    report.add_error(5, "not a number: 'دو'", column="مبلغ", value="دو")
    assert report_rows(report) == [
        ["row", "column", "error", "value"],
        ["2", "Эл. почта", "not a valid email", "иван@"],
        ["5", "مبلغ", "not a number: 'دو'", "دو"],
    ]


def test_long_values_are_truncated():
    report = ImportReport()
    report.add_error(2, "too long", column="Notes", value="x" * 10_000)
    assert report.errors[0].value == "x" * 200 + "…"


def test_values_excel_would_run_as_formulas_are_neutralised():
    report = ImportReport()
    report.add_error(2, "not a number", column="=HYPERLINK()", value="=cmd|'/c calc'!A1")
    report.add_error(3, "not a number", column="Amount", value="@SUM(A1)")
    assert [row[1::2] for row in report_rows(report)[1:]] == [
        ["'=HYPERLINK()", "'=cmd|'/c calc'!A1"],
        ["Amount", "'@SUM(A1)"],
    ]


def test_errors_beyond_the_limit_are_counted_not_kept():
    report = ImportReport(max_errors=2)
    for row in range(2, 7):
        report.add_error(row, "bad")
    assert (len(report.errors), report.errors_omitted, report.failed) == (2, 3, 5)
    assert report.summary()["errors"] == 5
    assert report_rows(report)[-1] == ["", "", "3 more errors not listed", ""]


def test_report_written_to_a_path(tmp_path):
    report = ImportReport()
    report.add_error(2, "bad", column="A", value="v")
    path = tmp_path / "errors.csv"
    report.write_csv(path)
    assert path.read_bytes() == "\ufeffrow,column,error,value\r\n2,A,bad,v\r\n".encode()
