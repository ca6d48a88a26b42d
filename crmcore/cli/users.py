from __future__ import annotations

import click

from crmcore.cli import Context, handle_errors, pass_context
from crmcore.models import Role


def register(main: click.Group) -> None:
    @main.group()
    def users() -> None:
        """User accounts."""

    @users.command("create")
    @click.option("--email", required=True)
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.STAFF.value,
                  show_default=True)
    @click.option("--name", default="")
    @click.option("--language", default="en", type=click.Choice(["en", "fa", "ru", "uk"]))
    @pass_context
    @handle_errors
    def create(obj: Context, email: str, password: str, role: str, name: str, language: str) -> None:
        """Create a user who can log in."""
        user = obj.crm.services.users.create(
            {"email": email, "password": password, "role": role, "name": name, "language": language}
        )
        click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")

    @main.group()
    def tokens() -> None:
        """Personal API tokens."""

    @tokens.command("create")
    @click.option("--email", required=True, help="The user the token acts as.")
    @click.option("--name", required=True, help="What the token is for.")
    @click.option("--days", type=int, default=90, show_default=True, help="Days until it expires.")
    @pass_context
    @handle_errors
    def create_token(obj: Context, email: str, name: str, days: int) -> None:
        """Create a token and print it. It is shown only this once; only its hash is stored."""
        user = obj.crm.services.users.by_email(email)
        token, _record = obj.crm.services.users.create_token(user.id, name, days)
        click.echo(token)
