"""The pipeline board: a column per stage with deal cards, each column's count and weighted value computed in
SQL; dragging a card to another column moves the deal through the deal service (and fires the hook)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import jsonify, request
from flask_admin import expose
from flask_babel import gettext
from sqlalchemy import select

from crmcore import policy
from crmcore.errors import CRMError
from crmcore.models import Deal, DealStatus, Pipeline
from crmcore.web.admin.base import SecureView, acting_user, crm_runtime, user_names
from crmcore.web.formatting import format_money, format_number
from crmcore.web.metrics import stage_figures

CARDS_PER_COLUMN = 50
#: Won and lost columns show the deals closed in the last month, so the board stays about current work.
CLOSED_DAYS = 30


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and int(raw) < 2**63 else None


class BoardView(SecureView):
    area = "customers"

    def _owner_filter(self) -> int | None:
        user = acting_user()
        if policy.owns_only(user, crm_runtime().settings):
            return user.id
        return _int_arg("owner")

    def _columns(self, session: Any, pipeline: Pipeline, owner_id: int | None) -> list[dict[str, Any]]:
        closed_since = date.today() - timedelta(days=CLOSED_DAYS)
        figures = stage_figures(session, pipeline.id, owner_id, closed_since)
        columns = []
        for stage in pipeline.stages:
            query = select(Deal).where(Deal.stage_id == stage.id)
            if owner_id is not None:
                query = query.where(Deal.owner_id == owner_id)
            if stage.is_won or stage.is_lost:
                query = query.where(Deal.closed_on >= closed_since)
            from sqlalchemy.orm import joinedload

            deals = session.scalars(query.options(joinedload(Deal.customer))
                                    .order_by(Deal.stage_changed_at.desc(), Deal.id.desc())
                                    .limit(CARDS_PER_COLUMN)).unique().all()
            figure = figures.get(stage.id)
            columns.append({"stage": stage, "deals": deals, "count": figure.count if figure else 0,
                            "weighted": figure.weighted if figure else 0, "value": figure.value if figure else 0})
        return columns

    def _pipeline(self, session: Any) -> Pipeline | None:
        chosen = _int_arg("pipeline")
        if chosen is not None:
            pipeline = session.get(Pipeline, chosen)
            if pipeline is not None:
                return pipeline
        return session.scalar(select(Pipeline).order_by(Pipeline.is_default.desc(), Pipeline.id))

    @expose("/")
    def index(self) -> Any:
        crm = crm_runtime()
        with crm.db.session() as session:
            pipeline = self._pipeline(session)
            pipelines = session.scalars(select(Pipeline).order_by(Pipeline.name)).all()
            owner_id = self._owner_filter()
            columns = self._columns(session, pipeline, owner_id) if pipeline is not None else []
            return self.render("crm/board.html", pipeline=pipeline, pipelines=pipelines, columns=columns,
                               owner_id=owner_id, users=user_names(), format_money=format_money,
                               format_number=format_number,
                               may_filter_owner=not policy.owns_only(acting_user(), crm.settings))

    @expose("/move", methods=("POST",))
    def move(self) -> Any:
        """JSON ``{"deal_id", "stage_id"}``: move the deal, answer the new figures of every column."""
        payload = request.get_json(silent=True) or {}
        deal_id, stage_id = payload.get("deal_id"), payload.get("stage_id")
        if not isinstance(deal_id, int) or not isinstance(stage_id, int):
            return jsonify(message=gettext("deal_id and stage_id must be numbers.")), 400
        crm = crm_runtime()
        try:
            deal = crm.services.deals.move(deal_id, stage_id, actor=acting_user(),
                                           lost_reason=payload.get("lost_reason") or None)
        except CRMError as exc:
            return jsonify(message=exc.message, errors=getattr(exc, "errors", None)), exc.status
        with crm.db.session() as session:
            figures = stage_figures(session, deal.pipeline_id, self._owner_filter(),
                                    date.today() - timedelta(days=CLOSED_DAYS))
        return jsonify(deal_id=deal.id, stage_id=deal.stage_id, status=deal.status.value if isinstance(
            deal.status, DealStatus) else deal.status, columns={
            str(f.stage_id): {"count": f.count, "weighted": format_money(f.weighted)} for f in figures.values()})
