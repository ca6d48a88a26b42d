"""Nothing but the log-in page is reachable without a session; sessions are protected."""

from __future__ import annotations

import pytest

from crmcore.web import create_app


@pytest.fixture
def csrf_client(crm):
    """A client with CSRF protection on, as in production."""
    return create_app(crm, testing=True).test_client()


def test_every_screen_redirects_to_login_without_a_session(client):
    for path in ("/", "/customers/", "/deals/", "/tasks/"):
        response = client.get(path)
        assert response.status_code == 302 and response.location.startswith("/login"), path


def test_login_with_the_right_password_opens_the_dashboard(client, make_user):
    user = make_user("staff", password="correct horse battery")

    response = client.post("/login", data={"email": user.email.upper(), "password": "correct horse battery"})

    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, make_user):
    user = make_user("staff", password="correct horse battery")

    response = client.post("/login", data={"email": user.email, "password": "wrong"})

    assert response.status_code == 401 and b"Wrong email or password." in response.data
    assert client.get("/").status_code == 302


def test_login_attempts_are_rate_limited(crm_factory, make_user):
    crm = crm_factory(login_attempts_per_15_minutes=3)
    app = create_app(crm, testing=True)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    user = make_user("staff", password="correct horse battery")

    for _ in range(3):
        client.post("/login", data={"email": user.email, "password": "wrong"})
    response = client.post("/login", data={"email": user.email, "password": "correct horse battery"})

    assert response.status_code == 429


def test_the_login_form_needs_its_csrf_token(csrf_client, make_user):
    user = make_user("staff", password="correct horse battery")

    response = csrf_client.post("/login", data={"email": user.email, "password": "correct horse battery"})

    assert response.status_code == 400 and b"reload the page" in response.data
    assert csrf_client.get("/").status_code == 302


def test_the_session_cookie_is_httponly_and_samesite(client, make_user):
    user = make_user("staff", password="correct horse battery")

    response = client.post("/login", data={"email": user.email, "password": "correct horse battery"})

    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logout_ends_the_session(client, login):
    login(client, "staff")

    client.post("/logout")

    assert client.get("/").status_code == 302


def test_an_open_redirect_after_login_is_refused(client, make_user):
    user = make_user("staff", password="correct horse battery")

    response = client.post("/login?next=https://evil.example/", data={"email": user.email,
                                                                      "password": "correct horse battery"})

    assert response.location == "/"


def test_a_deactivated_user_cannot_log_in(client, crm, make_user):
    user = make_user("staff", password="correct horse battery")
    crm.services.users.update(user.id, {"active": False})

    response = client.post("/login", data={"email": user.email, "password": "correct horse battery"})

    assert response.status_code == 401


def test_an_api_token_authenticates_and_a_revoked_one_does_not(client, crm, make_user):
    user = make_user("staff")
    token, record = crm.services.users.create_token(user.id, "shop", days=30)

    assert client.get("/health", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    crm.services.users.revoke_token(record.id)
    assert client.get("/", headers={"Authorization": f"Bearer {token}"}).status_code == 302


def test_passwords_and_tokens_are_stored_hashed(crm, make_user):
    from sqlalchemy import select

    from crmcore.models import ApiToken, User

    user = make_user("staff", password="correct horse battery")
    token, _ = crm.services.users.create_token(user.id, "shop")
    with crm.db.session() as session:
        stored = session.get(User, user.id).password_hash
        digests = session.scalars(select(ApiToken.token_hash)).all()

    assert "correct horse battery" not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
    assert token not in digests and len(digests[0]) == 64


def test_a_tokens_last_use_is_recorded_at_most_once_a_minute(crm, make_user):
    from datetime import timedelta

    from crmcore.models import ApiToken

    token, record = crm.services.users.create_token(make_user("staff").id, "shop")

    def last_used():
        with crm.db.session() as session:
            return session.get(ApiToken, record.id).last_used_at

    assert crm.services.users.user_for_token(token) is not None
    first = last_used()
    crm.services.users.user_for_token(token)
    assert first is not None and last_used() == first
    with crm.db.session() as session:
        session.get(ApiToken, record.id).last_used_at = first - timedelta(minutes=2)
    crm.services.users.user_for_token(token)
    assert last_used() > first - timedelta(minutes=2)


def test_a_token_of_a_deactivated_user_does_not_authenticate(crm, make_user):
    user = make_user("staff")
    token, _record = crm.services.users.create_token(user.id, "shop")

    crm.services.users.update(user.id, {"active": False})

    assert crm.services.users.user_for_token(token) is None
