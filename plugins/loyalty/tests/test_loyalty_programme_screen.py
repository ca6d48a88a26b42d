"""The programme screen: admins edit earning rules, tiers and rewards; every save goes through the service."""

from __future__ import annotations

from decimal import Decimal

import pytest
from crm_loyalty.models import Programme, Reward, Tier
from sqlalchemy import select

from crmcore.models import AuditEntry
from crmcore.web import create_app

RULES = {"name": "Friends of the shop", "points_per_unit": "1", "unit_amount": "10", "rounding": "half_up",
         "step": "5", "points_per_purchase": "2", "first_purchase_bonus": "50", "birthday_month_bonus": "20",
         "bonus_segment": "", "segment_multiplier": "1", "validity_days": "365", "point_value": "0.05",
         "currency": "EUR"}
GOLD = {"name": "gold", "basis": "spend", "threshold": "1000", "multiplier": "1.5", "benefits": "Free gift wrap"}
COFFEE = {"name": "Free coffee", "kind": "gift", "cost_points": "300", "discount_percent": "", "discount_amount": "",
          "description": "One coffee of any size", "active": "y"}


@pytest.fixture
def web(loyalty_crm):
    application = create_app(loyalty_crm, testing=True)
    application.config["WTF_CSRF_ENABLED"] = False
    return application.test_client()


def programme(crm) -> Programme:
    with crm.db.session() as session:
        return session.scalar(select(Programme))


def rows(crm, model) -> list:
    with crm.db.session() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def audited(crm, entity: str) -> list[tuple[str, int | None]]:
    with crm.db.session() as session:
        return [tuple(row) for row in session.execute(select(AuditEntry.action, AuditEntry.user_id)
                                                      .where(AuditEntry.entity == entity).order_by(AuditEntry.id))]


def test_an_admin_saves_the_earning_rules_and_the_change_is_audited(web, login, loyalty_crm):
    admin = login(web, "admin")

    response = web.post("/loyalty-programme/", data=RULES)

    assert response.status_code == 302
    saved = programme(loyalty_crm)
    assert (saved.name, saved.unit_amount, saved.rounding, saved.step, saved.first_purchase_bonus,
            saved.validity_days, saved.point_value, saved.currency) == (
        "Friends of the shop", Decimal("10"), "half_up", 5, 50, 365, Decimal("0.05"), "EUR")
    assert audited(loyalty_crm, "loyalty_programme") == [("update", admin.id)]


def test_the_saved_rules_are_what_purchases_earn_by(web, login, loyalty_crm, customer, purchase):
    login(web, "admin")
    web.post("/loyalty-programme/", data={**RULES, "first_purchase_bonus": "0", "points_per_purchase": "0"})

    purchase(customer, "123")  # 12.3 points, half up to a multiple of 5

    assert loyalty_crm.services.customers.merge_fields([customer.id])[customer.id]["loyalty_balance"] == 10


def test_the_bonus_segment_is_chosen_from_the_segments_of_enabled_plugins(web, login, loyalty_crm):
    login(web, "admin")
    page = web.get("/loyalty-programme/").get_data(as_text=True)
    assert 'value="loyalty:points-expiring-30d"' in page and 'value="abc:class-a"' not in page

    loyalty_crm.plugins.enable("abc_analysis")
    page = web.get("/loyalty-programme/").get_data(as_text=True)
    web.post("/loyalty-programme/", data={**RULES, "bonus_segment": "abc:class-a", "segment_multiplier": "2"})

    assert 'value="abc:class-a"' in page
    assert (programme(loyalty_crm).bonus_segment, programme(loyalty_crm).segment_multiplier) == ("abc:class-a",
                                                                                                 Decimal(2))


def test_invalid_rules_are_shown_beside_their_fields_and_nothing_is_saved(web, login, loyalty_crm):
    login(web, "admin")
    before = programme(loyalty_crm)

    response = web.post("/loyalty-programme/", data={**RULES, "step": "0", "unit_amount": "ten",
                                                     "bonus_segment": "abc:class-a"})

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and page.count("invalid-feedback") == 3
    assert "Not a valid number." in page and "abc:class-a" in page
    after = programme(loyalty_crm)
    assert (after.name, after.unit_amount, after.step) == (before.name, before.unit_amount, before.step)
    assert audited(loyalty_crm, "loyalty_programme") == []


def test_an_admin_adds_a_tier_then_changes_its_threshold(web, login, loyalty_crm):
    admin = login(web, "admin")

    assert web.post("/loyalty-programme/tier/new", data=GOLD).status_code == 302
    [gold] = rows(loyalty_crm, Tier)
    assert web.get(f"/loyalty-programme/tier/{gold.id}").status_code == 200
    web.post(f"/loyalty-programme/tier/{gold.id}", data={**GOLD, "threshold": "800"})

    [gold] = rows(loyalty_crm, Tier)
    assert (gold.basis.value, gold.threshold, gold.multiplier, gold.benefits) == (
        "spend", Decimal(800), Decimal("1.5"), "Free gift wrap")
    assert audited(loyalty_crm, "loyalty_tier") == [("create", admin.id), ("update", admin.id)]
    assert "gold" in web.get("/loyalty-programme/").get_data(as_text=True)


def test_a_tier_named_like_another_is_refused_beside_the_name(web, login, loyalty_crm):
    login(web, "admin")
    web.post("/loyalty-programme/tier/new", data=GOLD)

    response = web.post("/loyalty-programme/tier/new", data={**GOLD, "threshold": "5000"})

    assert response.status_code == 200 and "A tier named &#39;gold&#39; exists." in response.get_data(as_text=True)
    assert [tier.threshold for tier in rows(loyalty_crm, Tier)] == [Decimal(1000)]


def test_an_admin_adds_a_reward_then_withdraws_it_from_the_counter(web, login, loyalty_crm, member):
    login(web, "admin")

    assert web.post("/loyalty-programme/reward/new", data=COFFEE).status_code == 302
    [coffee] = rows(loyalty_crm, Reward)
    assert (coffee.kind.value, coffee.cost_points, coffee.description, coffee.active) == (
        "gift", 300, "One coffee of any size", True)
    assert "Free coffee" in web.get(f"/loyalty-counter/member/{member.id}").get_data(as_text=True)

    web.post(f"/loyalty-programme/reward/{coffee.id}", data={k: v for k, v in COFFEE.items() if k != "active"})

    assert rows(loyalty_crm, Reward)[0].active is False
    assert "Free coffee" not in web.get(f"/loyalty-counter/member/{member.id}").get_data(as_text=True)


def test_a_reward_with_a_cost_that_is_not_a_whole_number_is_refused_and_not_created(web, login, loyalty_crm):
    login(web, "admin")

    response = web.post("/loyalty-programme/reward/new", data={**COFFEE, "cost_points": "12.5"})

    assert response.status_code == 200 and "Not a valid integer." in response.get_data(as_text=True)
    assert rows(loyalty_crm, Reward) == []


def test_editing_a_tier_that_does_not_exist_is_not_found(web, login):
    login(web, "admin")

    assert web.get("/loyalty-programme/tier/987654").status_code == 404


@pytest.mark.parametrize("role", ["staff", "manager"])
def test_only_admins_may_open_or_post_to_the_programme_screen(web, login, loyalty_crm, role):
    login(web, role)

    assert web.get("/loyalty-programme/").status_code == 403
    assert web.post("/loyalty-programme/", data=RULES).status_code == 403
    assert web.post("/loyalty-programme/reward/new", data=COFFEE).status_code == 403
    assert programme(loyalty_crm).name != RULES["name"] and rows(loyalty_crm, Reward) == []


def test_the_programme_screen_needs_a_login(web):
    response = web.get("/loyalty-programme/")

    assert response.status_code == 302 and "/login" in response.location


def test_a_save_without_the_form_token_is_refused(web, login, loyalty_crm):
    login(web, "admin")
    web.application.config["WTF_CSRF_ENABLED"] = True

    assert web.post("/loyalty-programme/", data=RULES).status_code == 400
    assert programme(loyalty_crm).name != RULES["name"]


def test_the_programme_screen_is_gone_while_the_plugin_is_disabled(web, login, loyalty_crm):
    login(web, "admin")
    loyalty_crm.plugins.disable("loyalty")

    assert web.get("/loyalty-programme/").status_code == 404
