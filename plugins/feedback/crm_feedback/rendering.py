"""Panels and widgets are rendered outside any request, with this package's own autoescaping templates."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

_env = Environment(loader=PackageLoader("crm_feedback", "templates"), autoescape=select_autoescape(default=True))


def render(name: str, **context: Any) -> Markup:
    return Markup(_env.get_template(name).render(**context))  # noqa: S704 - autoescaped template output
