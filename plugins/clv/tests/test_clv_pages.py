"""What people meet: the customer panel, merge fields, dashboard widgets and the model screen."""

from __future__ import annotations

import pytest
from crm_clv.models import ClvScore
from sqlalchemy import func, select

from crmcore.models import User
from crmcore.web.contributions import customer_panels, dashboard_widgets


def _panel(crm, customer_id: int, user) -> str:
    customer = crm.services.customers.get(customer_id)
    panels = [p for p in customer_panels(crm, customer, user) if p.plugin == "clv"]
    assert len(panels) == 1
    return str(panels[0].html)


def test_the_customer_panel_explains_the_scores_in_one_line(clv_crm, shop, make_user) -> None:
    html = _panel(clv_crm, shop["loyal"], make_user("staff"))

    assert "Bought 12 times, last 2 weeks ago: likely active" in html
    assert "Expected purchases, next 90 days" in html
    assert 'class="col-5 clv-p-alive">9' in html  # P(active) in the nineties


def test_the_panel_of_a_customer_who_stopped_buying_says_at_risk(clv_crm, shop, make_user) -> None:
    html = _panel(clv_crm, shop["slipping"], make_user("staff"))

    assert "Bought 5 times, last 11 months ago: at risk: probably gone" in html


def test_a_one_time_buyer_is_not_judged_yet(clv_crm, shop, make_user) -> None:
    html = _panel(clv_crm, shop["once"], make_user("staff"))

    assert "Bought once, 3 weeks ago: too soon to tell whether they will buy again" in html


def test_a_customer_without_purchases_gets_no_figures(clv_crm, customer, published_model, make_user) -> None:
    html = _panel(clv_crm, customer("New Ltd"), make_user("staff"))

    assert "No purchases yet" in html


def test_customer_names_in_widgets_are_escaped(clv_crm, customer, buy, published_model, make_user) -> None:
    from crm_clv.service import ClvService

    who = customer("<script>alert(1)</script>")
    for day in ("2024-01-02", "2024-01-09", "2024-01-16"):
        buy(who, day, 10)
    ClvService(clv_crm).score()

    html = "".join(str(w.html) for w in dashboard_widgets(clv_crm, make_user("manager")))

    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)" in html


def test_merge_fields_offer_clv_value_and_p_alive(clv_crm, shop) -> None:
    fields = clv_crm.services.customers.merge_fields([shop["loyal"], shop["slipping"]])

    with clv_crm.db.session() as session:
        loyal = session.get(ClvScore, shop["loyal"])
    assert fields[shop["loyal"]]["clv_value"] == round(loyal.clv, 2)
    assert fields[shop["loyal"]]["clv_p_alive"] == round(loyal.p_alive, 4)
    assert fields[shop["slipping"]]["clv_p_alive"] < 0.3


def _widgets(crm, user) -> dict[str, str]:
    return {w.title: str(w.html) for w in dashboard_widgets(crm, user) if w.plugin == "clv"}


def test_the_dashboard_lists_at_risk_customers_most_valuable_first(clv_crm, shop, make_user) -> None:
    html = _widgets(clv_crm, make_user("manager"))["Customers at risk of leaving"]

    assert "<strong>2</strong> customers" in html
    assert html.index("Big Spender Ltd") < html.index("Slipping Ltd")
    assert "Loyal Ltd" not in html


def test_staff_limited_to_their_records_see_only_their_at_risk_customers(crm_factory, shop, make_user) -> None:
    own_only = crm_factory(staff_see_own_records_only=True)
    with own_only.db.session() as session:
        owner = session.get(User, shop["owner"])

    html = _widgets(own_only, owner)["Customers at risk of leaving"]

    assert "Slipping Ltd" in html
    assert "Big Spender Ltd" not in html


def test_staff_see_no_company_wide_figures(clv_crm, shop, make_user) -> None:
    assert list(_widgets(clv_crm, make_user("staff"))) == ["Customers at risk of leaving"]


def test_the_value_widget_shows_r_equals_n_times_v_times_l(clv_crm, shop, make_user) -> None:
    with clv_crm.db.session() as session:
        active, value, buyers = session.execute(
            select(func.sum(ClvScore.p_alive), func.sum(ClvScore.clv), func.count())).one()

    html = _widgets(clv_crm, make_user("manager"))["Value of the customer base"]

    assert f'clv-n">{active:,.1f}<' in html
    assert f'clv-v">{value / active:,.2f}<' in html
    assert f'clv-l">{active / buyers:.0%}<' in html
    assert f'clv-total">{value:,.2f}<' in html


def test_the_churn_widget_shows_twelve_months(clv_crm, shop, make_user) -> None:
    html = _widgets(clv_crm, make_user("manager"))["Churn rate per month"]

    assert html.count("<tr><td>") == 12
    assert "<svg" in html


def test_the_model_screen_needs_the_reports_role(clv_crm, client, login) -> None:
    login(client, "staff")

    assert client.get("/clv/").status_code == 403


def test_the_model_screen_needs_a_login(clv_crm, client) -> None:
    response = client.get("/clv/")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_model_screen_is_absent_while_the_plugin_is_disabled(crm_factory, client, login) -> None:
    crm_factory()
    login(client, "admin")

    assert client.get("/clv/").status_code == 404


def test_before_the_first_fit_the_screen_says_how_to_fit(clv_crm, client, login) -> None:
    login(client, "manager")

    page = client.get("/clv/").get_data(as_text=True)

    assert "No model has been fitted yet" in page
    assert "Why customers left" in page


def test_refit_from_the_screen_runs_in_the_background(clv_crm, simulated_shop, client, login, work_off) -> None:
    clv_crm.plugins.save_settings("clv", {"holdout_weeks": 13})
    login(client, "admin")

    response = client.post("/clv/refit")
    work_off(clv_crm)

    assert response.status_code == 302
    with clv_crm.db.session() as session:
        assert session.scalar(select(func.count()).select_from(ClvScore)) == len(simulated_shop)
    page = client.get("/clv/").get_data(as_text=True)
    assert "How well it tracks the hold-out" in page
    assert "<svg" in page


@pytest.mark.parametrize("segment", ["clv:at-risk", "clv:win-back"])
def test_segments_are_offered_only_while_the_plugin_is_enabled(crm_factory, segment) -> None:
    crm = crm_factory()
    assert segment not in crm.segments.all()

    crm.plugins.enable("clv")

    assert segment in crm.segments.all()


def test_the_api_gives_a_customers_scores_with_the_explanation(clv_crm, shop, client, login) -> None:
    login(client, "staff")

    body = client.get(f"/api/v1/clv/customers/{shop['slipping']}").get_json()

    assert body["frequency"] == 4
    assert body["p_alive"] < 0.3
    assert body["explanation"] == "Bought 5 times, last 11 months ago: at risk: probably gone"


def test_the_api_answers_404_for_a_customer_without_purchases(clv_crm, customer, client, login) -> None:
    login(client, "staff")

    response = client.get(f"/api/v1/clv/customers/{customer('New Ltd')}")

    assert response.status_code == 404
    assert "no purchases" in response.get_json()["message"]


def test_the_api_model_needs_the_reports_role(clv_crm, published_model, client, login) -> None:
    login(client, "staff")
    assert client.get("/api/v1/clv/model").status_code == 403


def test_the_api_gives_the_model_in_use(clv_crm, published_model, client, login) -> None:
    login(client, "manager")

    body = client.get("/api/v1/clv/model").get_json()

    assert (body["id"], body["r"], body["gamma"]) == (published_model, 0.243, 15.44)
