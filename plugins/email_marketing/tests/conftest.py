"""Fixtures: a real SMTP server on loopback, and a configured message builder.

Also: ``mail_crm`` (a CRM with the plugin enabled, sending to ``smtp_server``), ``add_customers``,
``make_campaign`` and ``work_off`` (a real RQ SimpleWorker in burst mode).

``smtp_server`` is an aiosmtpd server on 127.0.0.1 and a free port. It
records every message it accepts and can be told to refuse recipients, the
sender or the data with a given reply, or to hang up after a number of
messages on a connection::

    def test_something(smtp_server):
        smtp_server.reject_recipient("gone@example.com", "550 5.1.1 No such user")
        with SmtpSender(smtp_server.settings()) as sender:
            ...
        assert smtp_server.messages[0].message["Subject"] == "..."
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

if TYPE_CHECKING:
    from crm_email_marketing import (
        MessageBuilder,
        MessageSettings,
        SmtpSettings,
        TemplateRenderer,
        TrackingTokens,
    )


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as the server accepted it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    connection: int
    message: EmailMessage = field(repr=False)


class RecordingHandler:
    """aiosmtpd handler that stores envelopes and answers as configured."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: list[Session] = []
        self.messages: list[ReceivedMessage] = []
        self.recipient_replies: dict[str, str] = {}
        self.mail_reply: str | None = None
        self.data_reply: str | None = None
        self.hang_up_after: int | None = None

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._sessions)

    def _connection_number(self, session: Session) -> int:
        with self._lock:
            for number, known in enumerate(self._sessions, start=1):
                if known is session:
                    return number
            self._sessions.append(session)
            return len(self._sessions)

    async def handle_EHLO(  # noqa: N802
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        self._connection_number(session)
        session.host_name = hostname
        return responses

    async def handle_HELO(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str
    ) -> str:
        self._connection_number(session)
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_MAIL(  # noqa: N802
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        reply = self.recipient_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.data_reply:
            return self.data_reply
        data = bytes(envelope.original_content or b"")
        received = ReceivedMessage(
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            data=data,
            connection=self._connection_number(session),
            message=email.message_from_bytes(data, policy=email.policy.default),
        )
        with self._lock:
            self.messages.append(received)
        accepted = getattr(session, "accepted_messages", 0) + 1
        session.accepted_messages = accepted
        if self.hang_up_after and accepted >= self.hang_up_after and server.transport:
            asyncio.get_running_loop().call_soon(server.transport.close)
        return "250 OK: queued"


class _LoopbackController(Controller):
    """Controller bound to 127.0.0.1 on a port chosen by the OS."""

    def __init__(self, handler: RecordingHandler, **smtp_kwargs: Any) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=0, **smtp_kwargs)

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class LoopbackSmtpServer:
    """Handle on a running loopback server; see the module docstring."""

    def __init__(self, **smtp_kwargs: Any) -> None:
        self.handler = RecordingHandler()
        self._controller = _LoopbackController(self.handler, **smtp_kwargs)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return self._controller.port

    @property
    def messages(self) -> list[ReceivedMessage]:
        return list(self.handler.messages)

    @property
    def connections(self) -> int:
        """Connections that greeted the server (EHLO/HELO)."""
        return self.handler.connections

    def settings(self, **overrides: Any) -> SmtpSettings:
        """Sender settings for this server (plain SMTP, short timeout)."""
        from crm_email_marketing import SmtpSettings

        values: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "security": "none",
            "timeout": 5.0,
        }
        values.update(overrides)
        return SmtpSettings(**values)

    def reject_recipient(self, address: str, reply: str) -> None:
        """Answer ``RCPT TO:<address>`` with ``reply``, e.g. ``"550 5.1.1 No such user"``."""
        self.handler.recipient_replies[address.lower()] = reply

    def reject_sender(self, reply: str) -> None:
        """Answer every ``MAIL FROM`` with ``reply``."""
        self.handler.mail_reply = reply

    def reject_data(self, reply: str) -> None:
        """Answer the end of every message's data with ``reply``."""
        self.handler.data_reply = reply

    def clear_rejections(self) -> None:
        """Accept everything again."""
        self.handler.recipient_replies.clear()
        self.handler.mail_reply = None
        self.handler.data_reply = None

    def hang_up_after(self, messages: int) -> None:
        """Close each connection once it has delivered ``messages`` messages."""
        self.handler.hang_up_after = messages


@pytest.fixture
def smtp_server_factory() -> Iterator[Callable[..., LoopbackSmtpServer]]:
    """Start loopback servers with extra aiosmtpd ``SMTP`` options (e.g. auth)."""
    servers: list[LoopbackSmtpServer] = []

    def start(**smtp_kwargs: Any) -> LoopbackSmtpServer:
        server = LoopbackSmtpServer(**smtp_kwargs)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def smtp_server(
    smtp_server_factory: Callable[..., LoopbackSmtpServer],
) -> LoopbackSmtpServer:
    """A recording SMTP server on loopback, fresh for each test."""
    return smtp_server_factory()


@dataclass(frozen=True)
class TlsCertificate:
    """A self-signed certificate for 127.0.0.1 and contexts that use it."""

    cert_file: str
    key_file: str

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cert_file)


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory: pytest.TempPathFactory) -> TlsCertificate:
    """Self-signed certificate made with the ``openssl`` command (a missing command is a failure)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("the openssl command is needed to make a test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [
            openssl, "req", "-x509", "-nodes", "-days", "1",
            "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-keyout", str(key_file), "-out", str(cert_file),
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return TlsCertificate(str(cert_file), str(key_file))


@pytest.fixture
def tracking_tokens() -> TrackingTokens:
    from crm_email_marketing import TrackingTokens

    return TrackingTokens("test-signing-secret")


@pytest.fixture
def message_settings() -> MessageSettings:
    from crm_email_marketing import MessageSettings

    return MessageSettings(
        from_email="news@shop.example",
        from_name="Shop",
        reply_to_email="support@shop.example",
        reply_to_name="Shop support",
        message_id_domain="mail.shop.example",
        message_id_namespace="test-installation",
        tracking_base_url="https://crm.shop.example/email",
        unsubscribe_mailbox="unsubscribe@mail.shop.example",
    )


@pytest.fixture
def message_builder(message_settings: MessageSettings, tracking_tokens: TrackingTokens) -> MessageBuilder:
    from crm_email_marketing import MessageBuilder

    return MessageBuilder(message_settings, tracking_tokens)


@pytest.fixture
def renderer() -> TemplateRenderer:
    from crm_email_marketing import TemplateRenderer

    return TemplateRenderer()


@pytest.fixture
def mail_crm(crm_factory: Callable[..., Any], smtp_server: LoopbackSmtpServer) -> Any:
    """A CRM with email marketing enabled, sending to the loopback ``smtp_server``."""
    crm = crm_factory(enabled=["email_marketing"], smtp_host=smtp_server.host, smtp_port=smtp_server.port,
                      mail_from="news@shop.example")
    crm.plugins.save_settings("email_marketing", {"retry_base_seconds": 0})
    return crm


@pytest.fixture
def add_customers(mail_crm: Any) -> Callable[..., list[int]]:
    """``add_customers(n, consent=True, stage="customer", names=None)`` creates customers, returns their ids."""

    def add(count: int, consent: bool = True, stage: str = "customer", names: list[str] | None = None,
            prefix: str = "reader") -> list[int]:
        ids = []
        for n in range(count):
            name = names[n] if names else f"Reader {n}"
            customer = mail_crm.services.customers.create({
                "name": name, "email": f"{prefix}-{n}@example.org", "marketing_consent": consent,
                "lifecycle_stage": stage,
            })
            ids.append(customer.id)
        return ids

    return add


@pytest.fixture
def make_campaign(mail_crm: Any) -> Callable[..., Any]:
    """``make_campaign(**overrides)`` creates a draft campaign to the ``core:stage-customer`` segment."""
    from crm_email_marketing.services import CampaignService

    def make(**overrides: Any) -> Any:
        data = {
            "name": "Spring sale", "from_email": "news@shop.example", "from_name": "Shop",
            "reply_to": "support@shop.example", "subject": "Offers for {{ name }}",
            "html": '<p>Hello {{ name }}</p><p><a href="https://shop.example/sale">Sale</a> '
                    '<a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
            "text": "Hello {{ name }}\nhttps://shop.example/sale\nUnsubscribe: {{ unsubscribe_url }}",
            "segment_keys": ["core:stage-customer"],
        }
        data.update(overrides)
        return CampaignService(mail_crm).create(data)

    return make


def run_worker_burst(crm: Any) -> None:
    """Run every queued job with a real RQ worker in this process, until the queues are empty."""
    from rq import SimpleWorker

    from crmcore.jobs import runner

    runner.set_current(crm)
    try:
        SimpleWorker(crm.jobs.all_queues(), connection=crm.jobs.connection).work(burst=True)
    finally:
        runner.set_current(None)


@pytest.fixture
def work_off(mail_crm: Any) -> Callable[[], None]:
    return lambda: run_worker_burst(mail_crm)
