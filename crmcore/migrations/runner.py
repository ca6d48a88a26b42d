"""Running Alembic for the core and for each plugin, each history with its own version table.

Nothing migrates on start-up: `crm init` / `crm db upgrade` move the core, enabling a plugin moves that plugin.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from crmcore.db import Base
from crmcore.models import CORE_TABLES

if TYPE_CHECKING:
    from crmcore.plugins import Plugin
    from crmcore.runtime import CRM

CORE_MIGRATIONS = Path(__file__).resolve().parent
CORE_VERSION_TABLE = "alembic_version"


def run_env(context: Any) -> None:
    """The body of every env.py: the caller hands over the connection and says which history this is."""
    attributes = context.config.attributes
    owned = attributes["owned_tables"]

    def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
        return type_ != "table" or owned(name)

    context.configure(
        connection=attributes["connection"],
        target_metadata=Base.metadata,
        version_table=attributes["version_table"],
        render_as_batch=True,
        include_name=include_name,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _config(script_location: Path, version_table: str, owned: Any, connection: Any = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["version_table"] = version_table
    config.attributes["owned_tables"] = owned
    config.attributes["connection"] = connection
    return config


def _is_core_table(name: str | None) -> bool:
    return name in CORE_TABLES


def _plugin_owner(plugin: Plugin) -> Any:
    return lambda name: bool(name) and name.startswith(plugin.table_prefix)


def _applied(connection: Any, version_table: str) -> set[str]:
    context = MigrationContext.configure(connection, opts={"version_table": version_table})
    return set(context.get_current_heads())


def _upgrade(crm: CRM, location: Path, version_table: str, owned: Any) -> list[str]:
    script = ScriptDirectory(str(location))
    with crm.db.engine.begin() as connection:
        before = _applied(connection, version_table)
        command.upgrade(_config(location, version_table, owned, connection), "heads")
        after = _applied(connection, version_table)
    if before == after:
        return []
    steps = []
    for revision in script.walk_revisions():
        if revision.revision in after and revision.revision not in before:
            steps.append(f"{revision.revision}: {revision.doc}")
    return list(reversed(steps))


def upgrade_core(crm: CRM) -> list[str]:
    return _upgrade(crm, CORE_MIGRATIONS, CORE_VERSION_TABLE, _is_core_table)


def upgrade_plugin(crm: CRM, plugin: Plugin) -> list[str]:
    if plugin.migrations is None:
        return []
    return _upgrade(crm, Path(plugin.migrations), plugin.version_table, _plugin_owner(plugin))


def status(crm: CRM) -> dict[str, dict[str, Any]]:
    """Per history (core and each plugin with migrations): applied and latest revision."""
    histories = [("core", CORE_MIGRATIONS, CORE_VERSION_TABLE)]
    histories += [(p.name, Path(p.migrations), p.version_table)
                  for p in crm.plugins.installed.values() if p.migrations]
    result = {}
    with crm.db.engine.connect() as connection:
        for name, location, version_table in histories:
            heads = sorted(ScriptDirectory(str(location)).get_heads())
            applied = sorted(_applied(connection, version_table))
            result[name] = {"applied": ", ".join(applied) or None, "head": ", ".join(heads),
                            "up_to_date": applied == heads}
    return result


def make_revision(crm: CRM, message: str, plugin: Plugin | None = None) -> str:
    """Autogenerate a migration for the core or for one plugin from the difference with the database."""
    if plugin is None:
        location, version_table, owned = CORE_MIGRATIONS, CORE_VERSION_TABLE, _is_core_table
    else:
        location, version_table, owned = Path(plugin.migrations), plugin.version_table, _plugin_owner(plugin)
    with crm.db.engine.begin() as connection:
        script = command.revision(_config(location, version_table, owned, connection), message=message,
                                  autogenerate=True)
    return script.path if script else ""


def purge_plugin(crm: CRM, plugin: Plugin) -> list[str]:
    """Drop every table of a plugin, its version table and its schemas. Only ever called on explicit confirmation."""
    with crm.db.engine.begin() as connection:
        names = [n for n in inspect(connection).get_table_names() if n.startswith(plugin.table_prefix)]
        tables = [Base.metadata.tables[n] for n in names if n in Base.metadata.tables]
        Base.metadata.drop_all(connection, tables=tables)
        leftovers = [n for n in names if n not in Base.metadata.tables]
        quote = connection.dialect.identifier_preparer.quote
        for name in leftovers + [plugin.version_table]:
            connection.execute(text(f"DROP TABLE IF EXISTS {quote(name)}"))
        if connection.dialect.name == "postgresql":
            for schema in plugin.schemas:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {quote(schema)} CASCADE"))
    return names
