"""Importing CSV/XLSX files: the reader (rows, column mapping, cell values, the error report) and ``run_import``.

    with open_table(path) as table:
        mapping = resolve_mapping("customers", table.headers, explicit)

    report = run_import(crm, "transactions", path, ["customer=CustomerID", "order=InvoiceNo"])
"""

from crmcore.importing.mapping import (
    IMPORT_KINDS,
    ColumnMapping,
    MappingError,
    TargetField,
    parse_mapping_args,
    resolve_mapping,
)
from crmcore.importing.reader import CellValue, ImportFileError, Row, Table, open_table
from crmcore.importing.report import ImportReport, RowError
from crmcore.importing.service import ON_DUPLICATE, run_import
from crmcore.importing.values import (
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_int,
    parse_text,
)

__all__ = [
    "IMPORT_KINDS",
    "ON_DUPLICATE",
    "CellValue",
    "ColumnMapping",
    "ImportFileError",
    "ImportReport",
    "MappingError",
    "Row",
    "RowError",
    "Table",
    "TargetField",
    "open_table",
    "parse_bool",
    "parse_date",
    "parse_datetime",
    "parse_decimal",
    "parse_int",
    "parse_mapping_args",
    "parse_text",
    "resolve_mapping",
    "run_import",
]
