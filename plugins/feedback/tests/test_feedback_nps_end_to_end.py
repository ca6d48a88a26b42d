"""From the NPS button to the promoters and detractors segments: a real worker, SMTP server and signed links."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from crmcore.web import create_app

LINK = re.compile(r"https?://\S+/feedback/nps/[\w.-]+")


@pytest.fixture
def mailing(crm_factory, smtp_server):
    crm = crm_factory(enabled=["email_marketing", "feedback"], smtp_host=smtp_server.host,
                      smtp_port=smtp_server.port, mail_from="survey@shop.example")
    crm.plugins.save_settings("email_marketing", {"retry_base_seconds": 0})
    return crm


def segment(crm, key: str) -> list[int]:
    with crm.db.session() as session:
        return sorted(session.scalars(crm.segments.customer_ids(key)).all())


def test_a_segment_is_surveyed_by_email_and_the_answers_become_promoters_and_detractors(mailing, smtp_server, login,
                                                                                        work_off):
    crm = mailing
    people = {name: crm.services.customers.create({"name": name, "email": f"{name}@example.org",
                                                   "lifecycle_stage": "customer"})
              for name in ("ava", "ben", "cyrus")}
    crm.services.customers.create({"name": "Lead", "email": "lead@example.org", "lifecycle_stage": "lead"})
    app = create_app(crm, testing=True)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    login(client, "manager")

    response = client.post("/feedback-items/nps", data={"segment": "core:stage-customer"})
    assert response.status_code == 302
    work_off(crm)  # the segment job queues one survey each, then the sender mails them

    links = {}
    for message in (received.message for received in smtp_server.messages):
        text = message.get_body(preferencelist=("plain",)).get_content()
        links[message["To"].addresses[0].username] = urlsplit(LINK.search(text).group(0)).path
    assert sorted(links) == ["ava", "ben", "cyrus"]
    public = app.test_client()
    for name, score in (("ava", 10), ("ben", 9), ("cyrus", 3)):
        assert public.get(links[name], query_string={"score": score}).status_code == 200
        assert public.post(links[name], data={"score": str(score)}).status_code == 200

    assert segment(crm, "feedback:promoters") == sorted([people["ava"].id, people["ben"].id])
    assert segment(crm, "feedback:detractors") == [people["cyrus"].id]
