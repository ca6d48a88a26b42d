"""The customer page, the pipeline board, the dashboard, roles, languages and CSRF."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from crmcore.models import Deal, Pipeline, User
from crmcore.web import create_app


def names(events):
    return [name for name, _ in events]


@pytest.fixture
def stages(ui_crm):
    with ui_crm.db.session() as session:
        pipeline = session.scalar(select(Pipeline).where(Pipeline.is_default.is_(True)))
        return {stage.name: stage.id for stage in pipeline.stages}


def test_the_customer_page_shows_contacts_timeline_deals_tasks_and_plugin_panels(ui_client, ui_crm, add_customer,
                                                                                  login):
    login(ui_client, "staff")
    customer = add_customer("Acme")
    ui_crm.services.contacts.create({"customer_id": customer.id, "first_name": "Olena", "emails": ["o@acme.example"]})
    ui_crm.services.touchpoints.record({"customer_id": customer.id, "channel": "phone", "subject": "Asked for prices"})
    ui_crm.services.deals.create({"customer_id": customer.id, "title": "Forty chairs", "amount": "1200"})
    ui_crm.services.tasks.create({"customer_id": customer.id, "title": "Send the offer"})

    page = ui_client.get(f"/customer/{customer.id}/").get_data(as_text=True)

    for text in ("Olena", "Asked for prices", "Forty chairs", "Send the offer", 'data-plugin="recorder"'):
        assert text in page


def test_logging_a_call_from_the_customer_page_records_a_touchpoint(ui_client, add_customer, login, events):
    login(ui_client, "staff")
    customer = add_customer("Acme")
    events.clear()

    response = ui_client.post(f"/customer/{customer.id}/touchpoint",
                              data={"channel": "phone", "direction": "outbound", "subject": "Called about the offer"})

    assert response.status_code == 302
    assert names(events) == ["touchpoint_recorded"]
    assert "Called about the offer" in ui_client.get(f"/customer/{customer.id}/").get_data(as_text=True)


def test_a_quick_action_with_bad_input_says_which_field(ui_client, add_customer, login):
    login(ui_client, "staff")
    customer = add_customer("Acme")

    ui_client.post(f"/customer/{customer.id}/task", data={"title": "Call back", "due_on": "tomorrow"})

    page = ui_client.get(f"/customer/{customer.id}/").get_data(as_text=True)
    assert "due_on" in page and "No tasks." in page


def test_quick_actions_accept_persian_digits(ui_client, ui_crm, add_customer, login):
    login(ui_client, "staff")
    customer = add_customer("Acme")

    ui_client.post(f"/customer/{customer.id}/deal", data={"title": "Tables", "amount": "۱۲۵۰٫۵"})

    with ui_crm.db.session() as session:
        assert str(session.scalar(select(Deal.amount))) == "1250.50"


def test_the_timeline_pages_through_older_touchpoints(ui_client, ui_crm, add_customer, login):
    from datetime import UTC, datetime

    login(ui_client, "staff")
    customer = add_customer("Acme")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(30):
        ui_crm.services.touchpoints.record({"customer_id": customer.id, "channel": "email", "subject": f"Mail {i:02d}",
                                            "occurred_at": (start + timedelta(hours=i)).isoformat()})

    first = ui_client.get(f"/customer/{customer.id}/").get_data(as_text=True)
    cursor = first.split("before=")[1].split('"')[0].replace("&amp;", "&")
    older = ui_client.get(f"/customer/{customer.id}/?before={cursor}").get_data(as_text=True)

    assert "Mail 29" in first and "Mail 04" not in first
    assert "Mail 04" in older and "Mail 29" not in older


def test_the_customer_page_lists_open_deals_first_then_the_newest_closed_ones(ui_client, ui_crm, add_customer,
                                                                               login):
    login(ui_client, "staff")
    customer = add_customer("Key account")
    ui_crm.services.deals.create({"customer_id": customer.id, "title": "Open early", "amount": "1"})
    for i in range(55):
        ui_crm.services.deals.create({"customer_id": customer.id, "title": f"Closed {i:02d}", "amount": "1",
                                      "status": "won"})
    ui_crm.services.deals.create({"customer_id": customer.id, "title": "Open late", "amount": "1"})

    page = ui_client.get(f"/customer/{customer.id}/").get_data(as_text=True)
    deals = page[page.index('id="deals"'):]

    shown = [title for title in ["Open late", "Open early", "Closed 54", "Closed 07", "Closed 06"] if title in deals]
    assert shown == ["Open late", "Open early", "Closed 54", "Closed 07"]
    assert deals.index("Open early") < deals.index("Closed 54") < deals.index("Closed 07")


def test_the_board_shows_count_and_weighted_value_per_stage(ui_client, ui_crm, add_customer, login, stages):
    login(ui_client, "manager")
    customer = add_customer("Acme")
    for amount in ("1000", "3000"):
        ui_crm.services.deals.create({"customer_id": customer.id, "title": f"Deal {amount}", "amount": amount,
                                      "stage_id": stages["Proposal"]})

    page = ui_client.get("/board/").get_data(as_text=True)

    column = page[page.index(f'data-stage-id="{stages["Proposal"]}"'):]
    assert '<span class="crm-count">2</span>' in column[:600]
    assert "2,000.00" in column[:600]


def test_moving_a_card_moves_the_deal_and_fires_the_hook(ui_client, ui_crm, add_customer, login, stages, events):
    login(ui_client, "staff")
    deal = ui_crm.services.deals.create({"customer_id": add_customer("Acme").id, "title": "Chairs", "amount": "10"})
    events.clear()

    response = ui_client.post("/board/move", json={"deal_id": deal.id, "stage_id": stages["Negotiation"]})

    assert response.status_code == 200 and response.json["stage_id"] == stages["Negotiation"]
    assert "deal_stage_changed" in names(events)


def test_a_refused_move_answers_with_the_reason(ui_client, login):
    login(ui_client, "staff")

    response = ui_client.post("/board/move", json={"deal_id": 999999, "stage_id": 1})

    assert response.status_code == 404 and "No deal" in response.json["message"]


def test_the_dashboard_shows_the_funnel_r_n_v_l_todays_tasks_and_plugin_widgets(ui_client, ui_crm, add_customer,
                                                                                  login):
    user = login(ui_client, "manager")
    customer = add_customer("Acme")
    ui_crm.services.deals.create({"customer_id": customer.id, "title": "Sale", "amount": "500", "status": "won",
                                  "closed_on": (date.today() - timedelta(days=3)).isoformat()})
    ui_crm.services.tasks.create({"title": "Call Acme", "due_on": date.today().isoformat(),
                                  "assignee_id": user.id})

    page = ui_client.get("/").get_data(as_text=True)

    assert '<svg' in page and 'id="funnel"' in page and "R = N × V × L" in page
    assert "Call Acme" in page and 'data-plugin="recorder"' in page
    n_value = page[page.index('id="rnvl"'):].split('crm-card-stat">')[1].split("<")[0]
    assert n_value == "1"


def test_r_n_v_l_counts_active_customers_revenue_and_retention(ui_crm, add_customer):
    from crmcore.web.metrics import rnvl_point

    today = date(2026, 6, 30)
    kept, lost, new = add_customer("Kept"), add_customer("Lost"), add_customer("New")
    for customer, closed, amount in ((kept, date(2025, 3, 1), "100"), (lost, date(2025, 4, 1), "100"),
                                     (kept, date(2026, 2, 1), "300"), (new, date(2026, 3, 1), "100")):
        ui_crm.services.deals.create({"customer_id": customer.id, "title": "Sale", "amount": amount,
                                      "status": "won", "closed_on": closed.isoformat()})

    with ui_crm.db.session() as session:
        point = rnvl_point(session, today)

    assert (point.active, str(point.value), point.loyalty) == (2, "200.00", 0.5)
    assert str(point.revenue) == "200.00"


@pytest.mark.parametrize("path", ["/plugins/", "/users/", "/audit/", "/pipelines/", "/custom_fields/"])
def test_staff_get_403_on_admin_screens(ui_client, login, path):
    login(ui_client, "staff")

    assert ui_client.get(path).status_code == 403


def test_admin_screens_are_hidden_from_the_staff_menu(ui_client, login):
    login(ui_client, "staff")

    page = ui_client.get("/").get_data(as_text=True)

    assert 'href="/customers/"' in page and 'href="/plugins/"' not in page and 'href="/users/"' not in page


def test_managers_see_reports_but_not_users(ui_client, login):
    login(ui_client, "manager")

    assert ui_client.get("/products/").status_code == 200
    assert ui_client.get("/users/").status_code == 403


def test_switching_to_persian_stores_the_language_and_turns_the_page_right_to_left(ui_client, ui_crm, login):
    user = login(ui_client, "staff")

    ui_client.post("/language", data={"language": "fa", "next": "/customers/"})

    with ui_crm.db.session() as session:
        assert session.get(User, user.id).language == "fa"
    assert 'dir="rtl"' in ui_client.get("/").get_data(as_text=True)


def test_screens_are_translated_into_russian(ui_client, login):
    login(ui_client, "staff", language="ru")

    page = ui_client.get("/").get_data(as_text=True)

    assert 'lang="ru"' in page and "Клиенты" in page


def test_quick_action_forms_need_their_csrf_token(ui_crm, add_customer, make_user):
    app = create_app(ui_crm, testing=True)
    client = app.test_client()
    user = make_user("staff", password="correct horse battery")
    login_page = client.get("/login").get_data(as_text=True)
    token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"email": user.email, "password": "correct horse battery", "csrf_token": token})
    customer = add_customer("Acme")

    without = client.post(f"/customer/{customer.id}/touchpoint", data={"channel": "phone", "subject": "x"})
    move = client.post("/board/move", json={"deal_id": 1, "stage_id": 1})

    assert without.status_code == 400 and move.status_code == 400
