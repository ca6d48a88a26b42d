"""Deals in pipelines: stages, probabilities, winning and losing, purchases and refunds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crmcore.errors import ValidationFailed
from crmcore.models import DealStatus
from tests.conftest import event_names


@pytest.fixture
def customer(crm):
    return crm.services.customers.create({"name": "Acme"})


def stage_named(crm, name):
    pipeline = crm.services.pipelines.ensure_default()
    return next(stage for stage in pipeline.stages if stage.name == name)


def test_a_new_deal_starts_in_the_first_stage_with_its_probability(crm, customer):
    deal = crm.services.deals.create({"customer_id": customer.id, "title": "Website", "amount": "1200.50"})

    assert deal.stage.name == "New" and deal.status is DealStatus.OPEN
    assert deal.amount == Decimal("1200.50")
    assert deal.effective_probability == 10


def test_money_is_decimal_never_float(crm, customer):
    deal = crm.services.deals.create({"customer_id": customer.id, "title": "T", "amount": 0.1})

    assert deal.amount == Decimal("0.10")


def test_hook_deal_stage_changed_when_a_deal_moves(recording_crm, calls):
    customer = recording_crm.services.customers.create({"name": "Acme"})
    deal = recording_crm.services.deals.create({"customer_id": customer.id, "title": "Website"})
    calls.clear()

    recording_crm.services.deals.move(deal.id, stage_named(recording_crm, "Proposal").id)

    assert event_names(calls) == ["deal_updated", "deal_stage_changed"]
    moved = calls[1][1]
    assert (moved["from_stage"].name, moved["to_stage"].name) == ("New", "Proposal")


def test_hook_deal_won_when_moved_to_the_won_stage(recording_crm, calls):
    customer = recording_crm.services.customers.create({"name": "Acme"})
    deal = recording_crm.services.deals.create({"customer_id": customer.id, "title": "Website"})
    calls.clear()

    won = recording_crm.services.deals.move(deal.id, stage_named(recording_crm, "Won").id)

    assert event_names(calls) == ["deal_updated", "deal_stage_changed", "deal_won"]
    assert won.status is DealStatus.WON and won.closed_on is not None


def test_hook_deal_lost_keeps_the_reason(recording_crm, calls):
    customer = recording_crm.services.customers.create({"name": "Acme"})
    deal = recording_crm.services.deals.create({"customer_id": customer.id, "title": "Website"})
    calls.clear()

    recording_crm.services.deals.move(deal.id, stage_named(recording_crm, "Lost").id, lost_reason="price")

    assert event_names(calls)[-1] == "deal_lost"
    assert calls[-1][1]["deal"].lost_reason == "price"


def test_hook_deal_created_then_deal_won_for_a_shop_purchase(recording_crm, calls):
    customer = recording_crm.services.customers.create({"name": "Acme"})
    calls.clear()

    purchase = recording_crm.services.deals.create({
        "customer_id": customer.id, "title": "Invoice 536365", "status": "won", "closed_on": "2010-12-01",
        "lines": [{"description": "WHITE HANGING HEART", "quantity": "6", "unit_price": "2.55"}],
    })

    assert event_names(calls) == ["deal_created", "deal_won"]
    assert purchase.amount == Decimal("15.30") and str(purchase.closed_on) == "2010-12-01"


def test_a_refund_is_a_won_deal_with_a_negative_amount(crm, customer):
    refund = crm.services.deals.create({
        "customer_id": customer.id, "title": "Cancellation C536379", "status": "won",
        "lines": [{"description": "Discount", "quantity": "-1", "unit_price": "27.50"}],
    })

    assert refund.amount == Decimal("-27.50") and refund.status is DealStatus.WON


def test_negative_quantities_are_refused_on_an_open_deal(crm, customer):
    with pytest.raises(ValidationFailed) as refused:
        crm.services.deals.create({"customer_id": customer.id, "title": "Quote",
                                   "lines": [{"quantity": "-2", "unit_price": "5"}]})

    assert "lines.0.quantity" in refused.value.errors


def test_a_stage_of_another_pipeline_is_refused(crm, customer):
    other = crm.services.pipelines.create({"name": "Wholesale", "stages": [
        {"name": "Inquiry", "probability": 20}, {"name": "Won", "is_won": True}, {"name": "Lost", "is_lost": True}]})
    default = crm.services.pipelines.ensure_default()

    with pytest.raises(ValidationFailed) as refused:
        crm.services.deals.create({"customer_id": customer.id, "title": "X", "pipeline_id": default.id,
                                   "stage_id": other.stages[0].id})

    assert "stage_id" in refused.value.errors


def test_an_unknown_stage_is_refused(crm, customer):
    with pytest.raises(ValidationFailed) as refused:
        crm.services.deals.create({"customer_id": customer.id, "title": "X", "stage_id": 99999})

    assert "stage_id" in refused.value.errors


def test_a_pipeline_needs_one_won_and_one_lost_stage(crm):
    with pytest.raises(ValidationFailed) as refused:
        crm.services.pipelines.create({"name": "Broken", "stages": [{"name": "Only"}]})

    assert "stages" in refused.value.errors


def test_hook_deal_updated_lists_the_changes(recording_crm, calls):
    customer = recording_crm.services.customers.create({"name": "Acme"})
    deal = recording_crm.services.deals.create({"customer_id": customer.id, "title": "X", "amount": "10"})
    calls.clear()

    recording_crm.services.deals.update(deal.id, {"amount": "12.5", "title": "X2"})

    assert event_names(calls) == ["deal_updated"]
    assert calls[0][1]["changes"] == {"amount": (Decimal("10.00"), Decimal("12.5")), "title": ("X", "X2")}


def test_hook_deal_deleted(recording_crm, calls):
    customer = recording_crm.services.customers.create({"name": "Acme"})
    deal = recording_crm.services.deals.create({"customer_id": customer.id, "title": "X"})
    calls.clear()

    recording_crm.services.deals.delete(deal.id)

    assert event_names(calls) == ["deal_deleted"]
    assert calls[0][1]["deal_id"] == deal.id and calls[0][1]["customer_id"] == customer.id


def test_removing_a_stage_that_still_holds_deals_is_refused(crm, customer):
    pipeline = crm.services.pipelines.ensure_default()
    deal = crm.services.deals.create({"customer_id": customer.id, "title": "Website"})
    stages = [{"name": s.name, "probability": s.probability, "is_won": s.is_won, "is_lost": s.is_lost}
              for s in pipeline.stages if s.name != "New"]

    with pytest.raises(ValidationFailed, match="Move the deals out of New"):
        crm.services.pipelines.update(pipeline.id, {"stages": stages})

    crm.services.deals.move(deal.id, stage_named(crm, "Qualified").id)
    updated = crm.services.pipelines.update(pipeline.id, {"stages": stages})
    assert [s.name for s in updated.stages] == ["Qualified", "Proposal", "Negotiation", "Won", "Lost"]


def test_editing_a_pipeline_keeps_the_deals_of_the_stages_it_keeps(crm, customer):
    pipeline = crm.services.pipelines.ensure_default()
    deal = crm.services.deals.create({"customer_id": customer.id, "title": "Website"})
    stages = [{"name": s.name, "probability": 15 if s.name == "New" else s.probability, "is_won": s.is_won,
               "is_lost": s.is_lost} for s in pipeline.stages]
    stages.insert(1, {"name": "Demo", "probability": 20})

    updated = crm.services.pipelines.update(pipeline.id, {"name": "Sales 2027", "stages": stages})

    assert updated.name == "Sales 2027"
    assert [s.name for s in updated.stages][:3] == ["New", "Demo", "Qualified"]
    moved = crm.services.deals.update(deal.id, {"title": "Website v2"})
    assert moved.stage.name == "New" and moved.effective_probability == 15
