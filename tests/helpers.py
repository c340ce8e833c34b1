"""What many test files share: run a step in a transaction, find a demo user or department,
address a register's pages, read a grid or a form's errors. Test modules import from here (or
from conftest, or factories), never from one another (test_layout checks it)."""
import re
from datetime import datetime

from database import write_transaction
from models import (REGISTERS, ActionItem, Alert, AuditLog, Callback, CalendarDay, CallScript, Charge,
                    Complaint, ComplaintGuideline, ComplaintPassOn, ComplaintReport, ComplaintUpdate,
                    Contact, CorrectiveAction, Customer, Deadline, Department, FeeItem, Hold,
                    ItemLoan, LendableItem, Meeting, Notice, NoticeReceipt, RepairOrder,
                    SegmentRule, ServiceRequest, ShiftHandover, SlaRule, Survey, SurveyDistribution,
                    SurveyQuestion, SurveyResponse, User, WorkLetter)

MON = datetime(2026, 11, 23, 10, 0)   # a Monday: conftest.DEMO_NOW, the test apps' `now`


def run(fn, *args, **kw):
    """Call a model's step inside a write transaction, as the console does."""
    with write_transaction():
        return fn(*args, **kw)


def user(name):
    """The demo user `name` (clerk, property, ops, pm, gm, auditor, admin, warehouse, …)."""
    return User.get(User.username == name)


def dept(code):
    """The department with `code` (service, property, operations, …)."""
    return Department.get(Department.code == code)


def audit_actions(record):
    """The audit log's actions on `record`, oldest first."""
    return [a.action for a in AuditLog.select().where(
        (AuditLog.model == type(record).__name__) & (AuditLog.record_id == str(record.id)))
        .order_by(AuditLog.id)]


def alerts_for(record, kind="overdue"):
    """The alerts of `kind` on `record`."""
    return list(Alert.select().where((Alert.record_type == type(record).__name__)
                                     & (Alert.record_id == record.id) & (Alert.kind == kind)))


# ---------------------------------------------------------------- pages

def url(model, action=""):
    """The address of a register's grid, or of one of its pages (`new/`, `edit/?id=…`)."""
    return f"/admin/{model.__name__.lower()}/{action}"


def rows(html):
    """Return the body of a grid page's table (what the rows say)."""
    table = html.split('model-list">', 1)[1]
    return table.split("</thead>", 1)[1].split("</table>", 1)[0]


def field_errors(html, field):
    """Return the error texts Flask-Admin renders under one form field."""
    start = html.find(f'id="{field}"')
    assert start != -1, f"no field {field} in form"
    block = html[start:].split('class="form-group')[0]
    feedback = block.split('class="invalid-feedback"', 1)
    return re.findall(r"<li>([^<]+)</li>", feedback[1]) if len(feedback) == 2 else []


def _dept_value(code):
    return str(dept(code).id)


def first(model):
    """The form value (id) of `model`'s first row."""
    return str(model.select().order_by(model.id).first().id)


def valid_form(model):
    """Return form data that a clerk could type for a new record of `model`."""
    return {
        Customer: lambda: {"name": "测试商户甲", "kind": "tenant", "shop_no": "2F-888",
                           "phone": "13912345678", "lease_start": "2026-01-01",
                           "lease_end": "2028-12-31", "monthly_rent": "12000.50", "status": "active"},
        Department: lambda: {"code": "security", "name": "保安部", "phone": "021-55556666",
                             "is_active": "y"},
        User: lambda: {"username": "newclerk", "full_name": "新客服", "department": _dept_value("service"),
                       "roles": ["clerk"], "password": "s3cret-pass", "is_active": "y"},
        Contact: lambda: {"customer": first(Customer), "visitor_name": "王先生",
                          "phone": "13800138000", "channel": "phone", "kind": "enquiry",
                          "subject": "测试咨询停车优惠", "received_at": "2026-11-20 10:00:00",
                          "status": "open"},
        RepairOrder: lambda: {"customer": first(Customer), "location": "测试位置 3F-101 卫生间",
                              "description": "水管漏水", "reported_at": "2026-11-20 10:00:00",
                              "department": _dept_value("property"), "reporter_phone": "13800138000"},
        ServiceRequest: lambda: {"customer": first(Customer), "kind": "overtime",
                                 "description": "测试申请延时营业", "submitted_at": "2026-11-20 10:00:00",
                                 "wanted_from": "2026-11-25", "wanted_to": "2026-11-26",
                                 "department": _dept_value("operations")},
        WorkLetter: lambda: {"from_department": _dept_value("service"), "to_department": _dept_value("property"),
                             "subject": "测试联系函", "body": "请协助处理"},
        FeeItem: lambda: {"code": "T99", "name": "测试收费项目", "unit": "time", "price": "25.00",
                          "is_active": "y"},
        Charge: lambda: {"customer": first(Customer), "fee_item": first(FeeItem), "quantity": "2",
                         "payment_method": "wechat", "charged_at": "2026-11-20 10:00:00",
                         "payer_name": "测试付款人"},
        LendableItem: lambda: {"code": "T-LADDER", "name": "测试梯子", "deposit": "80.00",
                               "status": "available"},
        ItemLoan: lambda: {"item": first(LendableItem), "borrower_name": "测试借用人",
                           "borrower_phone": "13800138000", "lent_at": "2026-11-20 10:00:00"},
        Complaint: lambda: {"complainant_name": "测试投诉人", "complainant_phone": "13800138000",
                            "channel": "visit", "category": "property", "subject": "测试投诉电梯故障",
                            "severity": "general", "department": _dept_value("property"),
                            "received_at": "2026-11-20 10:00:00"},
        ComplaintPassOn: lambda: {"complainant_name": "测试转告人", "complainant_phone": "13800138000",
                                  "channel": "phone", "subject": "测试转告投诉",
                                  "received_at": "2026-11-20 10:00:00"},
        ComplaintGuideline: lambda: {"seq": "9", "text": "测试受理条件", "is_active": "y"},
        ComplaintUpdate: lambda: {"complaint": first(Complaint), "kind": "progress",
                                  "happened_at": "2026-11-20 11:00:00", "content": "测试进展已联系商户"},
        Callback: lambda: {"repair_order": first(RepairOrder), "method": "phone",
                           "called_at": "2026-11-20 12:00:00", "person_reached": "测试受访人",
                           "accepted": "y", "satisfaction": "5"},
        ComplaintReport: lambda: {"month": "2020-01-01", "summary": "测试分析", "status": "draft"},
        Survey: lambda: {"title": "测试调查方案", "target": "tenants", "start_date": "2027-03-01",
                         "end_date": "2027-03-15", "target_distribution_rate": "100",
                         "target_return_rate": "70", "status": "draft"},
        SurveyQuestion: lambda: {"survey": str(Survey.get(Survey.status == "draft").id), "seq": "9",
                                 "text": "测试题目停车便利",
                                 "kind": "rating"},
        SurveyResponse: lambda: {"survey": first(Survey), "customer": first(Customer),
                                 "returned_at": "2026-11-20 10:00:00", "answers": "{\"1\": 4}",
                                 "comments": "测试答卷意见"},
        CorrectiveAction: lambda: {"source": "audit", "finding": "测试问题描述",
                                   "department": _dept_value("property"), "due_date": "2026-12-31",
                                   "status": "open"},
        Notice: lambda: {"kind": "general", "title": "测试通知", "body": "正文", "status": "draft"},
        NoticeReceipt: lambda: {"notice": str(Notice.select().order_by(Notice.id.desc()).first().id),
                                "customer": str(Customer.select().order_by(Customer.id.desc()).first().id),
                                "status": "pending"},
        Meeting: lambda: {"kind": "anchor", "title": "测试主力店座谈", "held_at": "2026-11-20 15:00:00",
                          "department": _dept_value("property")},
        ActionItem: lambda: {"meeting": first(Meeting), "description": "测试议定事项",
                             "department": _dept_value("operations"), "due_date": "2026-12-01",
                             "status": "open"},
        CallScript: lambda: {"topic": "测试话术", "trigger": "general", "script": "您好，{客户}",
                             "department": _dept_value("service"), "seq": "1", "is_active": "y"},
        SegmentRule: lambda: {"code": "TEST_SEGMENT", "dimension": "risk", "seq": "5",
                              "metric": "complaints_12m", "operator": ">=", "threshold": "9",
                              "level": "测试", "kinds": "商户", "is_active": "y"},
        SlaRule: lambda: {"code": "TEST_RULE", "name": "测试规则", "applies_to": "RepairOrder",
                          "clock": "calendar", "amount": "45", "unit": "minutes",
                          "warn_percent": "75", "is_active": "y"},
        CalendarDay: lambda: {"day": "2031-10-01", "kind": "holiday", "name": "测试国庆",
                              "source": "manual"},
        Alert: lambda: {"kind": "reminder", "title": "测试提醒", "record_type": "RepairOrder",
                        "record_id": first(RepairOrder), "since": "2026-11-20 10:00:00",
                        "level": "1", "status": "open"},
    }[model]()


SYSTEM_WRITTEN = (AuditLog, Deadline, Hold, Callback, ComplaintUpdate, ComplaintReport, Alert,
                  SurveyDistribution, SurveyResponse, NoticeReceipt,
                  ShiftHandover)  # made by the handover page from the shift's own figures


WRITABLE = [m for m in REGISTERS if m not in SYSTEM_WRITTEN]


def fresh(record):
    """`record` read again from the database."""
    return type(record).get_by_id(record.id)


def edit_payload(page, **changes):
    """The edit form as the browser would post it (every field's current value)."""
    from html import unescape
    data = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page):
        data[name] = unescape(value)
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        data[name] = unescape(body).strip()
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"[^>]*selected', options)
        if chosen:
            data[name] = chosen.group(1) or chosen.group(2)
    data.update(changes)
    return data


# ---------------------------------------------------------------- imports (tests/test_import*.py)

CUSTOMER_HEADER = "客户名称,客户类别,铺位号,联系电话,租约开始,租约结束,月租金（元）"


def sheet(*lines, encoding="utf-8-sig"):
    """CSV bytes of `lines` as Excel would save them."""
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def hidden(html, name):
    """The value of the page's hidden input `name`."""
    match = re.search(r'name="%s" type="hidden" value="([^"]*)"' % name, html)
    assert match, f"no {name} in page"
    return match.group(1)


def upload(client, register, data, filename):
    """Upload `data` as `filename` to the import page for `register`; return the preview."""
    import io
    return client.submit("/admin/import/", {"register": register,
                                            "sheet": (io.BytesIO(data), filename)})


def confirm(client, preview, mode):
    """Confirm an import's preview page in `mode`."""
    from conftest import csrf_token
    return client.post("/admin/import/confirm/", data={
        "csrf_token": csrf_token(preview.text), "token": hidden(preview.text, "token"),
        "fingerprint": hidden(preview.text, "fingerprint"), "mode": mode})
