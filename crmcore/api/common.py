"""What every endpoint of the API shares: the acting user, keyset pages, ETags and the error responses."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, request
from marshmallow import Schema, fields, validate
from sqlalchemy.sql import Select

from crmcore import keyset, policy
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


NOT_OURS = "Not a cursor this API gave out."


def keyset_page(session: Any, query: Select, model: Any, sort: str, limit: int, cursor: str | None,
                sorts: dict[str, Any]) -> tuple[list[Any], str | None]:
    """One page ordered by ``sort`` (a key of ``sorts``, "-" for descending) then id: fast at any depth."""
    descending = sort.startswith("-")
    column = sorts[sort.lstrip("-")]
    ident = model.id
    if cursor:
        try:
            sort_key, last_value, last_id = keyset.decode(cursor, 3)
        except keyset.BadCursor:
            raise ValidationFailed({"cursor": [NOT_OURS]}) from None
        if sort_key != sort:
            raise ValidationFailed({"cursor": ["This cursor belongs to another sort order."]})
        try:
            last_id = keyset.row_id(last_id)
            last_value = last_id if column is ident else keyset.typed(column, last_value)
        except keyset.BadCursor:
            raise ValidationFailed({"cursor": [NOT_OURS]}) from None
        query = query.where(keyset.seek(column, ident, last_value, last_id, descending))
    rows = list(session.scalars(query.order_by(*keyset.order(column, ident, descending)).limit(limit + 1)).unique())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = keyset.encode([sort, getattr(last, column.key), last.id])
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
