"""What every service shares: validation, one transaction per change, the audit log, events after commit."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

from marshmallow import Schema, ValidationError
from sqlalchemy.orm import Session

from crmcore.errors import NotFound, ValidationFailed
from crmcore.models import AuditEntry

if TYPE_CHECKING:
    from crmcore.models import User
    from crmcore.runtime import CRM

log = logging.getLogger(__name__)
_JSON_SCALARS = frozenset({str, int, float, bool})
ModelT = TypeVar("ModelT")


class Transaction:
    """A session plus the events to fire once it commits."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.events: list[tuple[str, dict[str, Any]]] = []

    def emit(self, hook_name: str, **kwargs: Any) -> None:
        self.events.append((hook_name, kwargs))


def fire(crm: CRM, hook_name: str, **kwargs: Any) -> None:
    """Call an event hook. A failing plugin must not undo or hide a committed change, so outside tests it is
    logged (with the hook and plugin, never the record's data) and the others still run."""
    fire_with(crm, getattr(crm.hook, hook_name), hook_name, kwargs)


def fire_with(crm: CRM, caller: Any, hook_name: str, kwargs: dict[str, Any]) -> None:
    """``fire`` through a given caller, e.g. one that leaves some plugins out."""
    if crm.settings.env == "test":
        caller(crm=crm, **kwargs)
        return
    try:
        caller(crm=crm, **kwargs)
    except Exception:
        log.exception("a plugin failed in hook %s", hook_name)


@contextmanager
def transaction(crm: CRM, tx: Transaction | None = None) -> Iterator[Transaction]:
    """Join the caller's transaction, or open one that commits and then fires the collected events."""
    if tx is not None:
        yield tx
        return
    with crm.db.session() as session:
        tx = Transaction(session)
        yield tx
    for hook_name, kwargs in tx.events:
        fire(crm, hook_name, **kwargs)


def jsonable(value: Any) -> Any:
    if value is None or type(value) in _JSON_SCALARS:
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def audit(session: Session, actor: User | None, entity: str, entity_id: int | None, action: str,
          changes: Mapping[str, Any] | None = None) -> None:
    session.add(AuditEntry(
        user_id=actor.id if actor is not None else None,
        entity=entity,
        entity_id=entity_id,
        action=action,
        changes=jsonable(dict(changes or {})),
    ))


def apply_changes(record: Any, values: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set attributes and return {field: (old, new)} for those that really changed."""
    changes = {}
    for field, new in values.items():
        old = getattr(record, field)
        if old != new:
            setattr(record, field, new)
            changes[field] = (old, new)
    return changes


class Service:
    def __init__(self, crm: CRM) -> None:
        self.crm = crm

    def validate(self, schema: Schema, data: Mapping[str, Any], partial: bool = False) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise ValidationFailed({"_schema": ["Expected an object of fields."]})
        try:
            return schema.load(data, partial=partial)
        except ValidationError as exc:
            raise ValidationFailed(exc.normalized_messages()) from exc

    def transaction(self, tx: Transaction | None = None) -> Any:
        return transaction(self.crm, tx)

    @staticmethod
    def fetch(session: Session, model: type[ModelT], record_id: Any, label: str, field: str | None = None,
              for_update: bool = False) -> ModelT:
        """Load a record or fail; with ``field`` the failure is a validation error on that field."""
        record = None
        if isinstance(record_id, int) and not isinstance(record_id, bool) and 0 < record_id < 2**63:
            record = session.get(model, record_id, with_for_update={"of": model} if for_update else None)
        if record is None:
            if field is not None:
                raise ValidationFailed({field: [f"No {label} with id {record_id}."]})
            raise NotFound(f"No {label} with id {record_id}.")
        return record

    @staticmethod
    def check_version(record: Any, expected_version: int | None) -> None:
        from crmcore.errors import Conflict

        if expected_version is not None and record.version != expected_version:
            raise Conflict("This record was changed by someone else since you opened it; reload and retry.")
