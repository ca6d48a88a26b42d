"""Leads waiting for a new score: the event hooks mark them, a background job rescores them together.

Marking is one round trip to Redis: the ids go into a sorted set under the configured prefix, each scored with a
sequence number, so the request that changed a lead does not pay for scoring it. The first mark after the job
last started queues the job; a schedule runs it every minute as well, so a lost job only delays the scores.

The job removes a mark only when its sequence number is still the one it read, so a lead changed again while it
was being scored stays marked for the next round, and a job that dies leaves its marks for the next one.
With Redis unreachable (or not configured) the lead is scored at once, as the hooks did before: no change goes
unscored, it only costs the request more.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import redis

from crm_leadscoring.services import rescore
from crmcore.jobs.queue import JobsUnavailable

if TYPE_CHECKING:
    from crmcore.runtime import CRM

PLUGIN = "leadscoring"
JOB = "crm_leadscoring.jobs:rescore_pending_job"
#: Leads rescored per round of the job (one read of their fields, one query for their touchpoints).
BATCH = 2_000
#: How long a queued job keeps later marks from queueing another; past it a mark queues a new one.
QUEUED_SECONDS = 300
#: After Redis failed, how long this process scores at once without trying Redis again.
RETRY_SECONDS = 10.0

_MARK = """
local seq = redis.call('INCR', KEYS[2])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], seq, ARGV[i]) end
if redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[1]) then return 1 end
return 0
"""
_RELEASE = """
local removed = 0
for i = 1, #ARGV, 2 do
    local seq = redis.call('ZSCORE', KEYS[1], ARGV[i])
    if seq and tonumber(seq) == tonumber(ARGV[i + 1]) then
        redis.call('ZREM', KEYS[1], ARGV[i])
        removed = removed + 1
    end
end
return removed
"""

_unreachable_until: dict[str, float] = {}


def _keys(crm: CRM) -> tuple[str, str, str]:
    base = f"{crm.settings.redis_prefix}:{PLUGIN}"
    return f"{base}:pending", f"{base}:pending-seq", f"{base}:pending-queued"


def _where(crm: CRM) -> str:
    return f"{crm.settings.redis_url}|{crm.settings.redis_prefix}"


def mark(crm: CRM, customer_ids: Iterable[int | None]) -> None:
    """Have these customers rescored soon (in the background), or now when Redis cannot be reached."""
    ids = sorted({int(i) for i in customer_ids if i is not None})
    if not ids:
        return
    where = _where(crm)
    if _unreachable_until.get(where, 0.0) <= time.monotonic():
        try:
            pending, sequence, queued = _keys(crm)
            connection = crm.jobs.connection
            first = connection.register_script(_MARK)(keys=[pending, sequence, queued], args=[QUEUED_SECONDS, *ids])
            if first:
                crm.jobs.enqueue(JOB, plugin=PLUGIN)
            return
        except (redis.RedisError, JobsUnavailable):
            _unreachable_until[where] = time.monotonic() + RETRY_SECONDS
    rescore(crm, ids)


def waiting(crm: CRM) -> int:
    """How many customers are marked and not yet rescored."""
    return int(crm.jobs.connection.zcard(_keys(crm)[0]))


def rescore_pending(crm: CRM, batch: int = BATCH) -> dict[str, int]:
    """Rescore every customer marked before this call, ``batch`` at a time; marks made meanwhile wait their turn."""
    pending, sequence, queued = _keys(crm)
    connection = crm.jobs.connection
    connection.delete(queued)
    upto = int(connection.get(sequence) or 0)
    release: Any = connection.register_script(_RELEASE)
    checked = scored = 0
    while True:
        entries = connection.zrangebyscore(pending, "-inf", upto, start=0, num=batch, withscores=True)
        if not entries:
            break
        scored += rescore(crm, [int(member) for member, _ in entries])
        checked += len(entries)
        release(keys=[pending], args=[value for member, seq in entries for value in (member, repr(seq))])
    return {"checked": checked, "scored": scored}
