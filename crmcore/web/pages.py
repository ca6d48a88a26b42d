"""Pages outside Flask-Admin's model screens: the language switch and the stylesheet and script of ours."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, request, session

from crmcore.web.auth import _safe_next, acting_user

bp = Blueprint("crm_web", __name__, static_folder="static", static_url_path="/crm-static")

LANGUAGE_NAMES = {"en": "English", "fa": "فارسی", "ru": "Русский", "uk": "Українська"}


def language_choices() -> list[tuple[str, str]]:
    return [(code, LANGUAGE_NAMES.get(code, code)) for code in current_app.extensions["crm"].settings.language_codes]


@bp.post("/language")
def set_language() -> Any:
    """Store the chosen language on the user (every later session uses it) and in this session."""
    language = request.form.get("language", "")
    crm = current_app.extensions["crm"]
    if language not in crm.settings.language_codes:
        abort(400)
    user = acting_user()
    if user is not None and user.language != language:
        crm.services.users.update(user.id, {"language": language}, actor=user)
    session["lang"] = language
    return redirect(_safe_next(request.form.get("next")))
