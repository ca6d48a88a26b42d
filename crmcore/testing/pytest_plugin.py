"""Fixtures for testing crmcore and its plugins against real services.

``crm_factory(plugins=[...], enabled=[...])`` builds a CRM with a chosen set of installed plugins (names of
installed plugins or ``Plugin`` objects) and enables some of them; ``crm`` is one with every installed plugin
and none enabled; ``app``/``client`` wrap it in the web application; ``login`` logs a client in;
``work_off(crm)`` runs the queued jobs; ``smtp_server`` is a recording SMTP server on loopback.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import redis

from crmcore.config import load_settings
from crmcore.plugins import Plugin
from crmcore.plugins.manager import discover
from crmcore.testing import databases
from crmcore.testing.redis import purge, require_redis, test_redis_url

if TYPE_CHECKING:
    from crmcore.testing.smtp import LoopbackSmtpServer


@pytest.fixture(scope="session")
def crm_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with databases.temporary_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def crm_redis_prefix() -> str:
    return f"crmtest{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def crm_redis_url(crm_redis_prefix: str) -> Iterator[str]:
    url = test_redis_url()
    require_redis(url)
    yield url
    connection = redis.Redis.from_url(url)
    purge(connection, crm_redis_prefix)
    connection.close()


@pytest.fixture(scope="session")
def crm_settings(crm_database_url: str, crm_redis_url: str, crm_redis_prefix: str) -> Any:
    return load_settings({}).with_overrides(
        env="test",
        database_url=crm_database_url,
        redis_url=crm_redis_url,
        redis_prefix=crm_redis_prefix,
        secret_key="test-secret-key-" + uuid.uuid4().hex,
        plugin_state_check_interval=0.0,
        password_hash_method="pbkdf2:sha256:1000",
        public_url="http://crm.test",
    )


@pytest.fixture(scope="session")
def _migrated(crm_settings: Any) -> bool:
    from crmcore.migrations.runner import upgrade_core
    from crmcore.runtime import CRM

    crm = CRM(crm_settings, plugins=[])
    upgrade_core(crm)
    crm.close()
    return True


@pytest.fixture
def crm_factory(crm_settings: Any, _migrated: bool) -> Iterator[Callable[..., Any]]:
    from crmcore.runtime import CRM

    made: list[CRM] = []

    def make(plugins: list[str | Plugin] | None = None, enabled: list[str] = (), **overrides: Any) -> CRM:
        installed = {p.name: p for p in discover()}
        chosen = None if plugins is None else [installed[p] if isinstance(p, str) else p for p in plugins]
        crm = CRM(crm_settings.with_overrides(**overrides), plugins=chosen)
        made.append(crm)
        if not made[1:]:
            crm.services.pipelines.ensure_default()
        for name in enabled:
            crm.plugins.enable(name)
        return crm

    yield make
    for crm in made:
        crm.close()
    if made:
        databases.empty_tables(made[0].db.engine)
        made[0].db.dispose()
    connection = redis.Redis.from_url(crm_settings.redis_url)
    purge(connection, crm_settings.redis_prefix)  # each test starts with no queued job and no key of another
    connection.close()


@pytest.fixture
def crm(crm_factory: Callable[..., Any]) -> Any:
    return crm_factory()


@pytest.fixture
def app(crm: Any) -> Any:
    from crmcore.web import create_app

    application = create_app(crm, testing=True)
    application.config["WTF_CSRF_ENABLED"] = False
    return application


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def make_user(crm: Any) -> Callable[..., Any]:
    counter = iter(range(1, 10_000))

    def make(role: str = "admin", password: str = "correct horse battery", **fields: Any) -> Any:
        email = fields.pop("email", f"{role}{next(counter)}@example.com")
        return crm.services.users.create({"email": email, "password": password, "role": role, **fields})

    return make


@pytest.fixture
def login(make_user: Callable[..., Any]) -> Callable[..., Any]:
    """``login(client, role="staff")`` creates a user with that role, logs the client in and returns the user."""

    def do_login(test_client: Any, role: str = "admin", **fields: Any) -> Any:
        user = make_user(role, password="correct horse battery", **fields)
        response = test_client.post("/login", data={"email": user.email, "password": "correct horse battery"})
        assert response.status_code == 302, response.data
        return user

    return do_login


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The public data sets (UCI Online Retail, CDNOW, CoIL 2000) next to the project."""
    from crmcore.config import REPO_ROOT

    path = REPO_ROOT.parent / "shared" / "data"
    if not path.is_dir():
        raise RuntimeError(f"the shared data sets are missing at {path}")
    return path


@pytest.fixture
def work_off() -> Callable[[Any], None]:
    """``work_off(crm)`` runs every queued job with a real RQ worker in this process, until none is left."""
    from crmcore.testing.jobs import work_off as run

    return run


@pytest.fixture
def smtp_client_settings() -> Callable[..., Any]:
    """What ``smtp_server.settings(**overrides)`` builds from host, port and timeout: a dict here; a plugin's
    ``conftest.py`` overrides this fixture to get its own client settings type."""
    return dict


@pytest.fixture
def smtp_server_factory(smtp_client_settings: Callable[..., Any]) -> Iterator[Callable[..., LoopbackSmtpServer]]:
    """``smtp_server_factory(pipelining=False, **aiosmtpd_options)`` starts another loopback server (e.g. with
    authentication, or offering PIPELINING); each is stopped after the test."""
    from crmcore.testing.smtp import LoopbackSmtpServer

    servers: list[LoopbackSmtpServer] = []

    def start(pipelining: bool = False, **smtp_kwargs: Any) -> LoopbackSmtpServer:
        server = LoopbackSmtpServer(smtp_client_settings, pipelining=pipelining, **smtp_kwargs)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def smtp_server(smtp_server_factory: Callable[..., LoopbackSmtpServer]) -> LoopbackSmtpServer:
    """A real SMTP server on 127.0.0.1 that records what it accepts, fresh for each test
    (see ``crmcore.testing.smtp``)."""
    return smtp_server_factory()
