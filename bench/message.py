"""CPU time to prepare one campaign message, in process: rendering the sandboxed templates, the text part, the
signed tokens, click and open tracking and the SMTP bytes. The same for every profile (no database).

Two figures against the same baseline, the `email` package building the same message (``MessageBuilder.build``
and ``as_bytes``): the send path, with the tracked links found once in the template (``LinkPlan``), and the path
that finds them in each recipient's HTML (what previews and test sends do).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bench import figure

MESSAGES = 5_000
ROUNDS = 3
HTML = ('<html><body><p>Hello {{ name }} from {{ city | default("your city") }}</p>'
        '<p><a href="https://shop.example/sale">Sale</a> <a href="https://shop.example/new?utm=mail&amp;x=1">New</a>'
        ' <a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>')


def _per_message(send: Callable[[int], Any]) -> float:
    """Best of ``ROUNDS`` rounds of ``MESSAGES`` messages, in µs per message."""
    for delivery_id in range(200):  # warm-up
        send(delivery_id)
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for delivery_id in range(MESSAGES):
            send(delivery_id)
        best = min(best, time.perf_counter() - started)
    return best / MESSAGES * 1e6


def run(profile: str) -> list[dict[str, Any]]:
    from crm_email_marketing import (
        EmailTemplate,
        MessageBuilder,
        MessageSettings,
        TemplateRenderer,
        TrackingTokens,
        extract_links,
    )

    builder = MessageBuilder(MessageSettings(
        from_email="news@shop.example", from_name="Shop", message_id_domain="shop.example",
        message_id_namespace="bench", tracking_base_url="https://crm.shop.example",
        unsubscribe_mailbox="unsubscribe@shop.example"), TrackingTokens("bench secret"))
    links = extract_links(HTML)
    plan = builder.link_plan(HTML, links)
    renderer = TemplateRenderer()
    planned = renderer.compile(EmailTemplate(subject="Offers for {{ name }}", html=plan.template),
                               link_target=plan.target)
    scanned = renderer.compile(EmailTemplate(subject="Offers for {{ name }}", html=HTML))

    def context(delivery_id: int) -> dict[str, Any]:
        fields = {"name": f"Reader {delivery_id}", "customer_id": delivery_id}
        return {**fields, "customer": fields, **builder.system_fields(delivery_id)}

    def with_plan(delivery_id: int) -> bytes:
        return builder.prepare(delivery_id=delivery_id, to_email=f"reader-{delivery_id}@example.org",
                               content=planned.render(context(delivery_id)), campaign_links=links,
                               link_plan=plan).data

    def scanning(delivery_id: int) -> bytes:
        return builder.prepare(delivery_id=delivery_id, to_email=f"reader-{delivery_id}@example.org",
                               content=scanned.render(context(delivery_id)), campaign_links=links).data

    def email_package(delivery_id: int) -> bytes:
        return builder.build(delivery_id=delivery_id, to_email=f"reader-{delivery_id}@example.org",
                             content=scanned.render(context(delivery_id)), campaign_links=links).as_bytes()

    baseline_name = "the email package building the same message (MessageBuilder.build, as_bytes)"
    baseline = _per_message(email_package)
    return [
        figure("message_prepare", _per_message(with_plan), "µs/message", baseline_name, baseline,
               path="send path: links found once in the template"),
        figure("message_prepare_scanning_each", _per_message(scanning), "µs/message", baseline_name, baseline,
               path="links found in each recipient's HTML"),
    ]
