"""Reading is streamed: a large file costs no more memory than a small one."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from itertools import islice

from crmcore.importing import Row, open_table

ROWS = 200_000
WINDOW = 10_000
LIMIT = 2 * 1024 * 1024


def consume(rows: Iterator[Row], count: int | None = None) -> int:
    return sum(1 for _ in islice(rows, count))


def test_reading_200k_rows_keeps_memory_flat(tmp_path):
    """Allocations are traced while the file is opened and its first rows read, and again over its last rows.

    A reader that loaded the whole file would show it in the first window; one that kept the rows it read
    would grow by megabytes in the last. Tracing every row in between would only make the test slow.
    """
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("id,name,amount\r\n")
        out.writelines(f"{i},Покупатель {i},{i}.50\r\n" for i in range(ROWS))
    assert path.stat().st_size > 5_000_000

    try:
        tracemalloc.start()
        with open_table(path) as table:
            rows = iter(table)
            read = consume(rows, WINDOW)
            opening_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()

            read += consume(rows, ROWS - 2 * WINDOW)

            tracemalloc.start()
            read += consume(rows)
            closing_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert read == ROWS
    assert opening_peak < LIMIT
    assert closing_peak < LIMIT
