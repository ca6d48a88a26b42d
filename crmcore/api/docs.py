"""A browsable API reference at /api/v1/docs, served from the installed Swagger UI assets (no internet needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, render_template, send_from_directory

blueprint = Blueprint("api_docs", __name__, template_folder="templates")
ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js")


def _assets_dir() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


@blueprint.get("/")
def reference() -> Any:
    return render_template("api/docs.html")


@blueprint.get("/assets/<name>")
def asset(name: str) -> Any:
    if name not in ASSETS:
        abort(404)
    return send_from_directory(_assets_dir(), name, max_age=86400)
