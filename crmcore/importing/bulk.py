"""Importing customers and contacts a batch at a time: thousands of rows a second instead of a few dozen.

Each batch (2,000 rows by default) is read and validated in Python with the services' own rules, checked for
duplicates with one query per kind of key (reference, normalised email, E.164 phone; for contacts also the name
at the same customer), and written in one transaction with one bulk write per table (``crm.services.bulk``:
COPY on PostgreSQL).
Duplicates are those already in the database and earlier rows of the file. ``--on-duplicate update`` goes
through the services' update, a savepoint per row, as on screen. When writing a batch fails, all of it is rolled
back and each of its rows is reported; the other batches are kept. A dry run does the same work and rolls each
batch back, remembering the keys of the rows it would have created so later batches find them as duplicates.
After a batch commits, plugins get ``customers_imported``/``contacts_imported`` (or ``customer_created`` and
``contact_created`` per record when they do not implement the batch hooks) and the updates' events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from crmcore import policy
from crmcore.errors import CRMError, PermissionDenied
from crmcore.importing.duplicates import (
    CONTACT_KEYS,
    CUSTOMER_KEYS,
    Keys,
    existing_contacts,
    existing_customers,
    name_key,
    one_of,
)
from crmcore.importing.reader import Row
from crmcore.importing.records import RecordImporter, RowProblem, begin_for_savepoints
from crmcore.models import Customer
from crmcore.services.base import Transaction, fire
from crmcore.services.bulk import Created, NewContact, NewCustomer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

BULK_BATCH_SIZE = 2000
BULK_KINDS = ("customers", "contacts")
#: A key of a row that a dry run's earlier batch would have created (nothing was written to find it by).
DRY_RUN_CREATED = -1
Parsed = TypeVar("Parsed")


@dataclass
class _Known:
    """A customer named by a contacts file: its id, country (the region its phones are read in) and owner."""

    id: int
    country: str | None
    owner_id: int | None


@dataclass
class _Batch:
    """One batch's work: what to insert, what was done, and the problems found, applied to the report only
    once the batch has committed."""

    session: Session
    tx: Transaction
    customers: list[tuple[int, NewCustomer]] = field(default_factory=list)
    contacts: list[tuple[int, NewContact]] = field(default_factory=list)
    created: Created = field(default_factory=Created)
    #: (row, "created" or "updated") for every row written.
    done: list[tuple[int, str]] = field(default_factory=list)
    errors: list[tuple[int, str, str | None, Any]] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    #: Customers a contacts batch creates for the companies it names: rolled back in a dry run.
    new_customer_ids: set[int] = field(default_factory=set)
    #: Keys of records the batch creates, pointing at the pending record: later rows of the file match them.
    keys: dict[str, dict[Any, NewCustomer | NewContact]] = field(default_factory=dict)


class BulkImporter(RecordImporter):
    """Customers and contacts: feed rows in file order, then ``finish()``; the report collects the outcome."""

    def __init__(self, *args: Any, batch_size: int = BULK_BATCH_SIZE, **kwargs: Any) -> None:
        super().__init__(*args, batch_size=batch_size, **kwargs)
        if self.kind not in BULK_KINDS:
            raise ValueError(f"the bulk importer takes {', '.join(BULK_KINDS)}, not {self.kind}")
        self.bulk = self.crm.services.bulk
        self.known: dict[str, _Known] = {}
        self.dry_keys: set[tuple[str, Any]] = set()
        self.owns_only = policy.owns_only(self.actor, self.crm.settings)

    def _run_batch(self) -> None:
        rows, self.batch = self.batch, []
        self._sample_custom_types(rows)
        self.report.read += len(rows)
        batch = None
        try:
            with self.crm.db.session() as session:
                batch = _Batch(session, Transaction(session))
                begin_for_savepoints(session)
                self._define_custom_fields(session)
                if self.kind == "customers":
                    self._customers(batch, rows)
                else:
                    self._contacts(batch, rows)
                self._write(batch)
                if self.dry_run:
                    session.rollback()
        except SQLAlchemyError as exc:
            self._batch_failed(batch, rows, exc)
            return
        self._report(batch)
        if self.dry_run:
            self.known.clear()
            self.dry_keys |= {(label, key) for label, keys in batch.keys.items() for key in keys
                              if not (isinstance(key, tuple) and key[0] in batch.new_customer_ids)}
        else:
            self.bulk.fire(batch.created, self.actor)
            for hook_name, kwargs in batch.tx.events:
                fire(self.crm, hook_name, **kwargs)
        if self.progress is not None:
            self.progress(self.report)

    # -- outcome -------------------------------------------------------------------------------------

    def _report(self, batch: _Batch) -> None:
        for _, outcome in batch.done:
            if outcome == "updated":
                self.report.updated += 1
            else:
                self.report.created += 1
        self.report.skipped += len(batch.skipped)
        for row, reason, column, value in sorted(batch.errors, key=lambda error: error[0]):
            self.report.add_error(row, reason, column=column, value=value)

    def _batch_failed(self, batch: _Batch | None, rows: list[Row], exc: SQLAlchemyError) -> None:
        """Nothing of the batch was written: its rows' own problems are reported, and every other row but the
        skipped duplicates is reported as not imported, with the database's reason."""
        self.known.clear()
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["database error"])[0][:200]
        first, last = rows[0].number, rows[-1].number
        message = f"Not imported: writing rows {first}-{last} failed and none of them was written ({reason})."
        errors = list(batch.errors) if batch is not None else []
        skipped = set(batch.skipped) if batch is not None else set()
        self.report.skipped += len(skipped)
        refused = {row for row, *_ in errors}
        errors += [(row.number, message, None, None) for row in rows
                   if row.number not in refused and row.number not in skipped]
        for row, reason_text, column, value in sorted(errors, key=lambda error: error[0]):
            self.report.add_error(row, reason_text, column=column, value=value)
        if self.progress is not None:
            self.progress(self.report)

    def _refuse(self, batch: _Batch, row: Row, values: dict[str, Any], error: RowProblem | CRMError) -> None:
        batch.errors += [(row.number, reason, column, value)
                         for reason, column, value in self.problems(error, row, values)]

    # -- duplicates ----------------------------------------------------------------------------------

    def _match(self, batch: _Batch, existing: Keys, keys: list[tuple[str, Any]]) -> Any:
        """The record a row duplicates: an id in the database, a record pending in this batch, or
        DRY_RUN_CREATED; None when it is new (or the policy creates duplicates anyway)."""
        if self.on_duplicate == "create":
            return None
        for label, key in keys:
            if key is None:
                continue
            if key in existing[label]:
                return existing[label][key]
            if key in batch.keys.get(label, {}):
                return batch.keys[label][key]
            if (label, key) in self.dry_keys:
                return DRY_RUN_CREATED
        return None

    @staticmethod
    def _remember(batch: _Batch, keys: list[tuple[str, Any]], record: Any) -> None:
        for label, key in keys:
            if key is not None:
                batch.keys.setdefault(label, {}).setdefault(key, record)

    def _duplicate(self, batch: _Batch, existing: Keys, row: Row, values: dict[str, Any],
                   keys: list[tuple[str, Any]], data: dict[str, Any]) -> bool:
        """Whether the row duplicates a record; if so it has been skipped or applied to it, as the policy says."""
        match = self._match(batch, existing, keys)
        if match is None:
            return False
        if self.on_duplicate == "skip":
            batch.skipped.append(row.number)
        else:
            self._update(batch, row, values, match, data)
        return True

    def _update(self, batch: _Batch, row: Row, values: dict[str, Any], match: Any, data: dict[str, Any]) -> None:
        """Apply the update policy to a row duplicating ``match``: through the service, in a savepoint. An empty
        lifecycle stage leaves the customer's as it is."""
        if self.kind == "customers":
            data = {k: v for k, v in data.items() if k != "lifecycle_stage" or v}
        if match == DRY_RUN_CREATED:
            batch.done.append((row.number, "updated"))
            return
        if isinstance(match, NewCustomer | NewContact):
            self._write(batch)  # the record is pending in this batch: write it first so it can be updated
            match = match.id
        service = self.crm.services.customers if self.kind == "customers" else self.crm.services.contacts
        mark = len(batch.tx.events)
        try:
            with batch.session.begin_nested():
                service.update(match, data, actor=self.actor, tx=batch.tx)
        except (RowProblem, CRMError) as error:
            del batch.tx.events[mark:]
            self._refuse(batch, row, values, error)
            return
        batch.done.append((row.number, "updated"))

    # -- customers -----------------------------------------------------------------------------------

    def _customer_keys(self, data: dict[str, Any]) -> list[tuple[str, Any]]:
        return [("reference", data.get("external_ref")), ("email", self._normal_email(data.get("email"))),
                ("phone", self._normal_phone(data.get("phone"), data.get("country")))]

    def _customer_row(self, row: Row, values: dict[str, Any]) -> tuple[dict[str, Any], str | None, str | None]:
        data = self._customer_data(row, values)
        if not data.get("name"):
            raise RowProblem("name", "No name.")
        return data, self.text(values, "contact"), self.text(values, "position")

    def _customers(self, batch: _Batch, rows: list[Row]) -> None:
        parsed = [(row, values, data, person, position, self._customer_keys(data))
                  for row, values, (data, person, position) in self._parsed(batch, rows, self._customer_row)]
        existing = self._existing(batch, CUSTOMER_KEYS, [keys for *_, keys in parsed], existing_customers)
        definitions = self.bulk.customer_fields(batch.session)
        for row, values, data, person, position, keys in parsed:
            if self._duplicate(batch, existing, row, values, keys, data):
                continue
            try:
                new = self.bulk.prepare_customer(data, definitions, self.actor)
                contact = None
                if person:
                    first, _, last = person.partition(" ")
                    contact_data = {"first_name": first, "last_name": last or None, "position": position}
                    for field_name, value in (("emails", new.values.get("email")),
                                              ("phones", new.values.get("phone"))):
                        if value:
                            contact_data[field_name] = [value]
                    contact = self.bulk.prepare_contact(contact_data, new.values.get("country"), customer=new)
            except CRMError as error:
                self._refuse(batch, row, values, error)
                continue
            batch.customers.append((row.number, new))
            if contact is not None:
                batch.contacts.append((row.number, contact))
            self._remember(batch, keys, new)

    # -- contacts ------------------------------------------------------------------------------------

    def _contact_row(self, row: Row, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ref = self.text(values, "customer")
        if ref is None:
            raise RowProblem("customer", "No customer.")
        return ref, self.contact_data(values)

    def _contacts(self, batch: _Batch, rows: list[Row]) -> None:
        parsed = [(row, values, ref, data)
                  for row, values, (ref, data) in self._parsed(batch, rows, self._contact_row)]
        self._resolve_customers(batch, {ref for _, _, ref, _ in parsed})
        keyed = []
        for row, values, ref, data in parsed:
            customer = self.known.get(ref)
            if customer is None:
                self._refuse(batch, row, values, RowProblem("customer", "No customer with this reference or name."))
                continue
            if self.owns_only and customer.owner_id not in (None, self.actor.id):
                self._refuse(batch, row, values, PermissionDenied("This record belongs to another user."))
                continue
            email = self._normal_email((data.get("emails") or [None])[0])
            phone = self._normal_phone((data.get("phones") or [None])[0], customer.country)
            keys = [("email", email), ("phone", phone),
                    ("name at the same customer", name_key(customer.id, data["first_name"], data.get("last_name")))]
            keyed.append((row, values, customer, data, keys))
        existing = self._existing(batch, CONTACT_KEYS, [keys for *_, keys in keyed], _existing_contacts)
        for row, values, customer, data, keys in keyed:
            if self._duplicate(batch, existing, row, values, keys, data):
                continue
            try:
                new = self.bulk.prepare_contact({"customer_id": customer.id, **data}, customer.country)
            except CRMError as error:
                self._refuse(batch, row, values, error)
                continue
            batch.contacts.append((row.number, new))
            self._remember(batch, keys, new)

    def _resolve_customers(self, batch: _Batch, refs: set[str]) -> None:
        """Find the customers the rows name, by reference, then by name; create those not found by name."""
        session = batch.session
        wanted = sorted(refs - set(self.known))
        if not wanted:
            return
        if len(self.known) > 100_000:
            self.known.clear()
        columns = (Customer.id, Customer.country, Customer.owner_id)
        # Newest first, so that the oldest customer with a reference or name is the one kept.
        for condition in one_of(session, Customer.external_ref, set(wanted)):
            for ref, *found in session.execute(select(Customer.external_ref, *columns).where(condition)
                                               .order_by(Customer.id.desc())):
                self.known[ref] = _Known(*found)
        for condition in one_of(session, Customer.name, {ref for ref in wanted if ref not in self.known}):
            for name, *found in session.execute(select(Customer.name, *columns).where(condition)
                                                .order_by(Customer.id.desc())):
                self.known[name] = _Known(*found)
        # Then without case (SQLite's lower() folds ASCII letters only; the exact name was tried above).
        by_name = {ref.lower(): ref for ref in wanted if ref not in self.known}
        for condition in one_of(session, func.lower(Customer.name), set(by_name)):
            for name, *found in session.execute(select(func.lower(Customer.name), *columns).where(condition)
                                                .order_by(Customer.id.desc())):
                if name in by_name:
                    self.known[by_name[name]] = _Known(*found)
        missing = [ref for ref in wanted if ref not in self.known]
        if not missing:
            return
        definitions = self.bulk.customer_fields(session)
        new = []
        for ref in missing:
            try:
                new.append((ref, self.bulk.prepare_customer({"name": ref}, definitions, self.actor)))
            except CRMError:
                continue  # its rows are reported as naming no customer
        created = self.bulk.create(session, [customer for _, customer in new], [], self.actor)
        batch.created.add(created)
        batch.new_customer_ids.update(created.customer_ids)
        for ref, customer in new:
            self.known[ref] = _Known(customer.id, None, customer.values.get("owner_id"))

    # -- shared --------------------------------------------------------------------------------------

    def _parsed(self, batch: _Batch, rows: list[Row],
                parse: Callable[[Row, dict[str, Any]], Parsed]) -> list[tuple[Row, dict[str, Any], Parsed]]:
        """The rows that read well, with their values by field and what ``parse`` made of them; the others are
        refused with their problem."""
        parsed = []
        for row in rows:
            if row.error is not None:
                batch.errors.append((row.number, row.error, None, None))
                continue
            values = self.mapping.apply(row.values)
            try:
                parsed.append((row, values, parse(row, values)))
            except RowProblem as problem:
                self._refuse(batch, row, values, problem)
        return parsed

    @staticmethod
    def _existing(batch: _Batch, labels: tuple[str, ...], keyed: list[list[tuple[str, Any]]], lookup: Any) -> Keys:
        wanted: dict[str, set[Any]] = {label: set() for label in labels}
        for keys in keyed:
            for label, key in keys:
                if key is not None:
                    wanted[label].add(key)
        return lookup(batch.session, *(wanted[label] for label in labels))

    def _write(self, batch: _Batch) -> None:
        """Insert what is pending in the batch (customers first, then contacts)."""
        customers, contacts = batch.customers, batch.contacts
        if not customers and not contacts:
            return
        created = self.bulk.create(batch.session, [new for _, new in customers], [new for _, new in contacts],
                                   self.actor)
        batch.created.add(created)
        batch.done += [(row, "created") for row, _ in customers]
        if self.kind == "contacts":
            batch.done += [(row, "created") for row, _ in contacts]
        batch.customers, batch.contacts = [], []


def _existing_contacts(session: Session, emails: set[str], phones: set[str],
                       names: set[tuple[int, str, str]]) -> Keys:
    return existing_contacts(session, emails, phones, {customer_id for customer_id, _, _ in names})

