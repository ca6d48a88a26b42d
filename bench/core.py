"""The core's figures: lists, search, the customer page, the API under load, import, and hook overhead.

Each figure is a median of repeated runs measured in this process (server-side time: the Flask test client calls
the application directly, with no network) against a baseline measured in the same run.
"""

from __future__ import annotations

import csv
import gc
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from bench import BenchmarkError, count_queries, figure, median_ms, not_measured
from bench.generate import USER_PASSWORD, Dataset, ensure, settings_for
from crmcore.config import REPO_ROOT

PAGE = 50
#: How deep "a page deep in the list" is, per profile (0-based page number of 50 rows).
DEEP_PAGE = {"pg-1m": 10_000, "sqlite-100k": 1_000, "small": 20}
#: Rows in the import file (and half of it, to show that memory stays flat as the file grows).
IMPORT_ROWS = {"pg-1m": 1_000_000, "sqlite-100k": 20_000, "small": 4_000}
REPEAT = {"pg-1m": 15, "sqlite-100k": 15, "small": 3}
WRK_SECONDS = {"pg-1m": 15, "sqlite-100k": 10, "small": 3}
LIST_COLUMNS = "id, name, email, phone, city, country, lifecycle_stage, owner_id"


def run(profile: str) -> list[dict[str, Any]]:
    from crmcore.migrations.runner import upgrade_core
    from crmcore.runtime import CRM

    dataset = ensure(profile)
    figures = [figure("generate: build the data set", dataset.built_seconds, "s",
                      "target: 10 minutes on PostgreSQL", 600.0, reused=dataset.reused,
                      rows=sum(dataset.counts.values()))]
    crm = CRM(settings_for(dataset.url))
    try:
        upgrade_core(crm)
        repeat = REPEAT[profile]
        for name in sorted(crm.plugins.enabled_names()):
            crm.plugins.disable(name)
        bench = WebBench(crm)
        heavy = bench.heaviest_customer()
        plain_create = bench.create_customer_ms(repeat * 2)
        plain_page_ms, plain_queries = bench.customer_page(heavy, repeat)
        enabled, refused = enable_all(crm)
        bench = WebBench(crm)  # a new app: plugin screens answer only when built with them enabled
        notes = {"plugins": enabled, **({"not_enabled": refused} if refused else {})}
        hooked_create = bench.create_customer_ms(repeat * 2)
        figures.append(figure("hook overhead: create a customer, every plugin enabled", hooked_create, "ms",
                              "the same with no plugin enabled", plain_create, target_ratio=1.2, **notes))
        page_ms, page_queries = bench.customer_page(heavy, repeat)
        figures.append(figure("customer page, every plugin enabled", page_ms, "ms",
                              "the same page with no plugin enabled", plain_page_ms, target=100, **notes))
        figures.append(figure("customer page: SQL queries, every plugin enabled", page_queries, "queries",
                              "queries with no plugin enabled", plain_queries, **notes))
        figures += bench.list_figures(DEEP_PAGE[profile], repeat)
        figures += bench.search_figures(repeat)
        figures += api_figures(crm, dataset, heavy, WRK_SECONDS[profile])
        figures += import_figures(crm, dataset, IMPORT_ROWS[profile])
    finally:
        _forget_queued_jobs(crm)
        crm.close()
    return figures


def enable_all(crm: Any) -> tuple[list[str], dict[str, str]]:
    """Enable every installed plugin, required ones first. Returns those enabled and why others were not."""
    from crmcore.errors import CRMError

    pending = dict(crm.plugins.installed)
    refused: dict[str, str] = {}
    while pending:
        ready = [n for n, p in pending.items() if all(r in crm.plugins.enabled_names() for r in p.requires)]
        if not ready:
            refused.update({n: "a required plugin could not be enabled" for n in pending})
            break
        for name in ready:
            pending.pop(name)
            try:
                crm.plugins.enable(name)
            except (CRMError, Exception) as exc:  # noqa: BLE001 - report the plugin, measure the others
                refused[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
    return sorted(crm.plugins.enabled_names()), refused


class WebBench:
    """The real application with a logged-in admin, called through Flask's test client."""

    def __init__(self, crm: Any) -> None:
        from crmcore.web import create_app

        self.crm = crm
        self.app = create_app(crm, testing=True)
        self.app.config["WTF_CSRF_ENABLED"] = False
        self.client = self.app.test_client()
        response = self.client.post("/login", data={"email": "admin0@bench.example", "password": USER_PASSWORD})
        if response.status_code != 302:
            raise BenchmarkError(f"cannot log in to the benchmark application (HTTP {response.status_code})")

    def url(self, endpoint: str, **values: Any) -> str:
        from flask import url_for

        with self.app.test_request_context():
            return url_for(endpoint, **values)

    def get_ms(self, url: str, repeat: int) -> float:
        def fetch() -> None:
            response = self.client.get(url)
            if response.status_code != 200:
                raise BenchmarkError(f"GET {url} answered HTTP {response.status_code}")

        return median_ms(fetch, repeat)

    def sql_ms(self, sql: str, repeat: int, **params: Any) -> float:
        def query() -> None:
            with self.crm.db.engine.connect() as connection:
                connection.execute(text(sql), params).all()

        return median_ms(query, repeat)

    def heaviest_customer(self) -> int:
        """The customer with the most deals: the page a key account manager opens all day."""
        from crmcore.models import Deal

        with self.crm.db.session() as session:
            return session.execute(select(Deal.customer_id).group_by(Deal.customer_id)
                                   .order_by(func.count().desc()).limit(1)).scalar_one()

    def create_customer_ms(self, repeat: int) -> float:
        counter = iter(range(10**9))
        created: list[int] = []

        def create() -> None:
            n = next(counter)
            created.append(self.crm.services.customers.create(
                {"name": f"Hook Bench {n}", "email": f"hook{n}.{time.time_ns()}@bench.example"}).id)

        # The applications built so far are not the hooks' cost, and the second measurement runs with one more of
        # them: frozen, their objects stay out of the collector's full passes during the timed creates.
        gc.collect()
        gc.freeze()
        try:
            return median_ms(create, repeat)
        finally:
            gc.unfreeze()
            for customer_id in created:
                self.crm.services.customers.delete(customer_id)

    def customer_page(self, customer_id: int, repeat: int) -> tuple[float, int]:
        url = self.url("customer_page.show", customer_id=customer_id)
        elapsed = self.get_ms(url, repeat)
        with count_queries(self.crm.db.engine) as statements:
            self.client.get(url)
        return elapsed, len(statements)

    def list_figures(self, deep_page: int, repeat: int) -> list[dict[str, Any]]:
        from crmcore import keyset

        first = self.url("customers.index_view")
        with self.crm.db.engine.connect() as connection:
            boundary = connection.execute(text(f"SELECT id FROM customers ORDER BY id DESC LIMIT 1 OFFSET "
                                               f"{deep_page * PAGE - 1}")).scalar()
        if boundary is None:
            raise BenchmarkError(f"the data set has fewer than {deep_page * PAGE} customers")
        # The page a user reaches by following "next" deep_page times: its link carries the last row seen.
        deep = self.url("customers.index_view", after=keyset.encode([boundary, boundary]))
        base = f"SELECT {LIST_COLUMNS} FROM customers"
        return [
            figure("customer list: first page", self.get_ms(first, repeat), "ms",
                   "bare SQL: first 50 rows by id", self.sql_ms(f"{base} ORDER BY id DESC LIMIT {PAGE}", repeat),
                   target=50),
            figure(f"customer list: page {deep_page}", self.get_ms(deep, repeat), "ms",
                   "bare SQL: the same 50 rows by keyset (id < last seen)",
                   self.sql_ms(f"{base} WHERE id < :boundary ORDER BY id DESC LIMIT {PAGE}", repeat,
                               boundary=boundary),
                   target=50, rows_before=deep_page * PAGE),
        ]

    def search_figures(self, repeat: int) -> list[dict[str, Any]]:
        with self.crm.db.engine.connect() as connection:
            row = connection.execute(text("SELECT email, phone, name FROM customers "
                                          "WHERE email IS NOT NULL AND phone IS NOT NULL ORDER BY id LIMIT 1 "
                                          "OFFSET 777")).one()
        prefix = row.name.split()[0][:4]
        base = f"SELECT {LIST_COLUMNS} FROM customers"
        searches = [
            ("email", row.email, f"{base} WHERE email = :term ORDER BY id DESC LIMIT {PAGE}", row.email),
            ("phone", row.phone, f"{base} WHERE phone = :term ORDER BY id DESC LIMIT {PAGE}", row.phone),
            ("name prefix", prefix, f"{base} WHERE name LIKE :term ORDER BY id DESC LIMIT {PAGE}", prefix + "%"),
        ]
        figures = []
        for label, term, sql, bound in searches:
            url = self.url("customers.index_view", search=term)
            figures.append(figure(f"customer search: {label}", self.get_ms(url, repeat), "ms",
                                  "bare SQL: the same 50 rows", self.sql_ms(sql, repeat, term=bound), target=50))
        return figures


# -- the API under load -----------------------------------------------------------------------------------

def api_figures(crm: Any, dataset: Dataset, customer_id: int, seconds: int) -> list[dict[str, Any]]:
    name, unit = f"API GET /api/v1/customers/<id>, gunicorn 2 workers, wrk {seconds} s", "req/s"
    baseline = "GET /health under the same load"
    wrk, gunicorn = shutil.which("wrk"), shutil.which("gunicorn") or str(Path(sys.executable).with_name("gunicorn"))
    if wrk is None:
        return [not_measured(name, unit, baseline, "wrk missing (apt-get install wrk)")]
    if not Path(gunicorn).exists():
        return [not_measured(name, unit, baseline, "gunicorn missing (pip install gunicorn)")]
    from crmcore.web import create_app

    if not any(rule.rule.startswith("/api/v1/customers/<") for rule in create_app(crm).url_map.iter_rules()):
        return [not_measured(name, unit, baseline, "the application has no GET /api/v1/customers/<id>")]
    token, _ = crm.services.users.create_token(_admin_id(crm), "benchmark", days=1)
    with _gunicorn(gunicorn, dataset.url) as address:
        api = _wrk(wrk, f"{address}/api/v1/customers/{customer_id}", token, seconds)
        health = _wrk(wrk, f"{address}/health", token, seconds)
    return [
        figure(name, api["rps"], unit, baseline, health["rps"], target=800, non_2xx=api["non_2xx"]),
        figure(name.replace("req/s", "") + " p99 latency", api["p99_ms"], "ms", baseline + ": p99",
               health["p99_ms"], target=50),
    ]


def _admin_id(crm: Any) -> int:
    from crmcore.models import User

    with crm.db.session() as session:
        return session.scalar(select(User.id).where(User.email == "admin0@bench.example"))


@contextmanager
def _gunicorn(executable: str, url: str) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = settings_for(url)
    env = {**os.environ, "CRM_DATABASE_URL": url, "CRM_REDIS_URL": settings.redis_url,
           "CRM_REDIS_PREFIX": settings.redis_prefix, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen([executable, "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level",
                                "warning", "wsgi:app"], cwd=REPO_ROOT, env=env)
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while not _healthy(f"{address}/health"):  # both workers have loaded the application
            if process.poll() is not None or time.monotonic() > deadline:
                raise BenchmarkError("gunicorn did not start (see its output above)")
            time.sleep(0.5)
        yield address
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _healthy(url: str) -> bool:
    from urllib.error import URLError
    from urllib.request import urlopen

    try:
        with urlopen(url, timeout=5) as response:  # noqa: S310 - a loopback address we built
            return response.status == 200
    except (URLError, OSError):
        return False


def _wrk(executable: str, url: str, token: str, seconds: int) -> dict[str, float]:
    command = [executable, "--threads", "2", "--connections", "16", "--duration", f"{seconds}s", "--latency",
               "--header", f"Authorization: Bearer {token}", url]
    subprocess.run(command[:-1] + ["--duration", "1s", url], capture_output=True, timeout=60)  # warm up
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    if rps is None or p99 is None:
        raise BenchmarkError(f"cannot read the output of wrk: {output[-500:]}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return {"rps": float(rps.group(1)), "p99_ms": float(p99.group(1)) * scale,
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0}


# -- import --------------------------------------------------------------------------------------------

def import_figures(crm: Any, dataset: Dataset, rows: int) -> list[dict[str, Any]]:
    name = f"import {rows} customer rows (validation, de-duplication)"
    baseline = "plain COPY of the same file" if crm.db.dialect == "postgresql" else \
        "plain executemany of the same file (SQLite has no COPY)"
    try:
        from crmcore.importing import run_import  # noqa: F401 - only checks that the importer exists
    except ImportError:
        return [not_measured(name, "rows/s", baseline, "crmcore.importing.run_import is missing")]
    with tempfile.TemporaryDirectory(prefix="crm-bench-import-") as folder:
        small, large = Path(folder) / "half.csv", Path(folder) / "full.csv"
        _write_customer_file(crm, small, rows // 2, first=0)
        _write_customer_file(crm, large, rows, first=rows)
        copy_seconds = _plain_load_seconds(crm, large)
        with crm.db.engine.connect() as connection:
            before = connection.execute(text("SELECT max(id) FROM customers")).scalar() or 0
        try:
            half = _import_in_child(dataset.url, small)
            full = _import_in_child(dataset.url, large)
        except ImportError as exc:
            return [not_measured(name, "rows/s", baseline, str(exc))]
        finally:  # leave the data set as it was, even after a failed or interrupted import
            with crm.db.engine.begin() as connection:
                connection.execute(text("DELETE FROM customers WHERE id > :before"), {"before": before})
                connection.execute(text("DELETE FROM audit_log WHERE entity = 'customer' AND entity_id > :before"),
                                   {"before": before})
    return [
        figure(name, full["rows"] / full["seconds"], "rows/s", baseline, rows / copy_seconds,
               imported=full["created"], skipped_duplicates=full["skipped"]),
        figure(f"import peak RSS, {rows} rows", full["max_rss_mb"], "MB", f"peak RSS importing {rows // 2} rows",
               half["max_rss_mb"]),
    ]


def _write_customer_file(crm: Any, path: Path, rows: int, first: int) -> None:
    """A realistic file: one row in ten is a customer already in the database (found by email and skipped).
    New rows are numbered from ``first``, so two files never share a new customer's email or phone."""
    with crm.db.engine.connect() as connection:
        existing = connection.execute(text("SELECT name, email, phone FROM customers WHERE email IS NOT NULL "
                                           "ORDER BY id LIMIT :n"), {"n": rows // 10}).all()
    stamp = time.time_ns()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Name", "Email", "Phone", "City", "Country"])
        for i in range(rows):
            if i % 10 == 0 and i // 10 < len(existing):
                name, email, phone = existing[i // 10]
                writer.writerow([name, email, phone, "Kyiv", "UA"])
            else:
                n = first + i
                writer.writerow([f"Imported Trading {stamp}-{n}", f"import{n}.{stamp}@example.com",
                                 f"+38044{n % 10_000_000:07d}", "Lviv", "UA"])


def _plain_load_seconds(crm: Any, path: Path) -> float:
    """The floor: the same file loaded into a scratch table with no validation at all."""
    raw = crm.db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("CREATE TEMPORARY TABLE bench_import_copy (name TEXT, email TEXT, phone TEXT, city TEXT, "
                       "country TEXT)")
        started = time.perf_counter()
        if crm.db.dialect == "postgresql":
            with path.open("rb") as handle, cursor.copy(
                    "COPY bench_import_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
        else:
            with path.open(newline="", encoding="utf-8") as handle:
                reader = csv.reader(handle)
                next(reader)
                cursor.executemany("INSERT INTO bench_import_copy VALUES (?, ?, ?, ?, ?)", reader)
        raw.commit()
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_import_copy")
        raw.commit()
        return elapsed
    finally:
        raw.close()


def _import_in_child(url: str, path: Path) -> dict[str, Any]:
    """Import in a process of its own so that its peak RSS is the importer's, not the benchmark's."""
    result = subprocess.run([sys.executable, "-m", "bench.core", "import", url, str(path)], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=3600,
                            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    if result.returncode != 0:
        if "No module named 'crmcore.importing" in result.stderr:
            raise ImportError("the importer is not complete in this version")
        raise BenchmarkError(f"the import failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _import_child(url: str, path: str) -> None:
    from crmcore.importing import run_import
    from crmcore.runtime import CRM

    crm = CRM(settings_for(url))
    started = time.perf_counter()
    report = run_import(crm, "customers", path, on_duplicate="skip")
    seconds = time.perf_counter() - started
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    crm.close()
    summary = {key: getattr(report, key) for key in ("created", "skipped") if hasattr(report, key)}
    with open(path, encoding="utf-8") as handle:
        rows = sum(1 for _ in handle) - 1
    print(json.dumps({"seconds": seconds, "rows": rows,
                      "max_rss_mb": rss_kb / 1024, "created": summary.get("created"),
                      "skipped": summary.get("skipped")}))


def _forget_queued_jobs(crm: Any) -> None:
    """Jobs the plugins queued while customers were created are not part of any figure: drop them."""
    from crmcore.testing.redis import purge

    with suppress(Exception):
        purge(crm.jobs.connection, crm.settings.redis_prefix)


def run_import_figures(profile: str, plugins: bool = True) -> list[dict[str, Any]]:
    """Only the import figures: ``python -m bench.core import-figures [--profile P] [--no-plugins]``.

    With every plugin enabled, as in the full run; ``plugins=False`` measures the importer alone.
    """
    from crmcore.migrations.runner import upgrade_core
    from crmcore.runtime import CRM

    dataset = ensure(profile)
    crm = CRM(settings_for(dataset.url))
    try:
        upgrade_core(crm)
        if plugins:
            enabled, refused = enable_all(crm)
        else:
            for name in sorted(crm.plugins.enabled_names()):
                crm.plugins.disable(name)
            enabled, refused = [], {}
        notes = {"plugins": enabled, **({"not_enabled": refused} if refused else {})}
        return [{**item, **notes} for item in import_figures(crm, dataset, IMPORT_ROWS[profile])]
    finally:
        _forget_queued_jobs(crm)
        crm.close()


if __name__ == "__main__" and sys.argv[1:2] == ["import"]:
    _import_child(sys.argv[2], sys.argv[3])
elif __name__ == "__main__" and sys.argv[1:2] == ["import-figures"]:
    import argparse

    from bench import DEFAULT_PROFILE, PROFILES

    parser = argparse.ArgumentParser(prog="python -m bench.core import-figures")
    parser.add_argument("--profile", choices=PROFILES, default=DEFAULT_PROFILE)
    parser.add_argument("--no-plugins", action="store_true", help="measure with no plugin enabled")
    arguments = parser.parse_args(sys.argv[2:])
    for item in run_import_figures(arguments.profile, plugins=not arguments.no_plugins):
        print(json.dumps({**item, "profile": arguments.profile, "benchmark": "core"}, ensure_ascii=False),
              flush=True)
