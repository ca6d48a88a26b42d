"""Server-side SVG charts: they render with no internet access and no JavaScript."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

PALETTE = ("#0d6efd", "#6610f2", "#6f42c1", "#d63384", "#fd7e14", "#198754", "#20c997", "#0dcaf0")


def funnel_svg(rows: Sequence[tuple[str, str, float]], title: str) -> Markup:
    """Horizontal bars, widest at the top: ``(label, caption, size)`` per stage."""
    width, bar_height, gap = 640, 34, 8
    height = max(1, len(rows)) * (bar_height + gap) + 10
    largest = max((size for _, _, size in rows), default=0) or 1
    parts = [Markup('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" aria-label="{}">')
             .format(width, height, title)]
    for index, (label, caption, size) in enumerate(rows):
        bar = max(4.0, (width - 20) * size / largest)
        x = (width - bar) / 2
        y = 5 + index * (bar_height + gap)
        parts.append(Markup('<rect x="{:.1f}" y="{}" width="{:.1f}" height="{}" rx="4" fill="{}" opacity="0.85"/>')
                     .format(x, y, bar, bar_height, PALETTE[index % len(PALETTE)]))
        parts.append(Markup('<text x="{}" y="{}" text-anchor="middle" font-size="13" fill="#212529" '
                            'style="paint-order:stroke" stroke="#fff" stroke-width="3">{} · {}</text>')
                     .format(width / 2, y + bar_height / 2 + 5, label, caption))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def line_svg(labels: Sequence[str], values: Sequence[float], captions: Sequence[str], title: str) -> Markup:
    """A line over the months with a dot and its caption at each point."""
    width, height, pad_x, pad_top, pad_bottom = 640, 220, 30, 30, 40
    top = max(values, default=0) or 1
    bottom = min(0, min(values, default=0))
    span = (top - bottom) or 1
    count = max(1, len(values) - 1)
    points = [(pad_x + (width - 2 * pad_x) * i / count,
               pad_top + (height - pad_top - pad_bottom) * (1 - (v - bottom) / span)) for i, v in enumerate(values)]
    parts = [Markup('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" aria-label="{}">')
             .format(width, height, title),
             Markup('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#adb5bd"/>')
             .format(pad_x, height - pad_bottom, width - pad_x, height - pad_bottom)]
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(Markup('<polyline points="{}" fill="none" stroke="#0d6efd" stroke-width="2.5"/>').format(path))
    for index, ((x, y), label, caption) in enumerate(zip(points, labels, captions, strict=False)):
        parts.append(Markup('<circle cx="{:.1f}" cy="{:.1f}" r="3.5" fill="#0d6efd"><title>{}</title></circle>')
                     .format(x, y, caption))
        if index % 2 == len(points) % 2 or index == len(points) - 1:
            parts.append(Markup('<text x="{:.1f}" y="{}" text-anchor="middle" font-size="11" fill="#495057">{}</text>')
                         .format(x, height - pad_bottom + 16, label))
    if points:
        x, y = points[-1]
        parts.append(Markup('<text x="{:.1f}" y="{:.1f}" text-anchor="end" font-size="12" fill="#0d6efd">{}</text>')
                     .format(x, max(12.0, y - 8), captions[-1]))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
