"""`crm clv fit` and `crm clv score` run as a user would, and the scheduled jobs."""

from __future__ import annotations

import datetime as dt
import json

from crm_clv import hooks
from crm_clv.jobs import fit_job, score_job
from crm_clv.models import ClvModel
from crm_clv.service import ClvService

from crmcore.jobs.schedule import Schedule


def test_crm_clv_fit_prints_the_parameters(clv_crm, simulated_shop, run_crm) -> None:
    output = run_crm("clv", "fit", "--end", "2024-09-30").stdout

    assert f"of {len(simulated_shop)} customers up to 2024-09-30" in output
    assert "BG/NBD r=" in output and "Gamma-Gamma p=" in output
    assert "Hold-out (" in output


def test_crm_clv_fit_on_a_sample_says_so_in_json(clv_crm, simulated_shop, run_crm) -> None:
    fitted = json.loads(run_crm("clv", "fit", "--end", "2024-09-30", "--sample", "200", "--seed", "3",
                                "--json").stdout)

    assert (fitted["sample_size"], fitted["customers"], fitted["bgnbd"]["customers"]) == (200, 500, 200)


def test_crm_clv_score_reports_how_many_customers_it_scored(clv_crm, simulated_shop, run_crm) -> None:
    ClvService(clv_crm).fit(end=dt.date(2024, 9, 30))

    scored = json.loads(run_crm("clv", "score", "--as-of", "2025-01-01", "--json").stdout)

    assert scored["customers"] == len(simulated_shop)
    assert scored["scored_on"] == "2025-01-01"


def test_a_bad_date_is_named_in_the_error(clv_crm, run_crm) -> None:
    result = run_crm("clv", "fit", "--end", "30.09.1997", check=False)

    assert result.returncode == 2
    assert "'30.09.1997' is not a date like 1997-09-30" in result.stderr


def test_fitting_an_empty_crm_is_a_one_line_error(clv_crm, run_crm) -> None:
    result = run_crm("clv", "fit", check=False)

    assert result.returncode == 1
    assert result.stderr.strip() == "Error: There are no won deals yet, so there is nothing to fit."


def test_the_commands_refuse_while_the_plugin_is_disabled(crm, run_crm) -> None:
    result = run_crm("clv", "score", check=False)

    assert result.returncode != 0
    assert "crm plugins enable clv" in result.stderr


def test_the_scheduled_fit_ends_the_holdout_weeks_before_the_newest_purchase(clv_crm, simulated_shop) -> None:
    clv_crm.plugins.save_settings("clv", {"holdout_weeks": 13, "fit_sample_size": 300})

    fitted = fit_job(clv_crm)

    with clv_crm.db.session() as session:
        model = session.get(ClvModel, fitted["model_id"])
    assert model.holdout_end - model.calibration_end == dt.timedelta(weeks=13)
    assert model.sample_size == 300
    assert model.tracking["holdout_weeks"] == 13.0


def test_the_scheduled_score_uses_the_newest_model(clv_crm, simulated_shop) -> None:
    first = fit_job(clv_crm)["model_id"]
    second = fit_job(clv_crm)["model_id"]

    assert score_job(clv_crm)["model_id"] == second != first


def test_fitting_and_scoring_are_scheduled_at_the_times_of_the_settings(clv_crm) -> None:
    clv_crm.plugins.save_settings("clv", {"fit_cron": "30 1 * * 1"})

    schedules = {s.name: s for s in hooks.schedules(clv_crm)}

    assert schedules["clv-fit"] == Schedule(name="clv-fit", func="crm_clv.jobs:fit_job", cron="30 1 * * 1")
    assert schedules["clv-score"].func == "crm_clv.jobs:score_job"
    assert schedules["clv-score"].cron == "0 3 * * *"


def test_a_customer_export_includes_their_scores(clv_crm, shop) -> None:
    export = clv_crm.services.personal_data.export(shop["loyal"])

    assert export["plugins"]["clv"]["scored_on"] == "2025-01-01"
    assert 0.9 < export["plugins"]["clv"]["p_alive"] <= 1.0
