"""Workflow steps as a user meets them: where every step lands, what it asks first, and the
complaint taken at the desk (issue 17)."""
import html
import re
from datetime import datetime

import pytest

from conftest import DEMO_NOW, csrf_token
from models import (Alert, Callback, Complaint, ComplaintUpdate, Contact, Customer, Deadline,
                    Department, User)
from views import MENU
from views.base import KefuModelView

# Every step of every register and what its button does: "form" opens the step's form page,
# "confirm" asks 确认/取消 in place (money, closing, notifying someone), "fire" runs at once.
STEP_MODES = {
    "contact": {"to_repair": "fire", "to_service_request": "fire", "to_complaint": "form",
                "to_letter": "form", "handled": "form"},
    "repairorder": {"dispatch": "confirm", "accept": "fire", "complete": "form",
                    "callback": "form", "refuse": "form", "hold": "form", "release": "fire"},
    "servicerequest": {"approve": "form", "decline": "form", "hand_back": "confirm",
                       "notify": "form", "hold": "form", "release": "fire"},
    "workletter": {"send": "confirm", "acknowledge": "fire", "reply": "form", "close": "confirm"},
    "charge": {"hand_to_finance": "confirm", "void": "form"},
    "itemloan": {"return_item": "confirm", "refund": "confirm"},
    "complaint": {"scope": "form", "correct": "form", "start": "form", "progress": "form",
                  "feedback": "form", "follow_up": "form", "resolve": "form", "callback": "form",
                  "escalate": "form", "reroute": "form", "hold": "form", "release": "fire"},
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
TYPED = {"reason": "测试原因", "content": "测试处理情况", "told": "已电话告知", "result": "已处理完毕",
         "note": "同意", "outcome": "已当面答复", "reply": "已安排处理", "evidence": "现场核实照片",
         "action": "加强巡查", "fixed": "y", "satisfaction": "5", "person": "店长", "notes": "满意",
         "category": "property", "severity": "important", "requested_by": "", "copies": "3",
         "method": "phone", "confirmed_at": "", "trained_at": "", "shop_nos": ""}


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
    if "trained_at" in data and getattr(record, "start_date", None):
        data["trained_at"] = "%sT09:00" % record.start_date.replace(day=1).isoformat() \
            if record.start_date.day > 1 else ""
    for name, value in TYPED.items():
        if name in data and name not in ("department",) and not isinstance(data[name], list) \
                and name in ("category", "severity", "satisfaction", "method"):
            data[name] = value
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


PREPARE = {}
