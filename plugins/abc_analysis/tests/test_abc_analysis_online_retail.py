"""The UCI Online Retail data imported through the transactions import, classified, and checked against pandas."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest
from crm_abc_analysis.models import AbcCustomerClass
from crm_abc_analysis.services import RunRequest, default_period, run_analysis
from sqlalchemy import select

from crmcore.importing import run_import
from crmcore.models import Customer

pytestmark = pytest.mark.dataset

END = date(2011, 12, 9)
MAPPING = {"customer": "CustomerID", "order": "InvoiceNo", "date": "InvoiceDate", "quantity": "Quantity",
           "unit_price": "UnitPrice", "product": "StockCode", "product_name": "Description", "country": "Country"}


def pandas_classes(path, start: date, end: date) -> pd.DataFrame:
    """The same ABC(D) rule written independently: net revenue per customer from the raw invoice lines."""
    lines = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str})
    lines = lines[lines["CustomerID"].notna()].copy()
    lines["customer"] = lines["CustomerID"].astype(int).astype(str)
    lines["day"] = pd.to_datetime(lines["InvoiceDate"]).dt.date
    lines["total"] = (lines["Quantity"] * lines["UnitPrice"]).round(2)
    lines = lines[lines["day"] <= end]
    in_period = lines[lines["day"] >= start].groupby("customer")["total"].sum().round(2)
    value = in_period.reindex(lines["customer"].unique(), fill_value=0.0)
    ranked = value.rename("value").reset_index().rename(columns={"index": "customer"})
    ranked = ranked.sort_values("value", ascending=False, kind="stable")
    positive = ranked["value"].clip(lower=0)
    before = positive.cumsum() - positive
    ranked["abc"] = "C"
    ranked.loc[before < 0.95 * positive.sum(), "abc"] = "B"
    ranked.loc[before < 0.80 * positive.sum(), "abc"] = "A"
    ranked.loc[ranked["value"] <= 0, "abc"] = "D"
    return ranked.set_index("customer")


@pytest.fixture(scope="module")
def retail(crm_settings, _migrated, shared_data):
    """One import of the whole file for the module (it takes minutes), with abc_analysis enabled."""
    from crmcore.runtime import CRM
    from crmcore.testing import databases

    crm = CRM(crm_settings)
    crm.services.pipelines.ensure_default()
    crm.plugins.enable("abc_analysis")
    report = run_import(crm, "transactions", shared_data / "online_retail" / "online_retail_uci.csv.gz",
                        mapping=MAPPING)
    assert report.counts["lines_imported"] == 406_829
    yield crm
    databases.empty_tables(crm.db.engine)
    crm.close()


def test_classes_match_an_independent_pandas_computation(retail, shared_data):
    start = default_period(END, 12)[0]
    run = run_analysis(retail, RunRequest(end=END))
    expected = pandas_classes(shared_data / "online_retail" / "online_retail_uci.csv.gz", start, END)

    with retail.db.session() as session:
        rows = session.execute(select(Customer.external_ref, AbcCustomerClass.abc_class, AbcCustomerClass.value)
                               .join(Customer, Customer.id == AbcCustomerClass.customer_id)
                               .where(AbcCustomerClass.run_id == run.id)).all()
    ours = pd.DataFrame(rows, columns=["customer", "abc", "value"]).set_index("customer")
    assert len(ours) == len(expected) == run.customers
    joined = ours.join(expected.add_suffix("_pandas"))
    assert (joined["value"].astype(float) - joined["value_pandas"]).abs().max() < 0.005
    assert (joined["abc"] == joined["abc_pandas"]).all(), joined[joined["abc"] != joined["abc_pandas"]]
    top = math.ceil(0.2 * len(expected))
    pandas_top20 = expected["value"].iloc[:top].sum() / expected["value"].sum()
    assert run.top20_share == pytest.approx(pandas_top20, abs=1e-6)
