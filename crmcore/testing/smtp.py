"""A real SMTP server on loopback for tests: aiosmtpd on 127.0.0.1 and a port the OS chooses.

It records every message it accepts and can be told to refuse recipients, the sender or the data with a given
reply, or to hang up after a number of messages on a connection. Started with ``pipelining=True`` it offers
PIPELINING (RFC 2920) in its EHLO reply, so a client may write the whole envelope at once::

    def test_something(smtp_server):
        smtp_server.reject_recipient("gone@example.com", "550 5.1.1 No such user")
        ...
        assert smtp_server.messages[0].message["Subject"] == "..."
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"
#: How long a client built from ``LoopbackSmtpServer.settings()`` waits for the server.
CLIENT_TIMEOUT = 5.0


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as the server accepted it; ``connection`` numbers the connections from 1."""

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
        self.pipelining = False

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

    async def handle_EHLO(  # noqa: N802 - aiosmtpd's name
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str],
    ) -> list[str]:
        self._connection_number(session)
        session.host_name = hostname
        if self.pipelining:  # aiosmtpd answers each command of a pipelined group in order, as RFC 2920 asks
            return [responses[0], "250-PIPELINING", *responses[1:]]
        return responses

    async def handle_HELO(  # noqa: N802 - aiosmtpd's name
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str,
    ) -> str:
        self._connection_number(session)
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_MAIL(  # noqa: N802 - aiosmtpd's name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str],
    ) -> str:
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str],
    ) -> str:
        reply = self.recipient_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
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
        super().__init__(handler, hostname=HOST, port=0, **smtp_kwargs)

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class LoopbackSmtpServer:
    """Handle on a running loopback server; see the module docstring.

    ``smtp_kwargs`` are aiosmtpd ``SMTP`` options (authentication, TLS). ``client_settings`` builds what
    ``settings()`` returns from ``host``, ``port`` and ``timeout`` (a dict unless a plugin gives its own type).
    """

    def __init__(self, client_settings: Callable[..., Any] = dict, *, pipelining: bool = False,
                 **smtp_kwargs: Any) -> None:
        self.handler = RecordingHandler()
        self.handler.pipelining = pipelining
        self._client_settings = client_settings
        self._controller = _LoopbackController(self.handler, **smtp_kwargs)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    @property
    def host(self) -> str:
        return HOST

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

    def settings(self, **overrides: Any) -> Any:
        """Client settings for this server (a short timeout), with ``overrides`` on top."""
        return self._client_settings(**{"host": self.host, "port": self.port, "timeout": CLIENT_TIMEOUT,
                                         **overrides})

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
