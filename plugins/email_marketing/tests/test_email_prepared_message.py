"""Messages written straight to bytes (the send path) parse exactly like the ones the email package builds."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from crm_email_marketing import EmailTemplate, InvalidAddressError, SmtpSender, extract_links

HTML = """<html><body>
<p>Hello {{ name }}</p>
<a href="https://shop.example/sale?utm=mail&amp;x=1">Sale</a>
<a href="{{ unsubscribe_url }}">Unsubscribe</a>
</body></html>"""

CASES = {
    "ascii": {"subject": "Offers for {{ name }}", "name": "Reader 3"},
    "persian": {"subject": "سلام {{ name }}، تخفیف ویژه برای شما", "name": "مریم احمدی"},
    "cyrillic": {"subject": "Спецпропозиція для {{ name }}", "name": "Олена Коваленко"},
    "quoted name": {"subject": "Offers", "name": 'Mary "Masha" Smith, Jr.'},
    "long ascii subject": {"subject": "A subject " * 20 + "{{ name }}", "name": "Reader"},
    "long word": {"subject": "x" * 200, "name": "Reader"},
    "no name": {"subject": "Offers", "name": ""},
    "control characters": {"subject": "Tab\tand\x7fdelete", "name": "Eve\r\nBcc: victim@example.org"},
    "long lines": {"subject": "Offers", "name": "Reader", "html": "<p>" + "long line " * 30 + "</p>"},
    "text only": {"subject": "Offers", "name": "Reader", "html": "", "text": "Hello {{ name }}\n.\nBye"},
    "idna domain": {"subject": "Offers", "name": "Maria", "to": "maria@пример.рф"},
    "tagged address, upper-case domain": {"subject": "Offers", "name": "Reader", "to": "Reader+news@Shop.EXAMPLE"},
}


def arguments(builder, renderer, case):
    html = case.get("html", HTML)
    template = EmailTemplate(subject=case["subject"], html=html, text=case.get("text", ""))
    content = renderer.render(template, {"name": case["name"], **builder.system_fields(42)})
    return {"delivery_id": 42, "to_email": case.get("to", "reader@example.org"), "to_name": case["name"],
            "content": content, "campaign_links": extract_links(html), "date": datetime.now(UTC)}


def both(builder, renderer, case):
    values = arguments(builder, renderer, case)
    return builder.build(**values), builder.prepare(**values)


def parse(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def headers(message: EmailMessage) -> list[tuple[str, str]]:
    """Header names and values in order; the multipart boundary is random per message and left out."""
    return [(name, str(value)) for name, value in message.items() if name != "Content-Type"] + [
        ("Content-Type", message.get_content_type()),
        ("charset", str(message.get_content_charset())),
    ]


def structure(message: EmailMessage) -> list[tuple[list[tuple[str, str]], str | None]]:
    return [(headers(part), None if part.is_multipart() else part.get_content()) for part in message.walk()]


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_prepared_message_parses_to_the_same_headers_and_parts_as_a_built_one(message_builder, renderer, case):
    built, prepared = both(message_builder, renderer, case)

    assert structure(parse(prepared.data)) == structure(parse(built.as_bytes()))


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_prepared_message_is_seven_bit_with_crlf_lines_of_legal_length(message_builder, renderer, case):
    _, prepared = both(message_builder, renderer, case)

    assert prepared.data.isascii()
    lines = prepared.data.split(b"\r\n")
    assert not any(b"\r" in line or b"\n" in line for line in lines)
    assert max(len(line) for line in lines) <= 998


def test_text_that_looks_like_an_encoded_word_arrives_as_written(message_builder, renderer):
    case = {"subject": "=?utf-8?q?not_a_word?= for {{ name }}", "name": "=?utf-8?q?Eve?="}

    _, prepared = both(message_builder, renderer, case)

    parsed = parse(prepared.data)
    assert parsed["Subject"] == "=?utf-8?q?not_a_word?= for =?utf-8?q?Eve?="
    assert parsed["To"].addresses[0].display_name == "=?utf-8?q?Eve?="


def test_a_prepared_message_carries_its_envelope_and_message_id(message_builder, renderer):
    built, prepared = both(message_builder, renderer, CASES["idna domain"])

    assert prepared.sender == "news@shop.example"
    assert prepared.recipients == ("maria@xn--e1afmkfd.xn--p1ai",)
    assert prepared.message_id == str(built["Message-ID"])


@pytest.mark.parametrize(
    "to_email", ["", "no-at-sign", "@example.org", "zahra@", "зара@example.org", "a b@example.org", "a@b..c"]
)
def test_an_unusable_recipient_address_is_refused_like_a_built_message(message_builder, renderer, to_email):
    values = arguments(message_builder, renderer, {**CASES["ascii"], "to": to_email})

    with pytest.raises(InvalidAddressError):
        message_builder.prepare(**values)


def test_a_body_containing_the_boundary_still_makes_two_parts(message_builder, renderer):
    _, first = both(message_builder, renderer, CASES["ascii"])
    boundary = parse(first.data).get_boundary()  # the builder reuses it while no body contains it
    text = f"Hello\n--{boundary}\nContent-Type: text/html\n\n<p>forged</p>\n--{boundary}--\n"
    case = {"subject": "Offers", "name": "Reader", "text": text, "html": "<p>{{ name }}</p>"}

    built, prepared = both(message_builder, renderer, case)

    parsed = parse(prepared.data)
    assert [part.get_content_type() for part in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert structure(parsed) == structure(parse(built.as_bytes()))


def test_a_prepared_message_arrives_over_smtp_intact(smtp_server, message_builder, renderer):
    _, prepared = both(message_builder, renderer, CASES["persian"])

    with SmtpSender(smtp_server.settings()) as sender:
        result = sender.send(prepared)

    assert result.sent
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["reader@example.org"]
    assert received.message["Subject"] == "سلام مریم احمدی، تخفیف ویژه برای شما"
    assert received.message["To"].addresses[0].display_name == "مریم احمدی"
