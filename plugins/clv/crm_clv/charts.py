"""Server-side SVG charts: geometry here, markup in the templates (autoescaped), no JavaScript."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from crm_clv.rendering import render

WIDTH, HEIGHT = 640, 300
MARGIN = {"left": 64, "right": 16, "top": 16, "bottom": 44}


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]
    css: str  # "actual" or "predicted": the template's stroke and fill


def nice_ticks(high: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``high``."""
    if high <= 0:
        return [0.0, 1.0]
    raw = high / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(math.ceil(high / step + 1e-9) + 1)]


def _label(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.2g}"


def _frame(y_max: float) -> tuple[dict[str, Any], Any]:
    ticks = nice_ticks(y_max)
    top = ticks[-1]
    plot = {"x0": MARGIN["left"], "x1": WIDTH - MARGIN["right"], "y0": HEIGHT - MARGIN["bottom"], "y1": MARGIN["top"]}

    def y_of(value: float) -> float:
        return round(plot["y0"] - (plot["y0"] - plot["y1"]) * value / top, 1)

    plot["y_ticks"] = [{"y": y_of(t), "label": _label(t)} for t in ticks]
    return plot, y_of


def line_chart(title: str, x: Sequence[float], series: Sequence[Series], *, x_label: str, y_label: str,
               marker: float | None = None, marker_label: str = "") -> Markup:
    """Lines over a numeric x axis, e.g. cumulative repeat purchases by week, with an optional vertical marker."""
    values = [v for s in series for v in s.values if v is not None]
    plot, y_of = _frame(max(values, default=0.0))
    lo, hi = (min(x), max(x)) if len(x) else (0.0, 1.0)
    span = (hi - lo) or 1.0

    def x_of(value: float) -> float:
        return round(plot["x0"] + (plot["x1"] - plot["x0"]) * (value - lo) / span, 1)

    lines = [{"label": s.label, "css": s.css,
              "points": " ".join(f"{x_of(xv)},{y_of(yv)}" for xv, yv in zip(x, s.values, strict=True)
                                 if yv is not None)}
             for s in series]
    x_ticks = [{"x": x_of(t), "label": _label(t)} for t in nice_ticks_between(lo, hi)]
    return render("clv/line_chart.svg.html", title=title, width=WIDTH, height=HEIGHT, plot=plot, lines=lines,
                  x_ticks=x_ticks, x_label=x_label, y_label=y_label,
                  marker=None if marker is None else {"x": x_of(marker), "label": marker_label})


def nice_ticks_between(lo: float, hi: float, count: int = 8) -> list[float]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def bar_chart(title: str, categories: Sequence[str], series: Sequence[Series], *, x_label: str,
              y_label: str) -> Markup:
    """Grouped bars per category, e.g. actual against predicted hold-out purchases per frequency group."""
    values = [v for s in series for v in s.values if v is not None]
    plot, y_of = _frame(max(values, default=0.0))
    slot = (plot["x1"] - plot["x0"]) / max(len(categories), 1)
    bar = slot * 0.8 / max(len(series), 1)
    groups = []
    for index, category in enumerate(categories):
        left = plot["x0"] + slot * index + slot * 0.1
        bars = []
        for position, s in enumerate(series):
            value = s.values[index]
            if value is None:
                continue
            top = y_of(value)
            bars.append({"x": round(left + bar * position, 1), "y": top, "width": round(bar, 1),
                         "height": round(plot["y0"] - top, 1), "css": s.css, "label": f"{s.label}: {value:,.3g}"})
        groups.append({"label": category, "x": round(plot["x0"] + slot * (index + 0.5), 1), "bars": bars})
    return render("clv/bar_chart.svg.html", title=title, width=WIDTH, height=HEIGHT, plot=plot, groups=groups,
                  legend=[{"label": s.label, "css": s.css} for s in series], x_label=x_label, y_label=y_label)
