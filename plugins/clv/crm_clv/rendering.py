"""The plugin's fragments (panel, widgets, charts) rendered with autoescaping, usable outside a request."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup


@cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("crm_clv", "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["percent"] = lambda value: "" if value is None else f"{value:.0%}"
    env.filters["money"] = lambda value: "" if value is None else f"{value:,.2f}"
    env.filters["number"] = lambda value, digits=1: "" if value is None else f"{value:,.{digits}f}"
    return env


def render(template: str, **context: Any) -> Markup:
    return Markup(environment().get_template(template).render(**context))  # noqa: S704 - autoescaped template
