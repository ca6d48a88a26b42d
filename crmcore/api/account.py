"""Personal API tokens, personal data (export and erase) and the duplicate finder with merge."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from crmcore import policy
from crmcore.api.common import crm, errors, require, user
from crmcore.api.schemas import CustomerOut, UtcDateTime
from crmcore.errors import NotFound
from crmcore.importing.duplicates import customer_duplicates
from crmcore.models import ApiToken

tokens = Blueprint("api-tokens", __name__, url_prefix="/tokens", description="Your personal API tokens.")
people = Blueprint("api-personal-data", __name__, url_prefix="/personal-data",
                   description="A person's rights over their data: export everything, or erase it.")
duplicates = Blueprint("api-duplicates", __name__, url_prefix="/duplicates",
                       description="Customers that look like the same one, and merging them.")


class TokenIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    days = fields.Integer(load_default=90, allow_none=True, validate=validate.Range(min=1, max=3650))


class TokenOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String()
    prefix = fields.String()
    created_at = UtcDateTime()
    expires_at = UtcDateTime(allow_none=True)
    revoked_at = UtcDateTime(allow_none=True)
    last_used_at = UtcDateTime(allow_none=True)


class NewTokenOut(TokenOut):
    token = fields.String(required=True, metadata={"description": "Shown this once; only its hash is kept."})


class TokenList(Schema):
    items = fields.List(fields.Nested(TokenOut), required=True)


@tokens.route("")
class Tokens(MethodView):
    @tokens.response(200, TokenList)
    @errors(tokens)
    def get(self) -> Any:
        """Your tokens (never the tokens themselves)."""
        actor = user()
        with crm().db.session() as session:
            items = session.scalars(select(ApiToken).where(ApiToken.user_id == actor.id)
                                    .order_by(ApiToken.id.desc()).limit(500)).all()
        return {"items": items}

    @tokens.arguments(TokenIn)
    @tokens.response(201, NewTokenOut)
    @errors(tokens, 422)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a token acting as you. The answer is the only time the token is shown."""
        actor = user()
        token, record = crm().services.users.create_token(actor.id, data["name"], data["days"], actor=actor)
        return {"token": token, "id": record.id, "name": record.name, "prefix": record.prefix,
                "created_at": record.created_at, "expires_at": record.expires_at, "revoked_at": None,
                "last_used_at": None}


@tokens.route("/<int(signed=False):token_id>")
class TokenItem(MethodView):
    @tokens.response(204)
    @errors(tokens, 404)
    def delete(self, token_id: int) -> Any:
        """Revoke a token: it stops working at once."""
        actor = user()
        with crm().db.session() as session:
            owner = session.scalar(select(ApiToken.user_id).where(ApiToken.id == min(token_id, 2**31 - 1)))
        if owner is None or (owner != actor.id and not policy.may_enter(actor, "users")):
            raise NotFound(f"No token with id {token_id}.")
        crm().services.users.revoke_token(token_id, actor=actor)


class ExportOut(Schema):
    customer = fields.Dict()
    important_dates = fields.List(fields.Dict())
    contacts = fields.List(fields.Dict())
    touchpoints = fields.List(fields.Dict())
    deals = fields.List(fields.Dict())
    tasks = fields.List(fields.Dict())
    plugins = fields.Dict()


@people.route("/<int(signed=False):customer_id>")
class PersonalData(MethodView):
    @people.response(200, ExportOut)
    @errors(people, 404)
    def get(self, customer_id: int) -> Any:
        """Everything held about this customer, including what plugins hold (recorded in the audit log)."""
        actor = require("personal_data")
        return crm().services.personal_data.export(_checked(customer_id), actor=actor)

    @people.response(204)
    @errors(people, 404)
    def delete(self, customer_id: int) -> Any:
        """Erase: anonymise the person and keep the business figures (recorded in the audit log)."""
        actor = require("personal_data")
        crm().services.personal_data.erase(_checked(customer_id), actor=actor)


def _checked(record_id: int) -> int:
    if record_id > 2**31 - 1:
        raise NotFound(f"No customer with id {record_id}.")
    return record_id


class DuplicateOut(Schema):
    kept_id = fields.Integer()
    kept_name = fields.String()
    duplicate_id = fields.Integer()
    duplicate_name = fields.String()
    reason = fields.String()


class DuplicateArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    after_id = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**31 - 1))


class DuplicateList(Schema):
    items = fields.List(fields.Nested(DuplicateOut), required=True)


class MergeIn(Schema):
    kept_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    duplicate_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))


@duplicates.route("")
class Duplicates(MethodView):
    @duplicates.arguments(DuplicateArgs, location="query")
    @duplicates.response(200, DuplicateList)
    @errors(duplicates, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """Customers sharing an email, a phone or a reference, each with the older one to keep."""
        require("customers")
        with crm().db.session() as session:
            pairs = customer_duplicates(session, args["limit"], args["after_id"])
        return {"items": [pair.as_dict() for pair in pairs]}


@duplicates.route("/merge")
class Merge(MethodView):
    @duplicates.arguments(MergeIn)
    @duplicates.response(200, CustomerOut)
    @errors(duplicates, 404, 409, 422)
    def post(self, data: dict[str, Any]) -> Any:
        """Merge the duplicate into the kept customer: every contact, touchpoint, deal and task is kept."""
        actor = require("customers")
        for field in ("kept_id", "duplicate_id"):
            crm().services.customers.get(data[field], actor=actor)
        crm().services.customers.merge(data["kept_id"], data["duplicate_id"], actor=actor)
        return crm().services.customers.get(data["kept_id"], actor=actor)


BLUEPRINTS = (tokens, people, duplicates)
