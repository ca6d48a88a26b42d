"""The application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, abort, current_app, jsonify, request, session
from flask_babel import Babel
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from crmcore.errors import CRMError
from crmcore.runtime import CRM
from crmcore.web import auth, pages

log = logging.getLogger(__name__)
csrf = CSRFProtect()
RTL_LANGUAGES = {"fa", "ar", "he", "ur"}
TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"


def select_locale() -> str:
    from flask_login import current_user

    crm = _crm()
    choices = crm.settings.language_codes
    chosen = session.get("lang")
    if chosen in choices:
        return chosen
    if current_user and current_user.is_authenticated and current_user.language in choices:
        return current_user.language
    return request.accept_languages.best_match(choices) or crm.settings.default_language


def _crm() -> CRM:
    return current_app.extensions["crm"]


def _gate_plugin_pages() -> None:
    """Pages of a disabled plugin answer as absent."""
    owner = current_app.extensions["crm_blueprint_plugins"].get(request.blueprint)
    if owner is not None and not _crm().plugins.is_enabled(owner):
        abort(404)


def create_app(crm: CRM | None = None, testing: bool = False) -> Flask:
    crm = crm or CRM()
    app = Flask(__name__)
    app.extensions["crm"] = crm
    app.config.update(
        SECRET_KEY=crm.settings.secret_key,
        TESTING=testing,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=crm.settings.is_production,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE=crm.settings.default_language,
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
    )
    csrf.init_app(app)
    Babel(app, locale_selector=select_locale)
    auth.login_manager.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.before_request(auth.require_login)

    @app.context_processor
    def _language() -> dict[str, Any]:
        from flask_babel import get_locale

        lang = str(get_locale() or crm.settings.default_language)
        return {"lang": lang, "rtl": lang in RTL_LANGUAGES, "crm_languages": pages.language_choices()}

    @app.get("/health")
    def health() -> Any:
        with crm.db.read_connection() as connection:
            connection.execute(text("SELECT 1"))
        return jsonify(status="ok", jobs=crm.jobs.ping())

    app.extensions["crm_blueprint_plugins"] = {}
    app.before_request(_gate_plugin_pages)
    for plugin_name, blueprint in crm.plugins.contributions("web_blueprints", crm=crm):
        app.register_blueprint(blueprint)
        app.extensions["crm_blueprint_plugins"][blueprint.name] = plugin_name

    from crmcore.api import init_api
    from crmcore.web.admin import init_admin

    init_api(app, crm)
    init_admin(app, crm)
    _register_error_handlers(app)

    @app.after_request
    def _security_headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        app.extensions["crm_scoped_session"].remove()

    return app


def _register_error_handlers(app: Flask) -> None:
    """Errors answer with a short message: never a stack trace, never the record's data."""

    def wants_json() -> bool:
        return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"

    @app.errorhandler(CRMError)
    def _crm_error(exc: CRMError) -> Any:
        body: dict[str, Any] = {"message": exc.message}
        if hasattr(exc, "errors"):
            body["errors"] = exc.errors
        if wants_json():
            return jsonify(body), exc.status
        return f"{exc.status}: {exc.message}", exc.status

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> Any:
        return "400: The form expired or was not sent from this site; reload the page and try again.", 400

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):
            return exc
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url_rule)
        if wants_json():
            return jsonify(message="Internal error; it has been logged."), 500
        return "500: Internal error; it has been logged.", 500
