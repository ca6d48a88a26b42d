"""Lead fields and engagement read as columns with SQL, a chunk at a time (no ORM objects per lead).

Fields a rule or the model can name: the core fields in ``CORE_FIELDS``, ``has_phone``, ``has_email`` and any
custom field as ``custom_fields.<key>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import DateTime, String, and_, bindparam, case, cast, extract, func, select
from sqlalchemy.orm import Session

from crmcore.models import Customer, Deal, DealStatus, LifecycleStage, Touchpoint

LEAD_STAGES = (LifecycleStage.LEAD, LifecycleStage.PROSPECT)
CUSTOM_PREFIX = "custom_fields."
CORE_FIELDS: dict[str, Any] = {
    "industry": Customer.industry,
    "country": Customer.country,
    "source": Customer.source,
    "city": Customer.city,
    "kind": Customer.kind,
    "sales_channel": func.lower(cast(Customer.sales_channel, String(20))),
    "cooperation_type": Customer.cooperation_type,
    "has_phone": case((and_(Customer.phone.is_not(None), Customer.phone != ""), 1), else_=0),
    "has_email": case((and_(Customer.email.is_not(None), Customer.email != ""), 1), else_=0),
}
BOOLEAN_FIELDS = frozenset({"has_phone", "has_email"})
#: Engagement with no window of its own looks back this far (its weight has decayed to almost nothing by then).
DEFAULT_LOOKBACK_DAYS = 365.0


def field_expression(name: str) -> Any:
    """The SQL expression that reads field ``name`` of a customer."""
    if name in CORE_FIELDS:
        return CORE_FIELDS[name]
    if name.startswith(CUSTOM_PREFIX) and len(name) > len(CUSTOM_PREFIX):
        return Customer.custom_fields[name[len(CUSTOM_PREFIX):]].as_string()
    raise KeyError(name)


def known_field(name: str) -> bool:
    try:
        field_expression(name)
    except KeyError:
        return False
    return True


@dataclass
class LeadChunk:
    """``ids`` (ascending) and one array per field, aligned with them."""

    ids: NDArray[np.int64]
    columns: dict[str, NDArray[Any]]

    def __len__(self) -> int:
        return int(self.ids.size)


def _to_columns(rows: Sequence[Sequence[Any]], names: Sequence[str]) -> LeadChunk:
    if not rows:
        return LeadChunk(np.zeros(0, dtype=np.int64), {name: np.zeros(0, dtype=object) for name in names})
    transposed = list(zip(*rows, strict=True))
    columns: dict[str, NDArray[Any]] = {}
    for name, values in zip(names, transposed[1:], strict=True):
        if name in BOOLEAN_FIELDS:
            columns[name] = np.array(values, dtype=bool)
        else:
            columns[name] = np.array(values, dtype=object)
    return LeadChunk(np.array(transposed[0], dtype=np.int64), columns)


def lead_chunks(session: Session, fields: Iterable[str], chunk_size: int = 50_000,
                customer_ids: Sequence[int] | None = None, after: int = 0) -> Iterator[LeadChunk]:
    """Every lead or prospect with an id above ``after`` (or just ``customer_ids`` among them), by id."""
    names = list(dict.fromkeys(fields))
    query = select(Customer.id, *[field_expression(n) for n in names]).where(Customer.lifecycle_stage.in_(LEAD_STAGES))
    if customer_ids is not None:
        query = query.where(Customer.id.in_(list(customer_ids)))
    last = after
    while True:
        page = query.where(Customer.id > last).order_by(Customer.id).limit(chunk_size)
        rows = session.connection().execute(page).all()
        if not rows:
            return
        chunk = _to_columns(rows, names)
        yield chunk
        last = int(chunk.ids[-1])
        if len(rows) < chunk_size:
            return


def _age_days(dialect: str, column: Any) -> Any:
    if dialect == "postgresql":
        return extract("epoch", bindparam("now", type_=DateTime(timezone=True)) - column) / 86400.0
    return func.julianday(bindparam("now_text")) - func.julianday(column)


@dataclass
class Events:
    """Engagement events of a chunk: row index of the lead, type, channel and age in days, as arrays."""

    index: NDArray[np.intp]
    types: NDArray[Any]
    channels: NDArray[Any]
    age_days: NDArray[np.float64]


#: A chunk of at most ``SPARSE_MAX`` leads whose ids spread over more than ``SPARSE_SPREAD`` times its size (leads
#: marked here and there, not a run of consecutive ids) reads its touchpoints by ``IN`` rather than by id range.
SPARSE_SPREAD = 4
SPARSE_MAX = 5_000


def _customer_filter(column: Any, chunk: LeadChunk) -> list[Any]:
    first, last = int(chunk.ids[0]), int(chunk.ids[-1])
    if len(chunk) <= SPARSE_MAX and last - first + 1 > SPARSE_SPREAD * len(chunk):
        return [column.in_(chunk.ids.tolist())]
    return [column >= first, column <= last]


def touchpoint_events(session: Session, chunk: LeadChunk, now: datetime, lookback_days: float) -> Events:
    """Touchpoints of the chunk's leads in the last ``lookback_days`` days (one query per chunk)."""
    if not len(chunk):
        return empty_events()
    from datetime import timedelta

    dialect = session.get_bind().dialect.name
    since = now - timedelta(days=lookback_days)
    age = _age_days(dialect, Touchpoint.occurred_at)
    query = (select(Touchpoint.customer_id, func.lower(cast(Touchpoint.channel, String(20))), age)
             .where(Touchpoint.occurred_at >= since, *_customer_filter(Touchpoint.customer_id, chunk)))
    params = {"now": now} if dialect == "postgresql" else {"now_text": now.strftime("%Y-%m-%d %H:%M:%S.%f")}
    rows = session.connection().execute(query, params).all()
    if not rows:
        return empty_events()
    customer_ids, channels, ages = zip(*rows, strict=True)
    return _located(chunk, np.array(customer_ids, dtype=np.int64), np.full(len(rows), "touchpoint", dtype=object),
                    np.array(channels, dtype=object), np.array(ages, dtype=np.float64))


def email_events(crm: Any, session: Session, chunk: LeadChunk, now: datetime, lookback_days: float) -> Events:
    """Opens and clicks from ``crm.hook.email_engagement`` (answers [] while email_marketing is off)."""
    from datetime import timedelta

    if not len(chunk):
        return empty_events()
    answers = crm.hook.email_engagement(crm=crm, session=session, customer_ids=chunk.ids.tolist(),
                                        since=now - timedelta(days=lookback_days))
    ids: list[int] = []
    kinds: list[str] = []
    ages: list[float] = []
    for answer in answers or []:
        for customer_id, events in (answer or {}).items():
            for kind, when in events:
                ids.append(customer_id)
                kinds.append(f"email_{kind}")
                ages.append((now - when).total_seconds() / 86400.0)
    if not ids:
        return empty_events()
    return _located(chunk, np.array(ids, dtype=np.int64), np.array(kinds, dtype=object),
                    np.full(len(ids), "email", dtype=object), np.array(ages, dtype=np.float64))


def _located(chunk: LeadChunk, customer_ids: NDArray[np.int64], types: NDArray[Any], channels: NDArray[Any],
             ages: NDArray[np.float64]) -> Events:
    position = np.searchsorted(chunk.ids, customer_ids)
    position = np.clip(position, 0, max(len(chunk) - 1, 0))
    mine = chunk.ids[position] == customer_ids
    return Events(position[mine].astype(np.intp), types[mine], channels[mine], ages[mine])


def empty_events() -> Events:
    return Events(np.zeros(0, dtype=np.intp), np.zeros(0, dtype=object), np.zeros(0, dtype=object), np.zeros(0))


def merge_events(*parts: Events) -> Events:
    return Events(np.concatenate([p.index for p in parts]).astype(np.intp),
                  np.concatenate([p.types for p in parts]), np.concatenate([p.channels for p in parts]),
                  np.concatenate([p.age_days for p in parts]))


def decided_leads(session: Session) -> tuple[NDArray[np.int64], NDArray[np.bool_], list[dict[str, Any]],
                                              dict[str, NDArray[Any]]]:
    """Customers with a closed deal: ids, won (any won deal), their custom fields and core field columns."""
    won = func.max(case((Deal.status == DealStatus.WON, 1), else_=0))
    decided = (select(Deal.customer_id.label("customer_id"), won.label("won"))
               .where(Deal.status.in_((DealStatus.WON, DealStatus.LOST))).group_by(Deal.customer_id).subquery())
    names = list(CORE_FIELDS)
    rows = session.execute(
        select(Customer.id, decided.c.won, Customer.custom_fields, *[CORE_FIELDS[n] for n in names])
        .join(decided, decided.c.customer_id == Customer.id).order_by(Customer.id)
    ).all()
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool), [], {}
    transposed = list(zip(*rows, strict=True))
    columns = {name: np.array(values, dtype=bool if name in BOOLEAN_FIELDS else object)
               for name, values in zip(names, transposed[3:], strict=True)}
    return (np.array(transposed[0], dtype=np.int64), np.array(transposed[1], dtype=bool),
            [dict(c or {}) for c in transposed[2]], columns)
