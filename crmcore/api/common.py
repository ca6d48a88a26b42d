"""What every endpoint of the API shares: the acting user, keyset pages, ETags and the error responses."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import abort, current_app, request
from marshmallow import Schema, fields, validate
from sqlalchemy import and_, or_
from sqlalchemy.sql import Select

from crmcore import policy
from crmcore.errors import ValidationFailed
from crmcore.models import User

MAX_PAGE = 200


class CrmErrorSchema(Schema):
    """Every error: a message, and for invalid input the reasons per field."""

    message = fields.String()
    code = fields.Integer()
    status = fields.String()
    errors = fields.Dict()


class PageArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE))
    cursor = fields.String(validate=validate.Length(max=500))


def page_schema(item: type[Schema]) -> type[Schema]:
    """A page of ``item``: the records and the cursor of the next page (null on the last)."""
    return type(f"{item.__name__.removesuffix('Schema')}PageSchema", (Schema,), {
        "items": fields.List(fields.Nested(item), required=True),
        "next_cursor": fields.String(allow_none=True, required=True),
    })


def crm() -> Any:
    return current_app.extensions["crm"]


def user() -> User:
    from crmcore.web.auth import acting_user

    actor = acting_user()
    if actor is None:
        abort(401)
    return actor


def require(area: str) -> User:
    actor = user()
    policy.require(actor, area)
    return actor


def owns_only(actor: User) -> bool:
    return policy.owns_only(actor, crm().settings)


# -- keyset pagination ---------------------------------------------------------------------------------


def _encode(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime | date) else str(v) if isinstance(v, Decimal)
                      else v for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValidationFailed({"cursor": ["Not a cursor this API gave out."]}) from None
    if not isinstance(values, list) or len(values) != 3:
        raise ValidationFailed({"cursor": ["Not a cursor this API gave out."]})
    return values


def _typed(column: Any, value: Any) -> Any:
    python_type = column.type.python_type
    try:
        if value is None:
            return None
        if python_type is datetime:
            return datetime.fromisoformat(value)
        if python_type is date:
            return date.fromisoformat(value)
        if python_type is Decimal:
            return Decimal(value)
        if python_type is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError
            return value
        return str(value)
    except (ValueError, TypeError, InvalidOperation):
        raise ValidationFailed({"cursor": ["Not a cursor this API gave out."]}) from None


def keyset_page(session: Any, query: Select, model: Any, sort: str, limit: int, cursor: str | None,
                sorts: dict[str, Any]) -> tuple[list[Any], str | None]:
    """One page ordered by ``sort`` (a key of ``sorts``, "-" for descending) then id: fast at any depth."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    column = sorts[key]
    ident = model.id
    if cursor:
        sort_key, last_value, last_id = _decode(cursor)
        if sort_key != sort or isinstance(last_id, bool) or not isinstance(last_id, int):
            raise ValidationFailed({"cursor": ["This cursor belongs to another sort order."]})
        last_value = _typed(column, last_value)
        if column is ident:
            query = query.where(ident < last_id if descending else ident > last_id)
        elif descending:
            query = query.where(or_(column < last_value, and_(column == last_value, ident < last_id)))
        else:
            query = query.where(or_(column > last_value, and_(column == last_value, ident > last_id)))
    order = [column.desc(), ident.desc()] if descending else [column.asc(), ident.asc()]
    if column is ident:
        order = order[:1]
    rows = list(session.scalars(query.order_by(*order).limit(limit + 1)).unique())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode([sort, getattr(last, column.key), last.id])
    return rows, next_cursor


# -- ETags ---------------------------------------------------------------------------------------------


def etag_of(record: Any) -> str:
    """A strong ETag: the version counter where the model has one, else a digest of its last change."""
    version = getattr(record, "version", None)
    if version is not None:
        return f'"{record.id}.{version}"'
    stamp = getattr(record, "updated_at", None) or getattr(record, "created_at", None)
    digest = hashlib.sha256(f"{record.id}|{stamp}".encode()).hexdigest()[:16]
    return f'"{record.id}.{digest}"'


def with_etag(record: Any, status: int = 200) -> tuple[Any, int, dict[str, str]]:
    return record, status, {"ETag": etag_of(record)}


def expected_version(record: Any) -> int | None:
    """Check If-Match against the record: 428 without it, 412 when it is stale; the version for the service."""
    sent = request.headers.get("If-Match")
    if not sent:
        abort(428, description="Send the ETag of the record you changed in an If-Match header.")
    tags = [tag.strip() for tag in sent.split(",")]
    if "*" not in tags and etag_of(record) not in tags:
        abort(412, description="The record changed since you read it; read it again and retry.")
    return getattr(record, "version", None)


def errors(blueprint: Any, *codes: int) -> Callable[[Callable], Callable]:
    """Declare an endpoint's error responses (401 and 403 always) in the OpenAPI document."""

    def decorate(view: Callable) -> Callable:
        for code in sorted({401, 403, *codes}):
            view = blueprint.alt_response(code, schema=CrmErrorSchema, description="Error")(view)
        return view

    return decorate
