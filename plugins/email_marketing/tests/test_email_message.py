"""Building campaign messages: structure, encoding, headers and tracking."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import replace
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

import pytest
from crm_email_marketing import (
    EmailTemplate,
    InvalidAddressError,
    MessageBuilder,
    SmtpSender,
    TrackingTokens,
    extract_links,
    message_id_for,
)

PERSIAN_SUBJECT = "سلام {{ contact.first_name }}، تخفیف ویژه برای شما"
CYRILLIC_SUBJECT = "Здравствуйте, {{ contact.first_name }}! Скидки недели"

HTML = """<html><body>
<p>Hello {{ contact.first_name }}</p>
<a href="https://shop.example/sale?utm=mail&amp;x=1">Sale</a>
<a class="button" href='https://shop.example/new'>New</a>
<a href="https://shop.example/sale?utm=mail&amp;x=1">Sale again</a>
<a href="https://shop.example/p/{{ contact.first_name }}">Your page</a>
<a href="mailto:help@shop.example">Write to us</a>
<a href="{{ unsubscribe_url }}">Unsubscribe</a>
</body></html>"""


def build(
    builder: MessageBuilder,
    renderer,
    *,
    delivery_id=1,
    subject="Weekly offers",
    html=HTML,
    text="Hello {{ contact.first_name }}",
    contact=None,
    to_email="zahra@example.org",
    to_name="Zahra Ahmadi",
):
    template = EmailTemplate(subject=subject, html=html, text=text)
    context = {
        "contact": contact or {"first_name": "Zahra"},
        **builder.system_fields(delivery_id),
    }
    return builder.build(
        delivery_id=delivery_id,
        to_email=to_email,
        to_name=to_name,
        content=renderer.render(template, context),
        campaign_links=extract_links(html),
    )


def parse(message: EmailMessage) -> EmailMessage:
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)


def html_of(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


def test_the_message_is_multipart_alternative_with_text_before_html(message_builder, renderer):
    parsed = parse(build(message_builder, renderer))

    assert parsed.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in parsed.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert all(part.get_content_charset() == "utf-8" for part in parsed.iter_parts())


def test_a_text_only_campaign_is_a_single_text_part(message_builder, renderer):
    parsed = parse(build(message_builder, renderer, html=""))

    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content().splitlines() == ["Hello Zahra"]


def test_bodies_are_seven_bit_or_quoted_printable_never_base64(message_builder, renderer):
    parsed = parse(build(message_builder, renderer, contact={"first_name": "Зарина"}))

    encodings = [part["Content-Transfer-Encoding"] for part in parsed.iter_parts()]
    assert encodings == ["quoted-printable", "quoted-printable"]
    assert "MIME-Version" not in parsed.get_payload(1)


def test_the_raw_message_is_seven_bit_with_short_lines(message_builder, renderer):
    raw = build(message_builder, renderer, subject=PERSIAN_SUBJECT, contact={"first_name": "زهرا"}).as_bytes()

    assert raw.isascii()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


@pytest.mark.parametrize(
    ("subject", "first_name", "expected"),
    [
        (PERSIAN_SUBJECT, "زهرا", "سلام زهرا، تخفیف ویژه برای شما"),
        (CYRILLIC_SUBJECT, "Мария", "Здравствуйте, Мария! Скидки недели"),
    ],
    ids=["persian", "cyrillic"],
)
def test_non_latin_subjects_arrive_intact(smtp_server, message_builder, renderer, subject, first_name, expected):
    message = build(message_builder, renderer, subject=subject, contact={"first_name": first_name})

    with SmtpSender(smtp_server.settings()) as sender:
        sender.send(message)

    received = smtp_server.messages[0].message
    assert received["Subject"] == expected
    assert b"=?utf-8?" in smtp_server.messages[0].data.split(b"\r\n\r\n")[0]


@pytest.mark.parametrize(
    ("from_name", "to_name"),
    [("فروشگاه «نمونه»", "زهرا احمدی"), ("Магазин «Пример», ООО", 'Мария "Маша" Иванова')],
    ids=["persian", "cyrillic"],
)
def test_non_latin_display_names_arrive_intact(smtp_server, message_builder, renderer, from_name, to_name):
    builder = MessageBuilder(replace(message_builder.settings, from_name=from_name), message_builder.tokens)
    message = build(builder, renderer, to_name=to_name)

    with SmtpSender(smtp_server.settings()) as sender:
        sender.send(message)

    received = smtp_server.messages[0].message
    assert received["From"].addresses[0].display_name == from_name
    assert received["From"].addresses[0].addr_spec == "news@shop.example"
    assert received["To"].addresses[0].display_name == to_name


def test_the_html_part_decodes_to_the_rendered_persian_text(message_builder, renderer):
    parsed = parse(build(message_builder, renderer, contact={"first_name": "زهرا"}))

    assert "<p>Hello زهرا</p>" in html_of(parsed)


def test_reply_to_and_date_are_set(message_builder, renderer):
    parsed = parse(build(message_builder, renderer))

    assert parsed["Reply-To"].addresses[0].addr_spec == "support@shop.example"
    assert parsed["Reply-To"].addresses[0].display_name == "Shop support"
    assert parsed["Date"].datetime.tzinfo is not None
    assert parsedate_to_datetime(str(parsed["Date"])) == parsed["Date"].datetime


def test_the_message_id_is_deterministic_per_delivery(message_builder, renderer):
    first = build(message_builder, renderer, delivery_id=41)
    retry = build(message_builder, renderer, delivery_id=41)

    assert first["Message-ID"] == retry["Message-ID"]
    assert re.fullmatch(r"<[a-z2-7]{32}@mail\.shop\.example>", str(first["Message-ID"]))


def test_every_delivery_gets_its_own_message_id(message_builder):
    ids = {message_builder.message_id(n) for n in range(1000)}

    assert len(ids) == 1000


def test_installations_sharing_a_domain_mint_different_message_ids():
    one = message_id_for(7, domain="mail.shop.example", namespace="production")
    other = message_id_for(7, domain="mail.shop.example", namespace="staging")

    assert one != other


def test_list_unsubscribe_offers_https_and_mailto_with_a_signed_token(message_builder, renderer, tracking_tokens):
    parsed = parse(build(message_builder, renderer, delivery_id=77))

    https_url, mailto_url = re.fullmatch(r"<([^>]+)>, <([^>]+)>", parsed["List-Unsubscribe"]).groups()
    https_token = https_url.removeprefix("https://crm.shop.example/email/u/")
    mailto_token = mailto_url.removeprefix("mailto:unsubscribe@mail.shop.example?subject=")
    assert tracking_tokens.verify_unsubscribe(https_token) == 77
    assert mailto_token == https_token


def test_list_unsubscribe_is_never_mangled_into_encoded_words(message_builder, renderer):
    builder = MessageBuilder(
        replace(
            message_builder.settings,
            tracking_base_url="https://crm.shop.example/a/very/long/path/to/the/email/endpoints",
        ),
        message_builder.tokens,
    )
    raw = build(builder, renderer, delivery_id="a-long-delivery-identifier-0123456789").as_bytes()

    header = raw.split(b"List-Unsubscribe: ")[1].split(b"\r\nList-Unsubscribe-Post")[0]
    assert b"=?" not in header
    assert header.startswith(b"<https://crm.shop.example/a/very/long/path/")


def test_one_click_unsubscribe_is_announced(message_builder, renderer):
    parsed = parse(build(message_builder, renderer))

    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_campaign_links_point_to_click_redirects_for_their_link_index(message_builder, renderer, tracking_tokens):
    links = extract_links(HTML)
    html = html_of(parse(build(message_builder, renderer, delivery_id=9)))

    clicks = [h for h in hrefs(html) if h.startswith("https://crm.shop.example/email/c/")]
    targets = [links[tracking_tokens.verify_click(h.rsplit("/", 1)[1]).link_index] for h in clicks]
    assert targets == [
        "https://shop.example/sale?utm=mail&x=1",
        "https://shop.example/new",
        "https://shop.example/sale?utm=mail&x=1",
    ]
    assert {tracking_tokens.verify_click(h.rsplit("/", 1)[1]).delivery_id for h in clicks} == {9}


def test_only_the_href_of_a_tracked_link_changes(message_builder, renderer):
    html = html_of(parse(build(message_builder, renderer)))

    assert re.search(r'<a class="button" href="https://crm\.shop\.example/email/c/[^"]+">New</a>', html)


def test_href_text_inside_another_attribute_is_left_alone(message_builder, renderer):
    html = '<a title="see href=x" data-href="y" href="https://shop.example/new">New</a>'

    tracked = html_of(parse(build(message_builder, renderer, html=html)))

    assert re.match(r'<a title="see href=x" data-href="y" href="https://crm\.shop\.example/email/c/[^"]+">', tracked)


def test_mailto_and_unsubscribe_links_are_not_rewritten(message_builder, renderer, tracking_tokens):
    html = html_of(parse(build(message_builder, renderer, delivery_id=5)))

    assert "mailto:help@shop.example" in hrefs(html)
    unsubscribe = [h for h in hrefs(html) if h.startswith("https://crm.shop.example/email/u/")]
    assert [tracking_tokens.verify_unsubscribe(h.rsplit("/", 1)[1]) for h in unsubscribe] == [5]


def test_links_built_from_merge_fields_are_left_untracked(message_builder, renderer):
    html = html_of(parse(build(message_builder, renderer)))

    assert "https://shop.example/p/Zahra" in hrefs(html)


def test_the_open_pixel_is_appended_inside_the_body(message_builder, renderer, tracking_tokens):
    html = html_of(parse(build(message_builder, renderer, delivery_id=12)))

    pixel = re.search(r'<img src="https://crm\.shop\.example/email/o/([^"]+)" width="1" height="1"', html)
    assert pixel
    assert tracking_tokens.verify_open(pixel.group(1)) == 12
    assert html.index(pixel.group(0)) < html.index("</body>")


def test_the_text_part_keeps_the_original_urls(message_builder, renderer):
    parsed = parse(build(message_builder, renderer, text=""))

    text = parsed.get_body(("plain",)).get_content()
    assert "Sale (https://shop.example/sale?utm=mail&x=1)" in text
    assert "/email/c/" not in text


def test_tracking_can_be_switched_off(message_builder, renderer):
    builder = MessageBuilder(
        replace(message_builder.settings, track_opens=False, track_clicks=False),
        message_builder.tokens,
    )
    html = html_of(parse(build(builder, renderer)))

    assert "/email/o/" not in html
    assert "/email/c/" not in html


def test_extract_links_lists_each_static_http_link_once_in_document_order():
    assert extract_links(HTML) == [
        "https://shop.example/sale?utm=mail&x=1",
        "https://shop.example/new",
    ]


def test_an_internationalised_recipient_domain_is_encoded_as_idna(message_builder, renderer):
    parsed = parse(build(message_builder, renderer, to_email="maria@пример.рф"))

    assert parsed["To"].addresses[0].addr_spec == "maria@xn--e1afmkfd.xn--p1ai"


@pytest.mark.parametrize(
    "to_email", ["", "no-at-sign", "@example.org", "zahra@", "зара@example.org", "a b@example.org"]
)
def test_an_unusable_recipient_address_is_refused(message_builder, renderer, to_email):
    with pytest.raises(InvalidAddressError):
        build(message_builder, renderer, to_email=to_email)


def test_a_display_name_cannot_inject_headers(message_builder, renderer):
    parsed = parse(build(message_builder, renderer, to_name="Eve\r\nBcc: victim@example.org"))

    assert parsed["Bcc"] is None
    assert parsed["To"].addresses[0].display_name == "Eve Bcc: victim@example.org"


def test_tokens_in_the_message_are_signed_with_the_builders_secret(message_builder, renderer):
    parsed = parse(build(message_builder, renderer, delivery_id=3))

    token = re.search(r"/u/([^>]+)>", parsed["List-Unsubscribe"]).group(1)
    assert TrackingTokens("some-other-secret").verify_unsubscribe(token) is None
