"""Sessions, login throttling, and every record's history on its page (issue 7)."""
import time

from conftest import csrf_token
from models import AuditLog, Customer


def try_login(client, username, password):
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(page.text)})


def test_repeated_failures_lock_the_name_for_a_while(client, app):
    for _ in range(5):
        assert "登录名或密码不正确" in try_login(client, "clerk", "wrong").text
    refused = try_login(client, "clerk", "demo")  # the right password no longer helps
    assert refused.status_code == 200 and "登录失败次数过多" in refused.text
    assert AuditLog.select().where(AuditLog.action == "login_throttled").count() == 1
    assert try_login(client, "ops", "demo").status_code == 302  # other names are not locked out


def test_an_idle_session_is_logged_out(as_clerk, app):
    assert as_clerk.get("/admin/").status_code == 200
    with as_clerk.http.session_transaction() as session:
        session["seen"] = time.time() - 31 * 60
    response = as_clerk.get("/admin/repairorder/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert as_clerk.get("/admin/").status_code == 302  # really logged out
    assert AuditLog.select().where(AuditLog.summary.contains("超时自动退出")).exists()


def test_a_recent_session_stays(as_clerk, app):
    with as_clerk.http.session_transaction() as session:
        session["seen"] = time.time() - 29 * 60
    assert as_clerk.get("/admin/repairorder/").status_code == 200


def test_a_records_page_shows_its_history(as_clerk, app):
    customer = Customer.select().first()
    as_clerk.submit("/admin/customer/edit/?id=%d" % customer.id,
                    {"name": customer.name, "kind": customer.kind, "status": customer.status,
                     "notes": "换了新的联系人 <b>"})
    page = as_clerk.get("/admin/customer/details/?id=%d" % customer.id).text
    history = page.split('id="history"')[1].split("</table>")[0]
    assert "clerk" in history and "修改" in history and "备注" in history
    assert "换了新的联系人 &lt;b&gt;" in history
