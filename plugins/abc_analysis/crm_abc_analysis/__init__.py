"""ABC(D) analysis of customers and products by revenue or gross profit, with RFM and ABC-XYZ segments."""

from __future__ import annotations

from pathlib import Path

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from crm_abc_analysis import hooks, partitions
from crmcore.plugins import Plugin


class AbcSettings(Schema):
    basis = fields.String(load_default="revenue", validate=validate.OneOf(["revenue", "profit"]))
    months = fields.Integer(load_default=12, validate=validate.Range(min=1, max=120))
    a_share = fields.Float(load_default=80.0, validate=validate.Range(min=1, max=99))
    b_share = fields.Float(load_default=15.0, validate=validate.Range(min=0, max=98))
    xyz_x_max = fields.Float(load_default=0.5, validate=validate.Range(min=0))
    xyz_y_max = fields.Float(load_default=1.0, validate=validate.Range(min=0))
    schedule_cron = fields.String(load_default="0 4 1 * *", validate=validate.Length(min=9, max=100))
    run_memory_mb = fields.Integer(load_default=128, validate=validate.Range(min=4, max=4096))

    @validates_schema
    def _shares(self, data: dict, **_: object) -> None:
        if data.get("a_share", 80.0) + data.get("b_share", 15.0) >= 100:
            raise ValidationError("A and B together must leave room for C (less than 100 %).", "b_share")
        if data.get("xyz_x_max", 0.5) > data.get("xyz_y_max", 1.0):
            raise ValidationError("The X limit must not exceed the Y limit.", "xyz_x_max")


plugin = Plugin(
    name="abc_analysis",
    title="ABC analysis",
    version="1.0.0",
    description="Which 20 % of customers bring 80 % of revenue: ABC(D) classes, RFM segments, ABC-XYZ matrix.",
    hooks=hooks,
    settings=AbcSettings,
    migrations=Path(__file__).parent / "migrations",
    table_prefix="abc_",
    schemas=(partitions.SCHEMA,),
)
