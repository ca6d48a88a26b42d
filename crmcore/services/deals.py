from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from crmcore import policy
from crmcore.db import utcnow
from crmcore.errors import Refused, ValidationFailed
from crmcore.models import Contact, Customer, Deal, DealLine, DealStatus, Pipeline, Product, Stage, User
from crmcore.schemas import DealSchema, PipelineSchema
from crmcore.services.base import Service, Transaction, apply_changes, audit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

CENT = Decimal("0.01")

DEFAULT_STAGES = [
    {"name": "New", "probability": 10},
    {"name": "Qualified", "probability": 25},
    {"name": "Proposal", "probability": 50},
    {"name": "Negotiation", "probability": 75},
    {"name": "Won", "probability": 100, "is_won": True},
    {"name": "Lost", "probability": 0, "is_lost": True},
]


class PipelineService(Service):
    schema = PipelineSchema()

    def create(self, data: Mapping[str, Any], actor: User | None = None) -> Pipeline:
        policy.require(actor, "settings")
        values = self.validate(self.schema, data)
        stages = values.pop("stages", None) or DEFAULT_STAGES
        self._check_stages(stages)
        with self.transaction() as t:
            if t.session.scalar(select(Pipeline.id).where(Pipeline.name == values["name"])):
                raise ValidationFailed({"name": ["A pipeline with this name exists."]})
            if values.get("is_default") or not t.session.scalar(select(func.count(Pipeline.id))):
                t.session.execute(update(Pipeline).values(is_default=False))
                values["is_default"] = True
            pipeline = Pipeline(**values, stages=[Stage(position=i, **s) for i, s in enumerate(stages)])
            t.session.add(pipeline)
            t.session.flush()
            audit(t.session, actor, "pipeline", pipeline.id, "create", {"name": [None, pipeline.name]})
        return pipeline

    @staticmethod
    def _check_stages(stages: list[dict[str, Any]]) -> None:
        names = [s["name"] for s in stages]
        if len(set(names)) != len(names):
            raise ValidationFailed({"stages": ["Stage names must be unique within a pipeline."]})
        if sum(bool(s.get("is_won")) for s in stages) != 1 or sum(bool(s.get("is_lost")) for s in stages) != 1:
            raise ValidationFailed({"stages": ["A pipeline needs exactly one won and one lost stage."]})

    def update(self, pipeline_id: int, data: Mapping[str, Any], actor: User | None = None) -> Pipeline:
        """Rename, make default, or rewrite the stages. Stages are matched by name: a matching stage keeps its
        deals and takes the new probability, flags and order; a new name adds a stage; a stage left out is
        removed, which is refused while deals sit in it."""
        policy.require(actor, "settings")
        values = self.validate(self.schema, data, partial=True)
        stages = values.pop("stages", None)
        if stages is not None:
            self._check_stages(stages)
        with self.transaction() as t:
            pipeline = self.fetch(t.session, Pipeline, pipeline_id, "pipeline", for_update=True)
            if "name" in values and t.session.scalar(
                    select(Pipeline.id).where(Pipeline.name == values["name"], Pipeline.id != pipeline.id)):
                raise ValidationFailed({"name": ["A pipeline with this name exists."]})
            if values.get("is_default"):
                t.session.execute(update(Pipeline).where(Pipeline.id != pipeline.id).values(is_default=False))
            elif values.get("is_default") is False and pipeline.is_default:
                raise ValidationFailed({"is_default": ["Make another pipeline the default instead."]})
            changes = apply_changes(pipeline, values)
            if stages is not None:
                changes.update(self._rewrite_stages(t.session, pipeline, stages))
            if changes:
                audit(t.session, actor, "pipeline", pipeline.id, "update", changes)
        return pipeline

    @staticmethod
    def _rewrite_stages(session: Session, pipeline: Pipeline, stages: list[dict[str, Any]]) -> dict[str, Any]:
        existing = {stage.name: stage for stage in pipeline.stages}
        wanted = {stage["name"] for stage in stages}
        removed = [stage for name, stage in existing.items() if name not in wanted]
        busy = [stage.name for stage in removed
                if session.scalar(select(func.count(Deal.id)).where(Deal.stage_id == stage.id))]
        if busy:
            raise ValidationFailed({"stages": [f"Move the deals out of {', '.join(busy)} before removing it."]})
        before = [stage.name for stage in pipeline.stages]
        kept = []
        for position, data in enumerate(stages):
            stage = existing.get(data["name"]) or Stage(name=data["name"])
            stage.position = position
            stage.probability = data.get("probability", stage.probability or 0)
            stage.is_won = bool(data.get("is_won"))
            stage.is_lost = bool(data.get("is_lost"))
            kept.append(stage)
        pipeline.stages = kept
        session.flush()
        after = [stage.name for stage in kept]
        return {"stages": (before, after)} if before != after else {}

    def ensure_default(self) -> Pipeline:
        with self.crm.db.session() as session:
            pipeline = session.scalar(select(Pipeline).where(Pipeline.is_default.is_(True)))
        return pipeline or self.create({"name": "Sales"})

    def default(self, session: Session) -> Pipeline:
        pipeline = session.scalar(select(Pipeline).where(Pipeline.is_default.is_(True)))
        if pipeline is None:
            raise Refused("No sales pipeline is set up; an admin creates one (crm init does it).")
        return pipeline


class DealService(Service):
    schema = DealSchema()

    def _resolve_stage(self, session: Session, values: dict[str, Any], deal: Deal | None) -> Stage:
        pipeline_id = values.get("pipeline_id") or (deal.pipeline_id if deal else None)
        pipeline = (self.fetch(session, Pipeline, pipeline_id, "pipeline", field="pipeline_id")
                    if pipeline_id else self.crm.services.pipelines.default(session))
        values["pipeline_id"] = pipeline.id
        stage_id = values.get("stage_id") or (deal.stage_id if deal and "pipeline_id" not in values else None)
        status = values.get("status")
        if stage_id is not None:
            stage = self.fetch(session, Stage, stage_id, "stage", field="stage_id")
            if stage.pipeline_id != pipeline.id:
                raise ValidationFailed({"stage_id": [f"Stage {stage.name!r} is not in pipeline {pipeline.name!r}."]})
        elif status is DealStatus.WON:
            stage = next(s for s in pipeline.stages if s.is_won)
        elif status is DealStatus.LOST:
            stage = next(s for s in pipeline.stages if s.is_lost)
        else:
            stage = pipeline.stages[0]
        return stage

    @staticmethod
    def _status_for(stage: Stage, requested: DealStatus | None) -> DealStatus:
        if stage.is_won:
            return DealStatus.WON
        if stage.is_lost:
            return DealStatus.LOST
        if requested in (DealStatus.WON, DealStatus.LOST):
            raise ValidationFailed({"status": [f"Stage {stage.name!r} is an open stage; move the deal to the "
                                               "won or lost stage to close it."]})
        return DealStatus.OPEN

    def _lines(self, session: Session, lines: list[dict[str, Any]], status: DealStatus) -> list[DealLine]:
        result = []
        product_ids = {line["product_id"] for line in lines if line.get("product_id") is not None}
        known = set(session.scalars(select(Product.id).where(Product.id.in_(product_ids)))) if product_ids else set()
        for index, line in enumerate(lines):
            if line.get("product_id") is not None and line["product_id"] not in known:
                raise ValidationFailed({f"lines.{index}.product_id": [f"No product with id {line['product_id']}."]})
            if line["quantity"] < 0 and status is not DealStatus.WON:
                raise ValidationFailed({f"lines.{index}.quantity": [
                    "Negative quantities are only allowed on a refund (a won deal with a negative amount)."]})
            line["description"] = line.get("description") or ""
            result.append(DealLine(**line))
        return result

    def create(self, data: Mapping[str, Any], actor: User | None = None, tx: Transaction | None = None) -> Deal:
        """Open a deal, or record a purchase (``status`` won) or a refund (won, negative amount)."""
        policy.require(actor, "customers")
        values = self.validate(self.schema, data)
        with self.transaction(tx) as t:
            customer = self.fetch(t.session, Customer, values["customer_id"], "customer", field="customer_id")
            policy.require_record(actor, self.crm.settings, customer)
            if values.get("contact_id") is not None:
                contact = self.fetch(t.session, Contact, values["contact_id"], "contact", field="contact_id")
                if contact.customer_id != customer.id:
                    raise ValidationFailed({"contact_id": ["This contact belongs to another customer."]})
            if values.get("owner_id") is not None:
                self.fetch(t.session, User, values["owner_id"], "user", field="owner_id")
            elif actor is not None:
                values["owner_id"] = actor.id
            else:
                values["owner_id"] = customer.owner_id
            stage = self._resolve_stage(t.session, values, None)
            values["stage_id"] = stage.id
            values["status"] = self._status_for(stage, values.get("status"))
            lines = self._lines(t.session, values.pop("lines", []), values["status"])
            if lines:
                values.setdefault("amount", sum((ln.total for ln in lines), Decimal("0")))
                values.setdefault("cost", sum(((ln.quantity * ln.unit_cost).quantize(CENT) for ln in lines),
                                              Decimal("0")))
            values["amount"] = Decimal(values.get("amount", 0)).quantize(CENT)
            values["cost"] = Decimal(values.get("cost", 0)).quantize(CENT)
            if values["amount"] < 0 and values["status"] is not DealStatus.WON:
                raise ValidationFailed({"amount": ["Only a refund (a won deal) can have a negative amount."]})
            if values["status"] is not DealStatus.OPEN:
                values.setdefault("closed_on", date.today())
            values.pop("stage_id")
            deal = Deal(**values, stage=stage, lines=lines, stage_changed_at=utcnow())
            t.session.add(deal)
            t.session.flush()
            audit(t.session, actor, "deal", deal.id, "create",
                  {"title": [None, deal.title], "amount": [None, deal.amount], "status": [None, deal.status]})
            t.emit("deal_created", deal=deal, actor=actor)
            if deal.status is DealStatus.WON:
                t.emit("deal_won", deal=deal, actor=actor)
            elif deal.status is DealStatus.LOST:
                t.emit("deal_lost", deal=deal, actor=actor)
        return deal

    def update(self, deal_id: int, data: Mapping[str, Any], actor: User | None = None,
               expected_version: int | None = None, tx: Transaction | None = None) -> Deal:
        policy.require(actor, "customers")
        values = self.validate(self.schema, data, partial=True)
        if "lines" in values:
            raise ValidationFailed({"lines": ["Product lines are set when the deal is created."]})
        with self.transaction(tx) as t:
            deal = self.fetch(t.session, Deal, deal_id, "deal", for_update=True)
            policy.require_record(actor, self.crm.settings, deal)
            self.check_version(deal, expected_version)
            old_stage = deal.stage
            if {"stage_id", "pipeline_id", "status"} & set(values):
                stage = self._resolve_stage(t.session, values, deal)
                values["stage_id"] = stage.id
                values["status"] = self._status_for(stage, values.get("status"))
            else:
                stage = old_stage
            if "amount" in values and values["amount"] < 0 and values.get("status", deal.status) is not DealStatus.WON:
                raise ValidationFailed({"amount": ["Only a refund (a won deal) can have a negative amount."]})
            old_status = deal.status
            changes = apply_changes(deal, values)
            if not changes:
                return deal
            if stage.id != old_stage.id:
                deal.stage = stage
                deal.stage_changed_at = utcnow()
            if deal.status != old_status:
                deal.closed_on = None if deal.status is DealStatus.OPEN else (values.get("closed_on") or date.today())
            t.session.flush()
            audit(t.session, actor, "deal", deal.id, "update", changes)
            t.emit("deal_updated", deal=deal, changes=changes, actor=actor)
            if stage.id != old_stage.id:
                t.emit("deal_stage_changed", deal=deal, from_stage=old_stage, to_stage=stage, actor=actor)
            if deal.status != old_status and deal.status is DealStatus.WON:
                t.emit("deal_won", deal=deal, actor=actor)
            elif deal.status != old_status and deal.status is DealStatus.LOST:
                t.emit("deal_lost", deal=deal, actor=actor)
        return deal

    def move(self, deal_id: int, stage_id: int, actor: User | None = None,
             lost_reason: str | None = None) -> Deal:
        """Move a deal to another stage of its pipeline (the pipeline board's drag and drop)."""
        data: dict[str, Any] = {"stage_id": stage_id}
        if lost_reason:
            data["lost_reason"] = lost_reason
        return self.update(deal_id, data, actor=actor)

    def delete(self, deal_id: int, actor: User | None = None) -> None:
        policy.require(actor, "customers")
        with self.transaction() as t:
            deal = self.fetch(t.session, Deal, deal_id, "deal")
            policy.require_record(actor, self.crm.settings, deal)
            customer_id = deal.customer_id
            t.session.delete(deal)
            audit(t.session, actor, "deal", deal_id, "delete", {"title": [deal.title, None]})
            t.emit("deal_deleted", deal_id=deal_id, customer_id=customer_id, actor=actor)
