"""What runs inside an RQ worker: every job goes through ``run`` so it gets the CRM and the plugin gate."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from crmcore.runtime import CRM

log = logging.getLogger(__name__)
_current: CRM | None = None


def set_current(crm: CRM | None) -> None:
    """The worker command (or a test) hands its CRM to the jobs it runs."""
    global _current
    _current = crm


def current() -> CRM:
    global _current
    if _current is None:
        _current = CRM()
    return _current


def resolve(path: str) -> Any:
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"job function must be given as 'package.module:function', not {path!r}")
    return getattr(importlib.import_module(module_name), attribute)


def run(func_path: str, plugin: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run one job. A job of a plugin that was disabled after it was queued is skipped, not run."""
    crm = current()
    crm.plugins.refresh(force=True)
    if not crm.plugins.is_enabled(plugin):
        log.info("skipped job %s: plugin %s is disabled", func_path, plugin)
        return {"skipped": f"plugin {plugin} is disabled"}
    return resolve(func_path)(crm, *args, **kwargs)
