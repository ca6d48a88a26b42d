"""Leads waiting for a new score: the event hooks mark them, a background job rescores them together.

A mark goes into a sorted set in Redis under the configured prefix, each id scored with a sequence number. The
request that changed a lead only hands the mark to the process's outbox (``crm_leadscoring.outbox``) and returns;
the outbox's thread writes the marks of the last ``LINGER_SECONDS`` in one round trip. Inside a job the mark is
written before the hook returns: nobody waits for a job, and a work horse leaves with ``os._exit``, which would
skip the outbox. The first mark after the job last started queues the job; a schedule runs it every minute as
well, so a lost job only delays the scores. That schedule only finds marks that reached Redis: the outbox writes
what it holds when the process exits and keeps what it could not write, so only a process killed within
milliseconds of a change (as one killed between the commit and the hook's round trip before) leaves the lead to
the nightly rescoring.

The job removes a mark only when its sequence number is still the one it read, so a lead changed again while it
was being scored stays marked for the next round, and a job that dies leaves its marks for the next one.
With Redis unreachable (or not configured) the lead is scored at once: by the outbox's thread for the marks it
could not write, inside the request while this process knows Redis is down. Redis being down leaves no change
unscored; it only costs more.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import redis
from rq import get_current_job

from crm_leadscoring.outbox import install
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
#: How long the outbox's thread gathers marks before writing them in one round trip.
LINGER_SECONDS = 0.02

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
    if not crm.settings.redis_url or _unreachable_until.get(_where(crm), 0.0) > time.monotonic():
        rescore(crm, ids)
    elif get_current_job() is None:
        _outbox.add(crm, ids)
    else:
        write(crm, ids)


def write(crm: CRM, customer_ids: list[int]) -> None:
    """Mark these customers in Redis, queueing the job with the first mark; score them now if Redis fails."""
    try:
        pending, sequence, queued = _keys(crm)
        first = crm.jobs.connection.register_script(_MARK)(keys=[pending, sequence, queued],
                                                           args=[QUEUED_SECONDS, *customer_ids])
        if first:
            crm.jobs.enqueue(JOB, plugin=PLUGIN)
        return
    except (redis.RedisError, JobsUnavailable):
        _unreachable_until[_where(crm)] = time.monotonic() + RETRY_SECONDS
    rescore(crm, customer_ids)


def flush() -> bool:
    """Write every mark this process still holds before returning; False if some could not be (they are kept)."""
    return _outbox.flush()


def waiting(crm: CRM) -> int:
    """How many customers are marked and not yet rescored (this process's marks written first)."""
    flush()
    return int(crm.jobs.connection.zcard(_keys(crm)[0]))


def rescore_pending(crm: CRM, batch: int = BATCH) -> dict[str, int]:
    """Rescore every customer marked before this call, ``batch`` at a time; marks made meanwhile wait their turn."""
    flush()
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


_outbox = install(write, RETRY_SECONDS, LINGER_SECONDS)
