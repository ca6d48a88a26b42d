from __future__ import annotations

import click

from crmcore.cli import Context, echo_json, handle_errors, pass_context


def initialise(crm) -> list[str]:  # noqa: ANN001
    """Create or upgrade the core's tables and the default pipeline, and upgrade every enabled plugin."""
    from crmcore.migrations.runner import upgrade_core, upgrade_plugin

    applied = upgrade_core(crm)
    crm.plugins.refresh(force=True)
    crm.services.pipelines.ensure_default()
    for name in sorted(crm.plugins.enabled_names()):
        applied += upgrade_plugin(crm, crm.plugins.get(name))
    return applied


def register(main: click.Group) -> None:
    @main.command()
    @pass_context
    @handle_errors
    def init(obj: Context) -> None:
        """Create the database, or upgrade it to this version."""
        applied = initialise(obj.crm)
        click.echo(f"Database ready ({len(applied)} migration steps applied).")

    @main.group()
    def db() -> None:
        """Database migrations."""

    @db.command()
    @pass_context
    @handle_errors
    def upgrade(obj: Context) -> None:
        """Apply the migrations of the core and of every enabled plugin."""
        for step in initialise(obj.crm):
            click.echo(step)

    @db.command()
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @pass_context
    @handle_errors
    def status(obj: Context, as_json: bool) -> None:
        """Show each migration history: applied revision and latest revision."""
        from crmcore.migrations.runner import status as history_status

        result = history_status(obj.crm)
        if as_json:
            echo_json(result)
            return
        for name, row in result.items():
            mark = "up to date" if row["up_to_date"] else "needs upgrade"
            click.echo(f"{name:20} {row['applied'] or '-':24} {mark}")

    @db.command()
    @click.option("-m", "--message", required=True, help="What the migration does.")
    @click.option("--plugin", default=None, help="Plugin whose history gets the migration.")
    @pass_context
    @handle_errors
    def revision(obj: Context, message: str, plugin: str | None) -> None:
        """Autogenerate a migration from the models (for developers)."""
        from crmcore.migrations.runner import make_revision

        target = obj.crm.plugins.get(plugin) if plugin else None
        click.echo(make_revision(obj.crm, message, target))
