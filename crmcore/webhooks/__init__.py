"""Webhooks: an admin registers URLs for chosen events; each event is POSTed there, signed, by an RQ job.

Every delivery carries ``X-CRM-Timestamp`` and ``X-CRM-Signature: sha256=<hex>``, the HMAC-SHA256 of
``<timestamp>.<body>`` with the webhook's secret: the receiver recomputes it and rejects old timestamps.
"""

from crmcore.webhooks.service import EVENTS, WebhookService, sign

__all__ = ["EVENTS", "WebhookService", "sign"]
