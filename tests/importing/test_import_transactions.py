"""Importing invoice lines: orders become won deals with product lines, cancellations become refunds."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crmcore.errors import ValidationFailed
from crmcore.importing import run_import
from crmcore.models import Customer, Deal, DealLine, DealStatus, Product
from tests.conftest import event_names

ROOT = Path(__file__).resolve().parents[2]
UCI_MAP = ["customer=CustomerID", "order=InvoiceNo", "date=InvoiceDate", "quantity=Quantity",
           "unit_price=UnitPrice", "product=StockCode", "product_name=Description", "country=Country"]
HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
LINES = [
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850.0,United Kingdom",
    "536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850.0,United Kingdom",
    "536366,22633,HAND WARMER UNION JACK,6,12/1/2010 8:28,1.85,13047.0,France",
    "536367,71053,WHITE METAL LANTERN,2,12/2/2010 9:00,3.39,17850.0,United Kingdom",
    "C536379,71053,WHITE METAL LANTERN,-1,12/3/2010 9:41,3.39,17850.0,United Kingdom",
    "536414,22139,,56,12/1/2010 11:52,0,,United Kingdom",
]


@pytest.fixture
def invoices(write):
    def make(*lines: str) -> Path:
        return write("invoices.csv", HEADER + "\n".join(lines or LINES) + "\n")

    return make


def count(crm, model) -> int:
    with crm.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def deals_by_ref(crm) -> dict[str, Deal]:
    with crm.db.session() as session:
        return {deal.external_ref: deal for deal in session.scalars(select(Deal))}


def test_invoice_lines_become_one_won_deal_per_order_with_its_lines(crm, invoices):
    report = run_import(crm, "transactions", invoices(), UCI_MAP)

    deals = deals_by_ref(crm)
    assert report.created == 4 and report.counts["lines_imported"] == 5
    order = deals["536365"]
    assert order.status is DealStatus.WON and order.amount == Decimal("35.64")
    assert [(line.description, line.quantity) for line in order.lines] == [
        ("WHITE HANGING HEART T-LIGHT HOLDER", 6), ("WHITE METAL LANTERN", 6)]
    assert str(order.closed_on) == "2010-12-01"


def test_a_cancellation_becomes_a_refund_with_a_negative_amount(crm, invoices):
    report = run_import(crm, "transactions", invoices(), UCI_MAP)

    refund = deals_by_ref(crm)["C536379"]
    assert refund.status is DealStatus.WON and refund.amount == Decimal("-3.39")
    assert report.counts["refunds"] == 1


def test_customers_are_found_or_created_by_reference_with_their_country(crm, invoices):
    crm.services.customers.create({"name": "Known Ltd", "external_ref": "13047"})

    report = run_import(crm, "transactions", invoices(), UCI_MAP)

    with crm.db.session() as session:
        customers = {c.external_ref: c for c in session.scalars(select(Customer))}
    assert set(customers) == {"17850", "13047"}
    assert customers["13047"].name == "Known Ltd"
    assert (customers["17850"].name, customers["17850"].country) == ("Customer 17850", "GB")
    assert report.counts["customers_created"] == 1


def test_products_are_created_once_from_code_and_name(crm, invoices):
    run_import(crm, "transactions", invoices(), UCI_MAP)

    with crm.db.session() as session:
        products = {p.sku: p.name for p in session.scalars(select(Product))}
        linked = session.scalar(select(func.count()).select_from(DealLine).where(DealLine.product_id.is_not(None)))
    assert products == {"85123A": "WHITE HANGING HEART T-LIGHT HOLDER", "71053": "WHITE METAL LANTERN",
                        "22633": "HAND WARMER UNION JACK"}
    assert linked == 5


def test_a_line_without_customer_is_reported_and_not_imported(crm, invoices, tmp_path):
    report = run_import(crm, "transactions", invoices(), UCI_MAP, report_path=tmp_path / "report.csv")

    assert "536414" not in deals_by_ref(crm)
    assert [(e.row, e.column) for e in report.errors] == [(7, "CustomerID")]
    rows = list(csv.reader((tmp_path / "report.csv").open(encoding="utf-8-sig")))
    assert rows[1][:3] == ["7", "CustomerID", "No customer: lines without a customer are not imported."]


def test_running_the_same_file_again_creates_nothing(crm, invoices):
    run_import(crm, "transactions", invoices(), UCI_MAP)
    before = (count(crm, Deal), count(crm, DealLine), count(crm, Customer), count(crm, Product))

    again = run_import(crm, "transactions", invoices(), UCI_MAP)

    assert (count(crm, Deal), count(crm, DealLine), count(crm, Customer), count(crm, Product)) == before
    assert (again.created, again.skipped) == (0, 4)


def test_an_order_with_a_bad_line_is_not_imported_at_all(crm, invoices):
    report = run_import(crm, "transactions", invoices(
        LINES[0], "536365,71053,WHITE METAL LANTERN,six,12/1/2010 8:26,3.39,17850.0,United Kingdom", LINES[2]),
        UCI_MAP)

    assert set(deals_by_ref(crm)) == {"536366"}
    assert [(e.row, e.column) for e in report.errors] == [(3, "Quantity"), (2, "InvoiceNo")]
    assert report.failed == 2


def test_a_dry_run_counts_what_would_happen_and_writes_nothing(crm, invoices):
    report = run_import(crm, "transactions", invoices(), UCI_MAP, dry_run=True)

    assert (report.created, report.counts["customers_created"], report.counts["products_created"]) == (4, 2, 3)
    assert (count(crm, Deal), count(crm, Customer), count(crm, Product)) == (0, 0, 0)


def test_small_batches_give_the_same_result(crm, invoices):
    report = run_import(crm, "transactions", invoices(), UCI_MAP, options={"batch_size": 1})

    assert report.created == 4 and count(crm, Customer) == 2


def test_hook_deal_won_fires_for_every_imported_order(recording_crm, calls, invoices):
    run_import(recording_crm, "transactions", invoices(), UCI_MAP)

    names = event_names(calls)
    assert names.count("deal_created") == 4 and names.count("deal_won") == 4
    assert names.count("customer_created") == 2
    won = [kwargs["deal"] for name, kwargs in calls if name == "deal_won"]
    assert sorted(deal.external_ref for deal in won) == ["536365", "536366", "536367", "C536379"]


def test_a_mapping_without_a_required_column_is_refused_before_anything_is_written(crm, invoices):
    with pytest.raises(ValidationFailed) as refused:
        run_import(crm, "transactions", invoices(), ["customer=", "order=InvoiceNo"])

    assert "customer" in str(refused.value)
    assert count(crm, Deal) == 0


def test_cli_imports_transactions_and_prints_the_counts(crm, crm_settings, invoices, tmp_path):
    env = {**os.environ, "CRM_DATABASE_URL": crm_settings.database_url, "PYTHONPATH": str(ROOT)}
    args = [arg for item in UCI_MAP for arg in ("--map", item)]
    result = subprocess.run([sys.executable, "-m", "crmcore.cli", "import", "transactions", str(invoices()), *args,
                             "--report", str(tmp_path / "out.csv")], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert "4 orders were imported as won deals (1 refunds, 5 lines)" in result.stdout
    assert "1 rows failed" in result.stdout
    assert (tmp_path / "out.csv").exists()


def test_on_duplicate_update_replaces_an_order_already_imported_with_the_files_lines(crm, invoices):
    run_import(crm, "transactions", invoices(LINES[0], LINES[1]), UCI_MAP)
    corrected = "536365,71053,WHITE METAL LANTERN,4,12/1/2010 8:26,3.39,17850.0,United Kingdom"

    report = run_import(crm, "transactions", invoices(LINES[0], corrected), UCI_MAP, on_duplicate="update")

    (order,) = deals_by_ref(crm).values()
    with crm.db.session() as session:
        lines = sorted((line.description, line.quantity) for line in session.scalars(select(DealLine)))
    assert lines == [("WHITE HANGING HEART T-LIGHT HOLDER", 6), ("WHITE METAL LANTERN", 4)]
    assert order.amount == Decimal("28.86")
    assert (report.created, report.updated, report.skipped) == (0, 1, 0)


def test_on_duplicate_update_leaves_an_unchanged_order_alone(recording_crm, calls, invoices):
    run_import(recording_crm, "transactions", invoices(), UCI_MAP)
    calls.clear()

    again = run_import(recording_crm, "transactions", invoices(), UCI_MAP, on_duplicate="update")

    assert (again.created, again.updated, again.skipped) == (0, 0, 4)
    assert count(recording_crm, Deal) == 4 and "deal_updated" not in event_names(calls)


def test_hook_deal_updated_fires_for_an_order_replaced_by_an_import(recording_crm, calls, invoices):
    run_import(recording_crm, "transactions", invoices(LINES[2]), UCI_MAP)
    calls.clear()

    run_import(recording_crm, "transactions", invoices(LINES[2].replace(",6,", ",8,")), UCI_MAP,
               on_duplicate="update")

    (changes,) = [kwargs["changes"] for name, kwargs in calls if name == "deal_updated"]
    assert changes["amount"] == (Decimal("11.10"), Decimal("14.80")) and "lines" in changes


def test_a_dry_run_with_update_counts_the_orders_that_would_change(crm, invoices):
    run_import(crm, "transactions", invoices(LINES[0], LINES[2]), UCI_MAP)

    report = run_import(crm, "transactions", invoices(LINES[0], LINES[2].replace(",6,", ",8,")), UCI_MAP,
                        on_duplicate="update", dry_run=True)

    assert (report.updated, report.skipped) == (1, 1)
    assert deals_by_ref(crm)["536366"].amount == Decimal("11.10")
