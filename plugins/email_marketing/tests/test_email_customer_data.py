"""What the plugin holds about a customer follows the customer: merges, exports, erasure."""

from __future__ import annotations

from crm_email_marketing.models import Delivery
from crm_email_marketing.services import CampaignService
from sqlalchemy import select


def sent_campaign(crm, make_campaign, work_off, **fields):
    campaign = make_campaign(**fields)
    CampaignService(crm).schedule(campaign.id)
    work_off(crm)
    return campaign


def test_hook_customers_merged_moves_the_mail_history_to_the_kept_customer(mail_crm, add_customers, make_campaign,
                                                                           work_off):
    kept, duplicate = add_customers(2)
    sent_campaign(mail_crm, make_campaign, work_off)

    mail_crm.services.customers.merge(kept, duplicate)

    with mail_crm.db.session() as session:
        owners = session.scalars(select(Delivery.customer_id)).all()
    assert owners == [kept]


def test_hook_personal_data_export_lists_the_deliveries(mail_crm, add_customers, make_campaign, work_off):
    [customer_id] = add_customers(1)
    sent_campaign(mail_crm, make_campaign, work_off, name="Spring sale")

    exported = mail_crm.services.personal_data.export(customer_id)

    [delivery] = exported["plugins"]["email_marketing"]["deliveries"]
    assert (delivery["campaign"], delivery["status"]) == ("Spring sale", "sent")
    assert delivery["email"] == "reader-0@example.org"


def test_hook_personal_data_erase_forgets_the_address_and_stops_pending_mail(mail_crm, add_customers, make_campaign):
    [customer_id] = add_customers(1)
    campaign = make_campaign()
    service = CampaignService(mail_crm)
    service.schedule(campaign.id)
    service.start(campaign.id)

    mail_crm.services.personal_data.erase(customer_id)

    with mail_crm.db.session() as session:
        [(email, status)] = session.execute(select(Delivery.email, Delivery.status)).all()
    assert (email, status.value) == ("", "cancelled")
