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

from collections.abc import Mapping

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

#: The columns of ``abc_customer_classes`` in the order the customer statement yields them.
CUSTOMER_COLUMNS = ("run_id", "customer_id", "value", "rank", "cum_share", "abc_class", "purchases", "recency_days",
                    "r_score", "f_score", "m_score", "rfm_segment", "xyz_class")


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


def _abc_case(value: str, running: str, positive: str) -> str:
    return (f"CASE WHEN {value} <= 0 THEN 'D' "
            f"WHEN ({running} - {value}) < :a_share * {positive} THEN 'A' "
            f"WHEN ({running} - {value}) < :ab_share * {positive} THEN 'B' ELSE 'C' END")


def _xyz_case(s1: str, s2: str) -> str:
    variation = f"CAST({s2} AS DOUBLE PRECISION) * :months / (CAST({s1} AS DOUBLE PRECISION) * {s1}) - 1"
    return (f"CASE WHEN {s1} IS NULL OR {s1} <= 0 THEN 'Z' WHEN {variation} <= :x2 THEN 'X' "
            f"WHEN {variation} <= :y2 THEN 'Y' ELSE 'Z' END")


def _ntile5(position: str, count: str) -> str:
    """``NTILE(5)`` of the row at 1-based ``position`` of ``count`` rows: the first ``count % 5`` tiles hold one
    row more than the others."""
    large, size = f"({count} % 5)", f"({count} / 5)"
    return (f"CASE WHEN {position} <= {large} * ({size} + 1) THEN ({position} - 1) / ({size} + 1) + 1 "
            f"ELSE ({position} - 1 - {large}) / {size} + 1 END")


def customer_classes(dialect: str, basis: str, types: Mapping[str, str] | None = None) -> tuple[str, str]:
    """Every customer who bought up to the end of the period, classified: ``(WITH clause, SELECT)``.

    The SELECT yields ``CUSTOMER_COLUMNS`` under their names, each cast to ``types[column]`` when given.
    One pass over the won deals groups them by customer and month (every month before the period is one group,
    its month NULL); ABC, RFM and XYZ all read that result. The monetary score comes from the position in the
    ABC ranking (ties in value counted from the group's end), so only recency and frequency need a sort of
    their own. Parameters: run_id, start, end, won, a_share, ab_share, months, x2, y2.
    """
    profit = ",\n           SUM(d.amount - d.cost) AS profit" if basis == "profit" else ""
    month = _month(dialect, "d.closed_on")
    last_on = "COALESCE(MAX(last_bought_on), MAX(last_on))"
    recency = _days_between(dialect, last_on, "CAST(:end AS DATE)" if dialect == "postgresql" else ":end")
    revenue = "SUM(CASE WHEN month IS NOT NULL THEN amount END)"
    value = "SUM(CASE WHEN month IS NOT NULL THEN profit END)" if basis == "profit" else revenue
    xyz = _xyz_case(revenue, "SUM(CASE WHEN month IS NOT NULL THEN amount * amount END)")
    # SQLite would walk the (customer_id, ...) index and fetch each deal's row at random; reading the table in
    # order and sorting is several times faster.
    deals = "deals d" if dialect == "postgresql" else "deals d NOT INDEXED"
    # The position in ascending value order, ties by customer id: those of lower value, then this one's place
    # among its equals (the same in both orders).
    ascending = "(t.customers - value_at_least + rank - value_rank + 1)"
    # The purchases of a month are an INTEGER so that their sum per customer is one too (PostgreSQL sums BIGINTs
    # into NUMERICs, which are slower to add and to sort by).
    ctes = f"""
WITH per_month AS (
    SELECT d.customer_id,
           CASE WHEN d.closed_on >= :start THEN {month} END AS month,
           SUM(d.amount) AS amount{profit},
           CAST(SUM(CASE WHEN d.amount > 0 THEN 1 ELSE 0 END) AS INTEGER) AS purchases,
           MAX(CASE WHEN d.amount > 0 THEN d.closed_on END) AS last_bought_on,
           MAX(d.closed_on) AS last_on
    FROM {deals}
    WHERE d.status = :won AND d.closed_on <= :end
    GROUP BY 1, 2
),
sales AS (
    SELECT customer_id,
           ROUND(COALESCE({value}, 0), 2) AS value,
           SUM(CASE WHEN month IS NOT NULL THEN purchases ELSE 0 END) AS purchases,
           {last_on} AS last_on,
           {recency} AS recency_days,
           {xyz} AS xyz_class
    FROM per_month
    GROUP BY customer_id
),
totals AS (
    SELECT COALESCE(SUM(CASE WHEN value > 0 THEN value ELSE 0 END), 0) AS positive, COUNT(*) AS customers
    FROM sales
),
ranked AS (
    SELECT s.customer_id, s.value, s.purchases, s.recency_days, s.xyz_class,
           ROW_NUMBER() OVER (ORDER BY s.value DESC, s.customer_id) AS rank,
           SUM(CASE WHEN s.value > 0 THEN s.value ELSE 0 END)
               OVER (ORDER BY s.value DESC, s.customer_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running,
           RANK() OVER (ORDER BY s.value DESC) AS value_rank,
           COUNT(*) OVER (ORDER BY s.value DESC) AS value_at_least,
           NTILE(5) OVER (ORDER BY s.last_on, s.customer_id) AS r,
           NTILE(5) OVER (ORDER BY s.purchases, s.customer_id) AS f
    FROM sales s
),
scored AS (
    SELECT ranked.*, t.positive, {_ntile5(ascending, "t.customers")} AS m FROM ranked CROSS JOIN totals t
)"""  # noqa: S608 - only the fixed fragments above are interpolated
    expressions = {
        "run_id": ":run_id",
        "customer_id": "customer_id",
        "value": "value",
        "rank": "rank",
        "cum_share": "CASE WHEN positive > 0 THEN CAST(running AS DOUBLE PRECISION) / positive ELSE 0 END",
        "abc_class": _abc_case("value", "running", "positive"),
        "purchases": "purchases",
        "recency_days": "recency_days",
        "r_score": "r",
        "f_score": "f",
        "m_score": "m",
        "rfm_segment": _segment_case(),
        "xyz_class": "xyz_class",
    }
    columns = ",\n       ".join(_output(expressions[name], name, None if types is None else types[name])
                                  for name in CUSTOMER_COLUMNS)
    return ctes, f"SELECT {columns}\nFROM scored"


def _output(expression: str, name: str, sql_type: str | None) -> str:
    if sql_type is not None:
        return f"CAST({expression} AS {sql_type}) AS {name}"
    return name if expression == name else f"{expression} AS {name}"


def customer_insert(dialect: str, basis: str) -> str:
    """INSERT ... SELECT of ``customer_classes`` into ``abc_customer_classes``."""
    ctes, select = customer_classes(dialect, basis)
    return f"{ctes}\nINSERT INTO abc_customer_classes ({', '.join(CUSTOMER_COLUMNS)})\n{select}"


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
       {_abc_case("ranked.value", "ranked.running", "t.positive")}
FROM ranked CROSS JOIN totals t
"""  # noqa: S608 - only the fixed fragments above are interpolated
