"""Every screen opens for an admin."""

from __future__ import annotations

import pytest

SCREENS = ["/", "/customers/", "/customers/new/", "/contacts/", "/contacts/new/", "/deals/", "/deals/new/",
           "/touchpoints/", "/touchpoints/new/", "/tasks/", "/tasks/new/", "/products/", "/products/new/",
           "/users/", "/users/new/", "/pipelines/", "/pipelines/new/", "/custom_fields/", "/audit/", "/board/",
           "/plugins/"]


@pytest.mark.parametrize("path", SCREENS)
def test_every_screen_opens_for_an_admin(ui_client, login, path):
    login(ui_client, "admin")

    response = ui_client.get(path)

    assert response.status_code == 200, response.data[:2000]


def test_every_record_opens_in_its_edit_and_detail_screens(ui_client, ui_crm, add_customer, login):
    user = login(ui_client, "admin")
    customer = add_customer("Acme", tags=["vip"])
    contact = ui_crm.services.contacts.create({"customer_id": customer.id, "first_name": "Ann",
                                               "phones": ["+4420 7946 0958"]})
    deal = ui_crm.services.deals.create({"customer_id": customer.id, "title": "Chairs"})
    touchpoint = ui_crm.services.touchpoints.record({"customer_id": customer.id, "channel": "phone"})
    task = ui_crm.services.tasks.create({"customer_id": customer.id, "title": "Call"})
    product = ui_crm.services.products.create({"sku": "CH-1", "name": "Chair"})
    records = {"customers": customer.id, "contacts": contact.id, "deals": deal.id, "tasks": task.id,
               "products": product.id, "users": user.id}

    for endpoint, record_id in records.items():
        for screen in ("edit", "details"):
            response = ui_client.get(f"/{endpoint}/{screen}/?id={record_id}")
            assert response.status_code == 200, (endpoint, screen, response.data[:500])
    assert ui_client.get(f"/touchpoints/details/?id={touchpoint.id}").status_code == 200
    assert "+442079460958" in ui_client.get(f"/contacts/edit/?id={contact.id}").get_data(as_text=True)
