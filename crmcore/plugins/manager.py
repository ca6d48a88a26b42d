from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

import pluggy
from marshmallow import ValidationError
from sqlalchemy import select, update

from crmcore import workspace
from crmcore.db import utcnow
from crmcore.errors import NotFound, Refused, ValidationFailed
from crmcore.hooks import PROJECT, SPEC_MODULES
from crmcore.models import PluginState, StateCounter
from crmcore.plugins.base import ENTRY_POINT_GROUP, Plugin

if TYPE_CHECKING:
    from crmcore.runtime import CRM

log = logging.getLogger(__name__)
CORE = "core"
COUNTER = "plugins"


def discover() -> list[Plugin]:
    """Every plugin installed in this Python environment, built-in or third-party alike."""
    found = []
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        plugin = entry_point.load()
        if not isinstance(plugin, Plugin):
            raise TypeError(f"entry point {entry_point.name!r} must point to a crmcore.plugins.Plugin")
        found.append(plugin)
    return sorted(found, key=lambda p: p.name)


def _no_implementations(**_: Any) -> list[Any]:
    """A hook no installed plugin specifies (e.g. one published by a plugin that is not installed)."""
    return []


class _GatedHooks:
    """``crm.hook.<name>(...)`` calls only the core and the enabled plugins."""

    def __init__(self, manager: PluginManager) -> None:
        self._manager = manager

    def __getattr__(self, name: str) -> Any:
        return self._manager.hook_caller(name)


class PluginManager:
    """Loads every installed plugin at start-up; the enabled set, read from the database, gates what runs.

    Each process re-reads the enabled set when the ``plugins`` state counter moved, checking it at most every
    ``plugin_state_check_interval`` seconds, so a switch in one process reaches all others without a restart.
    """

    def __init__(self, crm: CRM, plugins: Iterable[Plugin] | None = None) -> None:
        self.crm = crm
        self.pm = pluggy.PluginManager(PROJECT)
        for module in SPEC_MODULES:
            self.pm.add_hookspecs(importlib.import_module(module))
        from crmcore import core_hooks
        from crmcore.webhooks import hooks as webhook_hooks

        self.pm.register(core_hooks, name=CORE)
        self.pm.register(webhook_hooks, name=f"{CORE}.webhooks")
        self.installed: dict[str, Plugin] = {}
        for plugin in discover() if plugins is None else plugins:
            self.install(plugin)
        self.hook = _GatedHooks(self)
        self._lock = threading.Lock()
        self._enabled: frozenset[str] = frozenset()
        self._settings: dict[str, dict[str, Any]] = {}
        self._seen_version: int | None = None
        self._checked_at = 0.0
        self._callers: dict[tuple[str, frozenset[str]], Any] = {}

    def install(self, plugin: Plugin) -> None:
        """Make a plugin known to this process (entry points do this at start-up; tests may call it)."""
        if plugin.name in self.installed or plugin.name == CORE:
            raise ValueError(f"a plugin named {plugin.name!r} is already installed")
        self.installed[plugin.name] = plugin
        if plugin.hookspecs is not None:
            self.pm.add_hookspecs(plugin.hookspecs)
        self.pm.register(plugin.hooks, name=plugin.name)

    # -- reading the state -------------------------------------------------------------------------

    def _read_version(self) -> int:
        with self.crm.db.session() as session:
            value = session.scalar(select(StateCounter.value).where(StateCounter.name == COUNTER))
        return value or 0

    def refresh(self, force: bool = False) -> None:
        """Re-read the enabled set if another process changed it (cheap: one primary-key lookup)."""
        now = time.monotonic()
        if not force and now - self._checked_at < self.crm.settings.plugin_state_check_interval:
            return
        with self._lock:
            self._checked_at = now
            version = self._read_version()
            if version == self._seen_version and not force:
                return
            with self.crm.db.session() as session:
                rows = session.execute(select(PluginState.name, PluginState.enabled, PluginState.settings)).all()
            self._enabled = frozenset(n for n, enabled, _ in rows if enabled and n in self.installed)
            self._settings = {n: s or {} for n, _, s in rows}
            self._seen_version = version
            self.crm.settings = workspace.overlay(self.crm.settings, self._settings.get(CORE, {}))

    def enabled_names(self) -> frozenset[str]:
        self.refresh()
        return self._enabled

    def is_enabled(self, name: str) -> bool:
        return name == CORE or name in self.enabled_names()

    def get(self, name: str) -> Plugin:
        try:
            return self.installed[name]
        except KeyError:
            raise NotFound(f"No plugin named {name!r} is installed.") from None

    def settings(self, name: str) -> dict[str, Any]:
        """The plugin's settings: its schema's defaults overlaid with what an admin saved."""
        plugin = self.get(name)
        self.refresh()
        values = plugin.default_settings()
        values.update(plugin.settings().load(self._settings.get(name, {}), partial=True))
        return values

    def describe(self) -> list[dict[str, Any]]:
        enabled = self.enabled_names()
        return [plugin.to_dict(plugin.name in enabled) for plugin in self.installed.values()]

    # -- calling hooks -----------------------------------------------------------------------------

    def hook_caller(self, name: str, without: frozenset[str] = frozenset()) -> Any:
        """The caller of hook ``name`` on the core and the enabled plugins, leaving out the plugins ``without``."""
        if not hasattr(self.pm.hook, name):
            return _no_implementations
        enabled = self.enabled_names()
        key = (name, enabled, without)
        caller = self._callers.get(key)
        if caller is None:
            left_out = [n for n in self.installed if n not in enabled] + sorted(without)
            plugins = [self.pm.get_plugin(n) for n in left_out]
            caller = self.pm.subset_hook_caller(name, remove_plugins=[p for p in plugins if p is not None])
            self._callers[key] = caller
        return caller

    def contributions(self, hook_name: str, enabled_only: bool = False, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a hook on every installed plugin (or only the enabled ones), keeping who answered what.

        At start-up routes and views are collected from every installed plugin, since Flask cannot add routes
        later; the enabled set then decides at request time whether they answer.
        """
        results = []
        enabled = self.enabled_names() if enabled_only else None
        for impl in reversed(getattr(self.pm.hook, hook_name).get_hookimpls()):
            if enabled is not None and impl.plugin_name != CORE and impl.plugin_name not in enabled:
                continue
            value = impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
            if value is None:
                continue
            for item in value if isinstance(value, list | tuple) else [value]:
                results.append((impl.plugin_name, item))
        return results

    # -- changing the state ------------------------------------------------------------------------

    def _bump(self, session: Any) -> None:
        changed = session.execute(
            update(StateCounter).where(StateCounter.name == COUNTER).values(value=StateCounter.value + 1)
        ).rowcount
        if not changed:
            session.add(StateCounter(name=COUNTER, value=1))

    def _set_enabled(self, name: str, enabled: bool) -> None:
        with self.crm.db.session() as session:
            state = session.get(PluginState, name, with_for_update={"of": PluginState})
            if state is None:
                state = PluginState(name=name, settings={})
                session.add(state)
            state.enabled = enabled
            state.changed_at = utcnow()
            self._bump(session)
        self.refresh(force=True)

    def enable(self, name: str) -> list[str]:
        """Enable a plugin: run its migrations, then switch it on. Returns the migration steps applied."""
        plugin = self.get(name)
        enabled = self.enabled_names()
        missing = [req for req in plugin.requires if req not in enabled]
        if missing:
            raise Refused(f"{plugin.title} requires {', '.join(missing)}; enable {' and '.join(missing)} first.")
        from crmcore.migrations.runner import upgrade_plugin

        applied = upgrade_plugin(self.crm, plugin)
        if name not in enabled:
            self._set_enabled(name, True)
            self.hook.plugin_enabled(crm=self.crm, name=name)
        return applied

    def disable(self, name: str) -> None:
        plugin = self.get(name)
        enabled = self.enabled_names()
        dependants = [p.name for p in self.installed.values() if p.name in enabled and name in p.requires]
        if dependants:
            raise Refused(f"{', '.join(dependants)} require{'s' if len(dependants) == 1 else ''} "
                          f"{plugin.name}; disable {' and '.join(dependants)} first.")
        if name in enabled:
            self._set_enabled(name, False)
            self.hook.plugin_disabled(crm=self.crm, name=name)

    def purge(self, name: str) -> list[str]:
        """Drop a disabled plugin's tables and forget its settings. Returns the tables dropped."""
        plugin = self.get(name)
        if name in self.enabled_names():
            raise Refused(f"Disable {name} before purging its data.")
        from crmcore.migrations.runner import purge_plugin

        dropped = purge_plugin(self.crm, plugin)
        with self.crm.db.session() as session:
            state = session.get(PluginState, name)
            if state is not None:
                session.delete(state)
            self._bump(session)
        self.refresh(force=True)
        return dropped

    def save_settings(self, name: str, data: dict[str, Any]) -> dict[str, Any]:
        plugin = self.get(name)
        try:
            values = plugin.settings().load(data)
        except ValidationError as exc:
            raise ValidationFailed(exc.messages_dict) from exc
        self.store_settings(name, plugin.settings().dump(values))
        return self.settings(name)

    def store_settings(self, name: str, stored: dict[str, Any], also: Callable[[Any], None] | None = None) -> None:
        """Save validated settings under ``name`` and tell every process; ``also`` writes in the same commit."""
        with self.crm.db.session() as session:
            state = session.get(PluginState, name)
            if state is None:
                state = PluginState(name=name, enabled=False)
                session.add(state)
            state.settings = stored
            state.changed_at = utcnow()
            if also is not None:
                also(session)
            self._bump(session)
        self.refresh(force=True)
