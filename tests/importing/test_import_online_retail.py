"""The UCI "Online Retail" invoice lines (shared/data/online_retail, see its README) as a transactions import."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path

import pytest

from crmcore.importing import open_table, parse_datetime, parse_decimal, parse_text, resolve_mapping

ONLINE_RETAIL = Path(__file__).resolve().parents[3] / "shared" / "data" / "online_retail" / "online_retail_uci.csv.gz"

pytestmark = pytest.mark.skipif(not ONLINE_RETAIL.exists(), reason="shared data set not present")


def test_online_retail_headers_map_to_transaction_fields():
    with open_table(ONLINE_RETAIL) as table:
        assert table.headers == (
            "InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country",
        )
        mapping = resolve_mapping("transactions", table.headers)
    assert mapping.fields == {
        "order": "InvoiceNo",
        "product": "StockCode",
        "product_name": "Description",
        "quantity": "Quantity",
        "date": "InvoiceDate",
        "unit_price": "UnitPrice",
        "customer": "CustomerID",
        "country": "Country",
    }
    assert (mapping.unmapped, mapping.missing) == ((), ())


def test_online_retail_first_rows_parse_as_transactions():
    with open_table(ONLINE_RETAIL) as table:
        assert (table.format, table.delimiter) == ("csv", ",")
        mapping = resolve_mapping("transactions", table.headers)
        rows = [mapping.apply(row.values) for row in islice(table, 3)]
    first = rows[0]
    assert first["order"] == "536365"
    assert first["product_name"] == "WHITE HANGING HEART T-LIGHT HOLDER"
    assert parse_decimal(first["quantity"]) == 6
    assert parse_datetime(first["date"]) == datetime(2010, 12, 1, 8, 26)
    assert parse_decimal(first["unit_price"]) == Decimal("2.55")
    assert parse_text(first["customer"]) == "17850.0"
    assert [row["product"] for row in rows] == ["85123A", "71053", "84406B"]
