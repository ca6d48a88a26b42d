"""Contributions to the background work done by RQ workers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmcore.hooks import hookspec

if TYPE_CHECKING:
    from crmcore.jobs.schedule import Schedule
    from crmcore.runtime import CRM


@hookspec
def schedules(crm: CRM) -> list[Schedule]:
    """Return the periodic jobs of this plugin (nightly rescoring, monthly ABC run, ...).

    Called when the scheduler starts. A run is skipped while the plugin is disabled.
    """
