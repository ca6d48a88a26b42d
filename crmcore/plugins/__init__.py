"""The plugin system: discovery by entry points, enabled state in the database, per-plugin migrations."""

from crmcore.plugins.base import ENTRY_POINT_GROUP, Plugin
from crmcore.plugins.manager import PluginManager

__all__ = ["ENTRY_POINT_GROUP", "Plugin", "PluginManager"]
