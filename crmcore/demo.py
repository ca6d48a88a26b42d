"""Realistic demo data, created through the services so every enabled plugin sees it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from faker import Faker
from sqlalchemy import func, select

from crmcore.models import Channel, Customer, Direction, Pipeline, Role, SalesChannel, User
from crmcore.services import transaction

if TYPE_CHECKING:
    from crmcore.runtime import CRM

LOCALES = {"en_GB": "GB", "fa_IR": "IR", "ru_RU": "RU", "uk_UA": "UA"}
CURRENCY = {"GB": "EUR", "IR": "IRR", "RU": "RUB", "UA": "UAH"}
INDUSTRIES = ["retail", "manufacturing", "services", "education", "health", "logistics", "food"]
SOURCES = ["website", "referral", "exhibition", "cold call", "advertising"]
TAGS = ["vip", "newsletter", "partner", "wholesale"]


def _ensure_users(crm: CRM, admin_email: str, admin_password: str) -> list[User]:
    with crm.db.session() as session:
        users = list(session.scalars(select(User).order_by(User.id)))
    if users:
        return users
    create = crm.services.users.create
    return [
        create({"email": admin_email, "password": admin_password, "role": "admin", "name": "Admin"}),
        create({"email": "manager@example.com", "password": admin_password, "role": Role.MANAGER.value,
                "name": "Maryam Karimi", "language": "fa"}),
        create({"email": "staff@example.com", "password": admin_password, "role": Role.STAFF.value,
                "name": "Olena Shevchenko", "language": "ru"}),
    ]


def create_demo_data(crm: CRM, customers: int, seed: int, admin_email: str,
                     admin_password: str) -> dict[str, int]:
    users = _ensure_users(crm, admin_email, admin_password)
    pipeline_id = crm.services.pipelines.ensure_default().id
    with crm.db.session() as session:
        if session.scalar(select(func.count(Customer.id))):
            return {"users": len(users), "customers (already present)": session.scalar(select(func.count(Customer.id)))}
        stages = session.get(Pipeline, pipeline_id).stages
    rng = random.Random(seed)
    fakers = {locale: Faker(locale) for locale in LOCALES}
    for faker in fakers.values():
        faker.seed_instance(seed)
    counts = {"users": len(users), "customers": 0, "contacts": 0, "deals": 0, "touchpoints": 0, "tasks": 0}
    now = datetime.now(UTC)
    services = crm.services
    batch = 50
    for start in range(0, customers, batch):
        with transaction(crm) as tx:
            for _ in range(start, min(start + batch, customers)):
                locale = rng.choice(list(LOCALES))
                faker, country = fakers[locale], LOCALES[locale]
                owner = rng.choice(users)
                is_person = rng.random() < 0.3
                name = faker.name() if is_person else faker.company()
                stage = rng.choices(["lead", "prospect", "customer", "former"], [30, 20, 45, 5])[0]
                customer = services.customers.create({
                    "kind": "person" if is_person else "organisation",
                    "name": name[:300],
                    "email": f"info{counts['customers']}@example.com",
                    "country": country,
                    "city": faker.city()[:120],
                    "industry": rng.choice(INDUSTRIES),
                    "sales_channel": rng.choice(list(SalesChannel)).value,
                    "lifecycle_stage": stage,
                    "churn_reason": "moved to a competitor" if stage == "former" else None,
                    "source": rng.choice(SOURCES),
                    "owner_id": owner.id,
                    "tags": rng.sample(TAGS, rng.randint(0, 2)),
                    "marketing_consent": rng.random() < 0.7,
                }, tx=tx)
                counts["customers"] += 1
                for _ in range(rng.randint(1, 2)):
                    contact = services.contacts.create({
                        "customer_id": customer.id,
                        "first_name": faker.first_name()[:120],
                        "last_name": faker.last_name()[:120],
                        "position": faker.job()[:120],
                        "emails": [f"contact{counts['contacts']}@example.com"],
                    }, tx=tx)
                    counts["contacts"] += 1
                currency = CURRENCY[country]
                for _ in range(rng.choices([0, 1, 2, 4], [2, 4, 3, 1])[0]):
                    amount = Decimal(int(rng.paretovariate(1.3) * 500)).quantize(Decimal("0.01"))
                    deal_stage = rng.choice(stages)
                    closed = deal_stage.is_won or deal_stage.is_lost
                    services.deals.create({
                        "customer_id": customer.id,
                        "contact_id": contact.id,
                        "owner_id": owner.id,
                        "pipeline_id": pipeline_id,
                        "stage_id": deal_stage.id,
                        "title": faker.catch_phrase()[:300],
                        "amount": str(amount),
                        "cost": str((amount * Decimal("0.6")).quantize(Decimal("0.01"))),
                        "currency": currency,
                        "closed_on": (now - timedelta(days=rng.randint(0, 700))).date().isoformat()
                        if closed else None,
                        "lost_reason": "price" if deal_stage.is_lost else None,
                    }, tx=tx)
                    counts["deals"] += 1
                for _ in range(rng.randint(0, 5)):
                    services.touchpoints.record({
                        "customer_id": customer.id,
                        "contact_id": contact.id,
                        "channel": rng.choice(list(Channel)).value,
                        "direction": rng.choice(list(Direction)).value,
                        "occurred_at": (now - timedelta(days=rng.randint(0, 400), minutes=rng.randint(0, 600)))
                        .isoformat(),
                        "subject": faker.sentence(nb_words=5)[:300],
                    }, tx=tx)
                    counts["touchpoints"] += 1
                if rng.random() < 0.4:
                    services.tasks.create({
                        "title": f"Follow up with {name}"[:300],
                        "customer_id": customer.id,
                        "assignee_id": owner.id,
                        "due_on": (now + timedelta(days=rng.randint(-3, 14))).date().isoformat(),
                    }, tx=tx)
                    counts["tasks"] += 1
    return counts
