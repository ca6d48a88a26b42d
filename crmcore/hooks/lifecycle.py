"""The plugin's own life: enabled and disabled by an admin, and the CRM it belongs to closing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmcore.hooks import hookspec

if TYPE_CHECKING:
    from crmcore.runtime import CRM


@hookspec
def plugin_enabled(crm: CRM, name: str) -> None:
    """Plugin ``name`` was enabled and its migrations ran. Called on every enabled plugin, ``name``'s included.

    A plugin can seed its default data here (when ``name`` is its own) or start using the newcomer.
    """


@hookspec
def plugin_disabled(crm: CRM, name: str) -> None:
    """Plugin ``name`` was disabled (its data is kept). Called on the plugins that remain enabled."""


@hookspec
def crm_closing(crm: CRM) -> None:
    """``crm`` is about to close its database and Redis connections (``CRM.close()``). Called on every
    installed plugin, enabled or not, without reading the database.

    A plugin that holds work for ``crm`` in this process (say, writes it batches in a thread) finishes it here,
    while the connections are still open.
    """
