"""One sending rate for the whole installation, shared by every worker through Redis.

The limit is a GCRA schedule (a token bucket holding one token): Redis keeps the time at which the next message
may go, and each sender reserves that slot and moves it one interval on, atomically in a script using Redis's
own clock, so workers on different machines need no synchronised clocks. A sender then sleeps until its slot.
Campaigns and transactional mail share the one schedule, in the order they ask.
"""

from __future__ import annotations

import logging
import time

import redis

log = logging.getLogger(__name__)
#: Seconds a sender paces itself alone after Redis failed, before it asks Redis again.
RETRY_SHARED_AFTER = 30

# KEYS[1]: the schedule; ARGV[1]: the interval in microseconds. Returns how long to wait, in microseconds.
_RESERVE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval = tonumber(ARGV[1])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
local next_slot = slot + interval
redis.call('SET', KEYS[1], string.format('%.0f', next_slot), 'PX', math.ceil((next_slot - now) / 1000) + 1000)
return slot - now
"""


class SendRate:
    """At most ``per_minute`` messages a minute across every process that uses ``key`` on the same Redis.

    ``per_minute`` 0 means no limit (and no Redis traffic). When Redis cannot be reached (or ``connection`` is
    None), :meth:`wait` paces this process alone at ``per_minute / fallback_share`` for a while and logs a
    warning, so sending goes on at a rate that stays under the limit as long as no more than ``fallback_share``
    senders run.
    """

    def __init__(self, connection: redis.Redis | None, key: str, per_minute: int, *, fallback_share: int = 1) -> None:
        self.key = key
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self._fallback_interval = self.interval * max(fallback_share, 1)
        self._reserve = connection.register_script(_RESERVE) if connection is not None else None
        self._last_local = 0.0
        self._shared_again_at = 0.0

    def wait(self) -> None:
        """Block until this process may send one message."""
        if not self.interval:
            return
        delay = self._shared_delay() if time.monotonic() >= self._shared_again_at else None
        if delay is None:
            delay = self._last_local + self._fallback_interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._last_local = time.monotonic()

    def _shared_delay(self) -> float | None:
        """Seconds until the reserved slot, or None (and Redis left alone for a while) when Redis fails."""
        if self._reserve is None:
            self._shared_again_at = float("inf")
            return None
        try:
            return int(self._reserve(keys=[self.key], args=[round(self.interval * 1_000_000)])) / 1_000_000
        except redis.RedisError as exc:
            log.warning("the shared send rate is unavailable (%s); pacing this sender alone for %d s",
                        exc, RETRY_SHARED_AFTER)
            self._shared_again_at = time.monotonic() + RETRY_SHARED_AFTER
            return None
