"""The plugin contract: installed is not enabled; enabling migrates; requirements; disabling keeps data."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import inspect, select

from crmcore.errors import Refused, ValidationFailed
from crmcore.models import Customer
from tests.conftest import event_names
from tests.sample_plugins import recorder as sample


@pytest.fixture
def plugin_crm(crm_factory, calls):
    return crm_factory(plugins=[sample.recorder, sample.dependent])


def tables(crm) -> set[str]:
    with crm.db.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_installed_plugins_start_disabled(plugin_crm):
    listed = {row["name"]: row for row in plugin_crm.plugins.describe()}

    assert listed["recorder"] == {"name": "recorder", "title": "Recorder", "version": "1.0",
                                  "description": "Records events, for tests.", "requires": [], "enabled": False}
    assert listed["dependent"]["requires"] == ["recorder"]


def test_a_disabled_plugins_hooks_are_not_called(plugin_crm, calls):
    plugin_crm.services.customers.create({"name": "Acme"})

    assert calls == []


def test_enabling_runs_the_plugins_migrations_and_reports_them(plugin_crm):
    plugin_crm.plugins.purge("recorder")
    assert "recorder_notes" not in tables(plugin_crm)

    applied = plugin_crm.plugins.enable("recorder")

    assert applied == ["recorder_0001: recorder notes"]
    assert "recorder_notes" in tables(plugin_crm)
    assert plugin_crm.plugins.enable("recorder") == []


def test_hook_plugin_enabled_is_called_on_the_newly_enabled_plugin(plugin_crm, calls):
    plugin_crm.plugins.enable("recorder")

    assert ("plugin_enabled", {"crm": plugin_crm, "name": "recorder"}) in calls


def test_hook_plugin_disabled_reaches_the_plugins_still_enabled(crm_factory, calls):
    crm = crm_factory(plugins=[sample.recorder, sample.dependent], enabled=["recorder", "dependent"])
    calls.clear()

    crm.plugins.disable("dependent")

    assert event_names(calls) == ["plugin_disabled"]
    assert calls[0][1]["name"] == "dependent"


def test_hook_crm_closing_reaches_installed_plugins_even_when_disabled(plugin_crm, calls):
    assert not plugin_crm.plugins.is_enabled("recorder")

    plugin_crm.close()

    assert calls == [("crm_closing", {"crm": plugin_crm})]


def test_enabling_a_plugin_whose_requirements_are_off_is_refused_naming_them(plugin_crm):
    with pytest.raises(Refused, match="requires recorder"):
        plugin_crm.plugins.enable("dependent")

    assert not plugin_crm.plugins.is_enabled("dependent")


def test_disabling_a_plugin_another_enabled_one_requires_is_refused_naming_it(crm_factory):
    crm = crm_factory(plugins=[sample.recorder, sample.dependent], enabled=["recorder", "dependent"])

    with pytest.raises(Refused, match="dependent requires recorder"):
        crm.plugins.disable("recorder")

    assert crm.plugins.is_enabled("recorder")


def test_disabling_keeps_the_plugins_data(recording_crm):
    customer = recording_crm.services.customers.create({"name": "Acme"})
    sample.add_note(recording_crm, customer.id, "keep me")

    recording_crm.plugins.disable("recorder")
    recording_crm.plugins.enable("recorder")

    with recording_crm.db.session() as session:
        assert session.scalars(select(sample.RecorderNote.text)).all() == ["keep me"]


def test_purge_drops_the_tables_only_of_a_disabled_plugin(recording_crm):
    with pytest.raises(Refused, match="Disable recorder"):
        recording_crm.plugins.purge("recorder")

    recording_crm.plugins.disable("recorder")
    dropped = recording_crm.plugins.purge("recorder")

    assert dropped == ["recorder_notes"]
    assert not {"recorder_notes", "alembic_version_recorder"} & tables(recording_crm)
    assert "customers" in tables(recording_crm)
    recording_crm.plugins.enable("recorder")


def test_settings_come_from_the_schema_defaults_and_are_validated(recording_crm):
    assert recording_crm.plugins.settings("recorder") == {"greeting": "hello", "threshold": 70}

    recording_crm.plugins.save_settings("recorder", {"threshold": 80})
    assert recording_crm.plugins.settings("recorder")["threshold"] == 80

    with pytest.raises(ValidationFailed) as refused:
        recording_crm.plugins.save_settings("recorder", {"threshold": 101})
    assert "threshold" in refused.value.errors
    assert recording_crm.plugins.settings("recorder")["threshold"] == 80


def test_hook_segments_from_enabled_plugins_are_offered_and_counted(recording_crm):
    first = recording_crm.services.customers.create({"name": "A"})
    recording_crm.services.customers.create({"name": "B"})
    sample.add_note(recording_crm, first.id, "hi")

    keys = set(recording_crm.segments.all())
    with recording_crm.db.session() as session:
        noted = recording_crm.segments.count(session, "recorder:noted")
        leads = recording_crm.segments.count(session, "core:stage-lead")
        union = recording_crm.segments.count(session, "recorder:noted", "core:stage-lead")

    assert {"recorder:noted", "core:stage-lead", "core:consent-given"} <= keys
    assert (noted, leads, union) == (1, 2, 2)

    recording_crm.plugins.disable("recorder")
    assert "recorder:noted" not in recording_crm.segments.all()


def test_a_switch_in_one_process_reaches_another_running_process_within_a_second(plugin_crm, crm_settings):
    """A second OS process polls is_enabled; we flip the switch here and time how long it takes to see it."""
    watcher = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(__import__('pathlib').Path(__file__).resolve().parents[1])!r})
        from crmcore.runtime import CRM
        from tests.sample_plugins.recorder import recorder, dependent
        import crmcore.config as config
        settings = config.load_settings({{}}).with_overrides(database_url={crm_settings.database_url!r},
            env="test", plugin_state_check_interval=0.2)
        crm = CRM(settings, plugins=[recorder, dependent])
        print("ready", flush=True)
        deadline = time.monotonic() + 20
        while not crm.plugins.is_enabled("recorder") and time.monotonic() < deadline:
            time.sleep(0.02)
        print("enabled" if crm.plugins.is_enabled("recorder") else "timeout", flush=True)
    """)
    process = subprocess.Popen([sys.executable, "-c", watcher], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "ready"
        switched_at = time.monotonic()
        plugin_crm.plugins.enable("recorder")
        answer = process.stdout.readline().strip()
        seen_after = time.monotonic() - switched_at
    finally:
        process.wait(timeout=30)

    assert answer == "enabled"
    assert seen_after < 1.0


def test_disabled_plugin_screens_and_pages_answer_404(crm_factory, login):
    from crmcore.web import create_app

    crm = crm_factory(plugins=[sample.recorder, sample.dependent])
    app = create_app(crm, testing=True)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    login(client, "admin")

    assert client.get("/recorder-pages/hello").status_code == 404
    assert client.get("/recorder/").status_code == 404
    crm.plugins.enable("recorder")
    assert client.get("/recorder-pages/hello").data == b"hello from recorder"


def test_hook_web_blueprints_pages_require_login(crm_factory):
    from crmcore.web import create_app

    crm = crm_factory(plugins=[sample.recorder, sample.dependent], enabled=["recorder"])
    client = create_app(crm, testing=True).test_client()

    response = client.get("/recorder-pages/hello")

    assert response.status_code == 302 and "/login" in response.location


def test_hook_admin_views_appear_in_the_menu_only_while_enabled(crm_factory, login):
    from crmcore.web import create_app

    crm = crm_factory(plugins=[sample.recorder, sample.dependent], enabled=["recorder"])
    app = create_app(crm, testing=True)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    login(client, "admin")

    assert b"Recorder" in client.get("/").data
    assert client.get("/recorder/").data == b"recorder screen"
    crm.plugins.disable("recorder")
    assert b"Recorder" not in client.get("/").data
    assert client.get("/recorder/").status_code == 404


def test_customers_stay_when_a_plugin_is_purged(recording_crm):
    recording_crm.services.customers.create({"name": "Acme"})
    recording_crm.plugins.disable("recorder")
    recording_crm.plugins.purge("recorder")

    with recording_crm.db.session() as session:
        assert session.scalars(select(Customer.name)).all() == ["Acme"]
    recording_crm.plugins.enable("recorder")


def test_hook_cli_commands_run_only_while_the_plugin_is_enabled(crm_factory):
    from click.testing import CliRunner

    from crmcore.cli import Context, main

    crm = crm_factory(plugins=[sample.recorder, sample.dependent], enabled=["recorder"])
    context = Context()
    context._crm = crm

    enabled = CliRunner().invoke(main, ["recorder-hello"], obj=context)
    crm.plugins.disable("recorder")
    disabled = CliRunner().invoke(main, ["recorder-hello"], obj=context)

    assert enabled.exit_code == 0 and enabled.output == "hello from recorder\n"
    assert disabled.exit_code == 1 and "crm plugins enable recorder" in disabled.output


def test_hook_customer_panels_come_from_enabled_plugins_only(recording_crm, make_user):
    from crmcore.web.contributions import customer_panels

    customer = recording_crm.services.customers.create({"name": "Acme <b>"})
    user = make_user("staff")

    panels = customer_panels(recording_crm, customer, user)
    recording_crm.plugins.disable("recorder")

    assert [(p.title, p.plugin, str(p.html)) for p in panels] == [("Recorder", "recorder", "<p>Acme &lt;b&gt;</p>")]
    assert customer_panels(recording_crm, customer, user) == []


def test_hook_dashboard_widgets_come_from_enabled_plugins_only(recording_crm, make_user):
    from crmcore.web.contributions import dashboard_widgets

    user = make_user("staff")

    assert [w.title for w in dashboard_widgets(recording_crm, user)] == ["Recorded"]
    recording_crm.plugins.disable("recorder")
    assert dashboard_widgets(recording_crm, user) == []


def test_hook_api_blueprints_answer_404_while_the_plugin_is_disabled(crm_factory, login):
    from crmcore.web import create_app

    crm = crm_factory(plugins=[sample.recorder, sample.dependent], enabled=["recorder"])
    app = create_app(crm, testing=True)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    login(client, "staff")

    assert client.get("/api/v1/recorder/ping").get_json() == {"pong": "recorder"}
    crm.plugins.disable("recorder")
    assert client.get("/api/v1/recorder/ping").status_code == 404


def test_a_hook_published_by_a_plugin_that_is_not_installed_answers_nothing(crm):
    assert crm.hook.loyalty_points_for_a_plugin_nobody_installed(crm=crm, customer_ids=[1]) == []
