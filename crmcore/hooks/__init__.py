"""The hook specifications: the only contract between the core and its plugins.

Plugins mark their implementations with ``crmcore.hooks.hookimpl``. Each module of this package holds the
specifications of one concern; docs/hooks.md is the reference a plugin author reads.
"""

import pluggy

PROJECT = "crmcore"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

SPEC_MODULES = (
    "crmcore.hooks.customers",
    "crmcore.hooks.deals",
    "crmcore.hooks.activity",
    "crmcore.hooks.lifecycle",
    "crmcore.hooks.web",
    "crmcore.hooks.jobs",
    "crmcore.hooks.segments",
    "crmcore.hooks.personal_data",
)

__all__ = ["PROJECT", "SPEC_MODULES", "hookimpl", "hookspec"]
