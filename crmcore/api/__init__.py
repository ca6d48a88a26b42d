"""The REST API under /api/v1 (flask-smorest): the core's resources and those plugins contribute.

Authentication is a personal token (``Authorization: Bearer crm_...``) or the browser session. A write made
with the session must carry the CSRF token (header ``X-CSRFToken``); a token-authenticated request cannot be
forged by another site, so it needs none.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from apispec.ext.marshmallow import MarshmallowPlugin, resolver
from flask import Flask, abort, request, session
from flask_smorest import Api
from marshmallow import Schema

if TYPE_CHECKING:
    from crmcore.runtime import CRM

API_PREFIX = "/api/v1"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _check_csrf() -> None:
    """Session-authenticated writes must prove they come from our own pages."""
    from flask import current_app
    from flask_wtf.csrf import ValidationError, validate_csrf

    if request.blueprint not in current_app.extensions.get("crm_api_blueprints", ()):
        return
    if request.method in SAFE_METHODS or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    bearer = request.headers.get("Authorization", "").startswith("Bearer ")
    if bearer and "_user_id" not in session:
        return
    try:
        validate_csrf(request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token"))
    except ValidationError:
        abort(400, description="Send the page's CSRF token in an X-CSRFToken header, or use an API token.")


def _numeric_range(self: Any, field: Any, ret: dict[str, Any], **_: Any) -> dict[str, Any]:
    """Money limits are Decimals; the OpenAPI document must show them as numbers, not strings."""
    from marshmallow import fields

    if not isinstance(field, fields.Number):
        return {}
    return {key: float(value) for key, value in ret.items()
            if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
            and isinstance(value, Decimal | str)}


def _register(api: Api, app: Flask, blueprint: Any, url_prefix: str, plugin: str | None = None) -> None:
    from crmcore.web.app import csrf

    csrf.exempt(blueprint)
    app.extensions.setdefault("crm_api_blueprints", set()).add(blueprint.name)
    api.register_blueprint(blueprint, url_prefix=url_prefix)
    if plugin is not None:
        app.extensions["crm_blueprint_plugins"][blueprint.name] = plugin


def _schema_name(schema: type[Schema] | Schema) -> str:
    """OpenAPI component names: apispec's (the class name without "Schema"), with "Patch" added for the partial
    schema of a PATCH body, which would otherwise take the full schema's name and get a warning and a number."""
    name = resolver(schema)
    return f"{name}Patch" if isinstance(schema, Schema) and schema.partial else name


def init_api(app: Flask, crm: CRM) -> Api:
    app.config.update(
        API_TITLE="crmcore API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
    )
    api = Api(app, spec_kwargs={
        "marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=_schema_name),
        "servers": [{"url": "/"}],
        "info": {"description": "Customers, contacts, touchpoints, deals, tasks and products of crmcore. "
                                "Authenticate with a personal token: `Authorization: Bearer crm_...`."},
    })
    api.spec.components.security_scheme("token", {"type": "http", "scheme": "bearer"})
    api.ma_plugin.converter.add_attribute_function(_numeric_range)
    api.spec.options["security"] = [{"token": []}]

    from crmcore.api.account import BLUEPRINTS
    from crmcore.api.docs import blueprint as docs
    from crmcore.api.imports import blp as imports
    from crmcore.api.resources import core_blueprints
    from crmcore.api.webhooks import blp as webhooks

    for blueprint in [*core_blueprints(), *BLUEPRINTS, imports, webhooks]:
        _register(api, app, blueprint, f"{API_PREFIX}{blueprint.url_prefix}")
    for plugin_name, blueprint in crm.plugins.contributions("api_blueprints", crm=crm):
        _register(api, app, blueprint, f"{API_PREFIX}/{blueprint.url_prefix or blueprint.name}".replace("//", "/"),
                  plugin_name)
    app.before_request(_check_csrf)
    app.register_blueprint(docs, url_prefix=f"{API_PREFIX}/docs")
    app.extensions["crm_api"] = api
    return api
