"""What a manager sees: the ABC screen, the customer panel, the dashboard widget, segments and merge fields."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from crm_abc_analysis.services import RunRequest, run_analysis

from crmcore.testing.jobs import work_off
from crmcore.web.contributions import customer_panels, dashboard_widgets

END = date(2026, 6, 30)
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def shop(crm):
    """The abc_analysis plugin enabled, five customers with purchases, and one run."""
    crm.plugins.enable("abc_analysis")
    ids = []
    for index, amount in enumerate([800, 100, 50, 30, 20]):
        customer = crm.services.customers.create({"name": f"Customer <{index}>", "lifecycle_stage": "customer"})
        crm.services.deals.create({"customer_id": customer.id, "title": "Order", "amount": str(amount),
                                   "status": "won", "closed_on": "2026-05-01"})
        ids.append(customer.id)
    return ids


def test_the_screen_shows_the_headline_chart_and_class_table(client, login, crm, shop):
    run_analysis(crm, RunRequest(end=END))
    login(client, "manager")

    page = client.get("/abc_analysis/").get_data(as_text=True)

    assert "The top 20% of customers bring 80.0% of revenue." in page
    assert "<svg" in page and "polyline" in page
    assert 'class="table table-sm abc-classes"' in page


def test_staff_may_not_open_the_screen(client, login, crm, shop):
    login(client, "staff")

    assert client.get("/abc_analysis/").status_code == 403


def test_the_screen_is_absent_while_the_plugin_is_disabled(client, login, crm, shop):
    crm.plugins.disable("abc_analysis")
    login(client, "admin")

    assert client.get("/abc_analysis/").status_code == 404


def test_run_now_needs_a_csrf_token(app, client, login, crm, shop):
    login(client, "admin")
    app.config["WTF_CSRF_ENABLED"] = True

    assert client.post("/abc_analysis/run").status_code == 400


def test_the_customer_panel_shows_the_class_and_its_history(app, crm, shop, make_user):
    run_analysis(crm, RunRequest(end=date(2026, 5, 31)))
    run_analysis(crm, RunRequest(end=END))
    customer = crm.services.customers.get(shop[0])

    with app.test_request_context():
        panels = [p for p in customer_panels(crm, customer, make_user("staff")) if p.plugin == "abc_analysis"]

    assert len(panels) == 1
    assert "Class A" in panels[0].html
    assert "History: 2026-06-30 A, 2026-05-31 A" in panels[0].html


def test_the_dashboard_widget_shows_the_headline_to_managers_only(app, crm, shop, make_user):
    run_analysis(crm, RunRequest(end=END))

    with app.test_request_context():
        for_manager = [w for w in dashboard_widgets(crm, make_user("manager")) if w.plugin == "abc_analysis"]
        for_staff = [w for w in dashboard_widgets(crm, make_user("staff")) if w.plugin == "abc_analysis"]

    assert "80.0%" in for_manager[0].html
    assert for_staff == []


def test_segments_and_merge_fields_follow_the_latest_run(crm, shop):
    run_analysis(crm, RunRequest(end=END))

    with crm.db.session() as session:
        class_a = set(session.scalars(crm.segments.customer_ids("abc:class-a")))
        fields = crm.services.customers.merge_fields([shop[0]])
    assert class_a == {shop[0]}
    assert {"abc:rfm-champions", "abc:rfm-at-risk", "abc:class-d"} <= set(crm.segments.all())
    assert fields[shop[0]]["abc_class"] == "A"
    assert "abc_rfm_segment" in fields[shop[0]]


@pytest.fixture
def run_crm(crm, crm_settings):
    env = {**os.environ, "CRM_DATABASE_URL": crm_settings.database_url, "CRM_REDIS_URL": crm_settings.redis_url,
           "CRM_REDIS_PREFIX": crm_settings.redis_prefix}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "crmcore.cli", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=300)

    return run


def test_crm_abc_run_json_prints_classes_shares_and_the_top_20_percent(run_crm, shop):
    result = run_crm("abc", "run", "--by", "revenue", "--start", "2025-07-01", "--end", "2026-06-30", "--json")

    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["customers"] == 5
    assert printed["classes"]["A"]["count"] == 1
    assert printed["classes"]["A"]["share"] == pytest.approx(0.8)
    assert printed["top20_share"] == pytest.approx(0.8)


def test_crm_abc_run_with_a_bad_date_explains_itself(run_crm, shop):
    result = run_crm("abc", "run", "--start", "2026-07-01", "--end", "2026-06-30")

    assert result.returncode == 1
    assert "start: The start must not be after the end." in result.stderr
    assert "Traceback" not in result.stderr



def test_run_now_queues_a_run_that_a_worker_completes(client, login, crm, shop):
    login(client, "manager")

    response = client.post("/abc_analysis/run", data={"by": "profit"})
    work_off(crm)

    assert response.status_code == 302
    with crm.db.session() as session:
        from crm_abc_analysis.services import latest_runs

        assert [run.basis for run in latest_runs(session, 5)] == ["profit"]


def test_the_analysis_reruns_monthly_on_a_schedule(crm, shop):
    schedules = dict(crm.plugins.contributions("schedules", enabled_only=True, crm=crm))

    assert schedules["abc_analysis"].cron == "0 4 1 * *"
    assert schedules["abc_analysis"].func == "crm_abc_analysis.jobs:run_scheduled"
