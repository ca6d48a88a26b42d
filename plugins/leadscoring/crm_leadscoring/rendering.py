"""HTML fragments (the customer panel) rendered from autoescaped templates."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

_env = Environment(loader=PackageLoader("crm_leadscoring", "templates"), autoescape=select_autoescape(default=True))


def render(template: str, **context: Any) -> Markup:
    return Markup(_env.get_template(f"leadscoring/{template}").render(**context))  # noqa: S704 - autoescaped template
