"""List rows are rendered in Python: every cell still goes through the view's formatters, choices and escaping,
and the row buttons, checkboxes and translations stay as Flask-Admin's template had them."""

from __future__ import annotations

import html
import re

import pytest
from flask_admin.model import typefmt
from flask_admin.model.template import EndpointLinkRowAction
from markupsafe import Markup

from crmcore.models import Customer
from crmcore.web import create_app
from crmcore.web.admin.base import ServiceModelView


class PlainCustomerList(ServiceModelView):
    """A list screen as a plugin might write one: its own formatters, choices, type formatters, row action and
    an editable column."""

    service = "customers"
    column_list = ("name", "kind", "marketing_consent", "city", "email")
    column_formatters = {"city": lambda view, context, model, name: Markup("<em>%s</em>") % (model.city or "").upper()}
    column_choices = {"kind": [("organisation", "Company"), ("person", "Private person")]}
    column_type_formatters = {**typefmt.BASE_FORMATTERS, bool: lambda view, value, name: "yes" if value else "no"}
    column_extra_row_actions = [EndpointLinkRowAction("fa fa-star", ".index_view", title="Star")]
    column_editable_list = ("email",)


@pytest.fixture
def plain_client(ui_crm, login):
    app = create_app(ui_crm, testing=True)
    app.config["WTF_CSRF_ENABLED"] = False
    app.extensions["crm_admin"].add_view(PlainCustomerList(Customer, app.extensions["crm_scoped_session"],
                                                           name="Plain", endpoint="plain"))
    client = app.test_client()
    login(client, "admin")
    return client


def cell(page: str, column: str, row: int = 0) -> str:
    return re.findall(rf'<td class="col-{column}">(.*?)</td>', page, re.S)[row].strip()


def test_the_customer_list_shows_its_formatted_cells_escaped(ui_client, add_customer, login, make_user):
    owner = make_user("manager", name="Owen Owner")
    customer = add_customer("<b>Acme & Co</b>", owner_id=owner.id, tags=["vip", "north"])
    login(ui_client, "admin")

    page = ui_client.get("/customers/").get_data(as_text=True)

    assert cell(page, "name") == f'<a href="/customer/{customer.id}/">&lt;b&gt;Acme &amp; Co&lt;/b&gt;</a>'
    assert cell(page, "owner") == "Owen Owner"
    assert sorted(cell(page, "tags").split(", ")) == ["north", "vip"]
    assert cell(page, "city") == ""


def test_a_views_own_formatters_choices_and_row_actions_show_in_the_rows(plain_client, add_customer):
    customer = add_customer("Acme", kind="person", city="Tabriz", marketing_consent=True, email="a@example.com")

    page = plain_client.get("/plain/").get_data(as_text=True)

    assert cell(page, "city") == "<em>TABRIZ</em>"
    assert cell(page, "kind") == "Private person"
    assert cell(page, "marketing_consent") == "yes"
    assert re.search(rf'<a class="icon" href="/plain/\?id={customer.id}" title="Star">', page)
    assert f'href="/plain/edit/?id={customer.id}&amp;url=%2Fplain%2F' in page
    editable = cell(page, "email")
    assert 'data-role="x-editable"' in editable and f'data-pk="{customer.id}"' in editable
    assert "a@example.com" in html.unescape(editable)


def test_rows_keep_their_checkbox_buttons_and_the_header_its_sorting_and_export(ui_client, add_customer, login):
    customer = add_customer("Acme")
    login(ui_client, "admin")

    page = ui_client.get("/customers/").get_data(as_text=True)

    assert f'<input type="checkbox" name="rowid" class="action-checkbox" value="{customer.id}"' in page
    assert f'href="/customers/details/?id={customer.id}&amp;url=%2Fcustomers%2F' in page
    assert f'<input id="id" name="id" type="hidden" value="{customer.id}">' in page
    assert re.search(r'</a>\s+<a class="icon" href="/customers/edit/', page)  # the buttons keep their gap
    assert 'href="/customers/?sort=0&amp;page_size=50"' in page
    assert 'href="/customers/export/csv/' in page


@pytest.mark.parametrize(("language", "texts"), [
    ("fa", ['dir="rtl"', "مشاهده سابقه", "انتخاب رکورد", "حذف رکورد"]),
    ("ru", ['dir="ltr"', "Просмотр записи", "Выберите запись", "Удалить запись", "Название"]),
])
def test_the_rows_are_translated(ui_client, add_customer, login, language, texts):
    add_customer("Acme")
    login(ui_client, "admin", language=language)

    page = ui_client.get("/customers/").get_data(as_text=True)

    assert all(text in page for text in texts), [text for text in texts if text not in page]


def test_an_empty_list_says_so(ui_client, login):
    login(ui_client, "admin")

    page = ui_client.get("/customers/").get_data(as_text=True)

    assert '<td colspan="999">' in page and "There are no items in the table." in page
