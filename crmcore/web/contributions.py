"""What plugins contribute to pages: panels on the customer page and widgets on the dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup


@dataclass(frozen=True)
class Panel:
    """A box on the customer page. ``html`` must be safe (render it with a Jinja template, never format strings)."""

    title: str
    html: Markup
    order: int = 100
    plugin: str = ""


@dataclass(frozen=True)
class Widget:
    """A box on the dashboard; ``html`` is safe markup, e.g. a server-side SVG chart."""

    title: str
    html: Markup
    order: int = 100
    plugin: str = ""
