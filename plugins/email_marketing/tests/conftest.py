"""Fixtures: the plugin's client settings for crmcore's ``smtp_server``, and a configured message builder.

Also: ``mail_crm`` (a CRM with the plugin enabled, sending to ``smtp_server``), ``add_customers`` and
``make_campaign``. ``smtp_server``, ``smtp_server_factory`` and ``work_off`` come from crmcore's pytest plugin::

    def test_something(smtp_server):
        smtp_server.reject_recipient("gone@example.com", "550 5.1.1 No such user")
        with SmtpSender(smtp_server.settings()) as sender:
            ...
        assert smtp_server.messages[0].message["Subject"] == "..."
"""

from __future__ import annotations

import functools
import shutil
import ssl
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from crm_email_marketing import (
        MessageBuilder,
        MessageSettings,
        SmtpSettings,
        TemplateRenderer,
        TrackingTokens,
    )

    from crmcore.testing.smtp import LoopbackSmtpServer


@pytest.fixture
def smtp_client_settings() -> Callable[..., SmtpSettings]:
    """``smtp_server.settings()`` gives the sender's settings: plain SMTP, as the loopback server speaks."""
    from crm_email_marketing import SmtpSettings

    return functools.partial(SmtpSettings, security="none")


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
