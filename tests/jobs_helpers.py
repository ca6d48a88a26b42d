"""Job functions used by the job tests (RQ imports them by path inside the worker)."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import select

from crmcore.models import Customer


def rename_first_customer(crm: Any, name: str) -> str:
    with crm.db.session() as session:
        customer_id = session.scalar(select(Customer.id).order_by(Customer.id).limit(1))
    crm.services.customers.update(customer_id, {"name": name})
    return name


def record_pid(crm: Any, marker: str) -> dict[str, Any]:
    """Appends this worker's pid to a Redis list so the test can see who ran what."""
    crm.jobs.connection.rpush(f"{crm.settings.redis_prefix}:ran", f"{marker}:{os.getpid()}")
    return {"marker": marker, "pid": os.getpid()}
