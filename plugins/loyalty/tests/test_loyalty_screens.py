"""The counter screen, the printable and phone cards, and the report, as staff meet them."""

from __future__ import annotations

import pytest
from crm_loyalty.cardlinks import card_token

from crmcore.web import create_app


@pytest.fixture
def web(loyalty_crm):
    application = create_app(loyalty_crm, testing=True)
    application.config["WTF_CSRF_ENABLED"] = False
    return application.test_client()


@pytest.fixture
def funded(loyalty, member, reward):
    loyalty.adjust(member.id, {"points": 250, "reason": "opening balance"})
    return member


def test_staff_find_a_member_by_card_number_typed_with_persian_digits(web, login, funded):
    login(web, "staff")
    persian = funded.card_number.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))

    response = web.get("/loyalty-counter/", query_string={"q": persian})

    assert response.status_code == 302 and response.location.endswith(f"/member/{funded.id}")


def test_staff_find_a_member_by_phone(web, login, funded):
    login(web, "staff")

    response = web.get("/loyalty-counter/", query_string={"q": "+98 912 123 4567"})

    assert response.location.endswith(f"/member/{funded.id}")


def test_a_member_page_offers_affordable_rewards_and_one_tap_redeems(web, login, funded, reward):
    login(web, "staff")
    page = web.get(f"/loyalty-counter/member/{funded.id}").get_data(as_text=True)
    assert "250 points" in page and "10% off" in page

    response = web.post(f"/loyalty-counter/member/{funded.id}/redeem/{reward.id}")

    assert response.status_code == 200 and "150 left" in response.get_data(as_text=True)


def test_redeeming_without_the_form_token_is_refused(web, login, funded, reward):
    login(web, "staff")
    web.application.config["WTF_CSRF_ENABLED"] = True

    response = web.post(f"/loyalty-counter/member/{funded.id}/redeem/{reward.id}")

    assert response.status_code == 400


def test_the_counter_needs_a_login(web, funded):
    response = web.get("/loyalty-counter/")

    assert response.status_code == 302 and "/login" in response.location


def test_the_report_is_for_managers_not_staff(web, login, funded):
    login(web, "staff")
    assert web.get("/loyalty-report/").status_code == 403


def test_the_report_shows_the_liability_to_managers(web, login, funded):
    login(web, "manager")

    page = web.get("/loyalty-report/").get_data(as_text=True)

    assert "Liability" in page and "2.50 USD" in page


def test_the_printable_card_has_a_qr_code(web, login, funded):
    login(web, "staff")

    page = web.get(f"/loyalty-counter/member/{funded.id}/card").get_data(as_text=True)

    assert "<svg" in page and funded.card_number[-4:] in page


def test_the_phone_card_opens_from_its_signed_link_without_login(web, loyalty_crm, funded):
    token = card_token(loyalty_crm.settings.secret_key, funded.id, funded.card_number)

    response = web.get(f"/loyalty/card/{token}")

    assert response.status_code == 200 and "<svg" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_a_tampered_phone_card_link_is_not_found(web, funded):
    assert web.get("/loyalty/card/WzEsIjEyMzQiXQ.forged").status_code == 404


def test_the_screens_are_gone_while_the_plugin_is_disabled(web, login, loyalty_crm, funded):
    login(web, "admin")
    loyalty_crm.plugins.disable("loyalty")

    assert web.get("/loyalty-counter/").status_code == 404
