"""Click tracking found once in the campaign template (the send path) gives every recipient the message that
finding the links in the recipient's own HTML gives."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest
from crm_email_marketing import EmailTemplate, MessageBuilder, extract_links

TEMPLATES = {
    "links and unsubscribe": """<html><body><p>Hello {{ name }}</p>
<a href="https://shop.example/sale?utm=mail&amp;x=1">Sale</a>
<a href="{{ unsubscribe_url }}">Unsubscribe</a> <a href="mailto:shop@shop.example">Write to us</a>
</body></html>""",
    "the same link twice, one in a loop": """<p>{% for n in range(3) %}
<a href='https://shop.example/{{ n }}'>{{ n }}</a>
<a class="b" href=https://shop.example/sale title="go">Sale {{ n }}</a>{% endfor %}</p>
<area href="https://shop.example/map" alt="map"><a href="https://shop.example/sale">Again</a>""",
    "a link inside a condition": """{% if name.startswith("R") %}<a href="https://shop.example/r">R</a>
{% else %}<a href="https://shop.example/other">Other</a>{% endif %}<p>{{ name }}</p>""",
    "a link whose label is its address": """<p><a href="https://shop.example/sale">https://shop.example/sale</a>
</p>""",
    "a link in a comment and in a script": """<!-- <a href="https://shop.example/hidden">x</a> -->
<script>var a = '<a href="https://shop.example/sale">';</script><a href="https://shop.example/sale">Sale</a>""",
    "a link through a filter block": """{% filter upper %}<a href="https://shop.example/sale">Sale</a>
{% endfilter %}<a href="https://shop.example/sale">Sale</a>""",
    "a link in a macro": """{% macro button(label) %}<a href="https://shop.example/sale">{{ label }}</a>{% endmacro %}
{{ button("Sale") }} {{ button(name) }}""",
    "a link in a block": """{% block sale %}<a href="https://shop.example/sale">Sale</a>{% endblock %}
{{ self.sale() | upper }}""",
    "a link in a recursive loop": """{% for n in [[1], [2]] recursive %}<a href="https://shop.example/sale">{{ n }}</a>
{{ loop(n[1:]) | upper }}{% endfor %}""",
    "no links": "<p>Hello {{ name }}</p>",
}
NAMES = ["Reader 1", "Олена <b>&</b> \"Masha\"", "crm-link-0000000000000000-0"]


def prepared(builder: MessageBuilder, renderer, html: str, name: str, plan: bool) -> email.message.EmailMessage:
    links = extract_links(html)
    link_plan = builder.link_plan(html, links) if plan else None
    template = EmailTemplate(subject="Offers", html=link_plan.template if link_plan else html)
    compiled = renderer.compile(template, link_target=link_plan.target if link_plan else None)
    content = compiled.render({"name": name, **builder.system_fields(42)})
    message = builder.prepare(delivery_id=42, to_email="reader@example.org", to_name=name, content=content,
                              campaign_links=links, date=datetime(2026, 12, 7, tzinfo=UTC), link_plan=link_plan)
    return email.message_from_bytes(message.data, policy=email.policy.default)


def bodies(message: email.message.EmailMessage) -> list[str]:
    return [part.get_content() for part in message.walk() if not part.is_multipart()]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("html", TEMPLATES.values(), ids=TEMPLATES.keys())
def test_a_message_tracked_by_the_link_plan_equals_one_tracked_by_scanning_it(message_builder, renderer, html,
                                                                             name):
    planned = prepared(message_builder, renderer, html, name, plan=True)
    scanned = prepared(message_builder, renderer, html, name, plan=False)

    assert bodies(planned) == bodies(scanned)


def test_the_plan_rewrites_the_campaign_links_of_the_template_and_nothing_else(message_builder):
    html = TEMPLATES["links and unsubscribe"]

    plan = message_builder.link_plan(html, extract_links(html))

    assert "https://shop.example/sale" not in plan.template
    assert plan.target(plan.marker.search(plan.template)[0]) == "https://shop.example/sale?utm=mail&x=1"
    assert '<a href="{{ unsubscribe_url }}">' in plan.template
    assert '<a href="mailto:shop@shop.example">' in plan.template


@pytest.mark.parametrize("name", ["a link through a filter block", "a link in a block", "a link in a recursive loop"])
def test_a_template_that_can_filter_its_own_text_is_tracked_per_message(message_builder, name):
    html = TEMPLATES[name]

    assert message_builder.link_plan(html, extract_links(html)) is None


def test_without_click_tracking_the_plan_leaves_the_template_as_written(message_settings, tracking_tokens):
    from dataclasses import replace

    builder = MessageBuilder(replace(message_settings, track_clicks=False), tracking_tokens)
    html = TEMPLATES["links and unsubscribe"]

    assert builder.link_plan(html, extract_links(html)).template == html

