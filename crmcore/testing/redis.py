from __future__ import annotations

import os

import redis
from rq import Queue
from rq.registry import (
    CanceledJobRegistry,
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)

DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/0"
REGISTRIES = (StartedJobRegistry, FinishedJobRegistry, FailedJobRegistry, DeferredJobRegistry,
              ScheduledJobRegistry, CanceledJobRegistry)


def test_redis_url() -> str:
    return os.environ.get("CRM_TEST_REDIS_URL", DEFAULT_TEST_REDIS_URL)


def require_redis(url: str) -> None:
    """A missing Redis is a failure of the test run, never a reason to skip."""
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        raise RuntimeError(f"Redis is not reachable at {url} ({exc}); start it (make services)") from exc


def purge(connection: redis.Redis, prefix: str) -> None:
    """Remove every queue, job and key a test made under ``prefix``."""
    for key in connection.scan_iter(match=f"rq:queue:{prefix}-*"):
        queue = Queue(key.decode().removeprefix("rq:queue:"), connection=connection)
        job_ids = set(queue.get_job_ids())
        for registry_class in REGISTRIES:
            registry = registry_class(queue.name, connection=connection)
            job_ids.update(registry.get_job_ids())
            connection.delete(registry.key)
        for job_id in job_ids:
            connection.delete(f"rq:job:{job_id}", f"rq:job:{job_id}:dependents", f"rq:results:{job_id}")
        queue.delete(delete_jobs=True)
    for pattern in (f"{prefix}:*", f"rq:*{prefix}-*"):
        for key in connection.scan_iter(match=pattern):
            connection.delete(key)
