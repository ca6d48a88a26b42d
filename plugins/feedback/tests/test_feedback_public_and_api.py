"""The public form's spam protection, the staff screens and the API."""

from __future__ import annotations

import time

import pytest
from crm_feedback.models import Item
from crm_feedback.spam import form_token
from sqlalchemy import func, select

from crmcore.web import create_app


@pytest.fixture
def web(feedback_crm):
    application = create_app(feedback_crm, testing=True)
    application.config["WTF_CSRF_ENABLED"] = False
    return application.test_client()


@pytest.fixture
def fast_forms(feedback_crm):
    feedback_crm.plugins.save_settings("feedback", {"min_fill_seconds": 0, "rate_limit_per_hour": 2})


def post(web, crm, **overrides):
    data = {"email": "visitor@example.com", "kind": "question", "text": "Do you ship to Kyiv?",
            "ts": form_token(crm.settings.secret_key), **overrides}
    return web.post("/feedback/form", data=data, environ_base={"REMOTE_ADDR": "203.0.113.7"})


def items(crm) -> int:
    with crm.db.session() as session:
        return session.scalar(select(func.count(Item.id)))


def test_the_public_form_is_open_without_login_and_carries_its_tokens(web):
    page = web.get("/feedback/form").get_data(as_text=True)

    assert 'name="ts"' in page and 'name="website"' in page and 'name="csrf_token"' in page


def test_a_person_filling_the_form_is_thanked_and_the_item_kept(web, feedback_crm, fast_forms):
    assert post(web, feedback_crm).status_code == 200
    assert items(feedback_crm) == 1


def test_a_filled_honeypot_is_thanked_but_nothing_is_kept(web, feedback_crm, fast_forms):
    assert post(web, feedback_crm, website="http://spam.example").status_code == 200
    assert items(feedback_crm) == 0


def test_a_form_sent_faster_than_the_minimum_fill_time_is_refused(web, feedback_crm):
    response = post(web, feedback_crm)

    assert response.status_code == 400 and "too quickly" in response.get_data(as_text=True)
    assert items(feedback_crm) == 0


def test_a_forged_time_token_is_refused(web, feedback_crm, fast_forms):
    assert post(web, feedback_crm, ts=f"{int(time.time()) - 60}.forged").status_code == 400


def test_one_address_is_limited_per_hour(web, feedback_crm, fast_forms):
    statuses = [post(web, feedback_crm).status_code for _ in range(3)]

    assert statuses == [200, 200, 429] and items(feedback_crm) == 2


def test_a_bad_email_is_refused_naming_the_field(web, feedback_crm, fast_forms):
    response = post(web, feedback_crm, email="not-an-email")

    assert response.status_code == 400 and "email" in response.get_data(as_text=True)


def test_the_api_records_and_lists_feedback(web, login, feedback_crm):
    login(web, "staff")

    created = web.post("/api/v1/feedback/items", json={"kind": "idea", "text": "Wider spout", "feature": "spout"})
    listed = web.get("/api/v1/feedback/items?limit=10")

    assert created.status_code == 201 and created.json["source"] == "api"
    assert [row["text"] for row in listed.json] == ["Wider spout"]


def test_the_api_names_the_field_of_bad_input(web, login):
    login(web, "staff")

    response = web.post("/api/v1/feedback/items", json={"kind": "idea"})

    assert response.status_code == 422 and "text" in response.json["errors"]


def test_the_api_needs_a_login(web):
    assert web.get("/api/v1/feedback/items").status_code in (401, 302)


def test_staff_may_not_read_the_ideas_board(web, login):
    login(web, "staff")

    assert web.get("/feedback-ideas/").status_code == 403
    assert web.get("/api/v1/feedback/ideas").status_code == 403


def test_managers_see_the_ideas_board_and_feedback_list(web, login, feedback, product):
    feedback.create_idea({"title": "Quieter boil", "product_id": product.id})
    login(web, "manager")

    assert "Quieter boil" in web.get("/feedback-ideas/").get_data(as_text=True)
    assert web.get(f"/feedback-items/?product_id={product.id}&kind=complaint").status_code == 200


def test_shipping_from_the_board_reports_who_was_told(web, login, feedback):
    idea = feedback.create_idea({"title": "Quieter boil"})
    login(web, "manager")

    response = web.post(f"/feedback-ideas/{idea.id}/status", data={"status": "shipped"}, follow_redirects=True)

    assert "Shipped: 0 customers emailed, 0 tasks created" in response.get_data(as_text=True)


def test_sending_nps_without_email_marketing_says_so(web, login):
    login(web, "manager")

    response = web.post("/feedback-items/nps", data={"segment": "feedback:promoters"}, follow_redirects=True)

    assert "Email marketing is not enabled" in response.get_data(as_text=True)
