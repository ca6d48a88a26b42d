"""The core's resources: customers, contacts, touchpoints, deals, tasks, products, pipelines and users.

Reads are keyset-paged and filtered in SQL; writes go through the services, so they validate, audit and fire
the same events as the screens. Staff limited to their own records only see and change those.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import joinedload, lazyload

from crmcore.api import schemas as s
from crmcore.api.common import (
    PageArgs,
    crm,
    errors,
    expected_version,
    keyset_page,
    owns_only,
    page_schema,
    require,
    with_etag,
)
from crmcore.errors import NotFound
from crmcore.exporting import stream_csv
from crmcore.models import Contact, ContactPoint, Customer, Deal, Pipeline, Product, Task, Touchpoint, User
from crmcore.normalize import normalize_email, searchable_phone
from crmcore.schemas import ContactSchema, CustomerSchema, DealSchema, ProductSchema, TaskSchema, TouchpointSchema
from crmcore.schemas import UserSchema as UserInSchema


@dataclass
class Resource:
    """How one model is exposed: its schemas, sort keys, filters, record rule and service calls."""

    name: str
    model: Any
    out: type[Schema]
    args: type[Schema]
    area: str
    sorts: dict[str, Any]
    filters: Callable[[Any, dict[str, Any]], Any]
    in_schema: type[Schema] | None = None
    create: Callable[..., Any] | None = None
    update: Callable[..., Any] | None = None
    delete: Callable[..., Any] | None = None
    owner_rule: Callable[[Any, Any], Any] | None = None
    owner_of: Callable[[Any, Any], int | None] | None = None
    put: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    #: Loader options for reading one record: what it shows in the same query, and nothing it does not show.
    one: tuple[Any, ...] = ()

    @functools.cached_property
    def read_one(self) -> Any:
        """The query for one record by ``record_id``, built once: building it per request costs more than running it."""
        return select(self.model).where(self.model.id == bindparam("record_id")).options(*self.one)


def _equal_to(query: Any, model: Any, args: dict[str, Any], *keys: str) -> Any:
    """Keep the rows whose column equals each of these filters that was given."""
    for key in keys:
        if args.get(key) is not None:
            query = query.where(getattr(model, key) == args[key])
    return query


def _customer_filters(query: Any, args: dict[str, Any]) -> Any:
    if args.get("q"):
        q = args["q"].strip()
        conditions = [Customer.name.startswith(q, autoescape=True)]
        with contextlib.suppress(ValueError):
            conditions.append(Customer.email == normalize_email(q))
        phone = searchable_phone(q)
        if phone:
            conditions.append(Customer.phone == phone)
        query = query.where(or_(*conditions))
    query = _equal_to(query, Customer, args, "lifecycle_stage", "owner_id")
    if args.get("country"):
        query = query.where(Customer.country == args["country"].upper())
    if args.get("segment"):
        query = query.where(Customer.id.in_(crm().segments.customer_ids(args["segment"])))
    return query


def _contact_filters(query: Any, args: dict[str, Any]) -> Any:
    if args.get("customer_id"):
        query = query.where(Contact.customer_id == args["customer_id"])
    if args.get("q"):
        q = args["q"].strip()
        emails = []
        with contextlib.suppress(ValueError):
            emails.append(normalize_email(q))
        by_point = select(ContactPoint.contact_id).where(ContactPoint.value.in_(emails + [searchable_phone(q) or q]))
        query = query.where(or_(Contact.first_name.startswith(q, autoescape=True),
                                Contact.last_name.startswith(q, autoescape=True), Contact.id.in_(by_point)))
    return query


def _touchpoint_filters(query: Any, args: dict[str, Any]) -> Any:
    query = _equal_to(query, Touchpoint, args, "customer_id", "channel")
    if args.get("since"):
        query = query.where(Touchpoint.occurred_at >= args["since"])
    return query


def _deal_filters(query: Any, args: dict[str, Any]) -> Any:
    query = _equal_to(query, Deal, args, "customer_id", "status", "stage_id", "owner_id")
    if args.get("q"):
        query = query.where(Deal.title.startswith(args["q"].strip(), autoescape=True))
    return query


def _task_filters(query: Any, args: dict[str, Any]) -> Any:
    query = _equal_to(query, Task, args, "customer_id", "assignee_id")
    if args.get("open") is not None:
        query = query.where(Task.done_at.is_(None) if args["open"] else Task.done_at.is_not(None))
    return query


def _product_filters(query: Any, args: dict[str, Any]) -> Any:
    if args.get("q"):
        q = args["q"].strip()
        query = query.where(or_(Product.sku.startswith(q, autoescape=True),
                                Product.name.startswith(q, autoescape=True)))
    if args.get("active") is not None:
        query = query.where(Product.active.is_(args["active"]))
    return query


def _mine_through_customer(model: Any) -> Callable[[Any, Any], Any]:
    return lambda query, actor: query.where(model.customer_id.in_(
        select(Customer.id).where(or_(Customer.owner_id == actor.id, Customer.owner_id.is_(None)))))


def _services() -> Any:
    return crm().services


RESOURCES = [
    Resource(
        "customers", Customer, s.CustomerOut, s.CustomerArgs, "customers",
        {"id": Customer.id, "name": Customer.name, "created_at": Customer.created_at,
         "updated_at": Customer.updated_at}, _customer_filters, CustomerSchema,
        create=lambda data, actor: _services().customers.create(data, actor=actor),
        update=lambda rid, data, actor, version: _services().customers.update(rid, data, actor=actor,
                                                                              expected_version=version),
        delete=lambda rid, actor: _services().customers.delete(rid, actor=actor),
        owner_rule=lambda query, actor: query.where(or_(Customer.owner_id == actor.id, Customer.owner_id.is_(None))),
        one=(joinedload(Customer.tags), lazyload(Customer.owner), lazyload(Customer.important_dates)),
    ),
    Resource(
        "contacts", Contact, s.ContactOut, s.ContactArgs, "customers",
        {"id": Contact.id, "first_name": Contact.first_name}, _contact_filters, ContactSchema,
        create=lambda data, actor: _services().contacts.create(data, actor=actor),
        update=lambda rid, data, actor, version: _services().contacts.update(rid, data, actor=actor,
                                                                             expected_version=version),
        delete=lambda rid, actor: _services().contacts.delete(rid, actor=actor),
        owner_rule=_mine_through_customer(Contact),
    ),
    Resource(
        "touchpoints", Touchpoint, s.TouchpointOut, s.TouchpointArgs, "customers",
        {"id": Touchpoint.id, "occurred_at": Touchpoint.occurred_at}, _touchpoint_filters, TouchpointSchema,
        create=lambda data, actor: _services().touchpoints.record(data, actor=actor),
        owner_rule=_mine_through_customer(Touchpoint),
    ),
    Resource(
        "deals", Deal, s.DealOut, s.DealArgs, "customers",
        {"id": Deal.id, "amount": Deal.amount, "created_at": Deal.created_at}, _deal_filters, DealSchema,
        create=lambda data, actor: _services().deals.create(data, actor=actor),
        update=lambda rid, data, actor, version: _services().deals.update(rid, data, actor=actor,
                                                                          expected_version=version),
        delete=lambda rid, actor: _services().deals.delete(rid, actor=actor),
        owner_rule=lambda query, actor: query.where(or_(Deal.owner_id == actor.id, Deal.owner_id.is_(None))),
    ),
    Resource(
        "tasks", Task, s.TaskOut, s.TaskArgs, "customers",
        {"id": Task.id, "created_at": Task.created_at}, _task_filters, TaskSchema,
        create=lambda data, actor: _services().tasks.create(data, actor=actor),
        update=lambda rid, data, actor, version: _services().tasks.update(rid, data, actor=actor),
        owner_rule=lambda query, actor: query.where(or_(Task.assignee_id == actor.id, Task.assignee_id.is_(None))),
    ),
    Resource(
        "products", Product, s.ProductOut, s.ProductArgs, "customers",
        {"id": Product.id, "sku": Product.sku, "name": Product.name}, _product_filters, ProductSchema,
        create=lambda data, actor: _services().products.create(data, actor=actor),
        update=lambda rid, data, actor, version: _services().products.update(rid, data, actor=actor),
    ),
    Resource("pipelines", Pipeline, s.PipelineOut, s.PipelineArgs, "customers", {"id": Pipeline.id},
             lambda query, args: query),
    Resource(
        "users", User, s.UserOut, s.UserArgs, "users", {"id": User.id, "email": User.email},
        lambda query, args: query, UserInSchema,
        create=lambda data, actor: _services().users.create(data, actor=actor),
        update=lambda rid, data, actor, version: _services().users.update(rid, data, actor=actor),
    ),
]


def _load(session: Any, resource: Resource, record_id: int, actor: User) -> Any:
    if record_id > 2**31 - 1:
        raise NotFound(f"No {resource.name[:-1]} with id {record_id}.")
    query = resource.read_one
    if resource.owner_rule is not None and owns_only(actor):
        query = resource.owner_rule(query, actor)
    record = session.scalars(query, {"record_id": record_id}).unique().first()
    if record is None:
        raise NotFound(f"No {resource.name[:-1]} with id {record_id}.")
    return record


def _reload(resource: Resource, record_id: int, actor: User) -> Any:
    with crm().db.read_session() as session:
        return _load(session, resource, record_id, actor)


def register(resource: Resource) -> Blueprint:
    """A blueprint with the list, create, read, update and delete endpoints the resource supports."""
    blp = Blueprint(f"api-{resource.name}", __name__, url_prefix=f"/{resource.name}",
                    description=f"{resource.name.capitalize()}.")
    page = page_schema(resource.out)
    args_schema = type(f"{resource.args.__name__}Page", (resource.args, PageArgs), {})
    writable = resource.in_schema

    class Collection(MethodView):
        @blp.arguments(args_schema, location="query")
        @blp.response(200, page)
        @errors(blp, 422)
        def get(self, args: dict[str, Any]) -> Any:
            """List, filtered and sorted, one page at a time: pass ``next_cursor`` back as ``cursor``."""
            actor = require(resource.area)
            with crm().db.read_session() as session:
                query = resource.filters(select(resource.model), args)
                if resource.owner_rule is not None and owns_only(actor):
                    query = resource.owner_rule(query, actor)
                items, cursor = keyset_page(session, query, resource.model, args["sort"], args["limit"],
                                            args.get("cursor"), resource.sorts)
                return {"items": items, "next_cursor": cursor}

        if resource.create is not None and writable is not None:
            @blp.arguments(writable)
            @blp.response(201, resource.out)
            @errors(blp, 404, 409, 422)
            def post(self, _data: dict[str, Any]) -> Any:
                """Create one; the answer carries its ETag."""
                actor = require(resource.area)
                record = resource.create(request.get_json(), actor)
                return with_etag(_reload(resource, record.id, actor), 201)

    class Item(MethodView):
        @blp.response(200, resource.out)
        @errors(blp, 404)
        def get(self, record_id: int) -> Any:
            """Read one; the ETag header is what If-Match takes when changing it."""
            actor = require(resource.area)
            return with_etag(_reload(resource, record_id, actor))

        if resource.update is not None and writable is not None:
            def _change(self, record_id: int) -> Any:
                actor = require(resource.area)
                current = _reload(resource, record_id, actor)
                version = expected_version(current)
                resource.update(record_id, request.get_json(), actor, version)
                return with_etag(_reload(resource, record_id, actor))

            @blp.arguments(writable(partial=True))
            @blp.response(200, resource.out)
            @blp.doc(parameters=[{"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"},
                                  "description": "The ETag read with the record."}])
            @errors(blp, 404, 409, 412, 422, 428)
            def patch(self, _data: dict[str, Any], record_id: int) -> Any:
                """Change some fields. Requires If-Match; a stale ETag answers 412."""
                return self._change(record_id)

            if resource.put:
                @blp.arguments(writable)
                @blp.response(200, resource.out)
                @blp.doc(parameters=[{"in": "header", "name": "If-Match", "required": True,
                                      "schema": {"type": "string"}, "description": "The ETag read with the record."}])
                @errors(blp, 404, 409, 412, 422, 428)
                def put(self, _data: dict[str, Any], record_id: int) -> Any:
                    """Replace the record's fields. Requires If-Match; a stale ETag answers 412."""
                    return self._change(record_id)

        if resource.delete is not None:
            @blp.response(204)
            @errors(blp, 404, 409)
            def delete(self, record_id: int) -> Any:
                """Delete it and what belongs only to it."""
                actor = require(resource.area)
                _reload(resource, record_id, actor)
                resource.delete(record_id, actor)
                return None

    export_args = type(f"{resource.args.__name__}Export", (resource.args,), {})
    columns = [name for name, column in resource.out().fields.items()
               if not isinstance(column, fields.Nested | fields.List) or name == "tags"]

    @blp.route("/export.csv")
    @blp.arguments(export_args, location="query")
    @blp.response(200, {"type": "string"}, content_type="text/csv")
    @errors(blp, 422)
    def export(args: dict[str, Any]) -> Any:
        """The filtered list as CSV, streamed; cells that look like formulas are neutralised."""
        actor = require(resource.area)
        query = resource.filters(select(resource.model), args)
        if resource.owner_rule is not None and owns_only(actor):
            query = resource.owner_rule(query, actor)
        return Response(stream_csv(crm().db, query, resource.model, columns), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{resource.name}.csv"'})

    blp.add_url_rule("", "collection", view_func=Collection)
    blp.add_url_rule("/<int(signed=False):record_id>", "item", view_func=Item)
    return blp


@functools.cache
def core_blueprints() -> list[Blueprint]:
    """Built once per process: the views look the CRM up per request, so every app can share them."""
    return [register(resource) for resource in RESOURCES]

