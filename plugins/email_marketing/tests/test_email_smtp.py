"""Sending over SMTP: connection reuse, reconnection, failure classification."""

from __future__ import annotations

import random
import smtplib
import socket
from datetime import timedelta
from email.message import EmailMessage

import pytest
from aiosmtpd.smtp import AuthResult
from crm_email_marketing import (
    EmailTemplate,
    SendStage,
    SendStatus,
    SmtpSender,
    SmtpSettings,
    extract_links,
    retry_delay,
)

TEMPLATE = EmailTemplate(
    subject="Offers for {{ contact.first_name }}",
    html='<p>Hi {{ contact.first_name }}</p><a href="https://shop.example/sale">Sale</a>',
    text="Hi {{ contact.first_name }}",
)


@pytest.fixture(params=["one command at a time", "pipelined"])
def smtp_server(request, smtp_server_factory):
    """Each test here meets a server that answers one command at a time and one that offers PIPELINING."""
    return smtp_server_factory(pipelining=request.param == "pipelined")


@pytest.fixture
def compose(message_builder, renderer):
    """Build the campaign message of delivery ``n`` to ``recipient-n@example.org``."""
    compiled = renderer.compile(TEMPLATE)
    links = extract_links(TEMPLATE.html)

    def message(n, to_email=None):
        context = {"contact": {"first_name": f"Reader {n}"}, **message_builder.system_fields(n)}
        return message_builder.build(
            delivery_id=n,
            to_email=to_email or f"recipient-{n}@example.org",
            content=compiled.render(context),
            campaign_links=links,
        )

    return message


def test_a_sent_message_reaches_the_server_with_its_envelope(smtp_server, compose):
    with SmtpSender(smtp_server.settings()) as sender:
        result = sender.send(compose(1))

    assert (result.status, result.code) == (SendStatus.SENT, 250)
    assert result.message_id == str(compose(1)["Message-ID"])
    [received] = smtp_server.messages
    assert received.mail_from == "news@shop.example"
    assert received.rcpt_tos == ["recipient-1@example.org"]
    assert received.message["Message-ID"] == result.message_id


def test_the_envelope_sender_can_be_a_bounce_address(smtp_server, compose):
    settings = smtp_server.settings(envelope_from="bounces@mail.shop.example")

    with SmtpSender(settings) as sender:
        sender.send(compose(1))

    assert smtp_server.messages[0].mail_from == "bounces@mail.shop.example"
    assert smtp_server.messages[0].message["From"].addresses[0].addr_spec == "news@shop.example"


def test_a_batch_of_fifty_messages_uses_one_connection(smtp_server, compose):
    with SmtpSender(smtp_server.settings()) as sender:
        results = [sender.send(compose(n)) for n in range(50)]

    assert all(result.sent for result in results)
    assert len(smtp_server.messages) == 50
    assert smtp_server.connections == 1


def test_the_connection_is_renewed_after_the_per_connection_message_limit(smtp_server, compose):
    with SmtpSender(smtp_server.settings(max_messages_per_connection=20)) as sender:
        results = [sender.send(compose(n)) for n in range(50)]

    assert all(result.sent for result in results)
    assert [m.connection for m in smtp_server.messages] == [1] * 20 + [2] * 20 + [3] * 10


def test_a_recipient_refused_with_550_is_a_permanent_failure(smtp_server, compose):
    smtp_server.reject_recipient("gone@example.org", "550 5.1.1 No such user here")

    with SmtpSender(smtp_server.settings()) as sender:
        result = sender.send(compose(1, to_email="gone@example.org"))

    assert result.status is SendStatus.PERMANENT_FAILURE
    assert (result.stage, result.code) == (SendStage.RECIPIENT, 550)
    assert result.message == "5.1.1 No such user here"
    assert result.is_hard_bounce
    assert smtp_server.messages == []


def test_a_recipient_refused_with_451_is_a_temporary_failure(smtp_server, compose):
    smtp_server.reject_recipient("busy@example.org", "451 4.7.1 Greylisted, try again later")

    with SmtpSender(smtp_server.settings()) as sender:
        result = sender.send(compose(1, to_email="busy@example.org"))

    assert result.status is SendStatus.TEMPORARY_FAILURE
    assert (result.stage, result.code) == (SendStage.RECIPIENT, 451)
    assert not result.is_hard_bounce
    assert not result.server_unavailable


def test_a_policy_refusal_is_permanent_but_not_a_hard_bounce(smtp_server, compose):
    smtp_server.reject_recipient("strict@example.org", "550 5.7.1 Client host blocked")

    with SmtpSender(smtp_server.settings()) as sender:
        result = sender.send(compose(1, to_email="strict@example.org"))

    assert result.status is SendStatus.PERMANENT_FAILURE
    assert result.enhanced_code == "5.7.1"
    assert not result.is_hard_bounce


def test_a_refused_recipient_does_not_disturb_the_rest_of_the_batch(smtp_server, compose):
    smtp_server.reject_recipient("recipient-1@example.org", "550 5.1.1 No such user")

    with SmtpSender(smtp_server.settings()) as sender:
        statuses = [sender.send(compose(n)).status for n in range(3)]

    assert statuses == [SendStatus.SENT, SendStatus.PERMANENT_FAILURE, SendStatus.SENT]
    assert [m.rcpt_tos for m in smtp_server.messages] == [
        ["recipient-0@example.org"],
        ["recipient-2@example.org"],
    ]
    assert smtp_server.connections == 1


def test_a_recipient_that_needs_smtputf8_is_refused_without_contacting_the_server(smtp_server, compose):
    with SmtpSender(smtp_server.settings()) as sender:
        result = sender.send(compose(1), recipients=["зара@example.org"])

    assert result.status is SendStatus.PERMANENT_FAILURE
    assert result.stage is SendStage.RECIPIENT
    assert smtp_server.connections == 0


def test_a_message_refused_after_its_data_is_a_permanent_failure_of_the_data(smtp_server, compose):
    smtp_server.reject_data("554 5.7.1 Message content rejected")

    with SmtpSender(smtp_server.settings()) as sender:
        result = sender.send(compose(1))

    assert result.status is SendStatus.PERMANENT_FAILURE
    assert (result.stage, result.code) == (SendStage.DATA, 554)
    assert not result.is_hard_bounce


def test_when_the_server_hangs_up_mid_batch_the_sender_reconnects(smtp_server, compose):
    smtp_server.hang_up_after(10)

    with SmtpSender(smtp_server.settings()) as sender:
        results = [sender.send(compose(n)) for n in range(25)]

    assert all(result.sent for result in results)
    received = sorted(int(m.rcpt_tos[0].split("-")[1].split("@")[0]) for m in smtp_server.messages)
    assert received == list(range(25))
    assert [m.connection for m in smtp_server.messages] == [1] * 10 + [2] * 10 + [3] * 5


def test_a_refused_sender_pauses_the_batch_without_blaming_the_recipient(smtp_server, compose):
    smtp_server.reject_sender("553 5.7.1 Sender address not allowed")

    with SmtpSender(smtp_server.settings()) as sender:
        result = sender.send(compose(1))

    assert result.status is SendStatus.TEMPORARY_FAILURE
    assert (result.stage, result.code) == (SendStage.SENDER, 553)
    assert result.server_unavailable
    assert not result.is_hard_bounce


def test_an_unreachable_server_is_a_temporary_failure(compose):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    settings = SmtpSettings(host="127.0.0.1", port=closed_port, security="none", timeout=2.0)
    with SmtpSender(settings) as sender:
        result = sender.send(compose(1))

    assert result.status is SendStatus.TEMPORARY_FAILURE
    assert (result.stage, result.code) == (SendStage.CONNECT, None)
    assert result.server_unavailable
    assert "ConnectionRefusedError" in result.message


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_credentials_are_used_to_log_in(smtp_server_factory, compose):
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret", handled=False)

    server = smtp_server_factory(authenticator=authenticator, auth_required=True, auth_require_tls=False)

    with SmtpSender(server.settings(username="crm", password="s3cret")) as sender:
        result = sender.send(compose(1))

    assert result.sent
    assert logins == [(b"crm", b"s3cret")]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_rejected_credentials_pause_the_batch(smtp_server_factory, compose):
    server = smtp_server_factory(
        authenticator=lambda *args: AuthResult(success=False, handled=False),
        auth_required=True,
        auth_require_tls=False,
    )

    with SmtpSender(server.settings(username="crm", password="wrong")) as sender:
        result = sender.send(compose(1))

    assert result.status is SendStatus.TEMPORARY_FAILURE
    assert (result.stage, result.code) == (SendStage.CONNECT, 535)
    assert result.server_unavailable


def test_starttls_secures_the_connection_before_logging_in(smtp_server_factory, tls_certificate, compose):
    server = smtp_server_factory(
        tls_context=tls_certificate.server_context(),
        require_starttls=True,
        authenticator=lambda *args: AuthResult(success=True, handled=False),
        auth_required=True,
    )
    settings = server.settings(
        security="starttls",
        username="crm",
        password="s3cret",
        ssl_context=tls_certificate.client_context(),
    )

    with SmtpSender(settings) as sender:
        result = sender.send(compose(1))

    assert result.sent
    assert len(server.messages) == 1


def test_implicit_tls_is_supported(smtp_server_factory, tls_certificate, compose):
    server = smtp_server_factory(ssl_context=tls_certificate.server_context())
    settings = server.settings(security="ssl", ssl_context=tls_certificate.client_context())

    with SmtpSender(settings) as sender:
        result = sender.send(compose(1))

    assert result.sent
    assert len(server.messages) == 1


def test_an_untrusted_certificate_is_refused(smtp_server_factory, tls_certificate, compose):
    server = smtp_server_factory(ssl_context=tls_certificate.server_context())

    with SmtpSender(server.settings(security="ssl")) as sender:
        result = sender.send(compose(1))

    assert result.status is SendStatus.TEMPORARY_FAILURE
    assert result.stage is SendStage.CONNECT
    assert "CERTIFICATE_VERIFY_FAILED" in result.message
    assert server.messages == []


def test_a_retried_delivery_is_resent_with_the_same_message_id(smtp_server, compose):
    smtp_server.reject_recipient("recipient-1@example.org", "451 4.3.0 Try again later")
    with SmtpSender(smtp_server.settings()) as sender:
        first = sender.send(compose(1))

    smtp_server.clear_rejections()
    with SmtpSender(smtp_server.settings()) as sender:
        retry = sender.send(compose(1))

    assert (first.status, retry.status) == (SendStatus.TEMPORARY_FAILURE, SendStatus.SENT)
    assert smtp_server.messages[0].message["Message-ID"] == first.message_id


def test_retry_delays_grow_exponentially_with_jitter_up_to_a_cap():
    rng = random.Random(1)
    base, cap = timedelta(minutes=5), timedelta(hours=6)

    delays = [retry_delay(attempt, base=base, cap=cap, rng=rng) for attempt in range(1, 12)]

    ceilings = [min(cap, base * 2 ** (attempt - 1)) for attempt in range(1, 12)]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert max(delays) <= cap
    assert delays[0] >= timedelta(minutes=2, seconds=30)


def test_retry_delays_are_spread_out_rather_than_synchronised():
    rng = random.Random(2)

    delays = {retry_delay(3, rng=rng) for _ in range(20)}

    assert len(delays) == 20


def test_lines_starting_with_a_dot_arrive_intact(smtp_server):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "news@shop.example", "reader@example.org", "Dots"
    message.set_content(".first line\n.\n..two dots\nlast line\n")

    with SmtpSender(smtp_server.settings()) as sender:
        assert sender.send(message).sent

    received = smtp_server.messages[0].message.get_content()
    assert received.splitlines() == [".first line", ".", "..two dots", "last line"]


def test_the_wait_for_the_servers_verdict_is_offered_once_per_message_on_the_wire(smtp_server, compose):
    calls = []

    with SmtpSender(smtp_server.settings()) as sender:
        first = sender.send(compose(1), while_waiting=lambda: calls.append(1))
        second = sender.send(compose(2), while_waiting=lambda: calls.append(2))

    assert first.sent and second.sent
    assert calls == [1, 2]
    assert len(smtp_server.messages) == 2


def test_the_wait_is_not_offered_when_the_recipient_is_refused(smtp_server, compose):
    smtp_server.reject_recipient("recipient-1@example.org", "550 5.1.1 No such user")
    calls = []

    with SmtpSender(smtp_server.settings()) as sender:
        result = sender.send(compose(1), while_waiting=lambda: calls.append(1))

    assert result.status is SendStatus.PERMANENT_FAILURE
    assert calls == []


@pytest.mark.parametrize(("pipelining", "writes"), [(False, 4), (True, 2)])
def test_a_server_that_offers_pipelining_gets_the_envelope_and_data_command_in_one_write(
        smtp_server_factory, compose, monkeypatch, pipelining, writes):
    server = smtp_server_factory(pipelining=pipelining)
    written = []
    real_send = smtplib.SMTP.send
    monkeypatch.setattr(smtplib.SMTP, "send", lambda self, data: written.append(data) or real_send(self, data))

    with SmtpSender(server.settings()) as sender:
        sender.send(compose(1))
        written.clear()
        result = sender.send(compose(2))
        writes_for_one_message = len(written)

    assert result.status is SendStatus.SENT
    assert writes_for_one_message == writes  # MAIL, RCPT, DATA and the message; or the first three at once, then it
    assert [m.rcpt_tos for m in server.messages] == [["recipient-1@example.org"], ["recipient-2@example.org"]]
