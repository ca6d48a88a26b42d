from __future__ import annotations

from typing import Any

from crmcore import policy
from crmcore.models import User
from crmcore.plugins.manager import CORE
from crmcore.services.base import Service, audit
from crmcore.workspace import WorkspaceSettingsSchema, current


class WorkspaceService(Service):
    """Reads and saves the workspace settings (admins only); every change is in the audit log."""

    def values(self) -> dict[str, Any]:
        self.crm.plugins.refresh()
        return current(self.crm.settings)

    def save(self, data: dict[str, Any], actor: User | None = None) -> dict[str, Any]:
        policy.require(actor, "settings")
        values = self.validate(WorkspaceSettingsSchema(), data)
        before = self.values()
        changes = {name: (before[name], value) for name, value in values.items() if before[name] != value}

        def record(session: Any) -> None:
            if changes:
                audit(session, actor, "workspace_settings", None, "update", changes)

        self.crm.plugins.store_settings(CORE, WorkspaceSettingsSchema().dump(values), also=record)
        return self.values()
