"""Login, roles, department scoping, CSRF and no hard deletes."""
import pytest

from models import (AuditLog, Charge, Complaint, Customer, Department, RepairOrder, SlaRule,
                    User, WorkLetter)
from factories import make_customer, make_repair_order
from helpers import rows, url, valid_form


def test_every_admin_url_requires_login(client):
    for path in ("/admin/", "/admin/repairorder/", "/admin/repairorder/new/",
                 "/admin/customer/details/?id=1", "/admin/auditlog/"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_login_failure_is_refused_and_audited(client):
    from conftest import csrf_token
    page = client.get("/login")
    response = client.post("/login", data={"username": "clerk", "password": "wrong",
                                            "csrf_token": csrf_token(page.text)})
    assert response.status_code == 200
    assert "登录名或密码不正确" in response.text
    assert client.get("/admin/").status_code == 302
    assert AuditLog.select().where((AuditLog.action == "login_failed")
                                   & (AuditLog.summary == "clerk")).count() == 1


def test_login_success_is_audited_and_shows_the_console(as_clerk):
    home = as_clerk.get("/admin/")
    assert home.status_code == 200
    assert "客服专员 王芳" in home.text
    assert AuditLog.select().where((AuditLog.action == "login")
                                   & (AuditLog.username == "clerk")).exists()


def test_login_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"username": "admin", "password": "demo"})
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_login_does_not_redirect_to_another_site(client):
    from conftest import csrf_token
    page = client.get("/login?next=//evil.example/")
    response = client.post("/login?next=//evil.example/", data={
        "username": "clerk", "password": "demo", "csrf_token": csrf_token(page.text)})
    assert response.headers["Location"].endswith("/admin/")


def test_logout_ends_the_session(as_clerk):
    from conftest import csrf_token
    page = as_clerk.get("/admin/")
    as_clerk.post("/logout", data={"csrf_token": csrf_token(page.text)})
    assert as_clerk.get("/admin/").status_code == 302


def test_auditor_reads_and_exports_but_cannot_write(as_auditor):
    assert as_auditor.get(url(RepairOrder)).status_code == 200
    assert as_auditor.get(url(AuditLog)).status_code == 200
    export = as_auditor.get(url(RepairOrder, "export/csv/"))
    assert export.status_code == 200
    assert "WX-" in export.get_data(as_text=True)
    assert as_auditor.get(url(RepairOrder, "new/")).status_code == 403
    before = RepairOrder.select().count()
    response = as_auditor.post(url(RepairOrder, "new/"), data=valid_form(RepairOrder))
    assert response.status_code == 403
    order = make_repair_order()
    before += 1
    assert as_auditor.get(url(RepairOrder, f"edit/?id={order.id}")).status_code == 403
    assert RepairOrder.select().count() == before
    assert "创建新记录" not in as_auditor.get(url(RepairOrder)).text


@pytest.mark.parametrize("model", [SlaRule, Department, User])
def test_only_admin_edits_settings(login, model):
    record = model.select().first()
    for username in ("clerk", "ops", "gm"):
        client = login(username)
        assert client.get(url(model, f"edit/?id={record.id}")).status_code in (403,)
        assert client.post(url(model, "new/"), data=valid_form(model)).status_code == 403
    admin = login("admin")
    assert admin.get(url(model, f"edit/?id={record.id}")).status_code == 200


def test_property_staff_see_only_their_departments_rows(as_property):
    prop = Department.get(Department.code == "property")
    grid = as_property.get(url(Complaint, "?page_size=100"))
    ours = list(Complaint.select().where(Complaint.department == prop))
    theirs = list(Complaint.select().where(Complaint.department != prop))
    assert ours and theirs
    for complaint in ours:
        assert complaint.number in grid.text
    for complaint in theirs:
        assert complaint.number not in grid.text
        assert as_property.get(url(Complaint, f"details/?id={complaint.id}")).status_code == 404
    letters = as_property.get(url(WorkLetter, "?page_size=100")).text
    for letter in list(WorkLetter.select()):
        visible = prop.id in (letter.from_department_id, letter.to_department_id)
        assert (letter.number in letters) == visible


def test_staff_cannot_open_cash_registers(as_property):
    assert as_property.get(url(Charge)).status_code == 403
    assert as_property.get(url(AuditLog)).status_code == 403
    assert as_property.get(url(User)).status_code == 403


def test_create_without_csrf_token_saves_nothing(as_clerk):
    before = RepairOrder.select().count()
    response = as_clerk.submit(url(RepairOrder, "new/"), valid_form(RepairOrder), token=False)
    assert response.status_code == 200
    assert RepairOrder.select().count() == before
    response = as_clerk.post(url(RepairOrder, "new/"),
                             data=valid_form(RepairOrder) | {"csrf_token": "forged"})
    assert RepairOrder.select().count() == before


def test_nobody_deletes_records(login):
    from conftest import csrf_token
    customer = make_customer()
    for username in ("admin", "clerk"):
        client = login(username)
        page = client.get(url(Customer))
        assert "删除" not in rows(page.text)
        client.post(url(Customer, "delete/"), data={"id": customer.id,
                                                    "csrf_token": csrf_token(page.text)})
        client.post(url(Customer, "action/"), data={"action": "delete", "rowid": customer.id,
                                                    "csrf_token": csrf_token(page.text)})
    assert Customer.get_by_id(customer.id)


def test_archive_with_reason_instead_of_delete(as_clerk):
    customer = make_customer()
    form = url(Customer, f"archive/?id={customer.id}")
    empty = as_clerk.submit(form, {"reason": ""})
    assert "请填写归档原因" in empty.text
    assert Customer.get_by_id(customer.id).archived_at is None
    done = as_clerk.submit(form, {"reason": "商户已撤场"})
    assert done.status_code == 302
    archived = Customer.get_by_id(customer.id)
    assert archived.archived_at is not None and archived.archive_reason == "商户已撤场"
    assert AuditLog.get((AuditLog.action == "archive") & (AuditLog.record_id == str(customer.id))
                        & (AuditLog.model == "Customer")).username == "clerk"
    not_archived = as_clerk.get(url(Customer, "?flt0_archived_at_notarchived=1&page_size=100"))
    assert customer.name not in rows(not_archived.text)


def test_auditor_cannot_archive(as_auditor):
    customer = make_customer()
    assert as_auditor.get(url(Customer, f"archive/?id={customer.id}")).status_code == 403


def test_audit_log_cannot_be_edited_by_anyone(as_admin):
    row = AuditLog.select().first()
    assert as_admin.get(url(AuditLog, f"edit/?id={row.id}")).status_code == 403
    assert as_admin.get(url(AuditLog, "new/")).status_code == 403
    from models import DomainError
    row.action = "tampered"
    with pytest.raises(DomainError):
        row.save()
    with pytest.raises(DomainError):
        row.delete_instance()


def test_csrf_token_outlives_a_long_phone_call_but_not_a_shift(as_clerk, monkeypatch):
    """Tokens last 4 hours (KEFU_CSRF_TIME_LIMIT), not WTForms' default 30 minutes."""
    from datetime import datetime, timedelta
    from wtforms.csrf.session import SessionCSRF
    from conftest import csrf_token
    form_url = url(RepairOrder, "new/")
    before = RepairOrder.select().count()
    for minutes_later, saved in ((120, True), (5 * 60, False)):
        token = csrf_token(as_clerk.get(form_url).text)
        later = datetime.now() + timedelta(minutes=minutes_later)
        monkeypatch.setattr(SessionCSRF, "now", lambda self, t=later: t)
        as_clerk.post(form_url, data=valid_form(RepairOrder) | {"csrf_token": token})
        monkeypatch.undo()
        before += saved
        assert RepairOrder.select().count() == before


def test_staff_cannot_file_or_move_rows_into_another_department(as_property):
    ops = str(Department.get(Department.code == "operations").id)
    before = Complaint.select().count()
    response = as_property.submit(url(Complaint, "new/"), valid_form(Complaint)
                                  | {"category": "product", "department": "__None"})
    assert "只能登记或修改本部门的记录" in response.text
    assert Complaint.select().count() == before
    prop = Department.get(Department.code == "property")
    ours = Complaint.select().where(Complaint.department == prop).first()
    data = valid_form(Complaint) | {"department": ops, "subject": ours.subject,
                                    "received_at": f"{ours.received_at:%Y-%m-%d %H:%M:%S}"}
    response = as_property.submit(url(Complaint, f"edit/?id={ours.id}"), data)
    assert "受理后请用“改派”办理" in response.text
    assert Complaint.get_by_id(ours.id).department_id == prop.id
    ok = as_property.submit(url(Complaint, "new/"), valid_form(Complaint))
    assert ok.status_code == 302 and Complaint.select().count() == before + 1


def test_a_departments_new_record_starts_with_its_own_department(as_property, as_clerk):
    """A department's staff file only for their own department: the new form starts there (a
    letter's sending department, a complaint's handling one), so no one meets the refusal by
    keeping the first department of the list; a hub role's form starts empty."""
    from conftest import browser_form
    from models import WorkLetter
    prop = str(Department.get(Department.code == "property").id)
    assert prop != str(Department.select(Department.id).order_by(Department.id).scalar())
    letter = browser_form(as_property.get(url(WorkLetter, "new/")).text)
    assert letter["from_department"] == prop
    assert browser_form(as_property.get(url(Complaint, "new/")).text)["department"] == prop
    assert browser_form(as_clerk.get(url(Complaint, "new/")).text).get("department") != prop


def test_csv_export_opens_in_excel_safely_and_is_audited(as_clerk):
    import csv
    import io
    as_clerk.submit(url(Customer, "new/"), valid_form(Customer) | {
        "name": '=HYPERLINK("http://x","点我")', "notes": "-5", "shop_no": "@SUM(A1)"})
    response = as_clerk.get(url(Customer, "export/csv/?search=HYPERLINK"))
    assert response.status_code == 200
    body = response.get_data()
    assert body.startswith("\ufeff".encode("utf-8"))
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    column = {title: i for i, title in enumerate(rows[0])}
    assert rows[0][0] == "记录号" and "客户名称" in column and "备注" in column  # every field
    assert rows[1][column["客户名称"]] == "'=HYPERLINK(\"http://x\",\"点我\")"
    assert rows[1][column["铺位号"]] == "'@SUM(A1)"
    assert rows[1][column["备注"]] == "-5"  # a plain negative number stays a number
    assert rows[1][column["客户类别"]] == "商户"  # labels, not codes
    assert len(rows) == 2
    export = AuditLog.select().where(AuditLog.action == "export").order_by(AuditLog.id.desc()).get()
    assert export.username == "clerk" and "Customer" in export.summary and "HYPERLINK" in export.changes


def test_excel_safe_keeps_negative_numbers():
    from views.base import excel_safe
    assert excel_safe("-12.5") == "-12.5"
    assert excel_safe("-x") == "'-x"
    assert excel_safe("\tcmd") == "'\tcmd"
    assert excel_safe(None) == ""
