"""The transactions import: invoice lines grouped by order, handed to ``crm.services.purchases`` in batches.

Lines of one order are usually next to each other in a shop's export, but not always; an order stays open
while its lines keep coming and is written once no line of it has been seen for ``window`` rows. An order is all
or nothing: one bad line rejects the whole order, and every line of it is reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crmcore.importing.countries import country_code
from crmcore.importing.mapping import ColumnMapping
from crmcore.importing.reader import Row
from crmcore.importing.records import RowProblem
from crmcore.importing.report import ImportReport
from crmcore.importing.values import parse_datetime, parse_decimal, parse_text
from crmcore.schemas.records import CURRENCIES, MAX_MONEY
from crmcore.services.purchases import DryRunMemory, Purchase, PurchaseLine

if TYPE_CHECKING:
    from crmcore.models import User
    from crmcore.runtime import CRM

_FLOAT_ID = re.compile(r"(\d+)\.0+")
MAX_QUANTITY = Decimal(10**9)


def reference(value: Any) -> str | None:
    """A reference cell as text; "17850.0" (an id that went through a spreadsheet as a number) is "17850"."""
    text = parse_text(value)
    if text is None:
        return None
    match = _FLOAT_ID.fullmatch(text)
    return match[1] if match else text


@dataclass
class _Order:
    purchase: Purchase
    last_seen: int
    bad_rows: dict[int, tuple[str, str, Any]] = field(default_factory=dict)


class TransactionImporter:
    """Feed it rows in file order, then ``finish()``; the report collects counts and row errors."""

    def __init__(self, crm: CRM, mapping: ColumnMapping, report: ImportReport, *, actor: User | None = None,
                 dry_run: bool = False, on_duplicate: str = "skip", day_first: bool = False,
                 decimal_separator: str | None = None, batch_size: int = 1000, window: int = 5000,
                 progress: Callable[[ImportReport], None] | None = None) -> None:
        self.crm = crm
        self.mapping = mapping
        self.report = report
        self.actor = actor
        self.dry_run = dry_run
        self.on_duplicate = on_duplicate
        self.day_first = day_first
        self.decimal_separator = decimal_separator
        self.batch_size = batch_size
        self.window = window
        self.progress = progress
        self.memory = DryRunMemory()
        self.pending: dict[str, _Order] = {}
        self.done: set[str] = set()
        self.index = 0
        self._dates: dict[str, date] = {}
        for name in ("orders", "refunds", "customers_created", "products_created", "lines_imported"):
            report.counts.setdefault(name, 0)

    # -- reading rows -----------------------------------------------------------------------------------

    def column(self, field_name: str) -> str:
        return self.mapping.fields.get(field_name, field_name)

    def _date(self, value: Any) -> date:
        key = value if isinstance(value, str) else None
        if key is not None and key in self._dates:
            return self._dates[key]
        moment = parse_datetime(value, day_first=self.day_first)
        if moment is None:
            raise RowProblem("date", "No date.")
        day = moment.date()
        if key is not None:
            if len(self._dates) > 50_000:
                self._dates.clear()
            self._dates[key] = day
        return day

    def _decimal(self, field_name: str, value: Any) -> Decimal | None:
        try:
            return parse_decimal(value, decimal_separator=self.decimal_separator)
        except ValueError as exc:
            raise RowProblem(field_name, f"Not a number: {exc}.") from None

    def _line(self, row: Row, values: dict[str, Any]) -> tuple[str, PurchaseLine, str, date, str | None]:
        customer = reference(values.get("customer"))
        if customer is None:
            raise RowProblem("customer", "No customer: lines without a customer are not imported.")
        if len(customer) > 120:
            raise RowProblem("customer", "The customer reference is longer than 120 characters.")
        occurred_on = self._date(values.get("date"))
        quantity = self._decimal("quantity", values.get("quantity"))
        if quantity is None:
            quantity = Decimal(1)
        if abs(quantity) > MAX_QUANTITY:
            raise RowProblem("quantity", "The quantity is out of range.")
        unit_price = self._decimal("unit_price", values.get("unit_price"))
        amount = self._decimal("amount", values.get("amount"))
        if unit_price is None and amount is None:
            raise RowProblem("unit_price" if "unit_price" in self.mapping.fields else "amount", "No price.")
        if unit_price is None:
            if amount < 0 < quantity:
                quantity = -quantity
            unit_price = abs(amount / quantity) if quantity else abs(amount)
            if not quantity:
                quantity = Decimal(1)
        if unit_price < 0:
            raise RowProblem("unit_price", "A unit price cannot be negative; a refund has a negative quantity.")
        if unit_price > MAX_MONEY or (amount is not None and abs(amount) > MAX_MONEY):
            raise RowProblem("unit_price", "The price is out of range.")
        sku = parse_text(values.get("product"))
        if sku is not None and len(sku) > 64:
            raise RowProblem("product", "A product code is at most 64 characters.")
        currency = parse_text(values.get("currency"))
        if currency is not None:
            currency = currency.upper()
            if currency not in CURRENCIES:
                raise RowProblem("currency", f"Unknown currency; use one of {', '.join(CURRENCIES)}.")
        order = reference(values.get("order")) or f"{customer}/{occurred_on.isoformat()}"
        if len(order) > 120:
            raise RowProblem("order", "The order reference is longer than 120 characters.")
        line = PurchaseLine(row=row.number, quantity=quantity, unit_price=unit_price.quantize(Decimal("0.01")),
                            sku=sku, product_name=parse_text(values.get("product_name")), currency=currency)
        if amount is not None and "unit_price" not in self.mapping.fields:
            line.amount = amount.quantize(Decimal("0.01"))
        return order, line, customer, occurred_on

    def feed(self, row: Row) -> None:
        self.report.read += 1
        self.index += 1
        values = self.mapping.apply(row.values)
        order_key = reference(values.get("order"))
        if row.error is not None:
            self._bad(order_key, row.number, ("", row.error, None))
            return
        try:
            order, line, customer, occurred_on = self._line(row, values)
        except RowProblem as problem:
            self._bad(order_key, row.number, (problem.field, problem.reason, values.get(problem.field)))
            return
        if order in self.done:
            self.report.add_error(row.number, f"Order {order} continues here after its other lines were imported; "
                                  "sort the file by order.", column=self.column("order"), value=order)
            return
        pending = self.pending.get(order)
        if pending is None:
            purchase = Purchase(order=order, customer_ref=customer, occurred_on=occurred_on,
                                country=country_code(parse_text(values.get("country"))), currency=line.currency)
            pending = self.pending[order] = _Order(purchase, self.index)
        elif pending.purchase.customer_ref != customer:
            first = pending.purchase.lines[0].row if pending.purchase.lines else "?"
            self._bad(order, row.number, ("customer", f"Order {order} belongs to another customer (row {first}).",
                                          values.get("customer")))
            return
        pending.last_seen = self.index
        pending.purchase.lines.append(line)
        pending.purchase.occurred_on = min(pending.purchase.occurred_on, occurred_on)
        if len(self.pending) >= self.batch_size:
            self._flush(everything=len(self.pending) >= 4 * self.batch_size)

    def _bad(self, order: str | None, row: int, problem: tuple[str, str, Any]) -> None:
        """A bad line: reported now, and its order (if it has one) is rejected as a whole."""
        field_name, reason, value = problem
        self.report.add_error(row, reason, column=self.column(field_name) if field_name else None, value=value)
        if order is None or order in self.done:
            return
        pending = self.pending.get(order)
        if pending is None:
            pending = self.pending[order] = _Order(Purchase(order=order, customer_ref="", occurred_on=date.min),
                                                   self.index)
        pending.last_seen = self.index
        pending.bad_rows[row] = problem

    # -- writing batches --------------------------------------------------------------------------------

    def _flush(self, everything: bool = False) -> None:
        cutoff = self.index - self.window
        ready = [key for key, order in self.pending.items() if everything or order.last_seen <= cutoff]
        if not ready:
            return
        batch = []
        for key in ready:
            order = self.pending.pop(key)
            self.done.add(key)
            if order.bad_rows:
                first_bad = min(order.bad_rows)
                for line in order.purchase.lines:
                    self.report.add_error(line.row, f"Not imported: row {first_bad} of the same order {key} "
                                          "is invalid.", column=self.column("order"), value=key)
            elif order.purchase.lines:
                batch.append(order.purchase)
        self._record(batch)

    def _record(self, batch: list[Purchase]) -> None:
        if batch:
            outcome = self.crm.services.purchases.record(batch, self.actor, on_duplicate=self.on_duplicate,
                                                         dry_run=self.dry_run, memory=self.memory)
            by_order = {p.order: p for p in batch}
            for order, reason in outcome.refused.items():
                for line in by_order[order].lines:
                    self.report.add_error(line.row, reason, column=self.column("customer"))
            created = set(outcome.created_orders) | set(outcome.updated_orders)
            self.report.created += outcome.deals_created
            self.report.updated += outcome.deals_updated
            self.report.skipped += outcome.deals_skipped
            counts = self.report.counts
            counts["orders"] += outcome.deals_created + outcome.deals_updated + outcome.deals_skipped
            counts["refunds"] += outcome.refunds_created
            counts["customers_created"] += outcome.customers_created
            counts["products_created"] += outcome.products_created
            counts["lines_imported"] += sum(len(p.lines) for p in batch if p.order in created)
        if self.progress is not None:
            self.progress(self.report)

    def finish(self) -> None:
        self._flush(everything=True)

