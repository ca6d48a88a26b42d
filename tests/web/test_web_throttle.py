"""Failed log-ins are counted in Redis, so every web process shares the limit."""

from __future__ import annotations

import pytest
import redis

from crmcore.web import create_app


@pytest.fixture(autouse=True)
def forget_failures(crm_redis_url, crm_redis_prefix):
    """Failed log-ins are remembered for a quarter of an hour: start and leave with none counted."""
    connection = redis.Redis.from_url(crm_redis_url)

    def purge():
        for key in connection.scan_iter(f"{crm_redis_prefix}:login-failures:*"):
            connection.delete(key)

    purge()
    yield
    purge()
    connection.close()


def _client(crm):
    app = create_app(crm, testing=True)
    app.config["WTF_CSRF_ENABLED"] = False
    return app.test_client()


def test_failed_logins_in_one_process_count_in_another(crm_factory, make_user):
    crm = crm_factory(login_attempts_per_15_minutes=3)
    first, second = _client(crm), _client(crm_factory(login_attempts_per_15_minutes=3))
    user = make_user("staff", password="correct horse battery")

    for _ in range(3):
        first.post("/login", data={"email": user.email, "password": "wrong"})
    response = second.post("/login", data={"email": user.email, "password": "correct horse battery"})

    assert response.status_code == 429


def test_login_still_works_and_is_limited_when_redis_is_down(crm_factory, make_user):
    crm = crm_factory(login_attempts_per_15_minutes=2, redis_url="redis://127.0.0.1:1/0")
    client = _client(crm)
    user = make_user("staff", password="correct horse battery")

    assert client.post("/login", data={"email": user.email, "password": "correct horse battery"}).status_code == 302
    client.post("/logout")
    for _ in range(2):
        client.post("/login", data={"email": user.email, "password": "wrong"})

    assert client.post("/login", data={"email": user.email, "password": "correct horse battery"}).status_code == 429
