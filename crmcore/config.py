"""Settings: defaults from config/defaults.toml, each overridable by an environment variable CRM_<KEY>."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULTS_FILE = REPO_ROOT / "config" / "defaults.toml"
DEFAULT_SECRET_KEY = "dev-secret-change-me"  # noqa: S105 - refused in production


class ConfigError(RuntimeError):
    """The settings cannot be used; the message says which one and why."""


@dataclass(frozen=True)
class Settings:
    env: str
    secret_key: str
    password_hash_method: str
    database_url: str
    redis_url: str
    redis_prefix: str
    queues: str
    plugin_state_check_interval: float
    port: int
    default_language: str
    languages: str
    smtp_host: str
    smtp_port: int
    smtp_username: str
    smtp_password: str
    smtp_starttls: bool
    smtp_ssl: bool
    mail_from: str
    public_url: str
    login_attempts_per_15_minutes: int
    staff_see_own_records_only: bool

    @property
    def queue_names(self) -> list[str]:
        return [name.strip() for name in self.queues.split(",") if name.strip()]

    @property
    def language_codes(self) -> list[str]:
        return [code.strip() for code in self.languages.split(",") if code.strip()]

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **overrides)

    def check(self) -> None:
        if self.is_production and self.secret_key == DEFAULT_SECRET_KEY:
            raise ConfigError("CRM_SECRET_KEY must be set to a long random value in production")
        if self.is_production and len(self.secret_key) < 32:
            raise ConfigError("CRM_SECRET_KEY must be at least 32 characters in production")


def _coerce(name: str, raw: str, kind: type) -> Any:
    if kind is bool:
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"CRM_{name.upper()}: expected true or false, got {raw!r}")
    try:
        return kind(raw)
    except ValueError as exc:
        raise ConfigError(f"CRM_{name.upper()}: expected {kind.__name__}, got {raw!r}") from exc


def load_settings(environ: Mapping[str, str] | None = None, defaults_file: Path = DEFAULTS_FILE) -> Settings:
    environ = os.environ if environ is None else environ
    with open(defaults_file, "rb") as handle:
        values: dict[str, Any] = tomllib.load(handle)
    kinds = {f.name: {"str": str, "int": int, "float": float, "bool": bool}[f.type] for f in fields(Settings)}
    unknown = set(values) - set(kinds)
    if unknown:
        raise ConfigError(f"unknown settings in {defaults_file.name}: {', '.join(sorted(unknown))}")
    for name, kind in kinds.items():
        env_value = environ.get(f"CRM_{name.upper()}")
        if env_value is not None:
            values[name] = _coerce(name, env_value, kind)
    missing = set(kinds) - set(values)
    if missing:
        raise ConfigError(f"settings without a default: {', '.join(sorted(missing))}")
    settings = Settings(**values)
    return replace(settings, database_url=_absolute_sqlite_url(settings.database_url))


def _absolute_sqlite_url(url: str) -> str:
    """Relative SQLite paths are taken from the project root, so every command finds the same file."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite:///:memory:":
        path = REPO_ROOT / url[len(prefix):]
        path.parent.mkdir(parents=True, exist_ok=True)
        return prefix + str(path)
    return url
