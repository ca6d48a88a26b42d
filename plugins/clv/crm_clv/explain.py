"""One line that tells a sales rep what a customer's scores mean."""

from __future__ import annotations

DAYS_PER_MONTH = 365.25 / 12
LIKELY_ACTIVE = 0.7


def ago(weeks: float) -> str:
    """``weeks`` as a rounded, human span: "less than a week ago", "3 weeks ago", "5 months ago", "2 years ago"."""
    if weeks < 1:
        return "less than a week ago"
    if weeks < 9:
        count = round(weeks)
        return f"{count} week{'s' if count != 1 else ''} ago"
    months = round(weeks * 7 / DAYS_PER_MONTH)
    if months < 24:
        return f"{months} months ago"
    return f"{round(months / 12)} years ago"


def verdict(p_alive: float, at_risk_threshold: float) -> str:
    if p_alive >= LIKELY_ACTIVE:
        return "likely active"
    if p_alive >= at_risk_threshold:
        return "may be drifting away"
    return "at risk: probably gone"


def explain(frequency: int, recency_weeks: float, age_weeks: float, p_alive: float, at_risk_threshold: float) -> str:
    """E.g. "Bought 5 times, last 3 weeks ago: likely active".

    ``frequency`` counts repeat purchase days, so a customer bought ``frequency + 1`` times; the last
    purchase was ``age_weeks - recency_weeks`` weeks ago. BG/NBD counts a one-time buyer as active
    (nothing has been seen of them leaving yet), which the line says instead of a verdict.
    """
    if frequency <= 0:
        return f"Bought once, {ago(age_weeks)}: too soon to tell whether they will buy again"
    since_last = max(age_weeks - recency_weeks, 0.0)
    return f"Bought {frequency + 1} times, last {ago(since_last)}: {verdict(p_alive, at_risk_threshold)}"
