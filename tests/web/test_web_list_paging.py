"""Model lists page by keyset: "next" and "previous" links carry a row's position, never an OFFSET."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import event

PAGE = 50


def customers_named(crm, names):
    return [crm.services.customers.create({"name": name}).id for name in names]


def pager_link(page: str, which: str) -> str | None:
    match = re.search(rf'data-page="{which}"[^>]*href="([^"]*)"', page)
    href = html.unescape(match.group(1)) if match else None
    return None if href in (None, "#") else href


def shown_ids(page: str) -> list[int]:
    return [int(value) for value in re.findall(r'/details/\?id=(\d+)', page)]


def walk(client, url: str) -> list[list[int]]:
    pages = []
    while url is not None:
        page = client.get(url).get_data(as_text=True)
        pages.append(shown_ids(page))
        url = pager_link(page, "next")
    return pages


@pytest.fixture
def admin_client(client, login):
    login(client, "admin")
    return client


def test_following_next_shows_every_customer_once_newest_first(admin_client, crm):
    ids = customers_named(crm, [f"Customer {n:03}" for n in range(2 * PAGE + 7)])

    pages = walk(admin_client, "/customers/")

    assert [len(page) for page in pages] == [PAGE, PAGE, 7]
    assert [row for page in pages for row in page] == sorted(ids, reverse=True)


def test_previous_goes_back_to_the_rows_of_the_page_before(admin_client, crm):
    customers_named(crm, [f"Customer {n:03}" for n in range(2 * PAGE + 7)])
    first = admin_client.get("/customers/").get_data(as_text=True)
    second = admin_client.get(pager_link(first, "next")).get_data(as_text=True)
    third = admin_client.get(pager_link(second, "next")).get_data(as_text=True)

    back = admin_client.get(pager_link(third, "previous")).get_data(as_text=True)

    assert shown_ids(back) == shown_ids(second)
    assert shown_ids(admin_client.get(pager_link(back, "previous")).get_data(as_text=True)) == shown_ids(first)


def test_the_first_page_offers_no_previous_and_the_last_no_next(admin_client, crm):
    customers_named(crm, [f"Customer {n:03}" for n in range(PAGE + 1)])
    first = admin_client.get("/customers/").get_data(as_text=True)
    last = admin_client.get(pager_link(first, "next")).get_data(as_text=True)

    assert pager_link(first, "previous") is None and pager_link(first, "first") is None
    assert pager_link(last, "next") is None and pager_link(last, "first") == "/customers/"


def test_paging_by_name_keeps_customers_of_the_same_name_apart(admin_client, crm):
    ids = customers_named(crm, ["Same name"] * (PAGE + 5) + ["Another"] * 3)

    pages = walk(admin_client, "/customers/?sort=0")

    seen = [row for page in pages for row in page]
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    assert seen[:3] == ids[-3:]  # "Another" sorts first, each group in id order


def test_next_keeps_the_search(admin_client, crm):
    customers_named(crm, [f"Alpha {n:03}" for n in range(PAGE + 2)] + ["Beta 1"])

    pages = walk(admin_client, "/customers/?search=Alpha")

    assert sum(len(page) for page in pages) == PAGE + 2


def test_a_deep_page_is_read_by_keyset_not_by_offset(admin_client, crm):
    customers_named(crm, [f"Customer {n:03}" for n in range(PAGE + 3)])
    first = admin_client.get("/customers/").get_data(as_text=True)
    statements: list[tuple[str, object]] = []
    listener = lambda conn, cursor, statement, parameters, *args: statements.append((statement, parameters))  # noqa: E731
    event.listen(crm.db.engine, "before_cursor_execute", listener)
    try:
        assert admin_client.get(pager_link(first, "next")).status_code == 200
    finally:
        event.remove(crm.db.engine, "before_cursor_execute", listener)

    listing = [(s, p) for s, p in statements if "FROM customers" in s and "LIMIT" in s.upper()]
    assert listing and all("customers.id < " in s for s, _ in listing)
    assert all(skipped_rows(s, p) == 0 for s, p in listing)


def skipped_rows(statement: str, parameters: object) -> int:
    """The OFFSET of a statement (SQLite always writes one, as a last parameter of 0)."""
    if "OFFSET" not in statement.upper():
        return 0
    return parameters[-1] if isinstance(parameters, tuple | list) else -1


@pytest.mark.parametrize("cursor", ["not-a-cursor", "W1siYSJdLCJ4Il0", "x" * 5000, "WyJhIiwtMV0"])
def test_a_tampered_cursor_starts_the_list_over(admin_client, crm, cursor):
    ids = customers_named(crm, ["Alpha", "Beta"])

    response = admin_client.get(f"/customers/?after={cursor}")

    assert response.status_code == 200
    assert shown_ids(response.get_data(as_text=True)) == sorted(ids, reverse=True)


def test_touchpoints_page_by_time_and_keep_equal_times_apart(admin_client, crm):
    customer = crm.services.customers.create({"name": "Timeline"})
    when = "2026-03-01T10:00:00+00:00"
    made = [crm.services.touchpoints.record({"customer_id": customer.id, "channel": "phone", "subject": f"Call {n}",
                                             "occurred_at": when}).id for n in range(PAGE + 4)]

    pages = walk(admin_client, "/touchpoints/")

    assert [row for page in pages for row in page] == sorted(made, reverse=True)


def test_a_rows_delete_button_posts_a_valid_form_through_the_service(crm, make_user):
    from crmcore.web import create_app

    app = create_app(crm, testing=True)  # CSRF protection on, as in production
    client = app.test_client()
    user = make_user("admin", password="correct horse battery")
    login_page = client.get("/login").get_data(as_text=True)
    token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"email": user.email, "password": "correct horse battery", "csrf_token": token})
    kept, doomed = customers_named(crm, ["Kept", "Doomed"])
    page = client.get("/customers/").get_data(as_text=True)

    form = page[page.index('<form class="icon" method="POST" action="/customers/delete/">'):]
    form = form[:form.index("</form>")]
    fields = dict(re.findall(r'name="([^"]+)" type="hidden" value="([^"]*)"', form))
    fields = {**fields, **dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form))}
    fields.update(id=str(doomed), url=html.unescape(fields["url"]))
    response = client.post("/customers/delete/", data=fields)

    assert response.status_code == 302
    assert shown_ids(client.get("/customers/").get_data(as_text=True)) == [kept]


def test_row_links_open_the_record_and_come_back_to_the_same_list(admin_client, crm):
    (customer_id,) = customers_named(crm, ["Alpha"])

    page = admin_client.get("/customers/?search=Alp").get_data(as_text=True)
    edit = html.unescape(re.search(r'href="(/customers/edit/\?[^"]+)"', page).group(1))

    assert f"id={customer_id}" in edit
    assert admin_client.get(edit).status_code == 200
    assert "url=%2Fcustomers%2F%3Fsearch%3DAlp" in edit
