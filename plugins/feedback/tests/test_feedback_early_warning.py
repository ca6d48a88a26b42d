"""Early warning: a one-sided Poisson test of each product's last 7 days against its own 8-week baseline."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from crm_feedback.jobs import complaint_early_warning
from crm_feedback.models import Alert
from crm_feedback.warning import check, poisson_sf
from sqlalchemy import select

from crmcore.web.contributions import dashboard_widgets


def test_poisson_tail_matches_the_closed_form():
    assert poisson_sf(0, 2.0) == 1.0
    assert poisson_sf(1, 2.0) == pytest.approx(1 - math.exp(-2))
    assert poisson_sf(3, 2.0) == pytest.approx(1 - math.exp(-2) * (1 + 2 + 2))


def test_a_count_in_line_with_the_baseline_is_not_flagged():
    assert not check(recent=3, baseline=24, recent_volume=0, baseline_volume=0).flagged  # 3 expected


def test_a_rise_against_the_volume_scaled_baseline_is_flagged():
    result = check(recent=9, baseline=8, recent_volume=100, baseline_volume=800)  # 1.06 expected

    assert result.flagged and result.p_value < 0.001


def test_a_rise_below_the_minimum_count_is_not_flagged():
    assert not check(recent=2, baseline=0, recent_volume=0, baseline_volume=0).flagged


def complaints(feedback, product, count: int, days_ago: int) -> None:
    when = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
    for _ in range(count):
        feedback.record({"product_id": product.id, "kind": "complaint", "text": "broken", "created_at": when})


def test_the_daily_job_flags_a_product_once_and_the_dashboard_links_to_its_complaints(feedback_crm, feedback,
                                                                                      product, make_user):
    quiet = feedback_crm.services.products.create({"sku": "TO-1", "name": "Toaster"})
    complaints(feedback, product, 2, days_ago=30)
    complaints(feedback, product, 8, days_ago=2)
    complaints(feedback, quiet, 8, days_ago=30)
    complaints(feedback, quiet, 1, days_ago=2)

    assert complaint_early_warning(feedback_crm) == 1
    assert complaint_early_warning(feedback_crm) == 1  # rerun: still one alert row
    with feedback_crm.db.session() as session:
        assert session.scalars(select(Alert.product_id)).all() == [product.id]
    widget = next(w for w in dashboard_widgets(feedback_crm, make_user("manager")) if w.plugin == "feedback")
    assert f"/feedback-items/?product_id={product.id}&amp;kind=complaint" in widget.html and "Kettle" in widget.html
