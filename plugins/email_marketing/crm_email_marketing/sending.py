"""The sending engine: bulk creation of deliveries, claiming batches, sending them, and recovery.

Exactly one message per recipient rests on the database, not on Redis:

* Deliveries are created in one ``INSERT ... SELECT`` in the same transaction that moves the campaign from
  scheduled to sending, so a retried start job creates nothing twice (and a unique key backs it up).
* A worker claims a batch with a conditional ``UPDATE`` (``queued`` -> ``sending`` with its claim token and
  the time) of the rows it picked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), committed before any SMTP
  traffic. Nobody else sends a claimed row, and a row marked ``sent`` is never claimed again.
* Each delivery's result is committed right after its send, before the next message: one autocommitted
  ``UPDATE`` by primary key on a connection held for the batch (on PostgreSQL with ``synchronous_commit`` off, so
  the commit does not wait for the disk; a killed worker loses nothing it committed, only a crash of the database
  server itself could forget the last fraction of a second of results). The sends reach the customers' timelines
  from a low-priority job per batch, so timeline writes never slow sending down.
* A worker killed mid-batch leaves its unsent rows ``sending``; the periodic sweep puts rows claimed longer ago
  than ``claim_timeout_seconds`` back in the queue. Only the one message that was on the wire at the moment of
  the kill can reach the recipient twice, and then with the same Message-ID (derived from the delivery id),
  which receivers use to recognise the copy.
* Messages are written straight to bytes (:meth:`MessageBuilder.prepare`) from templates compiled once per job,
  with the tracked links found once in the template (:class:`~.message.LinkPlan`), not in every message.
  The next message is prepared while the server digests the current one (:class:`_Lookahead`).
  A configured ``max_per_minute`` is one schedule in Redis shared by every worker (:mod:`.throttle`).
* Jobs only say "there is work"; losing them (Redis restarted) loses nothing: the sweep re-enqueues send jobs
  for every sending campaign with due rows and none in flight.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, insert, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from crmcore.db import utcnow
from crmcore.jobs.queue import JobsUnavailable
from crmcore.services import transaction

from .audience import audience
from .message import InvalidAddressError, LinkPlan, MessageBuilder, PreparedMessage, extract_links
from .models import Campaign, CampaignStatus, Delivery, DeliveryStatus, Suppression
from .rendering import EmailTemplate, RenderedEmail, TemplateRenderer, TemplateRenderError, html_to_text
from .settings import PLUGIN, message_settings, plugin_settings, smtp_settings, tracking_tokens
from .smtp import SendResult, SendStatus, SmtpSender, retry_delay
from .throttle import SendRate

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session

    from crmcore.runtime import CRM

log = logging.getLogger(__name__)

SEND_JOB = "crm_email_marketing.jobs:send_campaign"
SEND_TRANSACTIONAL_JOB = "crm_email_marketing.jobs:send_transactional"
RECORD_SENDS_JOB = "crm_email_marketing.jobs:record_sends"
#: A send job hands over to a fresh job after this long, staying far below RQ's job timeout.
JOB_TIME_BUDGET = 60.0
JOB_TIMEOUT = 600
ACTIVE = (CampaignStatus.SENDING, CampaignStatus.TESTING)
#: How stale the view of withdrawn consent and paused campaigns may get while a batch is being sent.
LIVENESS_SECONDS = 0.25
_AB_HASH = 2654435761  # Knuth's multiplicative hash: spreads consecutive ids over the sample
#: The per-message write of the send path.
_MARK_SENT = (update(Delivery)
              .where(Delivery.id == bindparam("row_id"), Delivery.claim_token == bindparam("claim"))
              .values(status=DeliveryStatus.SENT.value, sent_at=bindparam("sent_at"), error=None))


# -- starting -------------------------------------------------------------------------------------------------


def start_due(crm: CRM, session: Session, campaign_id: int, now: datetime | None = None) -> bool:
    """Move a due scheduled campaign to sending and create its deliveries, in the caller's transaction.

    Returns False (and changes nothing) when the campaign is not scheduled or not due, e.g. on a retry.
    """
    now = now or utcnow()
    campaign = session.get(Campaign, campaign_id, with_for_update=True)
    if campaign is None or campaign.status is not CampaignStatus.SCHEDULED:
        return False
    if campaign.scheduled_at is not None and _aware(campaign.scheduled_at) > now:
        return False
    recipients = audience(crm, campaign.segment_keys).subquery()
    session.execute(insert(Delivery).from_select(
        ["campaign_id", "customer_id", "email", "kind", "status", "attempts"],
        select(literal(campaign.id), recipients.c.id, recipients.c.email, literal("campaign"),
               literal(DeliveryStatus.QUEUED.value), literal(0)),
    ))
    campaign.recipients = session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.campaign_id == campaign.id)) or 0
    campaign.links = extract_links(campaign.html)
    campaign.started_at = now
    if campaign.subject_b:
        _split_ab(session, campaign)
        campaign.status = CampaignStatus.TESTING
        campaign.ab_decide_at = now + timedelta(minutes=campaign.ab_wait_minutes)
    else:
        campaign.status = CampaignStatus.SENDING
    return True


def _split_ab(session: Session, campaign: Campaign) -> None:
    """A sample of ``ab_sample_percent`` gets variant a or b (half each); the rest waits for the winner."""
    mine = Delivery.campaign_id == campaign.id
    in_sample = (Delivery.id * _AB_HASH) % 100 < campaign.ab_sample_percent
    session.execute(update(Delivery).where(mine, in_sample, Delivery.id % 2 == 0).values(variant="a"))
    session.execute(update(Delivery).where(mine, in_sample, Delivery.id % 2 == 1).values(variant="b"))
    session.execute(update(Delivery).where(mine, Delivery.variant.is_(None))
                    .values(status=DeliveryStatus.HELD.value))


def decide_ab(session: Session, campaign: Campaign, now: datetime | None = None) -> str | None:
    """Pick the winning subject by open or click rate of the sample and release the held rows to it."""
    if campaign.status is not CampaignStatus.TESTING:
        return None
    if campaign.ab_decide_at is not None and _aware(campaign.ab_decide_at) > (now or utcnow()):
        return None
    column = Delivery.opened_at if campaign.ab_metric == "opens" else Delivery.clicked_at
    rows = session.execute(
        select(Delivery.variant, func.count(column), func.count())
        .where(Delivery.campaign_id == campaign.id, Delivery.status == DeliveryStatus.SENT.value,
               Delivery.variant.in_(("a", "b")))
        .group_by(Delivery.variant)
    ).all()
    rate = {variant: hits / total for variant, hits, total in rows if total}
    winner = "b" if rate.get("b", 0.0) > rate.get("a", 0.0) else "a"
    campaign.ab_winner = winner
    campaign.status = CampaignStatus.SENDING
    session.execute(update(Delivery).where(Delivery.campaign_id == campaign.id,
                                           Delivery.status == DeliveryStatus.HELD.value)
                    .values(status=DeliveryStatus.QUEUED.value, variant=winner))
    return winner


def enqueue_senders(crm: CRM, campaign_id: int | None, copies: int | None = None) -> int:
    """Queue send jobs for a campaign (``None``: transactional mail). Raises JobsUnavailable."""
    copies = copies or (plugin_settings(crm)["parallel_batches"] if campaign_id is not None else 1)
    if campaign_id is None:
        crm.jobs.enqueue(SEND_TRANSACTIONAL_JOB, plugin=PLUGIN, timeout=JOB_TIMEOUT)
        return 1
    for _ in range(copies):
        crm.jobs.enqueue(SEND_JOB, campaign_id, plugin=PLUGIN, timeout=JOB_TIMEOUT)
    return copies


# -- claiming ---------------------------------------------------------------------------------------------------


def claim(session: Session, campaign_id: int | None, limit: int, now: datetime | None = None) -> str | None:
    """Claim up to ``limit`` due queued rows for this worker; the caller commits before sending.

    Returns the claim token, or None when nothing was due.
    """
    now = now or utcnow()
    token = uuid.uuid4().hex
    owner = Delivery.campaign_id.is_(None) if campaign_id is None else Delivery.campaign_id == campaign_id
    pick = (select(Delivery.id)
            .where(owner, Delivery.status == DeliveryStatus.QUEUED.value,
                   or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now))
            .order_by(Delivery.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    # Two statements, not UPDATE ... WHERE id IN (SELECT ... LIMIT): PostgreSQL may re-run such a subquery and
    # update more rows than the limit.
    while ids := list(session.scalars(pick)):
        claimed = session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.QUEUED.value)
            .values(status=DeliveryStatus.SENDING.value, claim_token=token, claimed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            return token
        # Another worker claimed every row picked here between the two statements (SQLite has no SKIP LOCKED):
        # pick again, rather than leave as if the campaign had nothing left to send.
    return None


def requeue_stale(session: Session, timeout: timedelta, now: datetime | None = None) -> int:
    """Put rows claimed by a worker that died (claimed longer ago than ``timeout``) back in the queue."""
    cutoff = (now or utcnow()) - timeout
    return session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.SENDING.value, Delivery.claimed_at < cutoff)
        .values(status=DeliveryStatus.QUEUED.value, claim_token=None)
        .execution_options(synchronize_session=False)
    ).rowcount


# -- sending ----------------------------------------------------------------------------------------------------


@dataclass
class _Content:
    """What is needed to build one campaign's messages, prepared once per batch."""

    campaign: Campaign | None
    builder: MessageBuilder
    compiled: dict[str | None, Any]
    link_plan: LinkPlan | None = None


class _SentMarks:
    """Marks deliveries sent, one statement each on an autocommit connection, through the driver's own cursor:
    on the send path SQLAlchemy's per-statement work costs as much CPU as the statement itself."""

    def __init__(self, connection: Connection) -> None:
        dialect = connection.dialect
        compiled = _MARK_SENT.compile(dialect=dialect)
        self._sql = compiled.string
        self._constants = compiled.params
        self._order = compiled.positiontup if compiled.positional else None
        column_type = Delivery.__table__.c.sent_at.type.dialect_impl(dialect)
        self._sent_at = column_type.bind_processor(dialect) or (lambda value: value)
        self._options = {"prepare": True} if dialect.driver == "psycopg" else {}
        self._cursor = connection.connection.driver_connection.cursor()

    def mark(self, row_id: int, claim: str, sent_at: datetime) -> bool:
        """Whether the row was still this claim's to mark (a row taken back by the sweep is not)."""
        params: dict[str, Any] | tuple[Any, ...] = {**self._constants, "row_id": row_id, "claim": claim,
                                                    "sent_at": self._sent_at(sent_at)}
        if self._order is not None:
            params = tuple(params[name] for name in self._order)
        self._cursor.execute(self._sql, params, **self._options)
        return self._cursor.rowcount == 1

    def close(self) -> None:
        self._cursor.close()


class _Lookahead:
    """The message of the next row, prepared while the server digests the current one.

    Preparing is rendering and encoding only, with no side effect, so a message prepared ahead for a row that is
    then skipped (consent withdrawn, campaign paused) or never sent (worker killed) changes nothing.
    """

    def __init__(self, prepare: Callable[[Any], PreparedMessage], rows: Sequence[Any]) -> None:
        self._prepare = prepare
        self._rows = rows
        self._position: int | None = None
        self._outcome: PreparedMessage | Exception | None = None

    def prepare(self, position: int) -> None:
        """Prepare the message of ``rows[position]``; never raises (a failure is kept for :meth:`take`)."""
        if position >= len(self._rows) or position == self._position:
            return
        try:
            outcome: PreparedMessage | Exception = self._prepare(self._rows[position])
        except Exception as exc:  # noqa: BLE001 - raised again by take(), outside the SMTP exchange
            outcome = exc
        self._position, self._outcome = position, outcome

    def take(self, position: int) -> PreparedMessage:
        """The message of ``rows[position]``, prepared now unless it was prepared ahead."""
        self.prepare(position)
        outcome, self._position, self._outcome = self._outcome, None, None
        if isinstance(outcome, Exception):
            raise outcome
        assert outcome is not None
        return outcome


class BatchSender:
    """Sends the batches of one campaign (or of the transactional queue) until done or out of time."""

    def __init__(self, crm: CRM, campaign_id: int | None) -> None:
        self.crm = crm
        self.campaign_id = campaign_id
        self.settings = plugin_settings(crm)
        self.renderer = TemplateRenderer()
        self.tokens = tracking_tokens(crm)
        self.counts = {"sent": 0, "failed": 0, "bounced": 0, "retry": 0, "skipped": 0}
        self.rate = send_rate(crm, self.settings)
        self._sent: list[int] = []
        self._cached: _Content | None = None
        self.deadline = time.monotonic() + JOB_TIME_BUDGET
        self.out_of_time = False

    def run(self, budget: float = JOB_TIME_BUDGET) -> dict[str, int]:
        """Send until nothing is left, the campaign stops or ``budget`` seconds are up (``out_of_time`` then)."""
        self.deadline = time.monotonic() + budget
        self.out_of_time = False
        with SmtpSender(smtp_settings(self.crm)) as sender:
            while True:
                if time.monotonic() >= self.deadline:
                    self.out_of_time = True
                    return self.counts
                with self.crm.db.session() as session:
                    if self.campaign_id is not None and not self._active(session):
                        break
                    token = claim(session, self.campaign_id, self.settings["batch_size"])
                if token is None or not self._send_batch(sender, token):
                    break
        if self.campaign_id is not None:
            with self.crm.db.session() as session:
                finish_if_done(session, self.campaign_id)
        return self.counts

    def _active(self, session: Session | Connection) -> bool:
        status = session.scalar(select(Campaign.status).where(Campaign.id == self.campaign_id))
        return status in ACTIVE

    def _content(self, session: Session) -> _Content:
        """Compiled once per job: a campaign's content cannot change once it is sending."""
        if self._cached is None:
            self._cached = self._load_content(session)
        return self._cached

    def _load_content(self, session: Session) -> _Content:
        if self.campaign_id is None:
            return _Content(None, MessageBuilder(message_settings(self.crm), self.tokens), {})
        campaign = session.get(Campaign, self.campaign_id)
        builder = MessageBuilder(message_settings(self.crm, from_email=campaign.from_email,
                                                  from_name=campaign.from_name, reply_to=campaign.reply_to),
                                 self.tokens)
        plan = builder.link_plan(campaign.html, campaign.links) if campaign.html.strip() else None
        html = plan.template if plan else campaign.html
        compiled = {variant: self.renderer.compile(EmailTemplate(subject=campaign.subject_for(variant),
                                                                 html=html, text=campaign.text),
                                                   link_target=plan.target if plan else None)
                    for variant in (None, "a", "b") if variant != "b" or campaign.subject_b}
        return _Content(campaign, builder, compiled, plan)

    def _send_batch(self, sender: SmtpSender, token: str) -> bool:
        """Send the claimed rows; False when the batch stopped early (server down, campaign paused)."""
        with self.crm.db.session() as session:
            rows = session.execute(
                select(Delivery.id, Delivery.customer_id, Delivery.email, Delivery.variant,
                       Delivery.subject, Delivery.html, Delivery.text, Delivery.attempts)
                .where(Delivery.claim_token == token).order_by(Delivery.id)).all()
            content = self._content(session)
        fields = self.crm.services.customers.merge_fields([row.customer_id for row in rows])
        self._sent = []
        try:
            return self._send_rows(sender, token, rows, content, fields)
        finally:
            record_sends_later(self.crm, self._sent)

    def _send_rows(self, sender: SmtpSender, token: str, rows: Sequence[Any], content: _Content,
                   fields: dict[int, dict[str, Any]]) -> bool:
        # Autocommit: each delivery's result is one statement, one round trip, durable when it returns.
        with (self.crm.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as results,
              _fast_commits(results), closing(_SentMarks(results)) as marks):
            return self._send_each(sender, token, rows, content, fields, results, marks)

    def _send_each(self, sender: SmtpSender, token: str, rows: Sequence[Any], content: _Content,
                   fields: dict[int, dict[str, Any]], results: Connection, marks: _SentMarks) -> bool:
        ahead = _Lookahead(lambda row: self._prepare(content, row, fields.get(row.customer_id, {})), rows)
        live: set[int] | None = set()
        checked_at = -1.0
        for position, row in enumerate(rows):
            if time.monotonic() - checked_at > LIVENESS_SECONDS:
                live, checked_at = self._live(results, token), time.monotonic()
            if live is None:  # paused: the rest waits in the queue for the resume
                release(self.crm, token, [r.id for r in rows[position:]], delay=0)
                return False
            if time.monotonic() >= self.deadline:  # throttled batches can outlast the job: hand over
                release(self.crm, token, [r.id for r in rows[position:]], delay=0)
                return True
            if row.id not in live:
                self.counts["skipped"] += 1
                continue
            try:
                message = ahead.take(position)
            except (TemplateRenderError, InvalidAddressError) as exc:
                self._record(row, token, None, failure=str(exc))
                continue
            self.rate.wait()
            result = sender.send(message, while_waiting=lambda after=position + 1: ahead.prepare(after))
            if result.sent:
                self._record_sent(marks, row, token)
            else:
                self._record(row, token, result)
            if result.server_unavailable:
                release(self.crm, token, [r.id for r in rows[position + 1:]])
                return False
        return True

    def _live(self, results: Connection, token: str) -> set[int] | None:
        """Rows of this claim still to be sent (withdrawn consent or a cancelled campaign takes rows out), or
        None when the campaign was paused. Checked at the start of a batch and every ``LIVENESS_SECONDS``."""
        try:
            if self.campaign_id is not None and not self._active(results):
                return None
            return set(results.scalars(select(Delivery.id).where(Delivery.claim_token == token,
                                                                 Delivery.status == DeliveryStatus.SENDING.value)))
        finally:
            results.commit()

    def _prepare(self, content: _Content, row: Any, fields: dict[str, Any]) -> PreparedMessage:
        builder = content.builder
        if content.campaign is None:
            html = row.html or ""
            rendered = RenderedEmail(subject=row.subject or "", html=html, text=row.text or html_to_text(html))
            return builder.prepare(delivery_id=row.id, to_email=row.email, to_name=fields.get("name", ""),
                                   content=rendered)
        context = {**fields, "customer": fields, **builder.system_fields(row.id)}
        rendered = content.compiled[row.variant if row.variant in content.compiled else None].render(context)
        return builder.prepare(delivery_id=row.id, to_email=row.email, to_name=fields.get("name", ""),
                               content=rendered, campaign_links=content.campaign.links, link_plan=content.link_plan)

    def _record_sent(self, marks: _SentMarks, row: Any, token: str) -> None:
        """Commit a sent delivery before the next message goes out: the exactly-once record."""
        self.counts["sent"] += 1
        if marks.mark(row.id, token, utcnow()):
            self._sent.append(row.id)

    def _record(self, row: Any, token: str, result: SendResult | None, failure: str | None = None) -> None:
        """Commit the outcome of a delivery that was not sent (failed, bounced, to be retried)."""
        now = utcnow()
        values: dict[str, Any]
        if result is not None and result.status is SendStatus.TEMPORARY_FAILURE:
            attempts = row.attempts + 1
            error = _describe(result)
            if attempts >= self.settings["max_attempts"]:
                values = {"status": DeliveryStatus.FAILED.value, "attempts": attempts, "error": error}
                self.counts["failed"] += 1
            else:
                delay = retry_delay(attempts, base=timedelta(seconds=self.settings["retry_base_seconds"]))
                values = {"status": DeliveryStatus.QUEUED.value, "attempts": attempts, "error": error,
                          "claim_token": None, "next_attempt_at": now + delay}
                self.counts["retry"] += 1
        elif result is not None and result.is_hard_bounce:
            values = {"status": DeliveryStatus.BOUNCED.value, "error": _describe(result)}
            self.counts["bounced"] += 1
        else:
            values = {"status": DeliveryStatus.FAILED.value,
                      "error": (failure or _describe(result))[:500] if (failure or result) else None}
            self.counts["failed"] += 1
        with transaction(self.crm) as t:
            done = t.session.execute(
                update(Delivery).where(Delivery.id == row.id, Delivery.claim_token == token)
                .values(**values).execution_options(synchronize_session=False)).rowcount
            if not done:
                return
            if values["status"] == DeliveryStatus.BOUNCED.value:
                suppress(t.session, row.email, "bounced", values["error"])


def send_for_a_while(crm: CRM, campaign_id: int | None, budget: float = JOB_TIME_BUDGET) -> dict[str, int]:
    """What a send job does: run ``connections_per_job`` senders side by side for up to ``budget`` seconds, each in
    a thread with its own SMTP connection, then hand over to a fresh job if rows are left.

    A sender spends most of its time waiting for the mail server and the database, so one job keeps several
    connections busy instead of one. Transactional mail, a trickle, gets one sender.
    """
    lanes = plugin_settings(crm)["connections_per_job"] if campaign_id is not None else 1
    senders = [BatchSender(crm, campaign_id) for _ in range(lanes)]
    if lanes == 1:
        senders[0].run(budget)
    else:
        with ThreadPoolExecutor(lanes, thread_name_prefix=f"{PLUGIN}-sender") as pool:
            for running in [pool.submit(sender.run, budget) for sender in senders]:
                running.result()
    if any(sender.out_of_time for sender in senders):
        _continue_later(crm, campaign_id)
    return {key: sum(sender.counts[key] for sender in senders) for key in senders[0].counts}


def _continue_later(crm: CRM, campaign_id: int | None) -> None:
    try:
        crm.jobs.enqueue(SEND_JOB if campaign_id is not None else SEND_TRANSACTIONAL_JOB,
                         *([campaign_id] if campaign_id is not None else []), plugin=PLUGIN, timeout=JOB_TIMEOUT)
    except JobsUnavailable:
        log.warning("job queue unreachable; the sweep will resume sending")


def send_rate(crm: CRM, settings: dict[str, Any]) -> SendRate:
    """The installation's ``max_per_minute``, shared through Redis by every sender."""
    try:
        connection = crm.jobs.connection if settings["max_per_minute"] else None
    except JobsUnavailable:
        connection = None
    return SendRate(connection, f"{crm.settings.redis_prefix}:{PLUGIN}:send-rate", settings["max_per_minute"],
                    fallback_share=settings["parallel_batches"] * settings["connections_per_job"])


@contextmanager
def _fast_commits(connection: Connection) -> Iterator[None]:
    """On PostgreSQL, commits on ``connection`` do not wait for the WAL to reach the disk while inside."""
    if connection.dialect.name != "postgresql":
        yield
        return
    connection.exec_driver_sql("SET synchronous_commit TO OFF")
    connection.commit()
    try:
        yield
    finally:
        if not connection.invalidated:
            try:
                connection.rollback()
                connection.exec_driver_sql("RESET synchronous_commit")
                connection.commit()
            except DBAPIError:  # never hand the pool a connection that may still skip the disk
                connection.invalidate()


def record_sends_later(crm: CRM, delivery_ids: Sequence[int]) -> None:
    """Put the sends of a batch on the customers' timelines from a low-priority job, off the sending path;
    recorded at once when the job queue is down."""
    if not delivery_ids:
        return
    try:
        crm.jobs.enqueue(RECORD_SENDS_JOB, list(delivery_ids), plugin=PLUGIN, queue="low")
    except JobsUnavailable:
        record_sends(crm, delivery_ids)


def record_sends(crm: CRM, delivery_ids: Sequence[int]) -> int:
    """One touchpoint per sent delivery, all in one transaction (one query to read them)."""
    with transaction(crm) as t:
        rows = t.session.execute(
            select(Delivery.customer_id, Delivery.sent_at, Delivery.variant, Delivery.subject, Campaign.name,
                   Campaign.subject.label("subject_a"), Campaign.subject_b)
            .outerjoin(Campaign, Campaign.id == Delivery.campaign_id)
            .where(Delivery.id.in_(list(delivery_ids)), Delivery.status == DeliveryStatus.SENT.value)).all()
        for row in rows:
            subject = (row.subject_b if row.variant == "b" and row.subject_b else row.subject_a) if row.name \
                else row.subject
            crm.services.touchpoints.record({
                "customer_id": row.customer_id, "channel": "email", "direction": "outbound",
                "occurred_at": _aware(row.sent_at), "source": PLUGIN, "outcome": "sent",
                "subject": (subject or "")[:300],
                "notes": f"Campaign: {row.name}"[:200] if row.name else "Transactional email",
            }, tx=t)
    return len(rows)


def _describe(result: SendResult | None) -> str:
    if result is None:
        return ""
    return f"{result.code or ''} {result.message}".strip()[:500]


def release(crm: CRM, token: str, delivery_ids: Sequence[int], delay: int = 60) -> None:
    """Hand claimed rows back to the queue untouched (the server is down, the campaign was paused)."""
    if not delivery_ids:
        return
    with crm.db.session() as session:
        session.execute(update(Delivery)
                        .where(Delivery.id.in_(list(delivery_ids)), Delivery.claim_token == token,
                               Delivery.status == DeliveryStatus.SENDING.value)
                        .values(status=DeliveryStatus.QUEUED.value, claim_token=None,
                                next_attempt_at=utcnow() + timedelta(seconds=delay))
                        .execution_options(synchronize_session=False))


def suppress(session: Session, email: str, reason: str, detail: str | None = None) -> None:
    """Add an address to the suppression list (idempotent, safe against concurrent workers)."""
    dialect = session.get_bind().dialect.name
    values = {"email": email.lower(), "reason": reason, "detail": (detail or "")[:500] or None,
              "created_at": utcnow()}
    module = postgresql if dialect == "postgresql" else sqlite
    session.execute(module.insert(Suppression).values(**values).on_conflict_do_nothing())


def finish_if_done(session: Session, campaign_id: int) -> bool:
    """Mark a sending campaign sent once none of its rows is waiting or being sent."""
    pending = session.scalar(select(func.count()).select_from(
        select(Delivery.id).where(Delivery.campaign_id == campaign_id,
                                  Delivery.status.in_([s.value for s in (DeliveryStatus.HELD, DeliveryStatus.QUEUED,
                                                                         DeliveryStatus.SENDING)]))
        .limit(1).subquery()))
    if pending:
        return False
    done = session.execute(update(Campaign).where(Campaign.id == campaign_id,
                                                  Campaign.status == CampaignStatus.SENDING)
                           .values(status=CampaignStatus.SENT, finished_at=utcnow())).rowcount
    return bool(done)


# -- the periodic sweep -------------------------------------------------------------------------------------------


def sweep(crm: CRM, now: datetime | None = None) -> dict[str, Any]:
    """Start due campaigns, decide A/B tests, recover from dead workers and lost jobs, finish campaigns.

    Runs every minute through the ``schedules`` hook; safe to run anywhere, any number of times.
    """
    now = now or utcnow()
    settings = plugin_settings(crm)
    report: dict[str, Any] = {"requeued": 0, "started": [], "decided": [], "resumed": [], "finished": []}
    with crm.db.session() as session:
        report["requeued"] = requeue_stale(session, timedelta(seconds=settings["claim_timeout_seconds"]), now)
    with crm.db.session() as session:
        due = session.scalars(select(Campaign.id).where(
            Campaign.status == CampaignStatus.SCHEDULED,
            or_(Campaign.scheduled_at.is_(None), Campaign.scheduled_at <= now))).all()
    for campaign_id in due:
        with crm.db.session() as session:
            if start_due(crm, session, campaign_id, now):
                report["started"].append(campaign_id)
    with crm.db.session() as session:
        for campaign in session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.TESTING,
                                                               Campaign.ab_decide_at <= now)).all():
            if decide_ab(session, campaign, now):
                report["decided"].append(campaign.id)
    with crm.db.session() as session:
        active = session.scalars(select(Campaign.id).where(Campaign.status.in_(ACTIVE))).all()
        for campaign_id in active:
            waiting = session.scalar(select(Delivery.id).where(
                Delivery.campaign_id == campaign_id, Delivery.status == DeliveryStatus.QUEUED.value,
                or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now)).limit(1))
            if waiting is None:
                if finish_if_done(session, campaign_id):
                    report["finished"].append(campaign_id)
                continue
            in_flight = session.scalar(select(Delivery.id).where(
                Delivery.campaign_id == campaign_id, Delivery.status == DeliveryStatus.SENDING.value).limit(1))
            if campaign_id in report["started"] or in_flight is None:
                report["resumed"].append(campaign_id)
        transactional = session.scalar(select(Delivery.id).where(
            Delivery.campaign_id.is_(None), Delivery.status == DeliveryStatus.QUEUED.value,
            or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now)).limit(1))
    for campaign_id in dict.fromkeys([*report["started"], *report["decided"], *report["resumed"]]):
        enqueue_senders(crm, campaign_id)
    if transactional is not None:
        enqueue_senders(crm, None)
    return report


def cancel_pending_for_customer(session: Session, customer_id: int) -> int:
    """Stop every delivery not yet sent to a customer (consent withdrawn, unsubscribed)."""
    return session.execute(
        update(Delivery)
        .where(Delivery.customer_id == customer_id,
               Delivery.status.in_([DeliveryStatus.HELD.value, DeliveryStatus.QUEUED.value,
                                    DeliveryStatus.SENDING.value]))
        .values(status=DeliveryStatus.CANCELLED.value, error="consent withdrawn")
        .execution_options(synchronize_session=False)
    ).rowcount


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns; they are UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


__all__ = ["BatchSender", "cancel_pending_for_customer", "claim", "decide_ab", "enqueue_senders",
           "finish_if_done", "release", "requeue_stale", "start_due", "suppress", "sweep"]
