"""The CRM runtime: settings, database, plugins, services and jobs of one process.

The web app, each RQ worker and the CLI build one ``CRM`` and reach everything through it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from crmcore.config import Settings, load_settings
from crmcore.db import Database
from crmcore.plugins import Plugin, PluginManager
from crmcore.segments import SegmentRegistry

if TYPE_CHECKING:
    from crmcore.jobs.queue import JobQueue
    from crmcore.services import Services


class CRM:
    def __init__(self, settings: Settings | None = None, plugins: Iterable[Plugin] | None = None) -> None:
        """``plugins`` None discovers every installed plugin through entry points; a list installs just those."""
        self.settings = settings or load_settings()
        self.settings.check()
        self.db = Database(self.settings.database_url)
        self.plugins = PluginManager(self, plugins)
        self.segments = SegmentRegistry(self)

    @property
    def hook(self) -> Any:
        """Call a hook on the core and the enabled plugins: ``crm.hook.customer_created(...)``."""
        return self.plugins.hook

    @cached_property
    def services(self) -> Services:
        from crmcore.services import Services

        return Services(self)

    @cached_property
    def jobs(self) -> JobQueue:
        from crmcore.jobs.queue import JobQueue

        return JobQueue(self)

    def close(self) -> None:
        self.plugins.pm.hook.crm_closing(crm=self)
        if "jobs" in self.__dict__:
            self.jobs.close()
        self.db.dispose()
