"""Workspace settings: the few settings an admin changes on screen rather than in the config file.

They are stored with the plugin states (under the name ``core``) so that a change reaches every process the
same way a plugin switch does: the plugin manager re-reads them when the state counter moves and lays them
over the configured settings. A value saved on screen wins over the config file and the environment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext
from marshmallow import Schema, fields

if TYPE_CHECKING:
    from crmcore.config import Settings


class WorkspaceSettingsSchema(Schema):
    staff_see_own_records_only = fields.Boolean(
        required=True,
        metadata={"title": lazy_gettext("Staff see only the records they own"),
                  "description": lazy_gettext("Staff users see and change only the customers, deals and tasks "
                                              "assigned to them; managers and admins see everything.")},
    )


def overlay(settings: Settings, saved: dict[str, Any]) -> Settings:
    """``settings`` with the saved workspace values laid over it (unknown or stale keys are ignored)."""
    known = {name: value for name, value in saved.items() if name in WorkspaceSettingsSchema().fields}
    changed = {name: value for name, value in known.items() if getattr(settings, name) != value}
    return settings.with_overrides(**changed) if changed else settings


def current(settings: Settings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in WorkspaceSettingsSchema().fields}
