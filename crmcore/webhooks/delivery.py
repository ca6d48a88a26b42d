"""The RQ job that POSTs one delivery, records the outcome and lets RQ retry it with back-off."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from rq import get_current_job

from crmcore.db import utcnow
from crmcore.models import Webhook, WebhookDelivery
from crmcore.webhooks.service import sign

if TYPE_CHECKING:
    from crmcore.runtime import CRM

TIMEOUT_SECONDS = 10
USER_AGENT = "crmcore-webhooks/1"


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx; RQ retries the job after the next back-off interval."""


def deliver(crm: CRM, delivery_id: int) -> dict[str, Any]:
    with crm.db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status == "delivered":
            return {"skipped": delivery_id}
        webhook = session.get(Webhook, delivery.webhook_id)
        if webhook is None or not webhook.active:
            delivery.status, delivery.error = "failed", "The webhook was removed or switched off."
            return {"skipped": delivery_id}
        url, secret, body, event = webhook.url, webhook.secret, delivery.body.encode(), delivery.event
    timestamp = str(int(time.time()))
    request = urllib.request.Request(url, data=body, method="POST", headers={  # noqa: S310 - admin-chosen http(s) URL
        "Content-Type": "application/json", "User-Agent": USER_AGENT, "X-CRM-Event": event,
        "X-CRM-Delivery": str(delivery_id), "X-CRM-Timestamp": timestamp,
        "X-CRM-Signature": sign(secret, timestamp, body),
    })
    status: int | None = None
    error: str | None = None
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"The receiver answered {exc.code}."
    except (urllib.error.URLError, OSError) as exc:
        error = f"Could not reach the receiver ({type(exc).__name__})."
    delivered = status is not None and 200 <= status < 300
    job = get_current_job()
    last_try = job is None or not job.retries_left
    with crm.db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        delivery.attempts += 1
        delivery.response_status = status
        delivery.error = None if delivered else error
        delivery.status = "delivered" if delivered else ("failed" if last_try else "pending")
        if delivered:
            delivery.delivered_at = utcnow()
    if not delivered:
        raise DeliveryFailed(error or "not delivered")
    return {"delivered": delivery_id, "status": status}
