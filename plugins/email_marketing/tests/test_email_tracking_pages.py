"""The public pages behind the links in every email: unsubscribe, open pixel, click redirect."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from crm_email_marketing.models import Delivery, Suppression
from crm_email_marketing.services import CampaignService
from sqlalchemy import select

from crmcore.models import Customer, Touchpoint


@pytest.fixture
def sent(mail_crm, smtp_server, add_customers, make_campaign, work_off):
    """One campaign sent to two customers; returns the received messages by recipient."""
    add_customers(2)
    campaign = make_campaign()
    CampaignService(mail_crm).schedule(campaign.id)
    work_off(mail_crm)
    return {m.rcpt_tos[0]: m.message for m in smtp_server.messages}


@pytest.fixture
def web(mail_crm):
    from crmcore.web import create_app

    return create_app(mail_crm, testing=True).test_client()


def path_of(url):
    return url.removeprefix("http://crm.test")


def links(message, kind):
    html = message.get_body(("html",)).get_content()
    return [path_of(url) for url in re.findall(r'(?:href|src)="([^"]+)"', html) if f"/email/{kind}/" in url]


def unsubscribe_path(message):
    return path_of(re.search(r"<(http[^>]+)>", message["List-Unsubscribe"]).group(1))


def consent(crm, email):
    with crm.db.session() as session:
        return session.scalar(select(Customer.marketing_consent).where(Customer.email == email))


def test_an_unsubscribe_get_only_asks_for_confirmation(mail_crm, sent, web):
    response = web.get(unsubscribe_path(sent["reader-0@example.org"]))

    assert response.status_code == 200
    assert b'method="post"' in response.data
    assert consent(mail_crm, "reader-0@example.org") is True


def test_a_one_click_post_unsubscribes_without_login_or_csrf_token(mail_crm, sent, web):
    response = web.post(unsubscribe_path(sent["reader-0@example.org"]), data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert consent(mail_crm, "reader-0@example.org") is False
    assert consent(mail_crm, "reader-1@example.org") is True
    with mail_crm.db.session() as session:
        assert session.get(Suppression, "reader-0@example.org").reason == "unsubscribed"
        outcomes = session.scalars(select(Touchpoint.outcome).join(Customer, Customer.id == Touchpoint.customer_id)
                                   .where(Customer.email == "reader-0@example.org")).all()
    assert sorted(outcomes) == ["sent", "unsubscribed"]


def test_the_unsubscribe_link_in_the_body_works_like_the_header(mail_crm, sent, web):
    [path] = [p for p in re.findall(r'href="([^"]+)"', sent["reader-1@example.org"].get_body(("html",)).get_content())
              if "/email/u/" in p]

    web.post(path_of(path))

    assert consent(mail_crm, "reader-1@example.org") is False


def test_the_open_pixel_records_an_open_once_on_the_timeline(mail_crm, sent, web):
    [pixel] = links(sent["reader-0@example.org"], "o")

    first, second = web.get(pixel), web.get(pixel)

    assert first.status_code == second.status_code == 200
    assert first.mimetype == "image/gif"
    with mail_crm.db.session() as session:
        opened = session.scalar(select(Delivery.opened_at).where(Delivery.email == "reader-0@example.org"))
        outcomes = session.scalars(select(Touchpoint.outcome).where(Touchpoint.outcome == "opened")).all()
    assert opened is not None
    assert outcomes == ["opened"]


def test_a_click_redirects_to_the_campaign_link_and_counts(mail_crm, sent, web):
    [click] = links(sent["reader-0@example.org"], "c")

    response = web.get(click)

    assert response.status_code == 302
    assert response.headers["Location"] == "https://shop.example/sale"
    progress = CampaignService(mail_crm).progress(_campaign_id(mail_crm))
    assert (progress["clicked"], progress["opened"], progress["click_rate"]) == (1, 1, 0.5)


def _campaign_id(crm):
    with crm.db.session() as session:
        return session.scalar(select(Delivery.campaign_id).limit(1))


def test_a_tampered_click_token_is_a_404_never_a_redirect(sent, web):
    [click] = links(sent["reader-0@example.org"], "c")
    prefix, token = click.rsplit("/", 1)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    for path in (f"{prefix}/{tampered}", f"{prefix}/garbage", "/email/c/" + links(sent["reader-0@example.org"], "o")[0]
                 .rsplit("/", 1)[1]):
        response = web.get(path)
        assert response.status_code == 404
        assert "Location" not in response.headers


def test_hook_email_engagement_gives_opens_and_clicks_per_customer(mail_crm, sent, web):
    [click] = links(sent["reader-1@example.org"], "c")
    web.get(click)
    with mail_crm.db.session() as session:
        customer_id = session.scalar(select(Customer.id).where(Customer.email == "reader-1@example.org"))
        [answer] = mail_crm.hook.email_engagement(crm=mail_crm, session=session, customer_ids=[customer_id],
                                                  since=datetime.now(UTC) - timedelta(hours=1))

    assert [kind for kind, _ in answer[customer_id]] == ["click"]
