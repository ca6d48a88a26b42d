"""The analysis as SQL: window functions over won deals, written straight into the snapshot tables.

The same statements run on SQLite (3.25 or newer) and PostgreSQL; only the month key and the day difference
differ by dialect. Nothing here loops over customers in Python.

ABC: customers (or products) are ranked by net value, largest first. A customer is in A while the cumulative
share of the positive value *before* it is below ``a_share`` (so the customer that crosses the line is still
in A), in B while it is below ``a_share + b_share``, otherwise in C; a net value of zero or less is D.
RFM: recency is the days from the last purchase to the end of the period, frequency the purchases in the
period, monetary the net value in it; each is scored 1-5 by ``NTILE(5)``, 5 best, ties broken by customer id.
XYZ: the coefficient of variation of monthly revenue over every month of the period (months without a purchase
count as zero); compared in squared form so that no square root is needed.
"""

from __future__ import annotations

BASES = ("revenue", "profit")

#: RFM segments as (key, title, SQL condition on r, f, m); the first matching line wins.
RFM_SEGMENTS: tuple[tuple[str, str, str], ...] = (
    ("champions", "Champions", "r >= 4 AND f >= 4 AND m >= 4"),
    ("loyal", "Loyal", "r >= 3 AND f >= 4"),
    ("potential_loyalists", "Potential loyalists", "r >= 4 AND f >= 2"),
    ("new_customers", "New customers", "r >= 4"),
    ("need_attention", "Need attention", "r = 3 AND f >= 2"),
    ("promising", "Promising", "r = 3"),
    ("cant_lose", "Can't lose them", "f >= 5 AND m >= 4"),
    ("at_risk", "At risk", "f >= 3"),
    ("hibernating", "Hibernating", "r = 2"),
    ("lost", "Lost", "1 = 1"),
)
ABC_CLASSES = ("A", "B", "C", "D")
XYZ_CLASSES = ("X", "Y", "Z")


def _month(dialect: str, column: str) -> str:
    """A key per calendar month (any value that is equal within a month and differs between months)."""
    if dialect == "postgresql":
        return f"date_trunc('month', {column})"
    return f"substr({column}, 1, 7)"


def _days_between(dialect: str, start: str, end: str) -> str:
    if dialect == "postgresql":
        return f"({end} - {start})"
    return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)"


def _segment_case() -> str:
    whens = " ".join(f"WHEN {condition} THEN '{key}'" for key, _, condition in RFM_SEGMENTS)
    return f"CASE {whens} END"


def _abc_case(value: str, running: str) -> str:
    return (f"CASE WHEN {value} <= 0 THEN 'D' "
            f"WHEN ({running} - {value}) < :a_share * t.positive THEN 'A' "
            f"WHEN ({running} - {value}) < :ab_share * t.positive THEN 'B' ELSE 'C' END")


def customer_insert(dialect: str, basis: str) -> str:
    """INSERT ... SELECT of every customer who bought up to the end of the period into ``abc_customer_classes``.

    One pass over the won deals groups them by customer and month (every month before the period is one group,
    its month NULL); ABC, RFM and XYZ all read that result. Parameters: run_id, start, end, won, a_share, ab_share,
    months, x2, y2.
    """
    value = "d.amount - d.cost" if basis == "profit" else "d.amount"
    month = _month(dialect, "d.closed_on")
    recency = _days_between(dialect, "s.last_on", "CAST(:end AS DATE)" if dialect == "postgresql" else ":end")
    # SQLite would walk the (customer_id, ...) index and fetch each deal's row at random; reading the table in
    # order and sorting is several times faster.
    deals = "deals d" if dialect == "postgresql" else "deals d NOT INDEXED"
    return f"""
WITH per_month AS (
    SELECT d.customer_id,
           CASE WHEN d.closed_on >= :start THEN {month} END AS month,
           SUM({value}) AS value,
           SUM(d.amount) AS amount,
           SUM(CASE WHEN d.amount > 0 THEN 1 ELSE 0 END) AS purchases,
           MAX(CASE WHEN d.amount > 0 THEN d.closed_on END) AS last_bought_on,
           MAX(d.closed_on) AS last_on
    FROM {deals}
    WHERE d.status = :won AND d.closed_on <= :end
    GROUP BY 1, 2
),
sales AS (
    SELECT customer_id,
           ROUND(SUM(CASE WHEN month IS NOT NULL THEN value ELSE 0 END), 2) AS value,
           SUM(CASE WHEN month IS NOT NULL THEN purchases ELSE 0 END) AS purchases,
           COALESCE(MAX(last_bought_on), MAX(last_on)) AS last_on,
           SUM(CASE WHEN month IS NOT NULL THEN amount END) AS s1,
           SUM(CASE WHEN month IS NOT NULL THEN amount * amount END) AS s2
    FROM per_month
    GROUP BY customer_id
),
totals AS (
    SELECT COALESCE(SUM(CASE WHEN value > 0 THEN value ELSE 0 END), 0) AS positive FROM sales
),
ranked AS (
    SELECT s.customer_id, s.value, s.purchases, {recency} AS recency_days, s.s1, s.s2,
           ROW_NUMBER() OVER (ORDER BY s.value DESC, s.customer_id) AS rank,
           SUM(CASE WHEN s.value > 0 THEN s.value ELSE 0 END)
               OVER (ORDER BY s.value DESC, s.customer_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running,
           NTILE(5) OVER (ORDER BY s.last_on, s.customer_id) AS r,
           NTILE(5) OVER (ORDER BY s.purchases, s.customer_id) AS f,
           NTILE(5) OVER (ORDER BY s.value, s.customer_id) AS m
    FROM sales s
)
INSERT INTO abc_customer_classes (run_id, customer_id, value, rank, cum_share, abc_class, purchases,
                                  recency_days, r_score, f_score, m_score, rfm_segment, xyz_class)
SELECT :run_id, ranked.customer_id, ranked.value, ranked.rank,
       CASE WHEN t.positive > 0 THEN CAST(ranked.running AS DOUBLE PRECISION) / t.positive ELSE 0 END,
       {_abc_case("ranked.value", "ranked.running")},
       ranked.purchases, ranked.recency_days, ranked.r, ranked.f, ranked.m,
       {_segment_case()},
       CASE WHEN ranked.s1 IS NULL OR ranked.s1 <= 0 THEN 'Z'
            WHEN CAST(ranked.s2 AS DOUBLE PRECISION) * :months / (CAST(ranked.s1 AS DOUBLE PRECISION) * ranked.s1)
                 - 1 <= :x2 THEN 'X'
            WHEN CAST(ranked.s2 AS DOUBLE PRECISION) * :months / (CAST(ranked.s1 AS DOUBLE PRECISION) * ranked.s1)
                 - 1 <= :y2 THEN 'Y'
            ELSE 'Z' END
FROM ranked CROSS JOIN totals t
"""  # noqa: S608 - only the fixed fragments above are interpolated


def product_insert(basis: str) -> str:
    """INSERT ... SELECT of every product on a won deal line in the period into ``abc_product_classes``.

    Parameters: run_id, start, end, won, a_share, ab_share.
    """
    value = "l.quantity * (l.unit_price - l.unit_cost)" if basis == "profit" else "l.quantity * l.unit_price"
    return f"""
WITH sales AS (
    SELECT l.product_id, ROUND(SUM({value}), 2) AS value
    FROM deal_lines l JOIN deals d ON d.id = l.deal_id
    WHERE d.status = :won AND d.closed_on >= :start AND d.closed_on <= :end AND l.product_id IS NOT NULL
    GROUP BY l.product_id
),
totals AS (
    SELECT COALESCE(SUM(CASE WHEN value > 0 THEN value ELSE 0 END), 0) AS positive FROM sales
),
ranked AS (
    SELECT s.product_id, s.value,
           ROW_NUMBER() OVER (ORDER BY s.value DESC, s.product_id) AS rank,
           SUM(CASE WHEN s.value > 0 THEN s.value ELSE 0 END)
               OVER (ORDER BY s.value DESC, s.product_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running
    FROM sales s
)
INSERT INTO abc_product_classes (run_id, product_id, value, rank, cum_share, abc_class)
SELECT :run_id, ranked.product_id, ranked.value, ranked.rank,
       CASE WHEN t.positive > 0 THEN CAST(ranked.running AS DOUBLE PRECISION) / t.positive ELSE 0 END,
       {_abc_case("ranked.value", "ranked.running")}
FROM ranked CROSS JOIN totals t
"""  # noqa: S608 - only the fixed fragments above are interpolated
