"""Lead scores where people meet them: the call-next screen, the model and rules screens, the API, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from crm_leadscoring.models import LeadScore
from crm_leadscoring.services import train_model

from crmcore.web.contributions import customer_panels

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def leads(crm, work_off):
    """The leadscoring plugin enabled and three leads, scored: one with a phone and a referral, two without."""
    crm.plugins.enable("leadscoring")
    best = crm.services.customers.create({"name": "Best <lead>", "lifecycle_stage": "lead", "phone": "+4930123456",
                                          "source": "referral"})
    others = [crm.services.customers.create({"name": f"Other {i}", "lifecycle_stage": "prospect"})
              for i in range(2)]
    work_off(crm)
    return [best.id] + [o.id for o in others]


def test_call_next_lists_leads_by_score_with_grade_and_reasons(client, login, leads):
    login(client, "staff")

    page = client.get("/leadscoring_call_next/").get_data(as_text=True)

    assert page.index("Best &lt;lead&gt;") < page.index("Other 0")
    assert "Came through a referral, fair or partner (+15.0)" in page


def test_the_rules_screen_is_for_admins_only(client, login, leads):
    login(client, "manager")

    assert client.get("/leadscoring_rules/").status_code == 403


def test_saving_rules_with_bad_json_names_the_problem_and_keeps_the_old_rules(client, login, crm, leads):
    login(client, "admin")

    page = client.post("/leadscoring_rules/", data={"rules": "{not json", "mode": "blend", "model_weight": "50",
                                                    "hot_threshold": "70"}).get_data(as_text=True)

    assert "rules: Not valid JSON" in page
    assert crm.plugins.settings("leadscoring")["rules"]["rules"][0]["label"] == "Has a phone number"


def test_saving_rules_stores_them(client, login, crm, leads):
    login(client, "admin")
    rules = {"base": 5, "rules": [{"type": "field", "label": "German", "field": "country", "op": "eq",
                                   "value": "DE", "points": 30}]}

    response = client.post("/leadscoring_rules/", data={"rules": json.dumps(rules), "mode": "rules",
                                                         "model_weight": "50", "hot_threshold": "60"})

    assert response.status_code == 302
    settings = crm.plugins.settings("leadscoring")
    assert settings["rules"]["rules"][0]["label"] == "German"
    assert (settings["mode"], settings["hot_threshold"]) == ("rules", 60)


def test_the_model_screen_says_when_there_is_too_little_history(client, login, crm, leads):
    train_model(crm)
    login(client, "manager")

    page = client.get("/leadscoring_model/").get_data(as_text=True)

    assert "too little history" in page


def test_the_customer_panel_shows_score_grade_and_factors(app, crm, leads, make_user):
    customer = crm.services.customers.get(leads[0])

    with app.test_request_context():
        panels = [p for p in customer_panels(crm, customer, make_user("staff")) if p.plugin == "leadscoring"]

    assert 'class="leadscoring-score">35</strong>' in panels[0].html
    assert "Has a phone number: +10.0" in panels[0].html


def test_api_lists_who_to_call_next_page_by_page(client, login, leads):
    login(client, "staff")

    first = client.get("/api/v1/leadscoring/call-next?limit=2").get_json()
    second = client.get("/api/v1/leadscoring/call-next", query_string={"limit": 2, **first["next"]}).get_json()

    assert [lead["customer_id"] for lead in first["leads"]][0] == leads[0]
    assert len(first["leads"] + second["leads"]) == 3
    assert second["next"] is None


def test_api_gives_one_leads_score_and_explanation(client, login, leads):
    login(client, "staff")

    body = client.get(f"/api/v1/leadscoring/leads/{leads[0]}").get_json()

    assert body["score"] == 35
    assert body["grade"] == "C"
    assert ["Has a phone number", 10] in body["explanation"]


def test_api_answers_404_for_a_customer_who_is_not_a_lead(client, login, crm, leads):
    buyer = crm.services.customers.create({"name": "Buyer", "lifecycle_stage": "customer"})
    login(client, "staff")

    response = client.get(f"/api/v1/leadscoring/leads/{buyer.id}")

    assert response.status_code == 404


def test_api_needs_a_login(client, leads):
    assert client.get("/api/v1/leadscoring/call-next").status_code == 401


@pytest.fixture
def run_crm(crm, crm_settings):
    env = {**os.environ, "CRM_DATABASE_URL": crm_settings.database_url, "CRM_REDIS_URL": crm_settings.redis_url,
           "CRM_REDIS_PREFIX": crm_settings.redis_prefix}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "crmcore.cli", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=600)

    return run


def test_crm_leadscoring_train_json_reports_too_little_history(run_crm, crm, leads):
    result = run_crm("leadscoring", "train", "--json")

    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["status"] == "too_little_history"
    assert printed["n_leads"] == 0
    assert printed["auc"] is None
    assert printed["scored"] == 3
    with crm.db.session() as session:
        assert session.get(LeadScore, leads[0]).model_score is None


def test_retrain_now_queues_training_that_a_worker_records(client, login, crm, leads, work_off):
    login(client, "admin")

    client.post("/leadscoring_model/train")
    work_off(crm)

    page = client.get("/leadscoring_model/").get_data(as_text=True)
    assert "too little history" in page


def test_rescoring_and_training_run_on_schedules(crm, leads):
    names = {s.name: s for plugin, s in crm.plugins.contributions("schedules", enabled_only=True, crm=crm)
             if plugin == "leadscoring"}

    assert names["leadscoring-rescore"].func == "crm_leadscoring.jobs:rescore_all_job"
    assert names["leadscoring-train"].func == "crm_leadscoring.jobs:train_job"
    assert names["leadscoring-pending"].func == "crm_leadscoring.jobs:rescore_pending_job"
    assert names["leadscoring-pending"].interval == 60
