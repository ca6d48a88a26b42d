from __future__ import annotations

import click

from crmcore.cli import Context, handle_errors, pass_context

DEMO_EMAIL = "admin@example.com"
DEMO_PASSWORD = "demo-admin-password"  # noqa: S105 - printed for the demo login


def register(main: click.Group) -> None:
    @main.command()
    @click.option("--customers", type=click.IntRange(1, 1_000_000), default=200, show_default=True)
    @click.option("--seed", type=int, default=1, show_default=True)
    @pass_context
    @handle_errors
    def demo(obj: Context, customers: int, seed: int) -> None:
        """Fill the database with realistic demo data (English, Persian, Russian and Ukrainian names)."""
        from crmcore.demo import create_demo_data

        summary = create_demo_data(obj.crm, customers=customers, seed=seed, admin_email=DEMO_EMAIL,
                                   admin_password=DEMO_PASSWORD)
        click.echo(", ".join(f"{count} {what}" for what, count in summary.items()))
        click.echo(f"Log in as {DEMO_EMAIL} with password {DEMO_PASSWORD}")
