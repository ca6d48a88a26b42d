from __future__ import annotations

from pathlib import Path

import click

from crmcore.cli import Context, echo_json, handle_errors, pass_context


def register(main: click.Group) -> None:
    @main.group()
    def plugins() -> None:
        """Installed plugins: list, enable, disable, purge, and scaffold a new one."""

    @plugins.command("list")
    @click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
    @pass_context
    @handle_errors
    def list_(obj: Context, as_json: bool) -> None:
        """Every installed plugin and whether it is enabled."""
        rows = obj.crm.plugins.describe()
        if as_json:
            echo_json(rows)
            return
        for row in rows:
            state = "enabled " if row["enabled"] else "disabled"
            requires = f"  (requires {', '.join(row['requires'])})" if row["requires"] else ""
            click.echo(f"{state}  {row['name']:18} {row['version']:8} {row['title']}{requires}")

    @plugins.command()
    @click.argument("name")
    @pass_context
    @handle_errors
    def enable(obj: Context, name: str) -> None:
        """Run the plugin's migrations and switch it on in every process."""
        for step in obj.crm.plugins.enable(name):
            click.echo(f"  migrated {step}")
        click.echo(f"Enabled {name}.")

    @plugins.command()
    @click.argument("name")
    @pass_context
    @handle_errors
    def disable(obj: Context, name: str) -> None:
        """Switch a plugin off; its data is kept."""
        obj.crm.plugins.disable(name)
        click.echo(f"Disabled {name}; its data is kept (`crm plugins purge {name} --yes` drops it).")

    @plugins.command()
    @click.argument("name")
    @click.option("--yes", is_flag=True, help="Confirm that the plugin's data is to be dropped for good.")
    @pass_context
    @handle_errors
    def purge(obj: Context, name: str, yes: bool) -> None:
        """Drop a disabled plugin's tables and settings for good."""
        if not yes:
            raise click.UsageError(f"Purging drops every table of {name} for good; add --yes to confirm.")
        dropped = obj.crm.plugins.purge(name)
        click.echo(f"Purged {name}: dropped {', '.join(dropped) or 'no tables'}.")

    @plugins.command()
    @click.argument("name")
    @click.option("--directory", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="Where to create the package (default: ./crm-NAME).")
    @handle_errors
    def new(name: str, directory: Path | None) -> None:
        """Scaffold a working plugin package: entry point, hooks, a model with its migration, a screen, tests."""
        from crmcore.plugins.scaffold import scaffold

        target = scaffold(name, directory)
        click.echo(f"Created {target}. Next: pip install -e {target} && crm plugins enable {name}")
