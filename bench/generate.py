"""Build a benchmark data set in a database of its own, never the user's.

pg-1m: 1,000,000 customers, 2,000,000 contacts (+ their emails and phones), 5,000,000 deals and 10,000,000
touchpoints on PostgreSQL, written by ``INSERT ... SELECT generate_series`` in the server (no rows travel through
Python), with the secondary indexes and foreign keys dropped during the load and rebuilt after it.
sqlite-100k: a tenth of that on SQLite with ``executemany``; small: about 2,000 customers, for smoke tests.

The skew is what real CRMs see: deals concentrate on few customers and their amounts follow a Pareto law (about
20 % of customers bring 80 % of revenue); touchpoints come in bursts (several on the same customer within an hour).
A finished data set is marked and reused; an unfinished one is rebuilt.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.schema import AddConstraint

from bench import PROFILES, BenchmarkError
from crmcore.config import REPO_ROOT, load_settings

POSTGRES_ADMIN_URL = os.environ.get("CRM_BENCH_POSTGRES_URL",
                                    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MARKER = "bench_dataset"
BULK_TABLES = ("customers", "contacts", "contact_points", "deals", "touchpoints")
USER_PASSWORD = "benchmark password"  # noqa: S105 - a throw-away account in a throw-away database

SIZES = {
    "pg-1m": {"customers": 1_000_000, "contacts": 2_000_000, "deals": 5_000_000, "touchpoints": 10_000_000},
    "sqlite-100k": {"customers": 100_000, "contacts": 200_000, "deals": 500_000, "touchpoints": 1_000_000},
    "small": {"customers": 2_000, "contacts": 4_000, "deals": 10_000, "touchpoints": 20_000},
}

COMPANY_WORDS = ["Acme", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay",
                 "Pied", "Soylent", "Cyberdyne", "Tyrell", "Wonka", "Gringotts", "Oceanic", "Aperture", "Massive",
                 "Nakatomi", "Dunder", "Sterling", "Prestige", "Blue", "Green", "Silver", "Golden", "Polar",
                 "Sunrise", "Atlas", "Zenith", "Parsian", "Tabriz", "Kyiv", "Lviv", "Odesa", "Dnipro", "Volga",
                 "Ural", "Neva", "Baikal"]
COMPANY_KINDS = ["Trading", "Logistics", "Foods", "Textiles", "Motors", "Pharma", "Software", "Furniture",
                 "Electric", "Builders", "Media", "Farms", "Tours", "Clinic", "Print", "Bakery"]
FIRST_NAMES = ["Olena", "Taras", "Iryna", "Dmytro", "Anna", "Ivan", "Maria", "Sergei", "Zahra", "Reza", "Maryam",
               "Ali", "Emma", "James", "Sofia", "Lucas", "Fatemeh", "Hossein", "Natalia", "Oleksandr"]
LAST_NAMES = ["Shevchenko", "Kovalenko", "Bondarenko", "Ivanova", "Petrov", "Smirnova", "Ahmadi", "Hosseini",
              "Karimi", "Rezaei", "Smith", "Jones", "Brown", "Garcia", "Muller", "Rossi", "Novak", "Melnyk"]
CITIES = ["Kyiv", "Lviv", "Tehran", "Isfahan", "Moscow", "Kazan", "London", "Berlin", "Warsaw", "Dubai"]
COUNTRIES = ["UA", "UA", "IR", "IR", "RU", "RU", "GB", "DE", "PL", "AE"]
INDUSTRIES = ["retail", "wholesale", "manufacturing", "services", "construction", "food", "health", "software"]
CHANNELS = ["PHONE", "PHONE", "EMAIL", "EMAIL", "EMAIL", "WEB", "MESSENGER", "SOCIAL", "MEETING", "STORE"]
SALES_CHANNELS = ["DIRECT", "ONLINE", "WHOLESALE", "CUSTOM_ORDER"]


@dataclass(frozen=True)
class Dataset:
    profile: str
    url: str
    counts: dict[str, int]
    built_seconds: float
    reused: bool


def settings_for(url: str) -> Any:
    """Settings of a CRM on the benchmark database; jobs go to the real Redis under a prefix of their own."""
    return load_settings().with_overrides(
        database_url=url,
        redis_url=os.environ.get("CRM_REDIS_URL") or "redis://127.0.0.1:6379/0",
        redis_prefix="crmbench",
    )


def database_url(profile: str) -> str:
    if profile not in PROFILES:
        raise BenchmarkError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    if profile == "pg-1m":
        return make_url(POSTGRES_ADMIN_URL).set(database="crm_bench_1m").render_as_string(hide_password=False)
    return f"sqlite:///{REPO_ROOT / 'var' / 'bench' / f'{profile}.sqlite3'}"


def ensure(profile: str) -> Dataset:
    """The profile's data set, built now unless a finished one exists."""
    url = database_url(profile)
    existing = _finished(url)
    if existing is not None:
        return Dataset(profile, url, existing["counts"], existing["built_seconds"], reused=True)
    recreate_database(url)
    started = time.perf_counter()
    counts = build(profile, url)
    built = round(time.perf_counter() - started, 1)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE {MARKER} (profile VARCHAR(20), built_seconds FLOAT, counts TEXT)"))
        connection.execute(text(f"INSERT INTO {MARKER} VALUES (:p, :s, :c)"),
                           {"p": profile, "s": built, "c": json.dumps(counts)})
    engine.dispose()
    return Dataset(profile, url, counts, built, reused=False)


def _finished(url: str) -> dict[str, Any] | None:
    if url.startswith("sqlite") and not Path(make_url(url).database).exists():
        return None
    try:
        engine = create_engine(url)
        with engine.connect() as connection:
            if MARKER not in inspect(connection).get_table_names():
                return None
            built, counts = connection.execute(text(f"SELECT built_seconds, counts FROM {MARKER}")).one()
    except Exception as exc:  # noqa: BLE001 - e.g. the database does not exist yet
        if "does not exist" in str(exc):
            return None
        raise BenchmarkError(f"cannot open the benchmark database: {type(exc).__name__}: {exc}") from exc
    finally:
        engine.dispose()
    return {"built_seconds": built, "counts": json.loads(counts)}


def recreate_database(url: str) -> None:
    """Start a benchmark database afresh: delete the SQLite file, or drop and create the PostgreSQL database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    except Exception as exc:
        raise BenchmarkError(f"cannot create the benchmark database on PostgreSQL ({POSTGRES_ADMIN_URL}; set "
                             f"CRM_BENCH_POSTGRES_URL): {type(exc).__name__}") from exc
    finally:
        admin.dispose()


def has_table(url: str, table: str) -> bool:
    """Whether a benchmark database exists and holds ``table`` (the mark of a finished build)."""
    if url.startswith("sqlite") and not Path(make_url(url).database).exists():
        return False
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return table in inspect(connection).get_table_names()
    except Exception as exc:  # noqa: BLE001 - the database does not exist yet
        if "does not exist" in str(exc):
            return False
        raise BenchmarkError(f"cannot open the benchmark database: {type(exc).__name__}") from exc
    finally:
        engine.dispose()


@contextmanager
def scratch_database(profile: str, name: str) -> Iterator[str]:
    """A throw-away database for one run: a temporary SQLite file, or a PostgreSQL database for pg-1m."""
    if profile != "pg-1m":
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{Path(directory) / f'{name}-bench.sqlite3'}"
        return
    database = f"crm_bench_{name}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
    except Exception as exc:  # noqa: BLE001 - report the missing service by name
        raise BenchmarkError(f"PostgreSQL is not reachable ({type(exc).__name__})") from exc
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def build(profile: str, url: str) -> dict[str, int]:
    """Migrate the core, add users and the default pipeline through the services, then bulk-load the rest."""
    from crmcore.migrations.runner import upgrade_core
    from crmcore.models import Stage
    from crmcore.runtime import CRM

    crm = CRM(settings_for(url), plugins=[])
    try:
        upgrade_core(crm)
        pipeline = crm.services.pipelines.ensure_default()
        owners = [crm.services.users.create({"email": f"{role}{i}@bench.example", "password": USER_PASSWORD,
                                             "role": role}).id
                  for i, role in enumerate(["admin", "manager", "staff", "staff", "staff"])]
        with crm.db.session() as session:
            stages = session.query(Stage).filter_by(pipeline_id=pipeline.id).order_by(Stage.position).all()
            plan = {"pipeline_id": pipeline.id, "owners": owners,
                    "won": next(s.id for s in stages if s.is_won), "lost": next(s.id for s in stages if s.is_lost),
                    "open": [s.id for s in stages if not s.is_won and not s.is_lost]}
        sizes = SIZES[profile]
        with crm.db.engine.begin() as connection:
            dropped = _drop_secondary_structures(connection)
            if connection.dialect.name == "postgresql":
                _load_postgresql(connection, sizes, plan)
            else:
                _load_sqlite(connection, sizes, plan)
            _restore_secondary_structures(connection, dropped)
        with crm.db.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
            return {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in BULK_TABLES}
    finally:
        crm.close()


def _drop_secondary_structures(connection: Connection) -> dict[str, Any]:
    """Indexes (and on PostgreSQL foreign keys) cost more row by row than rebuilt once after the load."""
    from crmcore.db import Base

    dropped: dict[str, Any] = {"indexes": [], "foreign_keys": []}
    for name in BULK_TABLES:
        table = Base.metadata.tables[name]
        for index in table.indexes:
            connection.execute(text(f'DROP INDEX IF EXISTS "{index.name}"'))
            dropped["indexes"].append(index)
        if connection.dialect.name == "postgresql":
            for fk in inspect(connection).get_foreign_keys(name):
                connection.execute(text(f'ALTER TABLE "{name}" DROP CONSTRAINT "{fk["name"]}"'))
            dropped["foreign_keys"] += list(table.foreign_key_constraints)
    return dropped


def _restore_secondary_structures(connection: Connection, dropped: dict[str, Any]) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET maintenance_work_mem = '512MB'"))
    for index in dropped["indexes"]:
        index.create(connection)
    for constraint in dropped["foreign_keys"]:
        connection.execute(AddConstraint(constraint))


# -- PostgreSQL: everything computed in the server ------------------------------------------------------

def _uniform(expression: str, seed: int) -> str:
    """A deterministic uniform number in [0, 1) from an integer expression (so re-runs build the same data)."""
    return f"((hashint8(({expression})::bigint * 2654435761 + {seed}) & 2147483647)::float8 / 2147483648.0)"


def _pick(array: str, expression: str, seed: int) -> str:
    return f"({array})[1 + floor({_uniform(expression, seed)} * cardinality({array}))::int]"


def _load_postgresql(connection: Connection, sizes: dict[str, int], plan: dict[str, Any]) -> None:
    connection.execute(text("SET LOCAL synchronous_commit = off"))
    params = {
        "n": sizes["customers"], "contacts": sizes["contacts"], "deals": sizes["deals"],
        "touchpoints": sizes["touchpoints"], "words": COMPANY_WORDS, "kinds": COMPANY_KINDS, "cities": CITIES,
        "countries": COUNTRIES, "industries": INDUSTRIES, "channels": CHANNELS, "sales": SALES_CHANNELS,
        "first": FIRST_NAMES, "last": LAST_NAMES, "owners": plan["owners"], "open": plan["open"],
        "won": plan["won"], "lost": plan["lost"], "pipeline": plan["pipeline_id"],
    }
    words, kinds = "CAST(:words AS text[])", "CAST(:kinds AS text[])"
    owners = "CAST(:owners AS int[])"
    days_ago = f"now() - make_interval(days => floor({_uniform('i', 11)} * 1825)::int)"
    stage = (f"CASE WHEN {_uniform('i', 21)} < 0.45 THEN 'CUSTOMER' WHEN {_uniform('i', 21)} < 0.75 THEN 'LEAD' "
             f"WHEN {_uniform('i', 21)} < 0.9 THEN 'PROSPECT' ELSE 'FORMER' END")
    connection.execute(text(f"""
        INSERT INTO customers (id, kind, name, email, phone, city, country, industry, sales_channel, services,
            lifecycle_stage, churn_reason, source, owner_id, custom_fields, marketing_consent, version,
            created_at, updated_at)
        SELECT i, CASE WHEN i % 5 = 0 THEN 'person' ELSE 'organisation' END,
            {_pick(words, 'i', 1)} || ' ' || {_pick(kinds, 'i', 2)} || ' ' || i,
            'customer' || i || '@' || (ARRAY['example.com', 'example.org', 'shop.example'])[1 + i % 3],
            '+4477' || lpad(i::text, 8, '0'),
            {_pick('CAST(:cities AS text[])', 'i', 3)}, {_pick('CAST(:countries AS text[])', 'i', 3)},
            {_pick('CAST(:industries AS text[])', 'i', 4)}, {_pick('CAST(:sales AS text[])', 'i', 5)}, '[]',
            {stage}, CASE WHEN {stage} = 'FORMER' THEN 'price' END, 'benchmark',
            {_pick(owners, 'i', 6)}, '{{}}', {_uniform('i', 7)} < 0.6, 1, {days_ago}, {days_ago}
        FROM generate_series(1, :n) AS i
    """), params)
    skewed = f"1 + floor(:n * power({_uniform('i', 31)}, 2))::int"
    connection.execute(text(f"""
        INSERT INTO contacts (id, customer_id, first_name, last_name, marketing_consent, version,
            created_at, updated_at)
        SELECT i, CASE WHEN i <= :n THEN i ELSE {skewed} END,
            {_pick('CAST(:first AS text[])', 'i', 8)}, {_pick('CAST(:last AS text[])', 'i', 9)},
            {_uniform('i', 10)} < 0.5, 1, {days_ago}, {days_ago}
        FROM generate_series(1, :contacts) AS i
    """), params)
    connection.execute(text("""
        INSERT INTO contact_points (contact_id, kind, value)
        SELECT i, 'email', 'person' || i || '@example.net' FROM generate_series(1, :contacts) AS i
        UNION ALL
        SELECT i, 'phone', '+38067' || lpad(i::text, 7, '0') FROM generate_series(2, :contacts, 2) AS i
    """), params)
    # Deals: a customer's share falls off steeply with its rank; amounts are Pareto(alpha 1.16) from 100.
    status = (f"CASE WHEN {_uniform('i', 41)} < 0.6 THEN 'WON' WHEN {_uniform('i', 41)} < 0.75 THEN 'LOST' "
              "ELSE 'OPEN' END")
    amount = f"least(round((100 / power(greatest({_uniform('i', 42)}, 1e-7), 1 / 1.16))::numeric, 2), 10000000)"
    created = f"now() - make_interval(days => floor({_uniform('i', 43)} * 1825)::int)"
    connection.execute(text(f"""
        INSERT INTO deals (id, customer_id, owner_id, pipeline_id, stage_id, title, amount, cost, currency,
            status, closed_on, stage_changed_at, version, created_at, updated_at)
        SELECT i, 1 + floor(:n * power({_uniform('i', 44)}, 3))::int, {_pick(owners, 'i', 45)}, :pipeline,
            CASE {status} WHEN 'WON' THEN :won WHEN 'LOST' THEN :lost
                 ELSE {_pick('CAST(:open AS int[])', 'i', 46)} END,
            'Order ' || i, {amount}, round({amount} * 0.62, 2), 'USD', {status},
            CASE WHEN {status} <> 'OPEN' THEN ({created})::date + floor({_uniform('i', 47)} * 60)::int END,
            {created}, 1, {created}, {created}
        FROM generate_series(1, :deals) AS i
    """), params)
    # Touchpoints come in bursts of six on one customer, twenty minutes apart.
    burst = "(i / 6)"
    connection.execute(text(f"""
        INSERT INTO touchpoints (id, customer_id, user_id, channel, direction, occurred_at, subject, created_at)
        SELECT i, 1 + floor(:n * power({_uniform(burst, 51)}, 2))::int, {_pick(owners, burst, 52)},
            {_pick('CAST(:channels AS text[])', 'i', 53)},
            CASE WHEN {_uniform('i', 54)} < 0.4 THEN 'INBOUND' ELSE 'OUTBOUND' END,
            now() - make_interval(days => floor({_uniform(burst, 55)} * 1825)::int, mins => (i % 6) * 20),
            'Follow-up ' || i,
            now() - make_interval(days => floor({_uniform(burst, 55)} * 1825)::int, mins => (i % 6) * 20)
        FROM generate_series(1, :touchpoints) AS i
    """), params)
    for table in BULK_TABLES:
        connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT max(id) FROM {table}))"))


# -- SQLite: rows made in Python, written with executemany ----------------------------------------------

def _load_sqlite(connection: Connection, sizes: dict[str, int], plan: dict[str, Any]) -> None:
    rng = random.Random(20261123)
    now = datetime.now(UTC).replace(tzinfo=None)
    n = sizes["customers"]

    def ago(days: float, minutes: int = 0) -> str:
        return str(now - timedelta(days=int(days), minutes=minutes))

    def stage_of(u: float) -> str:
        return "CUSTOMER" if u < 0.45 else "LEAD" if u < 0.75 else "PROSPECT" if u < 0.9 else "FORMER"

    cursor = connection.connection.cursor()
    rows = []
    for i in range(1, n + 1):
        stage, when = stage_of(rng.random()), ago(rng.random() * 1825)
        rows.append((i, "person" if i % 5 == 0 else "organisation",
                     f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)} {i}",
                     f"customer{i}@{('example.com', 'example.org', 'shop.example')[i % 3]}", f"+4477{i:08d}",
                     rng.choice(CITIES), rng.choice(COUNTRIES), rng.choice(INDUSTRIES), rng.choice(SALES_CHANNELS),
                     "[]", stage, "price" if stage == "FORMER" else None, "benchmark", rng.choice(plan["owners"]),
                     "{}", rng.random() < 0.6, 1, when, when))
    cursor.executemany(
        "INSERT INTO customers (id, kind, name, email, phone, city, country, industry, sales_channel, services, "
        "lifecycle_stage, churn_reason, source, owner_id, custom_fields, marketing_consent, version, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    rows = []
    for i in range(1, sizes["contacts"] + 1):
        when = ago(rng.random() * 1825)
        rows.append((i, i if i <= n else 1 + int(n * rng.random() ** 2), rng.choice(FIRST_NAMES),
                     rng.choice(LAST_NAMES), rng.random() < 0.5, 1, when, when))
    cursor.executemany("INSERT INTO contacts (id, customer_id, first_name, last_name, marketing_consent, version, "
                       "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    points = [(i, "email", f"person{i}@example.net") for i in range(1, sizes["contacts"] + 1)]
    points += [(i, "phone", f"+38067{i:07d}") for i in range(2, sizes["contacts"] + 1, 2)]
    cursor.executemany("INSERT INTO contact_points (contact_id, kind, value) VALUES (?, ?, ?)", points)
    rows = []
    for i in range(1, sizes["deals"] + 1):
        u = rng.random()
        status = "WON" if u < 0.6 else "LOST" if u < 0.75 else "OPEN"
        stage = {"WON": plan["won"], "LOST": plan["lost"]}.get(status) or rng.choice(plan["open"])
        amount = round(min(100 / max(rng.random(), 1e-7) ** (1 / 1.16), 10_000_000), 2)
        created = now - timedelta(days=int(rng.random() * 1825))
        closed = (created + timedelta(days=int(rng.random() * 60))).date().isoformat() if status != "OPEN" else None
        rows.append((i, 1 + int(n * rng.random() ** 3), rng.choice(plan["owners"]), plan["pipeline_id"], stage,
                     f"Order {i}", amount, round(amount * 0.62, 2), "USD", status, closed, str(created), 1,
                     str(created), str(created)))
    cursor.executemany(
        "INSERT INTO deals (id, customer_id, owner_id, pipeline_id, stage_id, title, amount, cost, currency, status, "
        "closed_on, stage_changed_at, version, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    rows = []
    customer = day = owner = 0
    for i in range(1, sizes["touchpoints"] + 1):
        if i % 6 == 1:  # a new burst: another customer, another day
            customer, day, owner = 1 + int(n * rng.random() ** 2), rng.random() * 1825, rng.choice(plan["owners"])
        when = ago(day, (i % 6) * 20)
        rows.append((i, customer, owner, rng.choice(CHANNELS), "INBOUND" if rng.random() < 0.4 else "OUTBOUND",
                     when, f"Follow-up {i}", when))
    cursor.executemany("INSERT INTO touchpoints (id, customer_id, user_id, channel, direction, occurred_at, subject, "
                       "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
