from __future__ import annotations

import pytest

from crmcore.config import ConfigError, Settings, load_settings


def test_every_setting_has_a_default_and_an_environment_override():
    defaults = load_settings({})
    for name in Settings.__dataclass_fields__:
        kind = type(getattr(defaults, name))
        raw = {bool: "true", int: "7", float: "1.5", str: "value-from-env"}[kind]
        overridden = load_settings({f"CRM_{name.upper()}": raw})
        assert str(getattr(overridden, name)).lower() in {raw, "7", "1.5"} or getattr(overridden, name) == raw


def test_a_wrongly_typed_override_names_the_variable():
    with pytest.raises(ConfigError, match="CRM_PORT: expected int"):
        load_settings({"CRM_PORT": "eighty"})


def test_production_refuses_the_default_secret_key():
    with pytest.raises(ConfigError, match="CRM_SECRET_KEY"):
        load_settings({"CRM_ENV": "production"}).check()


def test_production_starts_with_a_real_secret_key():
    load_settings({"CRM_ENV": "production", "CRM_SECRET_KEY": "x" * 40}).check()


def test_a_relative_sqlite_path_is_taken_from_the_project_root():
    settings = load_settings({"CRM_DATABASE_URL": "sqlite:///var/somewhere.sqlite3"})

    assert settings.database_url.startswith("sqlite:////") and settings.database_url.endswith("/var/somewhere.sqlite3")
