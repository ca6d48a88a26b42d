"""End to end in headless Chromium against a real server: what a sales team does all day."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from crmcore.config import REPO_ROOT
from crmcore.web import create_app
from tests.sample_plugins import recorder as recorder_module

pytestmark = pytest.mark.browser

SHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
PASSWORD = "correct horse battery"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def server(crm_factory: Any) -> Iterator[tuple[str, Any]]:
    """The app with CSRF on, as in production, served on a free local port; the recorder installed, off."""
    crm = crm_factory(plugins=[recorder_module.recorder, recorder_module.dependent])
    app = create_app(crm, testing=True)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", crm
    httpd.shutdown()
    thread.join(5)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(5000)
    yield page
    context.close()


def log_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def shoot(page: Any, name: str) -> None:
    """Screenshots at desktop and phone width, each once the page has finished loading (a capture during a
    navigation fails)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("load")
    page.screenshot(path=str(SHOTS / f"{name}-1280x800.png"), full_page=False)
    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()
    page.wait_for_load_state("load")
    page.screenshot(path=str(SHOTS / f"{name}-375x812.png"), full_page=False)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.reload()


def test_a_day_at_work(page: Any, server: tuple[str, Any], make_user: Any) -> None:
    base, crm = server
    admin = make_user("admin", password=PASSWORD, name="Admin")
    log_in(page, base, admin.email)

    # A customer with a Persian name, and a contact person.
    page.goto(f"{base}/customers/new/")
    page.fill("#name", "شرکت نمونه پارس")
    page.fill("#phone", "+982112345678")
    with page.expect_navigation():
        page.click("input[type=submit][value='Save']")
    shoot(page, "customers")
    with page.expect_navigation():
        page.click("text=شرکت نمونه پارس")
    assert page.inner_text("#customer-name") == "شرکت نمونه پارس"
    page.click("#contacts summary")
    page.fill("#quick-contact [name=first_name]", "Олена")
    page.fill("#quick-contact [name=email]", "olena@example.com")
    with page.expect_navigation():
        page.click("#quick-contact button[type=submit]")
    expect(page.locator("#contacts")).to_contain_text("Олена")

    # A call on the timeline, and a deal.
    page.fill("#qa-log [name=subject]", "Asked for a quote")
    with page.expect_navigation():
        page.click("#qa-log button[type=submit]")
    expect(page.locator("#timeline")).to_contain_text("Asked for a quote")
    page.click("a[href='#qa-deal']")
    page.fill("#qa-deal [name=title]", "Forty chairs")
    page.fill("#qa-deal [name=amount]", "۴۰۰۰")
    with page.expect_navigation():
        page.click("#qa-deal button[type=submit]")
    expect(page.locator("#deals")).to_contain_text("Forty chairs")
    shoot(page, "customer")

    # Drag the deal on the board; the move persists.
    page.goto(f"{base}/board/")
    target = page.locator(".crm-column", has=page.locator("h2", has_text="Negotiation"))
    with page.expect_response(lambda r: r.url.endswith("/board/move")) as moved:
        page.drag_and_drop(".crm-deal:has-text('Forty chairs')", ".crm-column:has(h2:has-text('Negotiation'))")
    assert moved.value.status == 200
    page.reload()
    assert "Forty chairs" in target.inner_text()
    assert target.locator(".crm-count").inner_text() == "1"
    shoot(page, "board")

    page.goto(f"{base}/")
    assert page.locator("#funnel svg").count() == 1
    shoot(page, "dashboard")

    # A plugin switched on shows its menu; switched off, the menu is gone.
    page.goto(f"{base}/plugins/")
    menu_entry = page.locator("#main-menu a[href='/recorder/']")
    with page.expect_navigation():
        page.click("#plugin-recorder button.crm-switch")
    expect(menu_entry).to_have_count(1)
    with page.expect_navigation():
        page.click("#plugin-recorder button.crm-switch")
    expect(menu_entry).to_have_count(0)

    # Persian turns the page right to left.
    with page.expect_navigation():
        page.select_option("select[name=language]", "fa")
    assert page.get_attribute("html", "dir") == "rtl"
    shoot(page, "plugins-fa")


def test_staff_get_403_on_the_plugins_screen(page: Any, server: tuple[str, Any], make_user: Any) -> None:
    base, _ = server
    staff = make_user("staff", password=PASSWORD)
    log_in(page, base, staff.email)

    response = page.goto(f"{base}/plugins/")

    assert response.status == 403
    assert page.locator("a[href='/plugins/']").count() == 0
