"""Log-in, log-out and the rule that nothing but the log-in page is reachable without a session."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import redis
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from crmcore.models import User

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.session_protection = "strong"

WINDOW_SECONDS = 15 * 60


class LoginUser:
    """Flask-Login's view of a user: a detached copy, so no database session outlives a request."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.id = user.id
        self.is_authenticated = True
        self.is_active = user.active
        self.is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.user, name)


@login_manager.user_loader
def load_user(user_id: str) -> LoginUser | None:
    crm = current_app.extensions["crm"]
    if not user_id.isdigit():
        return None
    with crm.db.read_session() as db_session:
        user = db_session.get(User, int(user_id))
    return LoginUser(user) if user is not None and user.active else None


@login_manager.request_loader
def load_user_from_token(req: Any) -> LoginUser | None:
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    user = current_app.extensions["crm"].services.users.user_for_token(header[7:].strip())
    return LoginUser(user) if user is not None else None


def public(view: Callable) -> Callable:
    """Mark a view as reachable without logging in (unsubscribe pages, tracking pixels, public forms)."""
    view.crm_public = True  # type: ignore[attr-defined]
    return view


def acting_user() -> User | None:
    return current_user.user if current_user.is_authenticated else None


def require_login() -> Any:
    """Runs before every request: only the log-in page, static files and public views pass without a session."""
    if request.endpoint is None:
        return None
    view = current_app.view_functions.get(request.endpoint)
    if request.endpoint in {"auth.login", "static", "health"} or request.endpoint.endswith(".static") \
            or getattr(view, "crm_public", False):
        return None
    if current_user.is_authenticated:
        return None
    if request.path.startswith("/api/"):
        abort(401)
    return login_manager.unauthorized()


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class LoginThrottle:
    """Counts failed log-ins per address and per account within a quarter of an hour.

    The counts live in Redis, so every web process behind a load balancer shares them; while Redis cannot be
    reached each process falls back to counting on its own, so log-in keeps working and stays limited.
    """

    def __init__(self) -> None:
        self._local: dict[str, list[float]] = {}

    def _keys(self, email: str) -> list[str]:
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
        return [f"ip:{request.remote_addr}", f"account:{digest}"]

    @staticmethod
    def _redis_key(key: str) -> str:
        return f"{current_app.extensions['crm'].settings.redis_prefix}:login-failures:{key}"

    @staticmethod
    def _connection() -> Any:
        crm = current_app.extensions["crm"]
        if not crm.settings.redis_url:
            return None
        return crm.jobs.connection

    def _shared(self, action: Callable[[Any], Any]) -> tuple[bool, Any]:
        """Run ``action`` on Redis; (False, None) when Redis is not configured or cannot be reached."""
        try:
            connection = self._connection()
            if connection is None:
                return False, None
            return True, action(connection)
        except (redis.RedisError, OSError):
            return False, None

    def blocked(self, email: str) -> bool:
        limit = current_app.extensions["crm"].settings.login_attempts_per_15_minutes
        keys = self._keys(email)
        ok, counts = self._shared(lambda r: r.mget([self._redis_key(k) for k in keys]))
        if ok:
            return any(int(count or 0) >= limit for count in counts)
        now = time.time()
        for key in keys:
            attempts = [t for t in self._local.get(key, []) if now - t < WINDOW_SECONDS]
            self._local[key] = attempts
            if len(attempts) >= limit:
                return True
        return False

    def failed(self, email: str) -> None:
        def count(connection: Any) -> None:
            pipe = connection.pipeline()
            for key in self._keys(email):
                pipe.incr(self._redis_key(key))
                pipe.expire(self._redis_key(key), WINDOW_SECONDS, nx=True)
            pipe.execute()

        ok, _ = self._shared(count)
        if not ok:
            for key in self._keys(email):
                self._local.setdefault(key, []).append(time.time())

    def succeeded(self, email: str) -> None:
        account = self._keys(email)[1]
        self._shared(lambda r: r.delete(self._redis_key(account)))
        self._local.pop(account, None)


throttle = LoginThrottle()


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("admin.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("admin.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip()
        if throttle.blocked(email):
            flash("Too many failed attempts. Wait a quarter of an hour and try again.", "error")
            return render_template("auth/login.html", form=form), 429
        user = current_app.extensions["crm"].services.users.authenticate(email, form.password.data)
        if user is None:
            throttle.failed(email)
            flash("Wrong email or password.", "error")
            return render_template("auth/login.html", form=form), 401
        throttle.succeeded(email)
        session.clear()
        login_user(LoginUser(user))
        session["lang"] = user.language
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
