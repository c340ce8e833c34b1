"""Workflow steps as a user meets them: where every step lands, what it asks first, and the
complaint taken at the desk (issue 17)."""
import html
import re
from datetime import datetime

import pytest

import flows.cash
import flows.reception
import flows.surveys
from conftest import DEMO_NOW, csrf_token
from factories import make_customer
from models import (Alert, Complaint, ComplaintUpdate, Contact, CorrectiveAction, Customer,
                    Department, ItemLoan, Notice, NoticeReceipt, RepairOrder, Survey, User,
                    WorkLetter)
from views import MENU
from views.base import KefuModelView

# Every step of every register and what its button does: "form" opens the step's form page,
# "confirm" asks 确认/取消 in place (money, closing, notifying someone), "fire" runs at once.
STEP_MODES = {
    "contact": {"to_repair": "fire", "to_service_request": "fire", "to_complaint": "form",
                "to_letter": "form", "handled": "form", "answer": "form"},
    "repairorder": {"dispatch": "confirm", "accept": "fire", "complete": "form",
                    "callback": "form", "refuse": "form", "hold": "form", "release": "fire"},
    "servicerequest": {"approve": "form", "decline": "form", "hand_back": "confirm",
                       "notify": "form", "hold": "form", "release": "fire"},
    "workletter": {"send": "confirm", "acknowledge": "fire", "reply": "form", "close": "confirm"},
    "shifthandover": {"take_over": "confirm", "finance": "form"},
    "charge": {"void": "form"},
    "itemloan": {"issue": "form", "return_item": "confirm", "refund": "form"},
    "complaint": {"scope": "form", "correct": "form", "start": "form", "progress": "form",
                  "feedback": "form", "follow_up": "form", "resolve": "form", "callback": "form",
                  "escalate": "form", "reroute": "form", "hold": "form", "release": "fire"},
    "complaintpasson": {"register": "form"},
    "complaintreport": {"regenerate": "fire", "publish": "confirm"},
    "survey": {"copy_template": "form", "submit": "confirm", "approve": "fire",
               "return_plan": "form", "train": "form", "begin": "fire", "distribute": "form",
               "paper_copies": "form", "close": "confirm", "file": "confirm"},
    "correctiveaction": {"complete_action": "form", "verify": "form",
                         "reject_verification": "form"},
    "notice": {"publish": "form"},
    "noticereceipt": {"confirm": "form", "sign": "fire"},
    "meeting": {"attendance": "form"},
    "actionitem": {"complete_item": "form", "cancel_item": "form"},
    "alert": {"resolve": "form"},
}

LOGIN_OF_ROLE = {User.ADMIN: "admin", User.CLERK: "clerk", User.STAFF: "property",
                 User.MANAGER: "ops", User.PM: "pm", User.GM: "gm"}


def views_with_steps(app):
    admin = app.extensions["admin"][0]
    return [v for v in admin._views if isinstance(v, KefuModelView) and v.steps]


def mode(step):
    return "form" if step.fields else "confirm" if step.confirm else "fire"


def test_every_step_confirms_or_fires_by_what_it_does(app):
    seen = {view.endpoint: {step.name: mode(step) for step in view.steps}
            for view in views_with_steps(app)}
    assert seen == STEP_MODES


def test_money_closing_and_notifying_steps_are_exactly_the_confirmed_ones(app):
    from views.steps import CLOSES, MONEY, NOTIFIES
    for view in views_with_steps(app):
        for step in view.steps:
            if not step.fields:
                assert step.confirm == bool(step.does & {MONEY, CLOSES, NOTIFIES}), step.name


# ---------------------------------------------------------------- every step lands on its record

# What a user types into a step's fields; selects and checklists take what the page offers.
TYPED = {"receiver": "财务部 吴会计", "reason": "测试原因", "answer": "已电话告知咨询人", "content": "测试处理情况", "told": "已电话告知", "result": "已处理完毕",
         "note": "同意", "outcome": "已当面答复", "reply": "已安排处理", "evidence": "现场核实照片",
         "action": "加强巡查", "fixed": "yes", "satisfaction": "5", "person": "店长", "notes": "满意",
         "category": "property", "severity": "important", "requested_by": "", "copies": "3",
         "method": "phone", "confirmed_at": "", "trained_at": "2026-11-23T09:00", "shop_nos": ""}


def form_data(page, record):
    """The values a user would submit on a step's form page."""
    data = {}
    for name, body in re.findall(r"<select[^>]*name=\"(\w+)\"[^>]*>(.*?)</select>", page, re.S):
        options = [v for v in re.findall(r'<option[^>]*value="([^"]*)"', body) if v]
        if name == "department" and getattr(record, "department_id", None):
            options = [v for v in options if v != str(record.department_id)]
        data[name] = options[-1 if name == "department" else 0] if options else ""
    for tag in re.findall(r'<input[^>]*type="checkbox"[^>]*>', page):
        name, value = re.search(r'name="(\w+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and value:  # a checklist: tick everything (a guideline met, every department)
            data.setdefault(name.group(1), []).append(value.group(1))
    if "departments" in data:  # one department other than the service center's own
        data["departments"] = data["departments"][-1:]
    for name in re.findall(r'<(?:input|textarea)[^>]*name="(\w+)"', page):
        if name not in data and name != "csrf_token":
            data[name] = TYPED.get(name, "")
    for name, value in TYPED.items():
        if name in data and name not in ("department",) and not isinstance(data[name], list) \
                and name in ("category", "severity", "satisfaction", "method"):
            data[name] = value
    # Papers are checked against the record's own numbers (R-LOAN-2/3); finance receives the
    # shift's counted cash (R-PAY-2).
    for name, column in (("certificate_no", "number"), ("receipt_no", "receipt_no"),
                         ("amount", "cash_counted")):
        if name in data and hasattr(record, column):
            data[name] = str(getattr(record, column))
    if "shop_nos" in data:
        shop = Customer.select().where(Customer.shop_no.is_null(False)).first()
        data["shop_nos"] = shop.shop_no
    return data


def applicable_record(view, step, user):
    """A record of `view`'s register on which `user` may take `step` now, or None."""
    from flask_login import login_user
    with view.admin.app.test_request_context():
        login_user(user)
        for record in view.model.select().order_by(view.model.id.desc()):
            if step.applies_to(record) and view._step_in_scope(step, record):
                return record
    return None


def every_step():
    for module, _ in MENU:
        for view in vars(module).values():
            if isinstance(view, type) and issubclass(view, KefuModelView) and view.steps \
                    and view.__module__ == module.__name__:
                for step in view.steps:
                    yield pytest.param(view, step, id=f"{view.__name__}.{step.name}")


def view_of(app, view_class):
    return next(v for v in app.extensions["admin"][0]._views if type(v) is view_class)


@pytest.mark.parametrize("view_class, step", list(every_step()))
def test_every_step_lands_on_its_records_page_with_the_message(app, login, view_class, step):
    """Each step of each register, taken as a user allowed to, redirects to that record's
    details page, which shows what was done."""
    view = view_of(app, view_class)
    step = view.step(step.name)  # as the app binds it: with its roles from access.py
    role = next(r for r in (User.ADMIN, User.CLERK, User.MANAGER, User.STAFF, User.PM, User.GM)
                if r in step.roles)
    username = LOGIN_OF_ROLE[role]
    PREPARE.get(f"{view.endpoint}.{step.name}", lambda: None)()
    record = applicable_record(view, step, User.get(User.username == username))
    assert record is not None, "no record to take the step on"
    client = login(username)
    step_url = f"/admin/{view.endpoint}/step/{step.name}/?id={record.id}&url=/admin/{view.endpoint}/"
    page = client.get(step_url, follow_redirects=True).text
    data = form_data(page, record) if step.fields else {}
    data["csrf_token"] = csrf_token(page)
    response = client.post(step_url, data=data)
    assert response.status_code == 302, (data, re.findall(
        r"invalid-feedback\">([^<]*)|alert-danger[^>]*>([^<]*)", response.text))
    details = f"/admin/{view.endpoint}/details/?id={record.id}"
    assert response.headers["Location"].startswith(details)
    landed = client.get(response.headers["Location"])
    assert landed.status_code == 200
    done = html.escape("%s：%s" % (step.label, view.model.get_by_id(record.id)), quote=False)
    assert done in landed.text, re.findall(r'alert-danger[^>]*>\s*(.*?)\s*<', landed.text, re.S)
    assert 'alert-success' in landed.text


# ---------------------------------------------------------------- records the demo data lacks

def as_user(name):
    return User.get(User.username == name)


def run(fn, *args):
    from database import write_transaction
    with write_transaction():
        return fn(*args)


def held(model, states):
    record = model.select().where(model.status.in_(states) & model.on_hold_since.is_null()
                                  & model.archived_at.is_null()).order_by(model.id.desc()).first()
    run(record.hold, as_user("admin"), DEMO_NOW, "等待配件")


def draft_letter():
    WorkLetter.create(from_department=Department.by_code(Department.SERVICE),
                      to_department=Department.by_code(Department.PROPERTY), subject="请协助",
                      body="测试", created_at=DEMO_NOW, updated_at=DEMO_NOW)


def replied_letter():
    letter = WorkLetter.get(WorkLetter.status == WorkLetter.SENT)
    run(letter.answer, as_user("property"), DEMO_NOW, "已处理")


def returned_loan():
    loan = ItemLoan.get(ItemLoan.status == ItemLoan.OUT)
    run(loan.return_item, as_user("clerk"), DEMO_NOW)


def handover_to_admin():
    """A shift handed over to the admin (the first desk role), waiting for the admin to sign."""
    run(flows.cash.hand_over, as_user("clerk"), as_user("admin"),
        DEMO_NOW.replace(hour=8), DEMO_NOW.replace(hour=9), "0", "无现金", DEMO_NOW)


def product_complaint():
    from factories import make_complaint
    make_complaint("general", category="product")


def survey_in(state):
    from factories import make_survey_plan, make_running_survey
    def prepare():
        if state == Survey.DRAFT:
            return make_survey_plan()
        if state == Survey.SUBMITTED:
            return run(make_survey_plan().submit, as_user("ops"), DEMO_NOW)
        if state == "ready":  # approved, trained, its first day come
            survey = make_survey_plan()
            Survey.update(status=Survey.APPROVED, start_date=DEMO_NOW.date(),
                          trained_at=DEMO_NOW.replace(hour=8)).where(Survey.id == survey.id).execute()
            return None
        survey = make_running_survey()
        run(flows.surveys.close, survey, as_user("ops"), DEMO_NOW)
    return prepare


def open_corrective_action():
    CorrectiveAction.create(source="audit", finding="巡查发现消防通道堵塞",
                            department=Department.by_code(Department.PROPERTY),
                            due_date=DEMO_NOW.date(), created_at=DEMO_NOW, updated_at=DEMO_NOW)


def draft_notice():
    Notice.create(kind=Notice.GENERAL, title="停水通知", body="周三停水", created_at=DEMO_NOW,
                  updated_at=DEMO_NOW)


def general_receipt():
    notice = Notice.create(kind=Notice.GENERAL, title="停电通知", body="周四停电",
                           status=Notice.PUBLISHED, published_at=DEMO_NOW, created_at=DEMO_NOW,
                           updated_at=DEMO_NOW)
    NoticeReceipt.create(notice=notice, customer=make_customer(DEMO_NOW), created_at=DEMO_NOW,
                         updated_at=DEMO_NOW)


def replied_enquiry():
    contact = Contact.create(visitor_name="钱先生", phone="13900002222", kind="enquiry",
                             subject="周末营业时间", received_at=DEMO_NOW, created_at=DEMO_NOW,
                             updated_at=DEMO_NOW)
    letter = run(flows.reception.open_work_letter, contact, as_user("clerk"), DEMO_NOW,
                 Department.by_code(Department.OPERATIONS))
    run(letter.send, as_user("clerk"), DEMO_NOW)
    run(letter.answer, as_user("ops"), DEMO_NOW, "可延长至22:00")


def passed_on_complaint():
    from models import ComplaintPassOn
    staff = as_user("property")
    record = ComplaintPassOn(complainant_name="赵女士", complainant_phone="13911112222",
                             subject="保洁不及时", received_at=DEMO_NOW, received_by=staff,
                             department=staff.department_id, created_at=DEMO_NOW,
                             updated_at=DEMO_NOW)
    record.assign_number(DEMO_NOW)
    record.save(force_insert=True)
    run(record.pass_on, staff, DEMO_NOW)


PREPARE = {
    "contact.answer": replied_enquiry,
    "complaintpasson.register": passed_on_complaint,
    "repairorder.release": lambda: held(RepairOrder, RepairOrder.holdable_states),
    "complaint.release": lambda: held(Complaint, Complaint.holdable_states),
    "workletter.send": draft_letter,
    "workletter.close": replied_letter,
    "itemloan.refund": returned_loan,
    "shifthandover.take_over": handover_to_admin,
    "complaint.scope": product_complaint,
    "survey.submit": survey_in(Survey.DRAFT),
    "survey.approve": survey_in(Survey.SUBMITTED),
    "survey.return_plan": survey_in(Survey.SUBMITTED),
    "survey.train": survey_in(Survey.SUBMITTED),
    "survey.begin": survey_in("ready"),
    "survey.file": survey_in(Survey.CLOSED),
    "correctiveaction.complete_action": open_corrective_action,
    "notice.publish": draft_notice,
    "noticereceipt.sign": general_receipt,
}


# ---------------------------------------------------------------- landing, refusing, asking

def test_callback_and_progress_land_on_the_record_not_on_a_forbidden_edit_page(login):
    from factories import make_complaint
    from factories import make_repair_order
    clerk = login("clerk")
    order = make_repair_order()
    run(order.dispatch, as_user("clerk"), DEMO_NOW)
    run(RepairOrder.get_by_id(order.id).accept, as_user("property"), DEMO_NOW)
    run(RepairOrder.get_by_id(order.id).complete, as_user("property"), DEMO_NOW, "已修好")
    called = clerk.submit(f"/admin/repairorder/step/callback/?id={order.id}",
                          {"fixed": "yes", "satisfaction": "5", "person": "店长", "notes": "好"})
    assert called.headers["Location"].startswith(f"/admin/repairorder/details/?id={order.id}")
    page = clerk.get(called.headers["Location"])
    assert page.status_code == 200 and "回访：%s" % order in page.text
    complaint = make_complaint("general", category="property")
    run(complaint.start, as_user("property"), DEMO_NOW, "开始")
    noted = clerk.submit(f"/admin/complaint/step/progress/?id={complaint.id}",
                         {"content": "已联系商户", "told": "已告知"})
    landed = clerk.get(noted.headers["Location"])
    assert landed.status_code == 200 and "记录进展：%s" % complaint in landed.text
    update = ComplaintUpdate.get(ComplaintUpdate.complaint == complaint.id,
                                 ComplaintUpdate.kind == "progress")
    assert f'/admin/complaintupdate/details/?id={update.id}' in landed.text  # linked, not edited
    run(Complaint.get_by_id(complaint.id).resolve, as_user("property"), DEMO_NOW, "已解决")
    closed = clerk.submit(f"/admin/complaint/step/callback/?id={complaint.id}",
                          {"fixed": "yes", "satisfaction": "4", "person": "赵女士", "notes": ""})
    assert clerk.get(closed.headers["Location"]).status_code == 200
    assert Complaint.get_by_id(complaint.id).status == Complaint.CLOSED


def test_a_step_already_taken_by_someone_else_lands_on_the_record_with_the_reason(login):
    from factories import make_repair_order
    first, second = login("clerk"), login("admin")
    order = make_repair_order()
    step = f"/admin/repairorder/step/dispatch/?id={order.id}"
    late = csrf_token(second.get(f"/admin/repairorder/details/?id={order.id}").text)
    first.submit(step, {})
    refused = second.post(step, data={"csrf_token": late})
    assert refused.headers["Location"].startswith(f"/admin/repairorder/details/?id={order.id}")
    page = second.get(refused.headers["Location"]).text
    assert "当前状态为“已派单”，不能派单" in page
    # Opening the step again (an old link) also says why, on the record.
    again = second.get(step)
    assert again.headers["Location"].startswith(f"/admin/repairorder/details/?id={order.id}")
    assert "不能派单" in second.get(again.headers["Location"]).text


def test_a_fieldless_step_has_no_page_of_its_own(login):
    from factories import make_repair_order
    clerk = login("clerk")
    order = make_repair_order()
    asked = clerk.get(f"/admin/repairorder/step/dispatch/?id={order.id}&url=/admin/repairorder/")
    assert asked.status_code == 302 and "confirm=dispatch" in asked.headers["Location"]
    page = clerk.get(asked.headers["Location"]).text
    box = re.search(r'<div class="collapse show" id="kefu-confirm-%d-dispatch">(.*?)</div>\s*</form>'
                    % order.id, page, re.S)
    assert box and "确定派单？" in box.group(1) and "确认后将通知对方。" in box.group(1)
    assert f'action="/admin/repairorder/step/dispatch/?id={order.id}' in box.group(1)
    assert RepairOrder.get_by_id(order.id).status == RepairOrder.REGISTERED  # asking did nothing


def test_details_page_fires_simple_steps_and_asks_before_the_others(login):
    loan = ItemLoan.get(ItemLoan.status == ItemLoan.OUT)
    keeper = login("warehouse")  # 仓库保管员 takes the item back (R-LOAN-2)
    page = keeper.get(f"/admin/itemloan/details/?id={loan.id}").text
    # 归还 moves money: its button only opens the confirmation in place.
    assert f'data-target="#kefu-confirm-{loan.id}-return_item"' in page
    assert f'<div class="collapse" id="kefu-confirm-{loan.id}-return_item">' in page
    assert "确认归还" in page
    order = RepairOrder.get(RepairOrder.status == RepairOrder.DISPATCHED)
    prop = login("property")
    page = prop.get(f"/admin/repairorder/details/?id={order.id}").text
    # 接单 asks nothing and moves nothing: one click.
    assert re.search(r'<form method="post" class="d-inline" action="/admin/repairorder/step/accept/'
                     r'\?id=%d[^"]*"><input name="csrf_token"[^>]*><input name="kefu_version"[^>]*><button type="submit" '
                     r'class="btn btn-sm btn-primary">接单</button>' % order.id, page)
    assert "kefu-confirm-%d-accept" % order.id not in page


def test_grid_rows_ask_in_place_and_bulk_actions_ask_too(login):
    keeper = login("warehouse")
    loan = ItemLoan.get(ItemLoan.status == ItemLoan.OUT)
    grid = keeper.get("/admin/itemloan/").text
    box = re.search(r'id="kefu-confirm-%d-return_item">(.*?)</form>' % loan.id, grid, re.S)
    assert box and "从押金%s元中扣除" % loan.deposit in box.group(1)
    assert f'action="/admin/itemloan/step/return_item/?id={loan.id}' in box.group(1)
    # Item by item against its certificate, and a refund one loan at a time against its
    # papers (R-LOAN-2/3): neither is a bulk action.
    assert "modelActions.execute('return_item')" not in grid
    assert "modelActions.execute('refund')" not in grid
    done = keeper.post(f"/admin/itemloan/step/return_item/?id={loan.id}&url=/admin/itemloan/",
                       data={"csrf_token": csrf_token(grid)})
    assert done.headers["Location"].startswith(f"/admin/itemloan/details/?id={loan.id}&url=")
    assert ItemLoan.get_by_id(loan.id).status == ItemLoan.RETURNED


# ---------------------------------------------------------------- a complaint taken at the desk

def open_contact():
    from factories import make_contact
    return make_contact(DEMO_NOW)


def taken_as(complaint):
    """What intake decided about a complaint: department, owner, clocks, the pm's alert."""
    stored = Complaint.get_by_id(complaint.id)
    clocks = sorted((d.kind, d.rule_code) for d in stored.deadlines() if d.status == "running")
    alerts = sorted((a.kind, a.assignee.username) for a in Alert.select().where(
        (Alert.record_type == "Complaint") & (Alert.record_id == stored.id)
        & (Alert.status == Alert.OPEN)))
    return stored.department.code, stored.owner.username if stored.owner else None, clocks, alerts


def test_a_major_product_complaint_converted_at_the_desk_is_taken_as_in_complaint_handling(login):
    clerk = login("clerk")
    contact = open_contact()
    form = clerk.get(f"/admin/contact/step/to_complaint/?id={contact.id}").text
    assert "投诉类别" in form and "投诉性质" in form and "要求解决日期" in form
    assert Complaint.select().where(Complaint.contact == contact.id).count() == 0  # not yet saved
    missing = clerk.submit(f"/admin/contact/step/to_complaint/?id={contact.id}",
                           {"category": "", "severity": "major", "requested_by": ""})
    assert missing.status_code == 200 and "请选择投诉类别" in missing.text
    assert Contact.get_by_id(contact.id).status == Contact.OPEN
    done = clerk.submit(f"/admin/contact/step/to_complaint/?id={contact.id}",
                        {"category": "product", "severity": "major", "requested_by": ""})
    assert done.headers["Location"].startswith(f"/admin/contact/details/?id={contact.id}")
    converted = Complaint.get(Complaint.contact == contact.id)
    assert f"/admin/complaint/details/?id={converted.id}" in clerk.get(done.headers["Location"]).text
    # The same complaint entered in 投诉处理 by the same clerk.
    typed = clerk.submit("/admin/complaint/new/", {
        "complainant_name": "赵女士", "complainant_phone": "13700001111", "channel": "visit",
        "category": "product", "severity": "major", "subject": "商品质量", "department": "",
        "received_at": DEMO_NOW.strftime("%Y-%m-%d %H:%M:%S")})
    assert typed.status_code == 302, re.findall(r'invalid-feedback">([^<]*)', typed.text)
    created = Complaint.select().order_by(Complaint.id.desc()).first()
    assert created.id != converted.id
    assert taken_as(converted) == taken_as(created)
    department, owner, clocks, alerts = taken_as(converted)
    assert department == Department.OPERATIONS and owner == "pm"  # R-CMP-4, R-CMP-1
    assert ("escalation", "pm") in alerts and ("start", "CMP_MAJOR_START") in clocks
    # R-CMP-2: a product complaint waits for the guideline check before handling starts.
    page = clerk.get(f"/admin/complaint/details/?id={converted.id}").text
    assert f"/admin/complaint/step/scope/?id={converted.id}" in page
    pm = login("pm")
    refused = pm.submit(f"/admin/complaint/step/start/?id={converted.id}", {"content": "开始处理"})
    assert "商品投诉须先按受理指引核对受理范围" in pm.get(refused.headers["Location"]).text


def test_the_desk_corrects_severity_until_handling_starts_and_not_after(login):
    clerk = login("clerk")
    contact = open_contact()
    clerk.submit(f"/admin/contact/step/to_complaint/?id={contact.id}",
                 {"category": "property", "severity": "major", "requested_by": ""})
    complaint = Complaint.get(Complaint.contact == contact.id)
    assert taken_as(complaint)[:2] == (Department.PROPERTY, "pm")
    correct = f"/admin/complaint/step/correct/?id={complaint.id}"
    form = clerk.get(correct).text
    assert re.search(r'<option selected value="major">|<option value="major" selected', form)
    done = clerk.submit(correct, {"category": "property", "severity": "general",
                                  "requested_by": "2026-11-24"})
    assert done.headers["Location"].startswith(f"/admin/complaint/details/?id={complaint.id}")
    assert "更正类别/性质：" in clerk.get(done.headers["Location"]).text
    department, owner, clocks, alerts = taken_as(complaint)
    assert (department, owner) == (Department.PROPERTY, "property")  # the department head
    assert alerts == [] and ("resolve", "CMP_GENERAL_RESOLVE") in clocks  # the pm's alert closed
    assert Complaint.get_by_id(complaint.id).resolve_deadline == datetime(2026, 11, 24, 23, 59, 59)
    # A changed category goes to its own department.
    clerk.submit(correct, {"category": "sales_staff", "severity": "important", "requested_by": ""})
    department, owner, clocks, alerts = taken_as(complaint)
    assert (department, owner) == (Department.OPERATIONS, "ops")
    assert ("reminder", "ops") in alerts and ("start", "CMP_IMPORTANT_START") in clocks
    # Once handling starts the desk can no longer correct it: not offered, and refused.
    run(Complaint.get_by_id(complaint.id).start, as_user("ops"), DEMO_NOW, "开始处理")
    page = clerk.get(f"/admin/complaint/details/?id={complaint.id}").text
    assert "step/correct/" not in page
    late = clerk.get(correct)
    assert late.headers["Location"].startswith(f"/admin/complaint/details/?id={complaint.id}")
    assert "不能更正类别/性质" in clerk.get(late.headers["Location"]).text
    assert Complaint.get_by_id(complaint.id).severity == "important"


def test_a_contact_links_to_what_it_became(as_clerk):
    order = RepairOrder.select().where(RepairOrder.contact.is_null(False)).first()
    page = as_clerk.get(f"/admin/contact/details/?id={order.contact_id}").text
    assert f'href="/admin/repairorder/details/?id={order.id}"' in page
    assert f"维修工作单 {order.number}" in page
