"""The campaign screens, the customer panel and the dashboard widget, as a logged-in user meets them."""

from __future__ import annotations

import pytest
from crm_email_marketing.services import CampaignService

from crmcore.web.contributions import customer_panels, dashboard_widgets


@pytest.fixture
def web(mail_crm):
    from crmcore.web import create_app

    app = create_app(mail_crm, testing=True)
    app.config["WTF_CSRF_ENABLED"] = False
    return app.test_client()


@pytest.fixture
def manager(web, login):
    return login(web, "manager")


def campaign_form(**overrides):
    data = {"name": "Autumn", "from_email": "news@shop.example", "subject": "Hi {{ name }}",
            "html": "<p>Hi {{ name }}</p>", "text": "", "segment_keys": "core:stage-customer",
            "ab_sample_percent": "20", "ab_metric": "opens", "ab_wait_minutes": "240"}
    data.update(overrides)
    return data


def test_a_manager_creates_a_campaign_and_sees_its_audience_count(mail_crm, web, manager, add_customers):
    add_customers(3)

    response = web.post("/email-campaigns/new", data=campaign_form())
    assert response.status_code == 302
    page = web.get(response.headers["Location"])

    assert page.status_code == 200
    assert b'id="audience-count">3<' in page.data


def test_the_editor_shows_a_template_error_next_to_the_field(web, manager):
    response = web.post("/email-campaigns/new", data=campaign_form(html="<p>{{ name </p>"))

    assert response.status_code == 200
    assert b"html template" in response.data
    assert b"invalid-feedback" in response.data


def test_the_preview_renders_for_a_chosen_recipient(mail_crm, web, manager, add_customers, make_campaign):
    [customer_id] = add_customers(1, names=["Олена"])
    campaign = make_campaign()

    page = web.get(f"/email-campaigns/{campaign.id}?customer_id={customer_id}")

    assert "Offers for Олена" in page.get_data(as_text=True)


def test_send_a_test_to_oneself(mail_crm, web, manager, add_customers, make_campaign, smtp_server):
    [customer_id] = add_customers(1)
    campaign = make_campaign()

    web.post(f"/email-campaigns/{campaign.id}/test", data={"customer_id": customer_id})

    [received] = smtp_server.messages
    assert received.rcpt_tos == [manager.email]
    assert received.message["Subject"] == "[Test] Offers for Reader 0"


def test_progress_is_served_as_json_for_polling(web, manager, make_campaign):
    campaign = make_campaign()

    progress = web.get(f"/email-campaigns/{campaign.id}/progress").get_json()

    assert (progress["status"], progress["sent"]) == ("draft", 0)


def test_staff_may_not_enter_the_campaign_screens(web, login):
    login(web, "staff")

    assert web.get("/email-campaigns/").status_code == 403


def test_the_customer_panel_lists_the_campaigns_received(mail_crm, web, make_user, add_customers, make_campaign,
                                                         work_off):
    [customer_id] = add_customers(1)
    CampaignService(mail_crm).schedule(make_campaign(name="Winter news").id)
    work_off(mail_crm)
    user = make_user("manager")
    customer = mail_crm.services.customers.get(customer_id)

    with web.application.test_request_context():
        panels = [p for p in customer_panels(mail_crm, customer, user) if p.plugin == "email_marketing"]
        widgets = [w for w in dashboard_widgets(mail_crm, user) if w.plugin == "email_marketing"]

    assert "Winter news" in panels[0].html
    assert "Winter news" in widgets[0].html


def test_the_api_lists_campaigns(web, manager, make_campaign):
    make_campaign(name="Via API")

    response = web.get("/api/v1/email-marketing/campaigns")

    assert response.status_code == 200
    assert [c["name"] for c in response.get_json()] == ["Via API"]
