"""HTML fragments (panel, widget, Pareto chart) rendered from autoescaped templates."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

_env = Environment(loader=PackageLoader("crm_abc_analysis", "templates"), autoescape=select_autoescape(default=True))

CHART_SIZE = 300


def render(template: str, **context: Any) -> Markup:
    return Markup(_env.get_template(f"abc_analysis/{template}").render(**context))  # noqa: S704 - autoescaped template


def pareto_svg(points: list[tuple[float, float]], size: int = CHART_SIZE) -> Markup:
    """Cumulative value share (y) against customer share (x), with the 80 % line, as inline SVG."""
    plotted = " ".join(f"{x * size:.1f},{size - max(0.0, min(y, 1.0)) * size:.1f}" for x, y in points)
    return render("pareto.svg", size=size, points=plotted, line80=size * 0.2)
