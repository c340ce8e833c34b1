"""Sessions, login throttling, and every record's history on its page (issue 7)."""
import time

from conftest import csrf_token
from factories import make_customer, make_repair_order
from helpers import edit_payload
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
    customer = make_customer()
    as_clerk.submit("/admin/customer/edit/?id=%d" % customer.id,
                    {"name": customer.name, "kind": customer.kind, "status": customer.status,
                     "notes": "换了新的联系人 <b>"})
    page = as_clerk.get("/admin/customer/details/?id=%d" % customer.id).text
    history = page.split('id="history"')[1].split("</table>")[0]
    assert "客服专员 王芳" in history and "修改" in history and "备注" in history
    assert "换了新的联系人 &lt;b&gt;" in history


# ---------------------------------------------------------------- optimistic locking

def test_the_second_of_two_clerks_saving_the_same_record_is_refused(login, app):
    customer = make_customer()
    first, second = login("clerk"), login("admin")
    url = "/admin/customer/edit/?id=%d" % customer.id
    page_one, page_two = first.get(url).text, second.get(url).text
    assert 'name="kefu_version"' in page_one
    saved = first.post(url, data=edit_payload(page_one, contact_person="李经理"))
    assert saved.status_code == 302
    refused = second.post(url, data=edit_payload(page_two, notes="第二位的修改"))
    assert refused.status_code == 200
    assert "该记录已被修改" in refused.text and "客服专员 王芳" in refused.text and "联系人" in refused.text
    customer = Customer.get_by_id(customer.id)
    assert customer.contact_person == "李经理" and customer.notes != "第二位的修改"
    # After reloading, the second clerk's change goes through.
    again = second.get(url).text
    assert second.post(url, data=edit_payload(again, notes="第二位的修改")).status_code == 302
    assert Customer.get_by_id(customer.id).notes == "第二位的修改"


def test_a_step_taken_meanwhile_also_refuses_the_stale_form(login, app):
    from models import RepairOrder
    order = make_repair_order()
    clerk = login("clerk")
    url = "/admin/repairorder/edit/?id=%d" % order.id
    page = clerk.get(url).text
    login("admin").submit("/admin/repairorder/step/dispatch/?id=%d" % order.id, {})
    refused = clerk.post(url, data=edit_payload(page, description="改了描述"))
    assert "该记录已被修改" in refused.text and "派单" in refused.text
    assert RepairOrder.get_by_id(order.id).description != "改了描述"


def test_two_racing_dispatches_exactly_one_wins(app):
    import threading
    from database import write_transaction
    from models import DomainError, RepairOrder, User
    from datetime import datetime
    order = make_repair_order()
    clerk = User.get(User.username == "clerk")
    outcomes = []

    def dispatch():
        from models import db
        with db.connection_context():
            try:
                with write_transaction():
                    RepairOrder.get_by_id(order.id).dispatch(clerk, datetime(2026, 11, 23, 10, 0))
                outcomes.append("won")
            except DomainError:
                outcomes.append("refused")
    threads = [threading.Thread(target=dispatch) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused"] * 3 + ["won"]
    assert AuditLog.select().where((AuditLog.model == "RepairOrder") & (AuditLog.action == "dispatch")
                                   & (AuditLog.record_id == str(order.id))).count() == 1


def test_the_database_refuses_to_change_or_delete_audit_rows(app):
    import pytest
    from peewee import DatabaseError
    from models import db
    row = AuditLog.select().first()
    for statement in (AuditLog.update(summary="改写").where(AuditLog.id == row.id),
                      AuditLog.delete().where(AuditLog.id == row.id)):
        with pytest.raises(DatabaseError):
            with db.atomic():
                statement.execute()
    assert AuditLog.get_by_id(row.id).summary == row.summary


# ---------------------------------------------------------------- personal data (R-ENQ-3)

def test_personal_data_is_masked_for_roles_that_do_not_need_it(login, app):
    from privacy import mask
    customer = make_customer(id_number="110101199003071234", address="上海市浦东新区世纪大道100号")
    hidden_phone = mask(customer.phone, "phone")
    assert hidden_phone == customer.phone[:3] + "****" + customer.phone[-4:]
    details = "/admin/customer/details/?id=%d" % customer.id
    for role in ("clerk", "property", "ops", "admin"):
        page = login(role).get(details).text
        assert customer.phone in page and "110101199003071234" in page
    for role in ("auditor", "pm", "gm"):
        client = login(role)
        page = client.get(details).text
        assert customer.phone not in page and hidden_phone in page
        assert "110101199003071234" not in page and "110***********1234" in page
        assert "世纪大道" not in page and "上海市浦东新****" in page
        grid = client.get("/admin/customer/?search=%s" % customer.name).text
        assert customer.phone not in grid
        export = client.get("/admin/customer/export/csv/").get_data(as_text=True)
        assert customer.phone not in export and hidden_phone in export


def test_a_supervisor_may_reveal_one_record_and_it_is_audited(login, app):
    customer, other = make_customer(), make_customer()
    details = "/admin/customer/details/?id=%d" % customer.id
    pm = login("pm")
    page = pm.get(details).text
    assert "查看完整个人信息</button>" in page
    assert customer.phone not in page  # nor in the record's history
    token = csrf_token(page)
    assert pm.post("/admin/customer/unmask/?id=%d" % customer.id, data={}).status_code == 403
    pm.post("/admin/customer/unmask/?id=%d" % customer.id, data={"csrf_token": token})
    assert customer.phone in pm.get(details).text
    assert other.phone not in pm.get("/admin/customer/details/?id=%d" % other.id).text
    row = AuditLog.get((AuditLog.action == "unmask") & (AuditLog.record_id == str(customer.id)))
    assert row.username == "pm"
    auditor = login("auditor")
    page = auditor.get(details).text
    assert "查看完整个人信息</button>" not in page and customer.phone not in page
    audit_grid = auditor.get("/admin/auditlog/?search=%s" % customer.name).text
    assert customer.phone not in audit_grid
    assert auditor.post("/admin/customer/unmask/?id=%d" % customer.id,
                        data={"csrf_token": csrf_token(page)}).status_code == 403


def test_printed_slips_mask_personal_data_too(login, app):
    from models import RepairOrder
    order = make_repair_order(reporter_name="周女士", reporter_phone="13912345678")
    slip = "/admin/repairorder/print/?id=%d&slip=repair_order" % order.id
    assert order.reporter_phone in login("clerk").get(slip).text
    page = login("pm").get(slip).text
    assert order.reporter_phone not in page and order.reporter_phone[-4:] in page
    assert RepairOrder.get_by_id(order.id).reporter_phone == order.reporter_phone  # nothing saved


def test_a_crash_in_the_middle_of_a_bulk_action_leaves_whole_records(as_clerk, app, monkeypatch):
    """Each record is changed in its own transaction with its audit row: a crash on the second
    record leaves the first done (with its audit row) and the second untouched."""
    import models
    from models import RepairOrder
    from factories import make_repair_order
    orders = [make_repair_order(), make_repair_order()]
    real_audit, calls = models.JOURNAL["audit"], []  # what a step's audit row goes through

    def crash_on_second(action, *args, **kwargs):
        if action == "dispatch":
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("power cut")
        return real_audit(action, *args, **kwargs)
    monkeypatch.setitem(models.JOURNAL, "audit", crash_on_second)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    page = as_clerk.get("/admin/repairorder/")
    response = as_clerk.post("/admin/repairorder/action/", data={
        "action": "dispatch", "rowid": [str(o.id) for o in orders[:2]],
        "csrf_token": csrf_token(page.text)})
    assert response.status_code == 500
    first, second = (RepairOrder.get_by_id(o.id) for o in orders[:2])
    assert first.status == "dispatched" and second.status == "registered"
    audited = {int(a.record_id) for a in AuditLog.select().where(
        (AuditLog.model == "RepairOrder") & (AuditLog.action == "dispatch"))}
    assert orders[0].id in audited and orders[1].id not in audited
    from models import Deadline
    assert not Deadline.select().where((Deadline.record_type == "RepairOrder")
                                       & (Deadline.record_id == orders[1].id)
                                       & (Deadline.kind == "accept")).exists()


def test_masked_roles_cannot_find_a_phone_by_its_digits(login, app):
    customer = make_customer()
    for role in ("auditor", "pm"):
        client = login(role)
        grid = client.get("/admin/customer/?search=%s" % customer.phone).text
        assert customer.name not in grid.split('<table')[1] if '<table' in grid else True
        lookup = client.get("/admin/contact/ajax/lookup/?name=customer&query=%s" % customer.phone)
        assert customer.name not in lookup.get_data(as_text=True)
    assert customer.name in login("clerk").get("/admin/customer/?search=%s" % customer.phone).text


def test_a_search_typed_by_a_clerk_is_masked_in_the_audit_log_for_the_auditor(login, app):
    customer = make_customer()
    login("clerk").get("/admin/customer/export/csv/?search=%s" % customer.phone).get_data()
    grid = login("auditor").get("/admin/auditlog/?search=export").text
    assert customer.phone not in grid and customer.phone[-4:] in grid


def test_an_edit_without_the_version_is_refused(login, app):
    customer = make_customer()
    url = "/admin/customer/edit/?id=%d" % customer.id
    clerk = login("clerk")
    data = edit_payload(clerk.get(url).text, notes="没有版本号")
    data.pop("kefu_version")
    response = clerk.post(url, data=data)
    assert "页面已过期" in response.text and Customer.get_by_id(customer.id).notes != "没有版本号"


def test_throttling_ignores_spaces_and_case_in_the_name(client, app):
    for variant in ("clerk ", " clerk", "CLERK", "Clerk", " clerk  "):
        try_login(client, variant, "wrong")
    assert "登录失败次数过多" in try_login(client, "clerk", "demo").text


def test_a_revealed_record_is_not_revealed_in_exports_and_expires(login, app, monkeypatch):
    import privacy
    customer = make_customer()
    pm = login("pm")
    details = "/admin/customer/details/?id=%d" % customer.id
    pm.post("/admin/customer/unmask/?id=%d" % customer.id, data={"csrf_token": csrf_token(pm.get(details).text)})
    assert customer.phone in pm.get(details).text
    assert customer.phone not in pm.get("/admin/customer/export/csv/").get_data(as_text=True)
    monkeypatch.setattr(privacy, "UNMASK_SECONDS", 0)
    assert customer.phone not in pm.get(details).text
