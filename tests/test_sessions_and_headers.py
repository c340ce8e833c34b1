"""Issue 18: sessions end server-side, login throttling, response headers, file modes and
spreadsheet bombs refused."""
from conftest import csrf_token
from models import User


def try_login(client, username, password, **kw):
    page = client.get("/login", **kw)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(page.text)}, **kw)


def session_cookie(client):
    return client.get_cookie("session").value


def replay(app, cookie, path="/admin/"):
    """A fresh browser presenting a copied session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get(path)


def logout(client):
    page = client.get("/admin/")
    return client.post("/logout", data={"csrf_token": csrf_token(page.text)})


# ---------------------------------------------------------------- sessions

def test_a_captured_cookie_is_refused_after_logout(as_clerk, app):
    captured = session_cookie(as_clerk.http)
    assert replay(app, captured).status_code == 200
    assert logout(as_clerk.http).status_code == 302
    refused = replay(app, captured)
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]


def test_a_captured_cookie_is_refused_after_a_password_change(login, app):
    clerk = login("clerk")
    captured = session_cookie(clerk.http)
    admin = login("admin")
    user = User.get(User.username == "clerk")
    page = admin.get("/admin/user/edit/?id=%d" % user.id).text
    from test_security import edit_payload
    saved = admin.post("/admin/user/edit/?id=%d" % user.id,
                       data=edit_payload(page, password="a-new-password-1"))
    assert saved.status_code == 302
    assert replay(app, captured).status_code == 302
    assert clerk.get("/admin/").status_code == 302  # the clerk's own browser too
    assert admin.get("/admin/").status_code == 200  # the admin's session is not touched


def test_an_admin_changing_their_own_password_stays_logged_in(login, app):
    admin = login("admin")
    user = User.get(User.username == "admin")
    page = admin.get("/admin/user/edit/?id=%d" % user.id).text
    from test_security import edit_payload
    saved = admin.post("/admin/user/edit/?id=%d" % user.id,
                       data=edit_payload(page, password="a-new-password-1"))
    assert saved.status_code == 302
    assert admin.get("/admin/").status_code == 200


def test_a_captured_cookie_is_refused_after_the_user_is_disabled_and_enabled_again(login, app):
    clerk = login("clerk")
    captured = session_cookie(clerk.http)
    admin = login("admin")
    user = User.get(User.username == "clerk")
    url = "/admin/user/edit/?id=%d" % user.id
    from test_security import edit_payload
    payload = edit_payload(admin.get(url).text)
    payload.pop("is_active", None)  # an unticked box is not posted
    assert admin.post(url, data=payload).status_code == 302
    assert not User.get_by_id(user.id).is_active
    assert replay(app, captured).status_code == 302
    again = edit_payload(admin.get(url).text, is_active="y")
    assert admin.post(url, data=again).status_code == 302
    assert User.get_by_id(user.id).is_active
    assert replay(app, captured).status_code == 302  # enabling again revives no old session


def test_login_rotates_the_session_and_its_csrf_secret(client, app):
    client.get("/login")
    with client.session_transaction() as before:
        before["planted"] = "by someone else"
        secret_before = before.get("csrf")
    assert secret_before
    assert try_login(client, "clerk", "demo").status_code == 302
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after.get("csrf") != secret_before
