from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from crmcore import policy
from crmcore.db import utcnow
from crmcore.errors import NotFound, ValidationFailed
from crmcore.models import ApiToken, User
from crmcore.schemas import UserSchema
from crmcore.services.base import Service, apply_changes, audit

TOKEN_PREFIX = "crm_"  # noqa: S105 - a public prefix, not a secret
LAST_USED_PRECISION = timedelta(minutes=1)
# A constant hash to compare against when the account does not exist, so timing does not reveal accounts.
_DUMMY_HASH = generate_password_hash("not-a-real-password")
# Built once: every API request runs it, and a statement built per call costs more Python than the query's round trip.
_TOKEN_AND_USER = (select(ApiToken.id, ApiToken.expires_at, ApiToken.revoked_at, ApiToken.last_used_at, User)
                   .join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == bindparam("token_hash")))


def hash_token(token: str) -> str:
    """API tokens are long random strings, so a fast digest is safe here (unlike passwords)."""
    return hashlib.sha256(token.encode()).hexdigest()


class UserService(Service):
    schema = UserSchema()

    def _hash(self, password: str) -> str:
        return generate_password_hash(password, method=self.crm.settings.password_hash_method)

    def create(self, data: Mapping[str, Any], actor: User | None = None) -> User:
        policy.require(actor, "users")
        values = self.validate(self.schema, data)
        password = values.pop("password", None)
        if not password:
            raise ValidationFailed({"password": ["Missing data for required field."]})
        with self.transaction() as t:
            if t.session.scalar(select(User.id).where(func.lower(User.email) == values["email"])):
                raise ValidationFailed({"email": ["A user with this email exists."]})
            user = User(**values, password_hash=self._hash(password))
            user.name = user.name or ""
            t.session.add(user)
            t.session.flush()
            audit(t.session, actor, "user", user.id, "create", {"email": [None, user.email],
                                                                 "role": [None, user.role]})
        return user

    def update(self, user_id: int, data: Mapping[str, Any], actor: User | None = None) -> User:
        if actor is not None and actor.id != user_id:
            policy.require(actor, "users")
        values = self.validate(self.schema, data, partial=True)
        if actor is not None and actor.id == user_id and "role" in values and values["role"] != actor.role:
            policy.require(actor, "users")
        password = values.pop("password", None)
        with self.transaction() as t:
            user = self.fetch(t.session, User, user_id, "user")
            changes = apply_changes(user, values)
            if password:
                user.password_hash = self._hash(password)
                changes["password"] = ("***", "***")
            if changes:
                audit(t.session, actor, "user", user.id, "update", changes)
        return user

    def authenticate(self, email: str, password: str) -> User | None:
        with self.crm.db.session() as session:
            user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
            if user is None or not user.active:
                check_password_hash(_DUMMY_HASH, password)
                return None
            if not check_password_hash(user.password_hash, password):
                return None
            user.last_login_at = utcnow()
            return user

    def by_email(self, email: str) -> User:
        with self.crm.db.session() as session:
            user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
        if user is None:
            raise NotFound(f"No user with email {email}.")
        return user

    def create_token(self, user_id: int, name: str, days: int | None = 90,
                     actor: User | None = None) -> tuple[str, ApiToken]:
        """Create a personal API token. The token is returned once; only its digest is stored."""
        if actor is not None and actor.id != user_id:
            policy.require(actor, "users")
        name = (name or "").strip()
        if not name or len(name) > 100:
            raise ValidationFailed({"name": ["Give the token a name of at most 100 characters."]})
        if days is not None and not 1 <= days <= 3650:
            raise ValidationFailed({"days": ["Between 1 and 3650 days."]})
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.transaction() as t:
            self.fetch(t.session, User, user_id, "user")
            record = ApiToken(user_id=user_id, name=name, token_hash=hash_token(token), prefix=token[:12],
                              expires_at=utcnow() + timedelta(days=days) if days else None)
            t.session.add(record)
            t.session.flush()
            audit(t.session, actor, "api_token", record.id, "create", {"name": [None, name]})
        return token, record

    def revoke_token(self, token_id: int, actor: User | None = None) -> None:
        with self.transaction() as t:
            record = self.fetch(t.session, ApiToken, token_id, "token")
            if actor is not None and actor.id != record.user_id:
                policy.require(actor, "users")
            record.revoked_at = utcnow()
            audit(t.session, actor, "api_token", record.id, "revoke", {})

    def user_for_token(self, token: str) -> User | None:
        """The active user a token acts as, or None. One query; "last used" is written at most once a minute,
        so a busy integration does not turn every read into a write."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        with self.crm.db.read_session() as session:
            row = session.execute(_TOKEN_AND_USER, {"token_hash": hash_token(token)}).one_or_none()
            if row is None:
                return None
            token_id, expires_at, revoked_at, last_used_at, user = row
            now = utcnow()
            expires_at, last_used_at = _aware(expires_at, now), _aware(last_used_at, now)
            if revoked_at is not None or (expires_at is not None and expires_at <= now):
                return None
            if last_used_at is None or now - last_used_at >= LAST_USED_PRECISION:
                session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
            return user if user.active else None


def _aware(value: datetime | None, now: datetime) -> datetime | None:
    """SQLite gives back naive datetimes; they were written in UTC."""
    return value.replace(tzinfo=now.tzinfo) if value is not None and value.tzinfo is None else value
