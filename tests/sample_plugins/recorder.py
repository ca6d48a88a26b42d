"""A plugin used by the core's tests: it records every event it receives and contributes one of everything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import Blueprint
from flask_smorest import Blueprint as SmorestBlueprint
from markupsafe import Markup
from marshmallow import Schema, fields, validate
from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from crmcore.db import Base
from crmcore.hooks import hookimpl
from crmcore.jobs.schedule import Schedule
from crmcore.models import Customer
from crmcore.plugins import Plugin
from crmcore.segments import Segment
from crmcore.web.admin.base import SecureView
from crmcore.web.contributions import Panel, Widget

CALLS: list[tuple[str, dict[str, Any]]] = []


class RecorderNote(Base):
    __tablename__ = "recorder_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(200), nullable=False)


class RecorderSettings(Schema):
    greeting = fields.String(load_default="hello", validate=validate.Length(max=50))
    threshold = fields.Integer(load_default=70, validate=validate.Range(min=0, max=100))




def _record(name: str, arguments: dict[str, Any]) -> None:
    CALLS.append((name, {k: v for k, v in arguments.items() if k != "self"}))


class RecorderHooks:
    """Every event hook appends (hook name, arguments) to CALLS."""

    @hookimpl
    def customer_created(self, crm, customer, actor) -> None:
        _record("customer_created", locals())

    @hookimpl
    def customer_updated(self, crm, customer, changes, actor) -> None:
        _record("customer_updated", locals())

    @hookimpl
    def customer_deleted(self, crm, customer_id, actor) -> None:
        _record("customer_deleted", locals())

    @hookimpl
    def customers_merged(self, crm, kept, merged_id, actor) -> None:
        _record("customers_merged", locals())

    @hookimpl
    def contact_created(self, crm, contact, actor) -> None:
        _record("contact_created", locals())

    @hookimpl
    def contact_updated(self, crm, contact, changes, actor) -> None:
        _record("contact_updated", locals())

    @hookimpl
    def contact_deleted(self, crm, contact_id, customer_id, actor) -> None:
        _record("contact_deleted", locals())

    @hookimpl
    def consent_changed(self, crm, customer, given, source, actor) -> None:
        _record("consent_changed", locals())

    @hookimpl
    def deal_created(self, crm, deal, actor) -> None:
        _record("deal_created", locals())

    @hookimpl
    def deal_updated(self, crm, deal, changes, actor) -> None:
        _record("deal_updated", locals())

    @hookimpl
    def deal_stage_changed(self, crm, deal, from_stage, to_stage, actor) -> None:
        _record("deal_stage_changed", locals())

    @hookimpl
    def deal_won(self, crm, deal, actor) -> None:
        _record("deal_won", locals())

    @hookimpl
    def deal_lost(self, crm, deal, actor) -> None:
        _record("deal_lost", locals())

    @hookimpl
    def deal_deleted(self, crm, deal_id, customer_id, actor) -> None:
        _record("deal_deleted", locals())

    @hookimpl
    def touchpoint_recorded(self, crm, touchpoint, actor) -> None:
        _record("touchpoint_recorded", locals())

    @hookimpl
    def task_created(self, crm, task, actor) -> None:
        _record("task_created", locals())

    @hookimpl
    def task_updated(self, crm, task, changes, actor) -> None:
        _record("task_updated", locals())

    @hookimpl
    def task_completed(self, crm, task, actor) -> None:
        _record("task_completed", locals())

    @hookimpl
    def plugin_enabled(self, crm, name) -> None:
        _record("plugin_enabled", locals())

    @hookimpl
    def plugin_disabled(self, crm, name) -> None:
        _record("plugin_disabled", locals())

    @hookimpl
    def crm_closing(self, crm) -> None:
        _record("crm_closing", locals())

    @hookimpl
    def segments(self, crm: Any) -> list[Segment]:
        return [Segment(
            key="recorder:noted",
            title="Customers with a note",
            query=lambda: select(RecorderNote.customer_id),
            plugin="recorder",
        )]

    @hookimpl
    def customer_merge_fields(self, crm: Any, session: Any, customer_ids: list[int]) -> dict[int, dict[str, Any]]:
        rows = session.execute(select(RecorderNote.customer_id, RecorderNote.text)
                               .where(RecorderNote.customer_id.in_(customer_ids))).all()
        return {customer_id: {"recorder_note": text} for customer_id, text in rows}

    @hookimpl
    def personal_data_export(self, crm: Any, session: Any, customer: Customer) -> dict[str, Any] | None:
        notes = session.scalars(select(RecorderNote.text).where(RecorderNote.customer_id == customer.id)).all()
        return {"notes": list(notes)} if notes else None

    @hookimpl
    def personal_data_erase(self, crm: Any, session: Any, customer: Customer) -> None:
        for note in session.scalars(select(RecorderNote).where(RecorderNote.customer_id == customer.id)):
            note.text = "(erased)"

    @hookimpl
    def admin_views(self, crm: Any) -> list[Any]:
        return [RecorderView(name="Recorder", endpoint="recorder")]

    @hookimpl
    def web_blueprints(self, crm: Any) -> list[Blueprint]:
        return [blueprint]

    @hookimpl
    def cli_commands(self, crm: Any) -> list[click.Command]:
        return [recorder_command]

    @hookimpl
    def schedules(self, crm: Any) -> list[Schedule]:
        return [Schedule(name="tick", func="tests.sample_plugins.recorder:tick", interval=60)]


class RecorderView(SecureView):
    area = "customers"

    from flask_admin import expose

    @expose("/")
    def index(self) -> str:
        return "recorder screen"


blueprint = Blueprint("recorder_pages", __name__, url_prefix="/recorder-pages")


@blueprint.get("/hello")
def hello() -> str:
    return "hello from recorder"


@click.command("recorder-hello")
def recorder_command() -> None:
    """Say hello."""
    click.echo("hello from recorder")


def tick(crm: Any, **kwargs: Any) -> str:
    CALLS.append(("tick", kwargs))
    return "ticked"


def add_note(crm: Any, customer_id: int, text: str) -> int:
    with crm.db.session() as session:
        note = RecorderNote(customer_id=customer_id, text=text)
        session.add(note)
        session.flush()
        return note.id


recorder = Plugin(
    name="recorder",
    title="Recorder",
    version="1.0",
    description="Records events, for tests.",
    hooks=RecorderHooks(),
    settings=RecorderSettings,
    migrations=Path(__file__).parent / "recorder_migrations",
)


class DependentHooks:
    @hookimpl
    def customer_created(self, crm: Any, customer: Any) -> None:
        CALLS.append(("dependent.customer_created", {"customer": customer}))


dependent = Plugin(
    name="dependent",
    title="Dependent",
    version="0.1",
    description="Requires the recorder, for tests.",
    hooks=DependentHooks(),
    requires=("recorder",),
)


api = SmorestBlueprint("recorder_api", __name__, url_prefix="/recorder")


@api.route("/ping")
def api_ping() -> dict[str, str]:
    return {"pong": "recorder"}


def _panel(customer: Customer) -> Panel:
    return Panel(title="Recorder", html=Markup("<p>{}</p>").format(customer.name))


class PanelHooks:
    @hookimpl
    def api_blueprints(self, crm: Any) -> list[Any]:
        return [api]

    @hookimpl
    def customer_panels(self, crm: Any, customer: Customer, user: Any) -> Panel:
        return _panel(customer)

    @hookimpl
    def dashboard_widgets(self, crm: Any, user: Any) -> list[Widget]:
        return [Widget(title="Recorded", html=Markup("<p>{}</p>").format(len(CALLS)), order=5)]


for _name in ("api_blueprints", "customer_panels", "dashboard_widgets"):
    setattr(RecorderHooks, _name, getattr(PanelHooks, _name))
