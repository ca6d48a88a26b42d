"""Feedback items from every channel, and the customer panel."""

from __future__ import annotations

import pytest
from crm_feedback.models import Source

from crmcore.errors import ValidationFailed
from crmcore.web.contributions import customer_panels


def test_feedback_entered_on_screen_keeps_customer_product_kind_sentiment_and_text(feedback, make_customer,
                                                                                   product, make_user):
    customer = make_customer("Сергій Шевченко")
    staff = make_user("staff")

    item = feedback.record({"customer_id": customer.id, "product_id": product.id, "kind": "complaint",
                            "sentiment": "negative", "text": "Чайник протікає"}, actor=staff)

    assert (item.customer_id, item.product_id, item.kind.value, item.sentiment.value, item.text, item.user_id) == (
        customer.id, product.id, "complaint", "negative", "Чайник протікає", staff.id)


def test_feedback_attached_to_a_touchpoint_belongs_to_its_customer(feedback_crm, feedback, make_customer):
    customer = make_customer()
    touchpoint = feedback_crm.services.touchpoints.record({"customer_id": customer.id, "channel": "phone",
                                                           "subject": "Call"})

    item = feedback.record({"touchpoint_id": touchpoint.id, "kind": "idea", "text": "Dark mode please"})

    assert (item.customer_id, item.source) == (customer.id, Source.TOUCHPOINT)


def test_a_touchpoint_of_another_customer_is_refused_naming_the_field(feedback_crm, feedback, make_customer):
    touchpoint = feedback_crm.services.touchpoints.record({"customer_id": make_customer().id, "channel": "phone"})

    with pytest.raises(ValidationFailed) as failure:
        feedback.record({"customer_id": make_customer().id, "touchpoint_id": touchpoint.id, "kind": "idea",
                         "text": "x"})

    assert "touchpoint_id" in failure.value.errors


def test_an_unknown_kind_and_a_missing_text_are_refused_naming_the_fields(feedback):
    with pytest.raises(ValidationFailed) as failure:
        feedback.record({"kind": "rant"})

    assert set(failure.value.errors) == {"kind", "text"}


def test_the_customer_panel_lists_their_feedback(feedback_crm, feedback, make_customer, make_user):
    customer = make_customer()
    feedback.record({"customer_id": customer.id, "kind": "praise", "sentiment": "positive",
                     "text": "<b>Great</b> service"})

    panel = next(p for p in customer_panels(feedback_crm, customer, make_user("staff")) if p.plugin == "feedback")

    assert "&lt;b&gt;Great&lt;/b&gt; service" in panel.html and "praise" in panel.html
