from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from marshmallow import Schema

ENTRY_POINT_GROUP = "crmcore.plugins"


class NoSettings(Schema):
    pass


@dataclass(frozen=True)
class Plugin:
    """What a plugin declares about itself. A package exposes one through an entry point in ``crmcore.plugins``.

    ``hooks`` is the module (or object) holding its ``@hookimpl`` functions; ``migrations`` the folder of its
    own Alembic history (with an ``env.py`` and ``versions/``), or None when it has no tables.
    ``settings`` is a marshmallow schema whose ``load_default`` values are the defaults.
    ``hookspecs`` is an optional module of hook specifications this plugin publishes for other plugins
    (marked with ``crmcore.hooks.hookspec``); callers use ``crm.hook.<name>``, which answers ``[]`` while no
    enabled plugin implements it. ``schemas`` names database schemas of its own (PostgreSQL only); purging the
    plugin drops them with everything in them.
    """

    name: str
    title: str
    version: str
    description: str
    hooks: ModuleType | object
    requires: tuple[str, ...] = ()
    settings: type[Schema] = NoSettings
    migrations: Path | None = None
    hookspecs: ModuleType | None = None
    table_prefix: str = field(default="")
    schemas: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or not self.name.islower():
            raise ValueError(f"plugin name {self.name!r} must be a lower-case Python identifier")
        if not self.table_prefix:
            object.__setattr__(self, "table_prefix", f"{self.name}_")

    @property
    def version_table(self) -> str:
        return f"alembic_version_{self.name}"

    def default_settings(self) -> dict[str, Any]:
        return self.settings().load({})

    def to_dict(self, enabled: bool) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "version": self.version,
            "description": self.description,
            "requires": list(self.requires),
            "enabled": enabled,
        }
