"""The campaign stats chart: a small server-side SVG (no JavaScript, no external library)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

BARS = (("sent", "Sent", "#2b6cb0"), ("opened", "Opened", "#2f855a"), ("clicked", "Clicked", "#d69e2e"),
        ("bounced", "Bounced", "#c53030"), ("unsubscribed", "Unsubscribed", "#718096"))
WIDTH, ROW, LABEL = 420, 26, 110


def chart_svg(progress: dict[str, Any]) -> Markup:
    """Horizontal bars of sent, opened, clicked, bounced and unsubscribed, with counts and rates."""
    top = max([progress.get(key, 0) for key, _, _ in BARS] + [1])
    sent = progress.get("sent", 0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Campaign statistics" '
             f'viewBox="0 0 {WIDTH} {ROW * len(BARS) + 4}" width="100%" style="max-width:{WIDTH}px">']
    for row, (key, label, colour) in enumerate(BARS):
        value = int(progress.get(key, 0))
        y = row * ROW + 2
        length = round((WIDTH - LABEL - 120) * value / top)
        rate = f" ({value / sent:.1%})" if sent and key != "sent" else ""
        parts.append(f'<text x="0" y="{y + 16}" font-size="12">{escape(label)}</text>'
                     f'<rect x="{LABEL}" y="{y + 4}" width="{length}" height="16" fill="{colour}" rx="2"/>'
                     f'<text x="{LABEL + length + 6}" y="{y + 16}" font-size="12">{value}{escape(rate)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - numbers and escaped labels only
