"""``crm webhooks``: register URLs that receive events as signed POSTs, and read their delivery log."""

from __future__ import annotations

import click

from crmcore.cli import Context, echo_json, handle_errors, pass_context
from crmcore.webhooks import EVENTS, WebhookService


def register(main: click.Group) -> None:
    @main.group()
    def webhooks() -> None:
        """Webhooks: events POSTed to other systems, signed with HMAC-SHA256."""

    @webhooks.command("add")
    @click.argument("url")
    @click.option("--event", "events", multiple=True, required=True, type=click.Choice(EVENTS),
                  help="An event to send; repeatable.")
    @click.option("--description", default="")
    @pass_context
    @handle_errors
    def add(obj: Context, url: str, events: tuple[str, ...], description: str) -> None:
        """Register URL for the chosen events and print its signing secret (shown only this once)."""
        webhook, secret = WebhookService(obj.crm).create(url, events, description)
        click.echo(f"Webhook {webhook.id} sends {', '.join(webhook.events)} to {webhook.url}.")
        click.echo(f"Signing secret: {secret}")

    @webhooks.command("list")
    @click.option("--json", "as_json", is_flag=True)
    @pass_context
    @handle_errors
    def list_(obj: Context, as_json: bool) -> None:
        """The registered webhooks."""
        rows = [{"id": w.id, "url": w.url, "events": w.events, "active": w.active}
                for w in WebhookService(obj.crm).list()]
        if as_json:
            echo_json(rows)
            return
        for row in rows:
            click.echo(f"{row['id']}\t{row['url']}\t{','.join(row['events'])}")

    @webhooks.command("remove")
    @click.argument("webhook_id", type=int)
    @pass_context
    @handle_errors
    def remove(obj: Context, webhook_id: int) -> None:
        """Stop sending to a webhook and forget it with its delivery log."""
        WebhookService(obj.crm).delete(webhook_id)
        click.echo(f"Removed webhook {webhook_id}.")

    @webhooks.command("deliveries")
    @click.argument("webhook_id", type=int)
    @click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
    @pass_context
    @handle_errors
    def deliveries(obj: Context, webhook_id: int, limit: int) -> None:
        """The latest deliveries of a webhook: event, status, attempts, answer."""
        for d in WebhookService(obj.crm).deliveries(webhook_id, limit):
            click.echo(f"{d.id}\t{d.created_at:%Y-%m-%d %H:%M}\t{d.event}\t{d.status}\t{d.attempts}\t"
                       f"{d.response_status or ''}\t{d.error or ''}")
