"""The plugins screen: switches, refusals and settings forms generated from the plugin's schema."""

from __future__ import annotations

import pytest

from crmcore.web import create_app
from tests.sample_plugins import recorder as recorder_module


@pytest.fixture
def off_client(crm_factory, login):
    """An admin's client on a CRM where the recorder and its dependant are installed and both off."""
    crm = crm_factory(plugins=[recorder_module.recorder, recorder_module.dependent])
    app = create_app(crm, testing=True)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    login(client, "admin")
    client.crm = crm
    return client


def test_every_installed_plugin_is_listed_with_its_details(off_client):
    page = off_client.get("/plugins/").get_data(as_text=True)

    assert "Recorder" in page and "Records events, for tests." in page and "1.0" in page
    assert "Requires" in page and "recorder" in page


def test_turning_a_plugin_on_reports_its_migrations_and_shows_its_menu(off_client):
    off_client.crm.plugins.purge("recorder")
    assert 'href="/recorder/"' not in off_client.get("/").get_data(as_text=True)

    page = off_client.post("/plugins/recorder/switch", data={"enabled": "1"}, follow_redirects=True).get_data(
        as_text=True)

    assert "Recorder is on." in page and "recorder_0001" in page
    assert 'href="/recorder/"' in page


def test_turning_a_plugin_off_removes_its_menu_panels_and_widgets_at_once(ui_client, login, add_customer):
    login(ui_client, "admin")
    customer = add_customer("Acme")

    ui_client.post("/plugins/recorder/switch", data={"enabled": "0"})

    assert 'data-plugin="recorder"' not in ui_client.get("/").get_data(as_text=True)
    assert 'data-plugin="recorder"' not in ui_client.get(f"/customer/{customer.id}/").get_data(as_text=True)
    assert 'href="/recorder/"' not in ui_client.get("/").get_data(as_text=True)
    assert ui_client.get("/recorder/").status_code == 404


def test_a_refused_switch_says_why(off_client):
    page = off_client.post("/plugins/dependent/switch", data={"enabled": "1"}, follow_redirects=True).get_data(
        as_text=True)

    assert "Dependent requires recorder; enable recorder first." in page


def test_settings_are_saved_from_the_generated_form(ui_client, ui_crm, login):
    login(ui_client, "admin")

    ui_client.post("/plugins/recorder/settings", data={"greeting": "salaam", "threshold": "۸۰"})

    assert ui_crm.plugins.settings("recorder") == {"greeting": "salaam", "threshold": 80}


def test_a_refused_setting_is_shown_beside_its_field(ui_client, ui_crm, login):
    login(ui_client, "admin")

    response = ui_client.post("/plugins/recorder/settings", data={"greeting": "hi", "threshold": "250"})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    threshold = page[page.index('id="recorder-threshold"'):]
    assert "Must be greater than or equal to 0 and less than or equal to 100." in threshold[:600]
    assert ui_crm.plugins.settings("recorder")["threshold"] == 70
