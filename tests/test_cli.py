"""The crm command line, run as a user would: a real process against a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_crm(crm, crm_settings):
    env = {**os.environ, "CRM_DATABASE_URL": crm_settings.database_url, "CRM_REDIS_URL": crm_settings.redis_url,
           "CRM_REDIS_PREFIX": crm_settings.redis_prefix, "PYTHONPATH": str(ROOT)}

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "crmcore.cli", *args], env=env, cwd=ROOT,
                                capture_output=True, text=True, timeout=300)
        if check:
            assert result.returncode == 0, result.stderr
        return result

    return run


def test_plugins_list_json_prints_each_installed_plugin(run_crm, crm):
    listed = json.loads(run_crm("plugins", "list", "--json").stdout)

    assert {row["name"] for row in listed} == set(crm.plugins.installed)
    for row in listed:
        assert {"name", "version", "enabled", "requires"} <= set(row)


def test_init_is_safe_to_run_again(run_crm):
    assert "Database ready" in run_crm("init").stdout
    assert "(0 migration steps applied)" in run_crm("init").stdout


def test_users_create_then_the_user_can_log_in(run_crm, crm):
    result = run_crm("users", "create", "--email", "Olena@Example.com", "--password", "long enough pw",
                     "--role", "manager")

    assert "Created manager olena@example.com" in result.stdout
    assert crm.services.users.authenticate("olena@example.com", "long enough pw") is not None


def test_users_create_with_a_bad_email_prints_the_reason_not_a_traceback(run_crm):
    result = run_crm("users", "create", "--email", "nope", "--password", "long enough pw", check=False)

    assert result.returncode == 1
    assert "email: Not a valid email address." in result.stderr
    assert "Traceback" not in result.stderr


def test_tokens_create_prints_a_token_that_authenticates(run_crm, crm, make_user):
    user = make_user("staff", email="api@example.com")

    result = run_crm("tokens", "create", "--email", "api@example.com", "--name", "web shop", "--days", "30")
    token = result.stdout.strip()

    assert token.startswith("crm_")
    assert crm.services.users.user_for_token(token).id == user.id


def test_enabling_an_unknown_plugin_is_a_clear_error(run_crm):
    result = run_crm("plugins", "enable", "nosuchplugin", check=False)

    assert result.returncode == 1
    assert "No plugin named 'nosuchplugin' is installed." in result.stderr


def test_purge_asks_for_confirmation(run_crm):
    result = run_crm("plugins", "purge", "leadscoring", check=False)

    assert result.returncode == 2 and "--yes" in result.stderr


def test_demo_creates_customers_in_four_languages(run_crm, crm):
    from sqlalchemy import select

    from crmcore.models import Customer

    run_crm("demo", "--customers", "40")

    with crm.db.session() as session:
        countries = set(session.scalars(select(Customer.country)))
        names = list(session.scalars(select(Customer.name)))
    assert countries == {"GB", "IR", "RU", "UA"}
    assert any("\u0600" <= ch <= "\u06ff" for name in names for ch in name)
    assert any("\u0400" <= ch <= "\u04ff" for name in names for ch in name)
