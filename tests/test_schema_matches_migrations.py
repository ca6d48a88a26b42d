"""The migrations build exactly the schema the models describe, so a fresh install and an upgrade agree."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from crmcore.db import Base


def test_the_migrated_database_matches_the_models_of_the_core_and_every_plugin(crm):
    for name in sorted(crm.plugins.installed, key=lambda n: len(crm.plugins.get(n).requires)):
        crm.plugins.enable(name)

    with crm.db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [diff for diff in compare_metadata(context, Base.metadata) if not ignorable(diff)]

    assert differences == []


def ignorable(diff) -> bool:
    """Alembic's own version tables, and the tables of sample plugins that are never migrated here."""
    if diff[0] == "remove_table" and diff[1].name.startswith("alembic_version"):
        return True
    return diff[0] in {"add_table", "add_index"} and table_name(diff[1]) in sample_plugin_tables()


def table_name(item) -> str:
    return getattr(item, "table", item).name


def sample_plugin_tables() -> set[str]:
    """Tables of the sample plugins under tests/, which are not installed and so never migrated here."""
    return {mapper.local_table.name for mapper in Base.registry.mappers
            if mapper.class_.__module__.startswith("tests.")}
