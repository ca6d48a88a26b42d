"""Workspace settings on screen: an admin limits staff to their own records without touching the config."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crmcore.models import AuditEntry


@pytest.fixture
def admin_client(app, login):
    client = app.test_client()
    login(client, "admin")
    return client


def test_limiting_staff_to_their_own_records_takes_effect_at_once(app, crm, admin_client, login, make_user):
    staff_client = app.test_client()
    staff = login(staff_client, "staff")
    crm.services.customers.create({"name": "Mine", "owner_id": staff.id})
    crm.services.customers.create({"name": "Theirs", "owner_id": make_user("staff").id})
    assert "Theirs" in staff_client.get("/customers/").get_data(as_text=True)

    response = admin_client.post("/settings/workspace/", data={"staff_see_own_records_only": "on"})

    assert response.status_code == 302
    page = staff_client.get("/customers/").get_data(as_text=True)
    assert "Mine" in page and "Theirs" not in page


def test_the_saved_setting_reaches_another_process(crm_factory, crm, admin_client):
    other_process = crm_factory()
    assert other_process.settings.staff_see_own_records_only is False

    admin_client.post("/settings/workspace/", data={"staff_see_own_records_only": "on"})

    other_process.plugins.refresh()
    assert other_process.settings.staff_see_own_records_only is True


def test_the_form_shows_the_current_value(crm, admin_client):
    crm.services.workspace.save({"staff_see_own_records_only": True})

    page = admin_client.get("/settings/workspace/").get_data(as_text=True)

    assert 'name="staff_see_own_records_only" checked' in page


def test_a_change_is_written_to_the_audit_log_with_who_made_it(crm, admin_client):
    admin_client.post("/settings/workspace/", data={"staff_see_own_records_only": "on"})

    with crm.db.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "workspace_settings")).one()
    assert entry.changes == {"staff_see_own_records_only": [False, True]}
    assert entry.user_id is not None


@pytest.mark.parametrize("role", ["manager", "staff"])
def test_only_admins_may_change_workspace_settings(app, crm, login, role):
    client = app.test_client()
    login(client, role)

    assert client.get("/settings/workspace/").status_code == 403
    assert client.post("/settings/workspace/", data={"staff_see_own_records_only": "on"}).status_code == 403
    assert crm.settings.staff_see_own_records_only is False


def test_the_service_refuses_a_value_that_is_not_a_yes_or_no(crm):
    from crmcore.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        crm.services.workspace.save({"staff_see_own_records_only": "sometimes"})

    assert "staff_see_own_records_only" in refused.value.errors


@pytest.mark.parametrize(("language", "title"), [("fa", "تنظیمات فضای کار"), ("ru", "Настройки рабочего пространства")])
def test_the_settings_screen_speaks_the_users_language(app, login, language, title):
    client = app.test_client()
    login(client, "admin", language=language)

    page = client.get("/settings/workspace/").get_data(as_text=True)

    assert title in page
