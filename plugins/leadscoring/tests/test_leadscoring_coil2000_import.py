"""CoIL 2000 imported as leads through the core import, then learned from: the AUC a user would see."""

from __future__ import annotations

import pytest
from crm_leadscoring.evaluation import bench_leads_auc
from crm_leadscoring.models import LeadScore
from crm_leadscoring.services import train_model
from sqlalchemy import func, select

from crmcore.importing import run_import

pytestmark = pytest.mark.dataset


@pytest.fixture(scope="module")
def coil(crm_settings, _migrated, shared_data):
    """5,822 leads with a won or lost deal each from their Purchase column; lead scoring enabled afterwards."""
    from crmcore.runtime import CRM
    from crmcore.testing import databases

    crm = CRM(crm_settings)
    crm.services.pipelines.ensure_default()
    report = run_import(crm, "leads", shared_data / "leads" / "caravan_tic_coil2000.csv",
                        mapping={"outcome": "Purchase"}, options={"won_value": "Yes", "create_custom_fields": True})
    assert (report.created, report.failed) == (5822, 0)
    crm.plugins.enable("leadscoring")
    yield crm
    databases.empty_tables(crm.db.engine)
    crm.close()


def test_the_model_learned_from_imported_leads_ranks_as_well_as_scikit_learn(coil, shared_data):
    status = train_model(coil)

    reference = bench_leads_auc(shared_data)["sklearn"]
    assert status["status"] == "trained"
    assert (status["n_leads"], status["n_won"]) == (5822, 348)
    assert status["auc"] > 0.70
    assert status["auc"] == pytest.approx(reference["auc"], abs=0.02)


def test_every_imported_lead_has_a_score(coil):
    with coil.db.session() as session:
        assert session.scalar(select(func.count()).select_from(LeadScore)) == 5822
