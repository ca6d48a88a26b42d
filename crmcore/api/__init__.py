"""The REST API under /api/v1 (flask-smorest): the core's resources and those plugins contribute."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask
from flask_smorest import Api

if TYPE_CHECKING:
    from crmcore.runtime import CRM

API_PREFIX = "/api/v1"


def init_api(app: Flask, crm: CRM) -> Api:
    app.config.update(
        API_TITLE="crmcore API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
    )
    api = Api(app, spec_kwargs={"servers": [{"url": "/"}]})
    for plugin_name, blueprint in crm.plugins.contributions("api_blueprints", crm=crm):
        api.register_blueprint(blueprint, url_prefix=f"{API_PREFIX}/{blueprint.url_prefix or blueprint.name}".replace(
            "//", "/"))
        app.extensions["crm_blueprint_plugins"][blueprint.name] = plugin_name
    app.extensions["crm_api"] = api
    return api
