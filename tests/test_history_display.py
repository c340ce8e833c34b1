"""What people read of the audit rows (issues 17, 18): a record's history, the complaint's 处理经过,
the audit-log grid and its export in words — no code, no None, no class name, no raw JSON —
and personal data masked for the roles that see it masked."""
import html
import json
import re
import subprocess
from datetime import timedelta

import pytest
from peewee import BooleanField, CharField, ForeignKeyField, IntegrityError, TextField

from audit import audit, snapshot
from conftest import DEMO_NOW, statements_run
from models import (ACTION_LABELS, AUDIT_ACTIONS, REGISTERS, Alert, AuditLog, ChoiceField, Complaint,
                    ComplaintGuideline, ComplaintReport, Customer, Deadline, PhoneField, Register,
                    RepairOrder, SlaRule, SurveyQuestion, SurveyResponse, User, db)

NEW_PHONE = "13700001111"
NOW = DEMO_NOW
CLASS_NAMES = {model.__name__ for model in REGISTERS}
CJK = re.compile(r"[\u4e00-\u9fff]")
LOGINS = ("clerk", "auditor", "admin")
# Structured values each register keeps as JSON, as the console writes them.
JSON_VALUES = {
    "scope_checked": lambda: json.dumps({"ticked": [g.id for g in ComplaintGuideline.select()][:2],
                                         "missing": []}),
    "segment_reasons": lambda: json.dumps({"risk": ["近 12 个月投诉 3 次"]}, ensure_ascii=False),
    "figures": lambda: json.dumps({"total": 3, "by_category": {"物业设施": 3},
                                   "repeat_complainants": {NEW_PHONE: 2}}, ensure_ascii=False),
    "answers": lambda: json.dumps({str(SurveyQuestion.select().first().id): 4}),
}


def view_of(app, model):
    return next(v for v in app.extensions["admin"][0]._views if getattr(v, "model", None) is model)


def demo_record(model):
    """A live record of `model` (never a user the test logs in as)."""
    query = model.select().order_by(model.id)
    if issubclass(model, Register):
        query = query.where(model.archived_at.is_null())
    if model is User:
        query = query.where(User.username.not_in(LOGINS))
    return query.first()


def edit(record, by, now):
    """Change every kind of value a clerk can change (choice, related record, phone, text, flag,
    structured value), then audit the edit as the edit form does."""
    model = type(record)
    before = snapshot(record)
    for field in model._meta.sorted_fields:
        name = field.name
        if name in ("id", "status", "created_at", "updated_at", "version", "archived_at",
                    "archive_reason", "created_by") or field.unique or name.endswith(("_deadline", "_at")):
            continue
        if isinstance(field, ChoiceField):
            others = [code for code, _ in field.choices if code != getattr(record, name)]
            value = others[0] if others else None
        elif isinstance(field, ForeignKeyField):
            rel = field.rel_model
            other = rel.select().where(rel.id != (getattr(record, name + "_id") or 0)).first()
            value = other.id if other else None
        elif isinstance(field, PhoneField):
            value = NEW_PHONE
        elif name in JSON_VALUES:
            value = JSON_VALUES[name]()
        elif isinstance(field, BooleanField):
            value = not getattr(record, name)
        elif isinstance(field, TextField) or (isinstance(field, CharField) and name in (
                "name", "title", "subject", "location", "notes", "address", "id_number")):
            value = (str(getattr(record, name) or "") + "（已核实）")[:getattr(field, "max_length", None) or 200]
        elif model is User and name == "roles":
            value = "staff,manager"
        else:
            continue
        if value is None:
            continue
        previous = getattr(record, name + ("_id" if isinstance(field, ForeignKeyField) else ""))
        try:
            with db.atomic():
                setattr(record, name, value)
                model.update({field: value}).where(model.id == record.id).execute()
        except IntegrityError:  # a one-to-one link taken by another row: leave this one
            setattr(record, name, previous)
    audit("update", record, before=before, now=now, user=by)


def step(record, app, by, now):
    """Take one of the register's own state changes (the code its step button would write)."""
    model = type(record)
    if "status" not in model._meta.fields or not isinstance(record, Register):
        return
    choices = model._meta.fields["status"].choices
    target = next(code for code, _ in choices if code != record.status)
    action = next((s.name for s in view_of(app, model).steps if s.name in ACTION_LABELS), "close")
    # Written as a transition writes it (the states a transition may take are workflow.py's
    # and tested in test_workflow.py; here only the history's words matter).
    before = snapshot(record)
    model.update(status=target).where(model.id == record.id).execute()
    record.status = target
    audit(action, record, before=before, now=now, user=by)
    if record.holdable_states and record.status in record.holdable_states:
        record.hold(by, now + timedelta(minutes=1), "等待商户补交资料")


def live_story(app, model):
    """A record of `model` that has been created, edited, stepped and archived."""
    clerk = User.get(User.username == "clerk")
    record = demo_record(model)
    assert record is not None, "the demo has no %s" % model.__name__
    with db.atomic():
        audit("create", record, now=NOW, user=clerk)
        edit(record, clerk, NOW + timedelta(minutes=5))
        step(record, app, clerk, NOW + timedelta(minutes=10))
        if isinstance(record, Register):
            record = type(record).get_by_id(record.id)
            before = snapshot(record)
            record.archive(clerk.id, NOW + timedelta(minutes=20), "登记重复")
            audit("archive", record, before=before, now=NOW + timedelta(minutes=20), user=clerk)
    return type(record).get_by_id(record.id)


def section(page, element_id):
    """The text of the table `element_id` of a page, tags stripped."""
    assert 'id="%s"' % element_id in page, element_id
    table = page.split('id="%s"' % element_id, 1)[1].split("</table>", 1)[0]
    return html.unescape(re.sub(r"<[^>]+>", " ", table))


def changes(page):
    """(label, value) of every change line of a details page's history."""
    lines = re.findall(r'<div class="history-change">(.*?)</div>', page, re.S)
    found = []
    for line in map(lambda t: html.unescape(re.sub(r"<[^>]+>", "", t)), lines):
        label, _, values = line.partition("：")
        found += [(label, value.strip()) for value in values.split(" → ")]
    return found


def assert_in_words(text, values, model, english):
    """No code, no None, no class name, no raw JSON in a history."""
    assert "None" not in text
    # In English a label may be the plain word (Customer name), never the class (RepairOrder).
    names = {n for n in CLASS_NAMES if not english or len(re.findall("[A-Z]", n)) > 1}
    assert not names & set(re.findall(r"[A-Za-z]+", text)), text
    assert '{"' not in text and '["' not in text and "[]" not in text, text
    codes = {code for field in model._meta.sorted_fields if isinstance(field, ChoiceField)
             for code, label in field.choices if code != label}
    for label, value in values:
        assert label and label != "None"
        assert value not in codes, (label, value)
        if english:
            assert not CJK.search(label), label
    if not english:
        words = set(re.findall(r"[a-z_]{3,}", text))
        assert not words & codes, words & codes


VIEWERS = ("clerk", "auditor")
SHOWN = [m for m in REGISTERS if m is not AuditLog]  # the audit log has no history of its own


@pytest.mark.parametrize("model", SHOWN, ids=lambda m: m.__name__)
def test_every_registers_history_reads_in_words_and_masks_personal_data(app, login, model):
    record = live_story(app, model)
    view = view_of(app, model)
    url = "/admin/%s/details/?id=%d" % (model.__name__.lower(), record.id)
    personal = {name for name, field in model._meta.fields.items() if isinstance(field, PhoneField)}
    personal &= set(view_of(app, model).column_formatters)  # the fields the grid masks
    for username in VIEWERS:
        viewer = username if username in view.read_roles else "admin"
        client = login(viewer)
        for english in (False, True):
            headers = {"Accept-Language": "en-US,en;q=0.9"} if english else {}
            page = client.get(url, headers=headers).text
            text = section(page, "history")
            assert_in_words(text, changes(page), model, english)
            assert ("Created" if english else "新建") in text
            if isinstance(record, Register):
                assert ("Archive" if english else "归档") in text
            if personal and viewer == "auditor":
                assert "137****1111" in text and NEW_PHONE not in text
                assert not re.search(r"1[3-9]\d{9}", text), text
            elif personal:
                assert NEW_PHONE in text


@pytest.mark.parametrize("username", VIEWERS)
def test_the_complaint_story_reads_in_words_and_masks_the_complainant(app, login, username):
    complaint = live_story(app, Complaint)
    page = login(username).get("/admin/complaint/details/?id=%d" % complaint.id).text
    story = section(page, "timeline")
    assert_in_words(story, [], Complaint, english=False)
    assert "受理范围核对：" in story and "（JSON）" not in story
    assert "记录号" not in story and "版本" not in story
    guideline = ComplaintGuideline.select().first()
    assert guideline.text in story  # the conditions met, by their text
    if username == "auditor":
        assert "137****1111" in story and NEW_PHONE not in story
        assert not re.search(r"1[3-9]\d{9}", story), story
    else:
        assert "投诉人电话：" in story and NEW_PHONE in story


def test_a_monthly_analysis_history_reads_as_its_figures_with_phones_masked(app, login):
    report = live_story(app, ComplaintReport)
    url = "/admin/complaintreport/details/?id=%d" % report.id
    text = section(login("auditor").get(url).text, "history")
    assert "统计数据：" in text and "合计·本月投诉：3" in text
    assert "137****1111" in text and NEW_PHONE not in text


def test_a_deadline_history_names_its_rule_and_register(app, login):
    deadline = live_story(app, Deadline)
    Deadline.update(rule_code="REP_ACCEPT").where(Deadline.id == deadline.id).execute()
    before = snapshot(deadline)
    Deadline.update(rule_code="CMP_GENERAL_RESOLVE", limit_unit="working_days",
                    record_type="Complaint").where(Deadline.id == deadline.id).execute()
    audit("update", Deadline.get_by_id(deadline.id), before=before | {"rule_code": "REP_ACCEPT"},
          now=NOW, user=User.get(User.username == "admin"))
    text = section(login("admin").get("/admin/deadline/details/?id=%d" % deadline.id).text, "history")
    rules = {r.code: r.name for r in SlaRule.select()}
    assert rules["REP_ACCEPT"] in text and rules["CMP_GENERAL_RESOLVE"] in text
    assert "REP_ACCEPT" not in text and "working_days" not in text and "工作日" in text
    assert Complaint.verbose_name() in text


def test_a_column_the_model_no_longer_has_reads_as_a_retired_field(app, login):
    order = RepairOrder.select().first()
    AuditLog.create(created_at=NOW, updated_at=NOW, username="clerk", action="update",
                    model="RepairOrder", record_id=str(order.id), summary=str(order),
                    changes=json.dumps({"priority": ["1", "2"], "status": [None, "closed"]}))
    page = login("clerk").get("/admin/repairorder/details/?id=%d" % order.id).text
    assert ("已停用的字段", "1") in changes(page) and ("状态", "已回访关闭") in changes(page)
    assert "priority" not in section(page, "history") and "None" not in section(page, "history")


def test_one_query_per_related_register_for_a_whole_history(app, login):
    record = live_story(app, RepairOrder)
    clerk = User.get(User.username == "clerk")
    customers = [c.id for c in Customer.select().limit(8)]
    for customer in customers:  # eight edits, each naming another customer
        before = snapshot(record)
        RepairOrder.update(customer=customer).where(RepairOrder.id == record.id).execute()
        record = RepairOrder.get_by_id(record.id)
        audit("update", record, before=before, now=NOW, user=clerk)
    client = login("clerk")
    with statements_run() as statements:
        page = client.get("/admin/repairorder/details/?id=%d" % record.id).text
    history = section(page, "history")
    assert all(Customer.get_by_id(c).name in history for c in customers[1:])
    reads = [s for s in statements if re.search(r'FROM "customer" AS "t1" WHERE \("t1"."id" IN', s)]
    assert len(reads) == 1, reads


# ---------------------------------------------------------------- the audit log grid

def grid_rows(page):
    table = page.split('model-list">', 1)[1]
    return html.unescape(re.sub(r"<[^>]+>", " ", table.split("</thead>", 1)[1].split("</table>", 1)[0]))


def test_the_audit_log_grid_shows_verbs_and_register_names(app, login):
    live_story(app, RepairOrder)
    admin = login("admin")
    admin.get("/admin/repairorder/export/xlsx/")
    clerk = User.get(User.username == "clerk")
    audit("setting", None, now=NOW, user=clerk, summary="survey_threshold：4.00 → 3.50",
          extra={"survey_threshold": ["4.00", "3.50"]})
    rows = grid_rows(admin.get("/admin/auditlog/?page_size=50").text)
    for verb in ("登录", "新建", "修改", "归档", "导出", "修改系统参数", "满意度整改线"):
        assert verb in rows, verb
    assert "维修工作单 XLSX" in rows
    assert not CLASS_NAMES & set(re.findall(r"[A-Za-z]+", rows))
    assert "survey_threshold" not in rows and "None" not in rows
    assert '{"' not in rows and "login" not in rows and "create" not in rows
    english = grid_rows(admin.get("/admin/auditlog/?page_size=50",
                                  headers={"Accept-Language": "en"}).text)
    assert "Created" in english and "Exported" in english and "新建" not in english


def test_the_audit_log_masks_personal_data_for_the_auditor_and_its_export_reads_in_words(app, login):
    live_story(app, Complaint)
    auditor = login("auditor")
    rows = grid_rows(auditor.get("/admin/auditlog/?page_size=50").text)
    assert "137****1111" in rows and NEW_PHONE not in rows
    exported = auditor.get("/admin/auditlog/export/csv/").data.decode("utf-8-sig")
    assert "投诉人电话：" in exported and "137****1111" in exported and NEW_PHONE not in exported
    assert ",新建," in exported and ",create," not in exported
    assert Complaint.verbose_name() in exported and ",Complaint," not in exported
    full = grid_rows(login("admin").get("/admin/auditlog/?page_size=50").text)
    assert NEW_PHONE in full  # the admin sees what was typed


def test_the_audit_log_grid_names_related_records_in_one_query_per_register(app, login):
    live_story(app, RepairOrder)
    admin = login("admin")
    with statements_run() as statements:
        admin.get("/admin/auditlog/?page_size=50")
    reads = [s for s in statements if re.search(r'FROM "customer" AS "t1" WHERE \("t1"."id" IN', s)]
    assert len(reads) == 1, reads


def test_an_alert_names_its_register(app, login):
    alert = Alert.select().where(Alert.record_type == "ServiceRequest").first() or Alert.select().first()
    page = login("admin").get("/admin/alert/details/?id=%d" % alert.id).text
    body = html.unescape(re.sub(r"<[^>]+>", " ", page.split("<main", 1)[-1]))
    assert alert.record_type not in body
    assert REGISTERS[[m.__name__ for m in REGISTERS].index(alert.record_type)].verbose_name() in body


def test_every_action_the_code_base_writes_has_a_name():
    found = subprocess.run(
        ["grep", "-rhoE", r"""(audit|transition)\(["'][a-z_]+["']""", "--include=*.py", "."],
        capture_output=True, text=True, cwd=__file__.rsplit("/tests/", 1)[0]).stdout.split()
    codes = {re.search(r"""\(["']([a-z_]+)""", call).group(1) for call in found}
    assert {"login", "create", "refund", "return_item", "export"} <= codes
    named = AUDIT_ACTIONS.keys() | ACTION_LABELS.keys()
    assert codes <= named, sorted(codes - named)
