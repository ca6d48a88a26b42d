from __future__ import annotations

from typing import TYPE_CHECKING, Any

import redis
from rq import Queue, Retry
from rq.job import Job

from crmcore.errors import CRMError

if TYPE_CHECKING:
    from crmcore.runtime import CRM


class JobsUnavailable(CRMError):
    """Redis cannot be reached: nothing was queued. The caller keeps its data and can retry later."""

    status = 503


def connect(url: str) -> redis.Redis:
    """A plain Redis client for RQ; ``unix://`` URLs (the embedded Redis) work too."""
    return redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=30, health_check_interval=30)


class JobQueue:
    """Enqueues jobs for RQ workers. Every job runs through ``crmcore.jobs.runner.run``."""

    def __init__(self, crm: CRM) -> None:
        self.crm = crm
        self._connection: redis.Redis | None = None

    @property
    def connection(self) -> redis.Redis:
        if self._connection is None:
            url = self.crm.settings.redis_url
            if not url:
                raise JobsUnavailable("No Redis is configured (CRM_REDIS_URL); background jobs cannot be queued.")
            self._connection = connect(url)
        return self._connection

    def queue_name(self, name: str) -> str:
        if name not in self.crm.settings.queue_names:
            raise ValueError(f"unknown queue {name!r}; configured: {', '.join(self.crm.settings.queue_names)}")
        return f"{self.crm.settings.redis_prefix}-{name}"

    def queue(self, name: str = "default") -> Queue:
        return Queue(self.queue_name(name), connection=self.connection)

    def all_queues(self) -> list[Queue]:
        return [self.queue(name) for name in self.crm.settings.queue_names]

    def enqueue(self, func: str, *args: Any, plugin: str = "core", queue: str = "default",
                job_id: str | None = None, retries: int = 0, timeout: int | None = None,
                **kwargs: Any) -> Job:
        """Queue ``func`` (``"package.module:function"``, called as ``function(crm, *args, **kwargs)``).

        Raises JobsUnavailable, with nothing queued, when Redis is down.
        """
        try:
            return self.queue(queue).enqueue(
                "crmcore.jobs.runner.run", func, plugin, args, kwargs,
                job_id=job_id, retry=Retry(max=retries, interval=[10, 60, 300][:max(retries, 1)]) if retries else None,
                job_timeout=timeout, result_ttl=3600, failure_ttl=7 * 24 * 3600,
            )
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise JobsUnavailable("The job queue (Redis) cannot be reached; nothing was queued. "
                                  "Try again when it is back.") from exc

    def ping(self) -> bool:
        try:
            return bool(self.connection.ping())
        except (redis.ConnectionError, redis.TimeoutError, JobsUnavailable):
            return False

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
