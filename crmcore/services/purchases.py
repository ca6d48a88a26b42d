"""Recording purchases in bulk: invoice lines grouped into orders become won deals with product lines.

The transactions import sends hundreds of thousands of invoice lines; one ORM flush per row would take hours.
Here one batch of orders is written in one transaction with a handful of multi-row INSERTs (customers, products,
deals, deal lines, audit entries), and then, after the commit, the same events the deal service fires
(``deal_created``, ``deal_won``, and ``customers_imported`` or ``customer_created`` for new customers) are fired
for every record created, so plugins such as loyalty see a bulk import exactly as they see a purchase entered on
screen. An order already recorded is skipped, recorded again, or (``on_duplicate="update"``) replaced by the
file's version: its customer, date, amount and lines, with ``deal_updated`` fired when something changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from crmcore import policy
from crmcore.db import utcnow
from crmcore.errors import ValidationFailed
from crmcore.models import AuditEntry, Customer, Deal, DealLine, DealStatus, LifecycleStage, Product
from crmcore.services.base import Service, audit, fire
from crmcore.services.bulk_events import CUSTOMERS_IMPORTED, fire_bulk, listened

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from crmcore.models import User

CENT = Decimal("0.01")
#: Rows per IN (...) list, well below SQLite's and PostgreSQL's limits on bound parameters.
CHUNK = 500
OnDuplicate = Literal["skip", "update", "create"]


@dataclass
class PurchaseLine:
    """One invoice line. ``row`` is the file row it came from (for the report)."""

    row: int
    quantity: Decimal
    unit_price: Decimal
    sku: str | None = None
    product_name: str | None = None
    #: The line total when the file gives it (then ``unit_price`` is derived from it and may be rounded).
    amount: Decimal | None = None
    currency: str | None = None

    @property
    def total(self) -> Decimal:
        if self.amount is not None:
            return self.amount
        return (self.quantity * self.unit_price).quantize(CENT)


@dataclass
class Purchase:
    """An order: its reference (stored as ``Deal.external_ref``), the customer's reference and its lines.

    A purchase whose total is negative (a cancellation invoice) is recorded as a refund: a won deal with a
    negative amount.
    """

    order: str
    customer_ref: str
    occurred_on: date
    lines: list[PurchaseLine] = field(default_factory=list)
    customer_name: str | None = None
    country: str | None = None
    currency: str | None = None

    @property
    def amount(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0"))

    @property
    def rows(self) -> list[int]:
        return [line.row for line in self.lines]


@dataclass
class PurchaseOutcome:
    """What recording a batch did (or, in a dry run, would do)."""

    deals_created: int = 0
    refunds_created: int = 0
    deals_skipped: int = 0
    #: Orders already recorded and replaced by the batch's version (on_duplicate="update").
    deals_updated: int = 0
    customers_created: int = 0
    products_created: int = 0
    #: order -> reason, for orders refused as a whole (e.g. a customer owned by another user).
    refused: dict[str, str] = field(default_factory=dict)
    created_orders: list[str] = field(default_factory=list)
    skipped_orders: list[str] = field(default_factory=list)
    updated_orders: list[str] = field(default_factory=list)
    #: (deal id, the batch's version) of orders to replace: filled while writing, emptied once replaced.
    replace: list[tuple[int, Purchase]] = field(default_factory=list, repr=False)

    def add(self, other: PurchaseOutcome) -> None:
        for name in ("deals_created", "refunds_created", "deals_skipped", "deals_updated", "customers_created",
                     "products_created"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.refused.update(other.refused)


@dataclass
class DryRunMemory:
    """In a dry run nothing is written, so what earlier batches would have created is remembered here."""

    customers: set[str] = field(default_factory=set)
    products: set[str] = field(default_factory=set)
    orders: set[str] = field(default_factory=set)


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def customer_display_name(ref: str) -> str:
    """A name for a customer known only by a reference: a bare number reads as "Customer 17850"."""
    return ref if any(ch.isalpha() for ch in ref) else f"Customer {ref}"


class PurchaseService(Service):
    """``crm.services.purchases.record(batch)``: bulk purchases, for imports and shop integrations."""

    def record(self, purchases: Iterable[Purchase], actor: User | None = None, *,
               on_duplicate: OnDuplicate = "skip", dry_run: bool = False,
               memory: DryRunMemory | None = None) -> PurchaseOutcome:
        """Record a batch of orders in one transaction; orders already recorded (same ``order``) are skipped.

        ``on_duplicate="create"`` records them again; ``"update"`` replaces each one's customer, date, amount
        and lines with the batch's (an order whose lines are unchanged counts as skipped). ``dry_run`` writes
        nothing and counts what would happen; pass the same ``memory`` to successive dry-run batches of one
        file. Events are fired after the commit for every customer and deal created or updated.
        """
        policy.require(actor, "customers")
        if on_duplicate not in ("skip", "update", "create"):
            raise ValidationFailed({"on_duplicate": ["Choose one of skip, update, create."]})
        batch = list(purchases)
        outcome = PurchaseOutcome()
        if not batch:
            return outcome
        if dry_run:
            with self.crm.db.session() as session:
                self._plan(session, batch, actor, on_duplicate, outcome, memory or DryRunMemory())
                session.rollback()
            return outcome
        with self.crm.db.session() as session:
            customer_ids, deal_ids, updated = self._write(session, batch, actor, on_duplicate, outcome)
        self._fire_events(actor, customer_ids, deal_ids)
        self._fire_updates(actor, updated)
        return outcome

    # -- shared look-ups -----------------------------------------------------------------------------

    @staticmethod
    def _existing(session: Session, column: Any, key: Any, values: Iterable[str]) -> dict[str, Any]:
        wanted = sorted(set(values))
        found: dict[str, Any] = {}
        for part in chunks(wanted):
            for row in session.execute(select(column, key).where(column.in_(part))):
                found.setdefault(row[0], row[1])
        return found

    def _customers(self, session: Session, batch: list[Purchase]) -> dict[str, Any]:
        rows: dict[str, Any] = {}
        wanted = sorted({p.customer_ref for p in batch})
        for part in chunks(wanted):
            for ref, customer_id, owner_id in session.execute(
                    select(Customer.external_ref, Customer.id, Customer.owner_id)
                    .where(Customer.external_ref.in_(part)).order_by(Customer.id)):
                rows.setdefault(ref, (customer_id, owner_id))
        return rows

    def _refuse_foreign(self, batch: list[Purchase], customers: dict[str, Any], actor: User | None,
                        outcome: PurchaseOutcome) -> list[Purchase]:
        """Staff limited to their own records may not add purchases to another user's customer."""
        if not policy.owns_only(actor, self.crm.settings):
            return batch
        kept = []
        for purchase in batch:
            found = customers.get(purchase.customer_ref)
            if found is not None and found[1] is not None and found[1] != actor.id:
                outcome.refused[purchase.order] = "This customer belongs to another user."
            else:
                kept.append(purchase)
        return kept

    def _new_orders(self, session: Session, batch: list[Purchase], on_duplicate: OnDuplicate,
                    outcome: PurchaseOutcome, already: set[str] | None = None) -> list[Purchase]:
        """The orders to create; with ``update`` those recorded before go to ``outcome.replace``."""
        known = {} if on_duplicate == "create" else self._existing(
            session, Deal.external_ref, Deal.id, [p.order for p in batch])
        fresh = []
        for purchase in batch:
            if purchase.order in known and on_duplicate == "update":
                outcome.replace.append((known[purchase.order], purchase))
            elif purchase.order in known or (already and on_duplicate != "create" and purchase.order in already):
                outcome.deals_skipped += 1
                outcome.skipped_orders.append(purchase.order)
            else:
                fresh.append(purchase)
        return fresh

    # -- dry run -------------------------------------------------------------------------------------

    def _plan(self, session: Session, batch: list[Purchase], actor: User | None, on_duplicate: OnDuplicate,
              outcome: PurchaseOutcome, memory: DryRunMemory) -> None:
        customers = self._customers(session, batch)
        batch = self._refuse_foreign(batch, customers, actor, outcome)
        fresh = self._new_orders(session, batch, on_duplicate, outcome, memory.orders)
        replaced = [purchase for _, purchase in outcome.replace]
        new_refs = {p.customer_ref for p in fresh + replaced} - set(customers) - memory.customers
        skus = {line.sku for p in fresh + replaced for line in p.lines if line.sku}
        products = self._existing(session, Product.sku, Product.id, skus)
        new_skus = skus - set(products) - memory.products
        for deal, purchase in self._deals_to_replace(session, outcome):
            customer_id = customers.get(purchase.customer_ref, (None,))[0]
            self._count_replacement(outcome, purchase, _differences(deal, purchase, customer_id, products))
        outcome.customers_created += len(new_refs)
        outcome.products_created += len(new_skus)
        outcome.deals_created += len(fresh)
        outcome.refunds_created += sum(1 for p in fresh if p.amount < 0)
        outcome.created_orders.extend(p.order for p in fresh)
        memory.customers |= new_refs
        memory.products |= new_skus
        memory.orders |= {p.order for p in fresh}

    # -- writing -------------------------------------------------------------------------------------

    def _write(self, session: Session, batch: list[Purchase], actor: User | None, on_duplicate: OnDuplicate,
               outcome: PurchaseOutcome) -> tuple[list[int], list[int], dict[int, dict[str, Any]]]:
        now = utcnow()
        actor_id = actor.id if actor is not None else None
        customers = self._customers(session, batch)
        batch = self._refuse_foreign(batch, customers, actor, outcome)
        fresh = self._new_orders(session, batch, on_duplicate, outcome)
        # Orders replaced by the batch's version may name customers and products not seen before, too.
        needed = fresh + [purchase for _, purchase in outcome.replace]
        if not needed:
            return [], [], {}

        new_customers: dict[str, dict[str, Any]] = {}
        for purchase in needed:
            if purchase.customer_ref not in customers and purchase.customer_ref not in new_customers:
                new_customers[purchase.customer_ref] = {
                    "kind": "organisation", "name": (purchase.customer_name
                                                     or customer_display_name(purchase.customer_ref))[:300],
                    "external_ref": purchase.customer_ref, "country": purchase.country,
                    "lifecycle_stage": LifecycleStage.CUSTOMER, "source": "import", "owner_id": actor_id,
                    "services": [], "custom_fields": {}, "marketing_consent": False, "version": 1,
                    "created_at": now, "updated_at": now,
                }
        created_customer_ids: list[int] = []
        if new_customers:
            table = Customer.__table__
            for ref, customer_id in session.connection().execute(
                    insert(table).returning(table.c.external_ref, table.c.id, sort_by_parameter_order=True),
                    list(new_customers.values())):
                customers[ref] = (customer_id, actor_id)
                created_customer_ids.append(customer_id)
        outcome.customers_created += len(created_customer_ids)
        if created_customer_ids:
            session.connection().execute(insert(AuditEntry.__table__), [
                {"at": now, "user_id": actor_id, "entity": "customer", "entity_id": customer_id,
                 "action": "create", "changes": {"source": [None, "import"]}} for customer_id in created_customer_ids])

        products = self._products(session, needed, now, outcome)
        updated = self._replace(session, outcome, customers, products, actor)
        if not fresh:
            return created_customer_ids, [], updated
        stage = self._won_stage(session)
        deal_rows = []
        for purchase in fresh:
            customer_id, owner_id = customers[purchase.customer_ref]
            deal_rows.append({
                "customer_id": customer_id, "owner_id": actor_id if actor_id is not None else owner_id,
                "pipeline_id": stage.pipeline_id, "stage_id": stage.id, "title": f"Order {purchase.order}"[:300],
                "amount": purchase.amount, "cost": Decimal("0"), "currency": purchase.currency or "USD",
                "status": DealStatus.WON, "closed_on": purchase.occurred_on, "stage_changed_at": now,
                "external_ref": purchase.order, "version": 1, "created_at": now, "updated_at": now,
            })
        # Core inserts (not ORM bulk inserts): the rows are plain dicts already, and this is the hot path.
        connection = session.connection()
        deals = Deal.__table__
        deal_ids = list(connection.execute(
            insert(deals).returning(deals.c.id, sort_by_parameter_order=True), deal_rows).scalars())
        line_rows = [
            {"deal_id": deal_id, "product_id": products.get(line.sku) if line.sku else None,
             "description": (line.product_name or line.sku or "")[:300], "quantity": line.quantity,
             "unit_price": line.unit_price, "unit_cost": Decimal("0")}
            for deal_id, purchase in zip(deal_ids, fresh, strict=True) for line in purchase.lines
        ]
        connection.execute(insert(DealLine.__table__), line_rows)
        audit_rows = [
            {"at": now, "user_id": actor_id, "entity": "deal", "entity_id": deal_id, "action": "create",
             "changes": {"title": [None, row["title"]], "amount": [None, str(row["amount"])],
                         "status": [None, "won"], "source": [None, "import"]}}
            for deal_id, row in zip(deal_ids, deal_rows, strict=True)
        ]
        connection.execute(insert(AuditEntry.__table__), audit_rows)
        outcome.deals_created += len(deal_ids)
        outcome.refunds_created += sum(1 for row in deal_rows if row["amount"] < 0)
        outcome.created_orders.extend(p.order for p in fresh)
        return created_customer_ids, deal_ids, updated

    def _products(self, session: Session, fresh: list[Purchase], now: datetime,
                  outcome: PurchaseOutcome) -> dict[str, int]:
        """Product ids by SKU; a SKU seen for the first time becomes a product named after its line."""
        firsts: dict[str, PurchaseLine] = {}
        currencies: dict[str, str] = {}
        for purchase in fresh:
            for line in purchase.lines:
                if line.sku and line.sku not in firsts:
                    firsts[line.sku] = line
                    currencies[line.sku] = purchase.currency or "USD"
        products = self._existing(session, Product.sku, Product.id, firsts)
        missing = [sku for sku in firsts if sku not in products]
        if missing:
            rows = [{"sku": sku, "name": (firsts[sku].product_name or sku)[:300],
                     "price": max(firsts[sku].unit_price, Decimal("0")), "cost": Decimal("0"),
                     "currency": currencies[sku], "active": True, "created_at": now, "updated_at": now}
                    for sku in missing]
            table = Product.__table__
            for sku, product_id in session.connection().execute(
                    insert(table).returning(table.c.sku, table.c.id, sort_by_parameter_order=True), rows):
                products[sku] = product_id
            outcome.products_created += len(missing)
        return products

    # -- replacing orders recorded before ------------------------------------------------------------

    @staticmethod
    def _deals_to_replace(session: Session, outcome: PurchaseOutcome) -> list[tuple[Deal, Purchase]]:
        by_id = {deal_id: purchase for deal_id, purchase in outcome.replace}
        outcome.replace = []
        deals: dict[int, Deal] = {}
        for part in chunks(sorted(by_id)):
            deals.update((deal.id, deal) for deal in session.scalars(
                select(Deal).where(Deal.id.in_(part)).options(selectinload(Deal.lines))))
        return [(deals[deal_id], purchase) for deal_id, purchase in by_id.items()]

    @staticmethod
    def _count_replacement(outcome: PurchaseOutcome, purchase: Purchase, changes: dict[str, Any]) -> None:
        if changes:
            outcome.deals_updated += 1
            outcome.updated_orders.append(purchase.order)
        else:
            outcome.deals_skipped += 1
            outcome.skipped_orders.append(purchase.order)

    def _replace(self, session: Session, outcome: PurchaseOutcome, customers: dict[str, Any],
                 products: dict[str, int], actor: User | None) -> dict[int, dict[str, Any]]:
        """Give orders recorded before the batch's customer, date, amount, currency and lines; returns the
        changes per deal id, for those that changed."""
        updated: dict[int, dict[str, Any]] = {}
        for deal, purchase in self._deals_to_replace(session, outcome):
            changes = _differences(deal, purchase, customers[purchase.customer_ref][0], products)
            self._count_replacement(outcome, purchase, changes)
            if not changes:
                continue
            for name, (_, new) in changes.items():
                if name != "lines":
                    setattr(deal, name, new)
            if "lines" in changes:
                deal.lines = [DealLine(product_id=product_id, description=description, quantity=quantity,
                                       unit_price=unit_price, unit_cost=Decimal("0"))
                              for product_id, description, quantity, unit_price in _lines(purchase, products)]
            updated[deal.id] = changes
        session.flush()
        for deal_id, changes in updated.items():
            audit(session, actor, "deal", deal_id, "update", {**changes, "source": [None, "import"]})
        return updated

    def _won_stage(self, session: Session) -> Any:
        pipeline = self.crm.services.pipelines.default(session)
        return next(stage for stage in pipeline.stages if stage.is_won)

    # -- events --------------------------------------------------------------------------------------

    def _fire_updates(self, actor: User | None, updated: dict[int, dict[str, Any]]) -> None:
        if not updated or not listened(self.crm, self.crm.hook.deal_updated, "deal_updated"):
            return
        for part in chunks(sorted(updated)):
            with self.crm.db.session() as session:
                deals = session.scalars(select(Deal).where(Deal.id.in_(part)).order_by(Deal.id)
                                        .options(selectinload(Deal.lines))).all()
            for deal in deals:
                fire(self.crm, "deal_updated", deal=deal, changes=updated[deal.id], actor=actor)

    def _fire_events(self, actor: User | None, customer_ids: list[int], deal_ids: list[int]) -> None:
        fire_bulk(self.crm, CUSTOMERS_IMPORTED, customer_ids, actor, _customers_by_id)
        if deal_ids and any(listened(self.crm, getattr(self.crm.hook, name), name)
                            for name in ("deal_created", "deal_won")):
            for part in chunks(deal_ids):
                with self.crm.db.session() as session:
                    deals = session.scalars(select(Deal).where(Deal.id.in_(part)).order_by(Deal.id)
                                            .options(selectinload(Deal.lines))).all()
                for deal in deals:
                    fire(self.crm, "deal_created", deal=deal, actor=actor)
                    fire(self.crm, "deal_won", deal=deal, actor=actor)


def _customers_by_id(session: Session, ids: Sequence[int]) -> list[Customer]:
    return list(session.scalars(select(Customer).where(Customer.id.in_(list(ids))).order_by(Customer.id)))


def _lines(purchase: Purchase, products: dict[str, int]) -> list[tuple[int | None, str, Decimal, Decimal]]:
    return [(products.get(line.sku) if line.sku else None, (line.product_name or line.sku or "")[:300],
             line.quantity, line.unit_price) for line in purchase.lines]


def _differences(deal: Deal, purchase: Purchase, customer_id: int | None,
                 products: dict[str, int]) -> dict[str, Any]:
    """What replacing a recorded order by ``purchase`` changes: field -> (old, new); lines as their count."""
    changes: dict[str, Any] = {}
    for name, new in (("customer_id", customer_id), ("amount", purchase.amount),
                      ("closed_on", purchase.occurred_on), ("currency", purchase.currency or "USD")):
        old = getattr(deal, name)
        if old != new:
            changes[name] = (old, new)
    old_lines = [(line.product_id, line.description, line.quantity, line.unit_price)
                 for line in sorted(deal.lines, key=lambda line: line.id)]
    new_lines = _lines(purchase, products)
    if old_lines != new_lines:
        changes["lines"] = (len(old_lines), len(new_lines))
    return changes
