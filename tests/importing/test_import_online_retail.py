"""The UCI "Online Retail" invoice lines (shared/data/online_retail, see its README) as a transactions import."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crmcore.importing import open_table, parse_datetime, parse_decimal, parse_text, resolve_mapping, run_import
from crmcore.models import Customer, Deal, DealLine, Product

UCI_MAP = ["customer=CustomerID", "order=InvoiceNo", "date=InvoiceDate", "quantity=Quantity",
           "unit_price=UnitPrice", "product=StockCode", "product_name=Description", "country=Country"]


@pytest.fixture(scope="module")
def online_retail(shared_data: Path) -> Path:
    return shared_data / "online_retail" / "online_retail_uci.csv.gz"


def test_online_retail_headers_map_to_transaction_fields(online_retail):
    with open_table(online_retail) as table:
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


def test_online_retail_first_rows_parse_as_transactions(online_retail):
    with open_table(online_retail) as table:
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


@pytest.fixture(scope="module")
def expected(online_retail):
    """The same figures computed independently with pandas."""
    import pandas as pd

    frame = pd.read_csv(online_retail, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str})
    known = frame.dropna(subset=["CustomerID"])
    totals = (known.Quantity * known.UnitPrice).groupby(known.InvoiceNo).sum()
    return {
        "rows": len(frame),
        "orders": known.InvoiceNo.nunique(),
        "refunds": int((totals.round(2) < 0).sum()),
        "customers": known.CustomerID.nunique(),
        "products": known.StockCode.nunique(),
        "lines": len(known),
        "no_customer": int(frame.CustomerID.isna().sum()),
        "revenue": Decimal(str(round(float((known.Quantity * known.UnitPrice).sum()), 2))),
    }


@pytest.mark.dataset
def test_the_whole_online_retail_file_imports_with_the_counts_pandas_finds(crm, online_retail, expected):
    report = run_import(crm, "transactions", online_retail, UCI_MAP)

    assert report.read == expected["rows"]
    assert report.failed == expected["no_customer"]
    assert report.created == expected["orders"]
    assert report.counts["refunds"] == expected["refunds"]
    with crm.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == expected["customers"]
        assert session.scalar(select(func.count()).select_from(Product)) == expected["products"]
        assert session.scalar(select(func.count()).select_from(DealLine)) == expected["lines"]
        revenue = session.scalar(select(func.sum(Deal.amount)))
    assert abs(Decimal(str(revenue)) - expected["revenue"]) < Decimal("1.00")

    again = run_import(crm, "transactions", online_retail, UCI_MAP)
    assert (again.created, again.skipped) == (0, expected["orders"])
