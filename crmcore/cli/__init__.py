"""The ``crm`` command line."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click

from crmcore.errors import CRMError


class Context:
    """Builds the CRM on first use, so ``crm --help`` works without a database."""

    def __init__(self) -> None:
        self._crm = None

    @property
    def crm(self) -> Any:
        if self._crm is None:
            from crmcore.runtime import CRM

            self._crm = CRM()
        return self._crm


pass_context = click.make_pass_decorator(Context, ensure=True)


def handle_errors(func: Callable) -> Callable:
    """Errors meant for users are printed as one line on stderr with exit code 1, never as a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CRMError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)

    return wrapper


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


class CRMGroup(click.Group):
    """Adds the commands of installed plugins; a disabled plugin's commands refuse to run."""

    def _plugin_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        cache = ctx.meta.setdefault("crm_plugin_commands", None)
        if cache is not None:
            return cache
        obj = ctx.ensure_object(Context)
        try:
            contributions = obj.crm.plugins.contributions("cli_commands", crm=obj.crm)
        except Exception:  # noqa: BLE001 - no database yet: core commands (init) must still work
            contributions = []
        cache = {}
        for plugin_name, command in contributions:
            cache[command.name] = _gated(command, plugin_name, obj)
        ctx.meta["crm_plugin_commands"] = cache
        return cache

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugin_commands(ctx)))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return super().get_command(ctx, name) or self._plugin_commands(ctx).get(name)


def _gated(command: click.Command, plugin_name: str, obj: Context) -> click.Command:
    def check(ctx: click.Context, *_: Any) -> None:
        if not obj.crm.plugins.is_enabled(plugin_name):
            raise click.ClickException(f"The {plugin_name} plugin is disabled; enable it with "
                                       f"`crm plugins enable {plugin_name}`.")

    original_invoke = command.invoke

    def invoke(ctx: click.Context) -> Any:
        check(ctx)
        return original_invoke(ctx)

    command.invoke = invoke  # type: ignore[method-assign]
    return command


@click.group(cls=CRMGroup)
def main() -> None:
    """crmcore: customers, deals and the plugins that grow with the business."""


def _register() -> None:
    from crmcore.cli import db, demo, imports, plugins, run, users, webhooks

    for module in (db, demo, imports, plugins, run, users, webhooks):
        module.register(main)


_register()
