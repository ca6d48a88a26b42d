"""The ABC analysis screen: headline, Pareto chart, classes, RFM, ABC-XYZ matrix and who moved down."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask_admin import expose
from werkzeug.routing import BuildError

from crm_abc_analysis import queries, services
from crm_abc_analysis.rendering import pareto_svg
from crmcore.errors import CRMError
from crmcore.web.admin.base import SecureView

TEMPLATES = Path(__file__).parent / "templates"


def customer_url(customer_id: int) -> str:
    """The customer page, or the customer's record screen where no customer page is installed."""
    try:
        return url_for("customer_page.show", customer_id=customer_id)
    except BuildError:
        return url_for("customers.details_view", id=customer_id)


class AbcView(SecureView):
    area = "reports"

    def create_blueprint(self, admin: Any) -> Any:
        blueprint = super().create_blueprint(admin)
        blueprint.template_folder = str(TEMPLATES)
        return blueprint

    @property
    def crm(self) -> Any:
        return current_app.extensions["crm"]

    @expose("/")
    def index(self) -> str:
        after = request.args.get("after", 0, type=int)
        with self.crm.db.session() as session:
            runs = services.latest_runs(session, 12)
            run = runs[0] if runs else None
            context: dict[str, Any] = {"runs": runs, "run": run, "moved": [], "after": after}
            if run is not None:
                context.update(
                    chart=pareto_svg(services.pareto_points(session, run)),
                    rfm=services.rfm_counts(session, run.id),
                    matrix=services.abc_xyz_matrix(session, run.id),
                )
                if len(runs) > 1:
                    context["moved"] = services.moved_down(session, run, runs[1], after_customer=after)
        return self.render("abc_analysis/index.html", customer_url=customer_url, classes=queries.ABC_CLASSES,
                           xyz=queries.XYZ_CLASSES,
                           segments=queries.RFM_SEGMENTS, **context)

    @expose("/run", methods=["POST"])
    def run_now(self) -> Any:
        basis = request.form.get("by") or None
        try:
            self.crm.jobs.enqueue("crm_abc_analysis.jobs:run_scheduled", plugin="abc_analysis", queue="low",
                                  basis=basis)
        except CRMError as exc:
            flash(str(exc), "error")
        else:
            flash("The ABC analysis is running in the background; reload this page in a moment.", "info")
        return redirect(url_for(".index"))
