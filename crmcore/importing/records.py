"""Importing deals, touchpoints and leads row by row through the services (customers and contacts: bulk.py).

Rows are written in batches: one transaction per batch, one savepoint per row, so a bad row is reported and
undone alone while every good row is kept, and plugins get the same events as for a record entered on screen
(fired once the batch commits). A dry run does the same work and rolls each batch back.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from crmcore.errors import CRMError, ValidationFailed
from crmcore.importing.countries import country_code
from crmcore.importing.duplicates import find_customer
from crmcore.importing.mapping import ColumnMapping, header_key
from crmcore.importing.reader import Row
from crmcore.importing.report import ImportReport
from crmcore.importing.values import parse_bool, parse_date, parse_datetime, parse_decimal, parse_int, parse_text
from crmcore.models import (
    AuditEntry,
    Channel,
    Customer,
    CustomField,
    Deal,
    DealStatus,
    Direction,
    LifecycleStage,
    Pipeline,
    Stage,
    Touchpoint,
    User,
)
from crmcore.normalize import normalize_email, normalize_phone
from crmcore.services.base import Transaction, fire

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from crmcore.runtime import CRM

CUSTOM_FIELD_SAMPLE = 200
CUSTOMER_TEXT_FIELDS = ("name", "legal_name", "registration_id", "tax_id", "website", "address", "city", "industry",
                        "source", "external_ref", "email", "phone")
_SPLIT_TAGS = re.compile(r"[,;|]")
STATUS_WORDS = {
    DealStatus.OPEN: {"open", "active", "in progress", "открыта", "открыт", "відкрита", "باز"},
    DealStatus.WON: {"won", "win", "closed won", "success", "выиграна", "выигран", "успешно", "виграна", "برنده"},
    DealStatus.LOST: {"lost", "lose", "closed lost", "failed", "проиграна", "проигран", "програна", "بازنده"},
}
CHANNEL_WORDS = {
    "call": Channel.PHONE, "phone call": Channel.PHONE, "telephone": Channel.PHONE, "звонок": Channel.PHONE,
    "дзвінок": Channel.PHONE, "تماس": Channel.PHONE, "e-mail": Channel.EMAIL, "mail": Channel.EMAIL,
    "письмо": Channel.EMAIL, "лист": Channel.EMAIL, "ایمیل": Channel.EMAIL, "visit": Channel.MEETING,
    "встреча": Channel.MEETING, "зустріч": Channel.MEETING, "جلسه": Channel.MEETING, "chat": Channel.MESSENGER,
    "telegram": Channel.MESSENGER, "whatsapp": Channel.MESSENGER, "website": Channel.WEB, "site": Channel.WEB,
    "shop": Channel.STORE, "магазин": Channel.STORE, "فروشگاه": Channel.STORE,
}
DIRECTION_WORDS = {"in": Direction.INBOUND, "incoming": Direction.INBOUND, "входящий": Direction.INBOUND,
                   "вхідний": Direction.INBOUND, "out": Direction.OUTBOUND, "outgoing": Direction.OUTBOUND,
                   "исходящий": Direction.OUTBOUND, "вихідний": Direction.OUTBOUND}


class RowProblem(ValueError):
    """A cell that cannot be imported: ``field`` is the import field, ``reason`` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


class Skipped(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The row duplicates an existing record and the policy is to skip it."""


def infer_type(values: list[Any]) -> str:
    """The custom field type that fits every sampled value: integer, number, boolean, date or text."""
    present = [v for v in values if parse_text(v) is not None]
    if not present:
        return "text"
    for kind, check in (("integer", parse_int), ("number", parse_decimal), ("date", parse_date)):
        try:
            for value in present:
                check(value)
        except (ValueError, ArithmeticError):
            continue
        return kind
    return "text"


def begin_for_savepoints(session: Session) -> None:
    """Open the database transaction now, so the per-row savepoints nest inside it.

    SQLite's Python driver only begins a transaction before a data-changing statement; a SAVEPOINT issued
    first would start (and its release commit) a transaction of its own, so a dry run would write.
    """
    connection = session.connection()
    raw = connection.connection.dbapi_connection
    if connection.dialect.name == "sqlite" and not getattr(raw, "in_transaction", True):
        connection.exec_driver_sql("BEGIN")


def _reasons(reasons: Any) -> str:
    """Marshmallow's reasons as one line: a list, or a dict by list index for a field holding a list."""
    if isinstance(reasons, dict):
        return "; ".join(_reasons(value) for value in reasons.values())
    if isinstance(reasons, list | tuple):
        return "; ".join(_reasons(value) for value in reasons)
    return str(reasons)


def custom_field_key(header: str) -> str:
    return (header_key(header) or "column")[:60]


class RecordImporter:
    """Feed rows in file order, then ``finish()``; counts and row errors go to the report."""

    def __init__(self, crm: CRM, kind: str, mapping: ColumnMapping, report: ImportReport, *, actor: User | None,
                 dry_run: bool, on_duplicate: str, progress: Callable[[ImportReport], None] | None,
                 day_first: bool = False, decimal_separator: str | None = None, batch_size: int = 200,
                 create_custom_fields: bool = False, won_value: str | None = None) -> None:
        self.crm = crm
        self.kind = kind
        self.mapping = mapping
        self.report = report
        self.actor = actor
        self.dry_run = dry_run
        self.on_duplicate = on_duplicate
        self.progress = progress
        self.day_first = day_first
        self.decimal_separator = decimal_separator
        self.batch_size = batch_size
        self.won_value = won_value.casefold().strip() if won_value else None
        extra = [column for column in mapping.unmapped]
        if "notes" in mapping.fields and kind in ("customers", "leads"):
            extra.append(mapping.fields["notes"])
        self.custom_columns = extra if create_custom_fields and kind in ("customers", "leads") else []
        self.custom_types: dict[str, str] | None = None
        self.custom_keys = {custom_field_key(column): column for column in self.custom_columns}
        self.batch: list[Row] = []
        self.customer_cache: dict[str, int] = {}
        self.handlers = {"deals": self._deal, "touchpoints": self._touchpoint, "leads": self._lead}
        #: The customer fields taken as they are written, of those the file has a column for.
        self.customer_text_fields = [field for field in CUSTOMER_TEXT_FIELDS if field in mapping.fields]

    # -- batches -------------------------------------------------------------------------------------

    def feed(self, row: Row) -> None:
        self.batch.append(row)
        if len(self.batch) >= (CUSTOM_FIELD_SAMPLE if self.custom_types is None and self.custom_columns
                               else self.batch_size):
            self._run_batch()

    def finish(self) -> None:
        if self.batch or self.report.read == 0:
            self._run_batch()

    def _run_batch(self) -> None:
        rows, self.batch = self.batch, []
        self._sample_custom_types(rows)
        with self.crm.db.session() as session:
            tx = Transaction(session)
            begin_for_savepoints(session)
            self._define_custom_fields(session)
            for row in rows:
                self._one(tx, row)
            if self.dry_run:
                session.rollback()
        if self.dry_run:
            self.customer_cache.clear()
        else:
            for hook_name, kwargs in tx.events:
                fire(self.crm, hook_name, **kwargs)
        if self.progress is not None:
            self.progress(self.report)

    def _sample_custom_types(self, rows: list[Row]) -> None:
        if self.custom_types is None:
            self.custom_types = {column: infer_type([row.values.get(column) for row in rows])
                                 for column in self.custom_columns}

    def _one(self, tx: Transaction, row: Row) -> None:
        self.report.read += 1
        if row.error is not None:
            self.report.add_error(row.number, row.error)
            return
        values = self.mapping.apply(row.values)
        mark = len(tx.events)
        try:
            with tx.session.begin_nested():
                outcome = self.handlers[self.kind](tx, row, values)
        except Skipped:
            del tx.events[mark:]
            self.report.skipped += 1
            return
        except (RowProblem, CRMError) as problem:
            del tx.events[mark:]
            for reason, column, value in self.problems(problem, row, values):
                self.report.add_error(row.number, reason, column=column, value=value)
            return
        if outcome == "updated":
            self.report.updated += 1
        else:
            self.report.created += 1

    def problems(self, error: RowProblem | CRMError, row: Row,
                 values: dict[str, Any]) -> list[tuple[str, str | None, Any]]:
        """What to report for a refused row: (reason, column, value) per field at fault."""
        if isinstance(error, RowProblem):
            return [(error.reason, self._column(error.field), values.get(error.field))]
        if isinstance(error, ValidationFailed):
            found = []
            for field, reasons in error.errors.items():
                column = self._column(field)
                found.append((_reasons(reasons), column, row.values.get(column or "")))
            return found
        return [(error.message, None, None)]

    def _column(self, field: str) -> str | None:
        """The file column behind a service's field name (``phones.0`` -> the phone column)."""
        head, _, rest = field.partition(".")
        if head == "custom_fields" and rest in self.custom_keys:
            return self.custom_keys[rest]
        head = {"emails": "email", "phones": "phone", "customer_id": "customer", "contact_id": "contact",
                "deal_id": "deal", "owner_id": "owner", "stage_id": "stage", "pipeline_id": "pipeline",
                "first_name": "first_name" if "first_name" in self.mapping.fields else "name"}.get(head, head)
        return self.mapping.fields.get(head, None if head == "_schema" else field)

    def _define_custom_fields(self, session: Session) -> None:
        if not self.custom_columns:
            return
        existing = set(session.scalars(select(CustomField.key).where(CustomField.entity == "customer")))
        for key, column in self.custom_keys.items():
            if key not in existing:
                definition = CustomField(entity="customer", key=key, label=column[:120],
                                         type=(self.custom_types or {}).get(column, "text"), choices=[],
                                         required=False)
                session.add(definition)
                session.flush()
                session.add(AuditEntry(user_id=self.actor.id if self.actor else None, entity="custom_field",
                                       entity_id=definition.id, action="create",
                                       changes={"key": [None, key], "source": [None, "import"]}))

    # -- cells ---------------------------------------------------------------------------------------

    def text(self, values: dict[str, Any], field: str, limit: int | None = None) -> str | None:
        value = parse_text(values.get(field))
        if value is not None and limit is not None and len(value) > limit:
            raise RowProblem(field, f"Longer than {limit} characters.")
        return value

    def texts(self, values: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
        """The cells of ``fields`` that are not empty, as text."""
        found = {}
        for field in fields:
            value = parse_text(values.get(field))
            if value is not None:
                found[field] = value
        return found

    def number(self, values: dict[str, Any], field: str) -> Decimal | None:
        return self._cell(values, field, parse_decimal, "Not a number", decimal_separator=self.decimal_separator)

    def day(self, values: dict[str, Any], field: str) -> date | None:
        return self._cell(values, field, parse_date, "Not a date", day_first=self.day_first)

    def moment(self, values: dict[str, Any], field: str) -> datetime | None:
        return self._cell(values, field, parse_datetime, "Not a date", day_first=self.day_first)

    def flag(self, values: dict[str, Any], field: str) -> bool | None:
        return self._cell(values, field, parse_bool, "Not yes or no")

    @staticmethod
    def _cell(values: dict[str, Any], field: str, parse: Callable[..., Any], problem: str, **options: Any) -> Any:
        """The cell of ``field`` read by ``parse``; a RowProblem on the field (``problem`` and the parser's reason)
        when it cannot be."""
        try:
            return parse(values.get(field), **options)
        except ValueError as exc:
            raise RowProblem(field, f"{problem} ({exc}).") from None

    def country(self, values: dict[str, Any]) -> str | None:
        text = self.text(values, "country")
        if text is None:
            return None
        code = country_code(text)
        if code is None:
            raise RowProblem("country", "Unknown country; use its name or two-letter code (GB, IR, UA).")
        return code

    def custom_values(self, row: Row) -> dict[str, Any]:
        found = {}
        for key, column in self.custom_keys.items():
            text = parse_text(row.values.get(column))
            if text is not None:
                found[key] = text
        return found

    # -- look-ups ------------------------------------------------------------------------------------

    def customer_id(self, tx: Transaction, values: dict[str, Any], create: bool = False) -> int:
        """The customer a row names by reference or by name; ``create`` makes one when none exists."""
        session = tx.session
        ref = self.text(values, "customer")
        if ref is None:
            raise RowProblem("customer", "No customer.")
        if ref in self.customer_cache:
            return self.customer_cache[ref]
        found = session.scalar(select(Customer.id).where(Customer.external_ref == ref).order_by(Customer.id)
                               .limit(1))
        if found is None:
            found = session.scalar(select(Customer.id).where(func.lower(Customer.name) == ref.lower())
                                   .order_by(Customer.id).limit(1))
        if found is None:
            if not create:
                raise RowProblem("customer", "No customer with this reference or name; import customers first.")
            found = self.crm.services.customers.create({"name": ref}, actor=self.actor, tx=tx).id
        if len(self.customer_cache) > 100_000:
            self.customer_cache.clear()
        self.customer_cache[ref] = found
        return found

    def user_id(self, session: Session, values: dict[str, Any]) -> int | None:
        email = self.text(values, "owner")
        if email is None:
            return None
        found = session.scalar(select(User.id).where(func.lower(User.email) == email.lower()))
        if found is None:
            raise RowProblem("owner", "No user with this email.")
        return found

    @staticmethod
    def _normal_email(value: str | None) -> str | None:
        try:
            return normalize_email(value) if value else None
        except ValueError:
            return None

    @staticmethod
    def _normal_phone(value: str | None, region: str | None) -> str | None:
        try:
            return normalize_phone(value, region) if value else None
        except ValueError:
            return None

    def _duplicate(self, found: tuple[int, str] | None) -> int | None:
        """Apply the duplicate policy: None to create, the id to update; raises Skipped to skip."""
        if found is None or self.on_duplicate == "create":
            return None
        if self.on_duplicate == "skip":
            raise Skipped
        return found[0]

    # -- kinds ---------------------------------------------------------------------------------------

    def _customer_data(self, row: Row, values: dict[str, Any]) -> dict[str, Any]:
        data = self.texts(values, self.customer_text_fields)
        country = self.country(values)
        if country:
            data["country"] = country
        kind = self.text(values, "kind")
        if kind:
            data["kind"] = "person" if kind.casefold() in {"person", "individual", "private", "физлицо",
                                                           "фізособа", "حقیقی"} else "organisation"
        stage = self.text(values, "lifecycle_stage")
        if stage:
            try:
                data["lifecycle_stage"] = LifecycleStage(stage.casefold()).value
            except ValueError:
                raise RowProblem("lifecycle_stage", "Use lead, prospect, customer or former.") from None
        tags = self.text(values, "tags")
        if tags:
            data["tags"] = [tag.strip()[:80] for tag in _SPLIT_TAGS.split(tags) if tag.strip()]
        consent = self.flag(values, "marketing_consent")
        if consent is not None:
            data["marketing_consent"] = consent
            data["consent_source"] = "import"
        custom = self.custom_values(row)
        if custom:
            data["custom_fields"] = custom
        return data

    def _write_customer(self, tx: Transaction, data: dict[str, Any]) -> tuple[int, str]:
        region = data.get("country")
        existing = self._duplicate(find_customer(tx.session, external_ref=data.get("external_ref"),
                                                 email=self._normal_email(data.get("email")),
                                                 phone=self._normal_phone(data.get("phone"), region)))
        if existing is None:
            return self.crm.services.customers.create(data, actor=self.actor, tx=tx).id, "created"
        data = {k: v for k, v in data.items() if k not in ("lifecycle_stage",) or v}
        self.crm.services.customers.update(existing, data, actor=self.actor, tx=tx)
        return existing, "updated"

    def contact_data(self, values: dict[str, Any]) -> dict[str, Any]:
        """A contact row's fields as ``contacts.create`` takes them (without the customer)."""
        first, last = self.text(values, "first_name"), self.text(values, "last_name")
        if first is None:
            full = self.text(values, "name")
            if full is None:
                raise RowProblem("first_name" if "first_name" in self.mapping.fields else "name", "No name.")
            first, _, rest = full.partition(" ")
            last = last or rest or None
        data: dict[str, Any] = {"first_name": first, "last_name": last}
        data.update(self.texts(values, ("middle_name", "position")))
        birthday = self.day(values, "birthday")
        if birthday:
            data["birthday"] = birthday.isoformat()
        email, phone = self.text(values, "email"), self.text(values, "phone")
        if email:
            data["emails"] = [email]
        if phone:
            data["phones"] = [phone]
        consent = self.flag(values, "marketing_consent")
        if consent is not None:
            data["marketing_consent"] = consent
        return data

    def _status(self, values: dict[str, Any]) -> DealStatus | None:
        text = self.text(values, "status")
        if text is None:
            return None
        folded = text.casefold()
        for status, words in STATUS_WORDS.items():
            if folded in words:
                return status
        raise RowProblem("status", "Use open, won or lost.")

    def _deal(self, tx: Transaction, row: Row, values: dict[str, Any]) -> str:
        session = tx.session
        customer_id = self.customer_id(tx, values)
        data: dict[str, Any] = {"customer_id": customer_id, "title": self.text(values, "title")}
        for field in ("amount", "cost"):
            number = self.number(values, field)
            if number is not None:
                data[field] = str(number)
        for field in ("expected_close_on", "closed_on"):
            day = self.day(values, field)
            if day is not None:
                data[field] = day.isoformat()
        data.update(self.texts(values, ("lost_reason", "external_ref")))
        currency = self.text(values, "currency")
        if currency:
            data["currency"] = currency.upper()
        probability = self.number(values, "probability")
        if probability is not None:
            data["probability"] = int(probability)
        status = self._status(values)
        if status is not None:
            data["status"] = status.value
        pipeline_name, stage_name = self.text(values, "pipeline"), self.text(values, "stage")
        pipeline_id = None
        if pipeline_name:
            pipeline_id = session.scalar(select(Pipeline.id).where(func.lower(Pipeline.name) == pipeline_name.lower()))
            if pipeline_id is None:
                raise RowProblem("pipeline", "No pipeline with this name.")
            data["pipeline_id"] = pipeline_id
        if stage_name:
            query = select(Stage.id).where(func.lower(Stage.name) == stage_name.lower())
            query = query.where(Stage.pipeline_id == pipeline_id) if pipeline_id else query.join(Pipeline).where(
                Pipeline.is_default.is_(True))
            stage_id = session.scalar(query)
            if stage_id is None:
                raise RowProblem("stage", "No stage with this name in the pipeline.")
            data["stage_id"] = stage_id
        owner = self.user_id(session, values)
        if owner is not None:
            data["owner_id"] = owner
        query = select(Deal.id).where(Deal.customer_id == customer_id)
        query = query.where(Deal.external_ref == data["external_ref"]) if data.get("external_ref") else query.where(
            Deal.title == (data["title"] or ""))
        found = session.scalar(query.order_by(Deal.id).limit(1))
        existing = self._duplicate((found, "reference") if found is not None else None)
        if existing is None:
            self.crm.services.deals.create(data, actor=self.actor, tx=tx)
            return "created"
        data.pop("customer_id")
        self.crm.services.deals.update(existing, data, actor=self.actor, tx=tx)
        return "updated"

    def _touchpoint(self, tx: Transaction, row: Row, values: dict[str, Any]) -> str:
        session = tx.session
        customer_id = self.customer_id(tx, values)
        occurred_at = self.moment(values, "occurred_at")
        if occurred_at is None:
            raise RowProblem("occurred_at", "No date.")
        if occurred_at.tzinfo is None:
            occurred_at = occurred_at.replace(tzinfo=UTC)
        channel_text = (self.text(values, "channel") or "phone").casefold()
        try:
            channel = CHANNEL_WORDS.get(channel_text) or Channel(channel_text)
        except ValueError:
            raise RowProblem("channel", f"Use one of {', '.join(c.value for c in Channel)}.") from None
        data: dict[str, Any] = {"customer_id": customer_id, "channel": channel.value,
                                "occurred_at": occurred_at.isoformat()}
        direction = self.text(values, "direction")
        if direction:
            folded = direction.casefold()
            try:
                data["direction"] = (DIRECTION_WORDS.get(folded) or Direction(folded)).value
            except ValueError:
                raise RowProblem("direction", "Use inbound or outbound.") from None
        data.update(self.texts(values, ("subject", "notes", "outcome", "source")))
        deal = self.text(values, "deal")
        if deal:
            deal_id = session.scalar(select(Deal.id).where(Deal.customer_id == customer_id,
                                                           (Deal.external_ref == deal) | (Deal.title == deal))
                                     .order_by(Deal.id).limit(1))
            if deal_id is None:
                raise RowProblem("deal", "No deal of this customer with this reference or title.")
            data["deal_id"] = deal_id
        found = session.scalar(select(Touchpoint.id).where(
            Touchpoint.customer_id == customer_id, Touchpoint.channel == channel,
            Touchpoint.occurred_at == occurred_at, Touchpoint.subject == (data.get("subject") or "")).limit(1))
        if found is not None and self.on_duplicate != "create":
            raise Skipped  # a timeline entry is never rewritten by an import
        self.crm.services.touchpoints.record(data, actor=self.actor, tx=tx)
        return "created"

    def _lead_ref(self, row: Row) -> str:
        """A stable reference for a lead row with none: the same file imported again gives the same one."""
        digest = hashlib.sha256(json.dumps([row.number, sorted(
            (k, parse_text(v)) for k, v in row.values.items())], ensure_ascii=False).encode()).hexdigest()
        return f"lead-{row.number}-{digest[:16]}"

    def _lead(self, tx: Transaction, row: Row, values: dict[str, Any]) -> str:
        name, company = self.text(values, "name"), self.text(values, "company")
        email, phone = self.text(values, "email"), self.text(values, "phone")
        ref = self.text(values, "external_ref") or (None if name or email or phone else self._lead_ref(row))
        data: dict[str, Any] = {"name": company or name or email or phone or f"Lead {row.number}",
                                "kind": "organisation" if company else "person", "lifecycle_stage": "lead"}
        for field, value in (("email", email), ("phone", phone), ("external_ref", ref)):
            if value is not None:
                data[field] = value
        data.update(self.texts(values, ("source", "city", "website")))
        country = self.country(values)
        if country:
            data["country"] = country
        consent = self.flag(values, "marketing_consent")
        if consent is not None:
            data["marketing_consent"], data["consent_source"] = consent, "import"
        custom = self.custom_values(row)
        if custom:
            data["custom_fields"] = custom
        won = self._outcome(values)
        amount = self.number(values, "value")
        created_at = self.moment(values, "created_at")
        customer_id, outcome = self._write_customer(tx, data)
        if outcome == "created" and company and name:
            first, _, last = name.partition(" ")
            contact: dict[str, Any] = {"customer_id": customer_id, "first_name": first, "last_name": last or None,
                                       "position": self.text(values, "position")}
            if email:
                contact["emails"] = [email]
            if phone:
                contact["phones"] = [phone]
            self.crm.services.contacts.create(contact, actor=self.actor, tx=tx)
        if won is not None and outcome == "created":
            deal: dict[str, Any] = {"customer_id": customer_id, "title": f"Lead {data['name']}"[:300],
                                    "status": "won" if won else "lost", "amount": str(amount or 0)}
            if created_at is not None:
                deal["closed_on"] = created_at.date().isoformat()
            self.crm.services.deals.create(deal, actor=self.actor, tx=tx)
        return outcome

    def _outcome(self, values: dict[str, Any]) -> bool | None:
        text = self.text(values, "outcome")
        if text is None:
            return None
        if self.won_value is not None:
            return text.casefold() == self.won_value
        try:
            return parse_bool(text)
        except ValueError:
            raise RowProblem("outcome", "Not yes or no; say which value means won (--won-value).") from None
