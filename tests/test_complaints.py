"""Complaint handling per rule (R-CMP-1 … R-CMP-8) on fixed datetimes."""
from datetime import date, datetime, timedelta

import pytest

import flows.complaints
import flows.reception
import history
from database import write_transaction
from models import (Alert, Complaint, ComplaintGuideline, Department, DomainError,
                    ValidationError)
from helpers import MON, run, url, user, valid_form
from factories import make_complaint


GRADING = [
    # (scenario, severity, requested_by, start deadline, resolve deadline)
    ("general: resolved within 2 days of receipt", "general", None, None, "2026-11-25 10:00"),
    ("general, complainant asks for an earlier date", "general", date(2026, 11, 24), None,
     "2026-11-24 23:59:59"),
    ("general, complainant asks for a later date", "general", date(2026, 11, 30), None,
     "2026-11-30 23:59:59"),
    ("important: the department head starts within 1 hour", "important", None, "2026-11-23 11:00", None),
    ("major: reported at intake; the project manager starts within 1 hour", "major", None,
     "2026-11-23 11:00", None),
]


def parse(text):
    return datetime.fromisoformat(text) if text else None


@pytest.mark.parametrize("scenario,severity,requested,start,resolve", GRADING,
                         ids=[g[0] for g in GRADING])
def test_cmp_1_grading_stamps_deadlines(app, scenario, severity, requested, start, resolve):
    complaint = make_complaint(severity, requested_by=requested)
    assert complaint.start_deadline == parse(start)
    assert complaint.resolve_deadline == parse(resolve)
    assert complaint.follow_up_from == datetime(2026, 11, 30, 10, 0)  # 5 working days


def test_cmp_1_major_alerts_the_project_manager_who_owns_it(app):
    complaint = make_complaint("major")
    pm = user("pm")
    assert complaint.owner_id == pm.id
    alert = Alert.get((Alert.record_type == "Complaint") & (Alert.record_id == complaint.id))
    assert alert.assignee_id == pm.id and alert.since == MON and "重大投诉" in alert.title


def test_cmp_1_important_is_owned_by_the_department_head(app):
    complaint = make_complaint("important", category="product")
    assert complaint.department.code == "operations"
    assert complaint.owner_id == user("ops").id


@pytest.mark.parametrize("category,department", [
    ("product", "operations"), ("sales_staff", "operations"), ("property", "property")])
def test_cmp_4_routing_by_category(category, department, app):
    assert Complaint.route(category).code == department


def test_cmp_4_routing_on_the_form_and_override_by_a_supervisor(as_clerk, login):
    data = valid_form(Complaint) | {"category": "product", "department": "__None"}
    response = as_clerk.submit(url(Complaint, "new/"), data)
    assert response.status_code == 302
    created = Complaint.select().order_by(Complaint.id.desc()).first()
    assert created.department.code == "operations"
    assert created.resolve_deadline is not None  # graded on intake
    prop = str(Department.get(Department.code == "property").id)
    refused = as_clerk.submit(url(Complaint, "new/"), data | {"department": prop})
    assert "改派须由主管办理" in refused.text
    pm = login("pm")
    no_reason = pm.submit(url(Complaint, "new/"), data | {"department": prop})
    assert "改派必须填写原因" in no_reason.text
    ok = pm.submit(url(Complaint, "new/"), data | {"department": prop,
                                                   "routing_override_reason": "涉及公共区域"})
    assert ok.status_code == 302


def test_cmp_2_product_complaint_outside_the_guideline_is_refused_with_a_reason(app):
    complaint = make_complaint(category="product")
    items = [g.id for g in ComplaintGuideline.checklist()]
    assert items
    with pytest.raises(ValidationError):
        run(complaint.check_scope, user("clerk"), MON, items[:-1], items, "")
    assert run(complaint.check_scope, user("clerk"), MON, items[:-1], items, "已超过退换期") is False
    stored = Complaint.get_by_id(complaint.id)
    assert stored.status == "refused" and stored.refusal_reason == "已超过退换期"
    ok = make_complaint(category="product")
    assert run(ok.check_scope, user("clerk"), MON, items, items) is True
    assert Complaint.get_by_id(ok.id).status == "received"


def test_cmp_5_7_handle_feed_back_resolve_and_close(app):
    complaint = make_complaint()
    prop, clerk = user("property"), user("clerk")
    run(complaint.start, prop, MON + timedelta(minutes=30))
    run(complaint.add_update, prop, MON + timedelta(hours=2), "progress", "已联系保洁主管")
    run(complaint.add_update, clerk, MON + timedelta(hours=3), "feedback", "向投诉人通报", "明天处理完毕")
    run(complaint.resolve, prop, MON + timedelta(days=1), "已增加巡查")
    stored = Complaint.get_by_id(complaint.id)
    assert stored.status == "resolved"
    assert stored.callback_deadline == datetime(2026, 11, 27, 10, 0)  # 3 working days
    run(stored.record_callback, clerk, MON + timedelta(days=2), True, 5, "满意")
    assert Complaint.get_by_id(complaint.id).status == "closed"
    kinds = [u.kind for u in complaint.updates.order_by(Complaint.updates.field.model.happened_at)]
    assert kinds == ["start", "progress", "feedback", "result"]
    story = [what for _, _, what, _ in history.timeline(complaint, complaint.progress_entries())]
    for step in ("启动处理", "处理进展", "反馈投诉人", "办结", "回访"):
        assert step in story


def test_cmp_8_rejected_result_escalates_twice_then_the_general_manager_owns_it(app):
    complaint = make_complaint("general")
    prop, clerk = user("property"), user("clerk")

    def handle_and_reject(at):
        current = Complaint.get_by_id(complaint.id)
        # A major complaint is started by the project manager who leads it (R-CMP-1).
        run(current.start, user("pm") if current.severity == "major" else prop, at)
        run(current.resolve, prop, at + timedelta(hours=1), "已处理")
        run(Complaint.get_by_id(complaint.id).record_callback, clerk, at + timedelta(hours=2), False,
            1, "不满意")
        return Complaint.get_by_id(complaint.id)

    first = handle_and_reject(MON)
    assert first.severity == "important" and first.status == "received"
    assert first.start_deadline == MON + timedelta(hours=3)  # 1 hour from the escalation
    second = handle_and_reject(MON + timedelta(hours=4))
    assert second.severity == "major" and second.owner_id == user("pm").id
    third = handle_and_reject(MON + timedelta(hours=8))
    assert third.severity == "major" and third.owner_id == user("gm").id
    assert third.escalation_level == 3
    gm_alert = Alert.select().where((Alert.record_id == complaint.id)
                                    & (Alert.assignee == user("gm"))).get()
    assert gm_alert.level == 3


def test_cmp_8_escalation_by_hand_needs_a_reason(app):
    complaint = make_complaint("general")
    with pytest.raises(ValidationError):
        run(complaint.escalate, user("ops"), MON, " ")
    run(complaint.escalate, user("ops"), MON + timedelta(minutes=5), "媒体关注")
    stored = Complaint.get_by_id(complaint.id)
    assert stored.severity == "important" and stored.resolve_deadline is None
    assert any("媒体关注" in detail for _, _, _, detail in history.timeline(stored))


def test_cmp_6_a_complaint_open_past_five_working_days_shows_missing_follow_ups(app):
    complaint = make_complaint("general", at=datetime(2026, 9, 29, 9, 0))
    assert complaint.follow_up_from == datetime(2026, 10, 12, 9, 0)  # across National Day
    run(complaint.start, user("property"), datetime(2026, 9, 29, 10, 0))
    run(complaint.add_update, user("clerk"), datetime(2026, 10, 13, 15, 0), "follow_up", "已跟进", "已告知投诉人进度")
    missing = Complaint.get_by_id(complaint.id).missing_follow_ups(datetime(2026, 10, 16, 9, 0))
    assert missing == [date(2026, 10, 12), date(2026, 10, 14), date(2026, 10, 15)]


def test_refused_transitions_change_nothing(app):
    complaint = make_complaint()
    with pytest.raises(DomainError):
        run(complaint.resolve, user("property"), MON, "x")
    with pytest.raises(DomainError):
        run(complaint.record_callback, user("clerk"), MON, True)
    assert Complaint.get_by_id(complaint.id).status == "received"


def test_complaint_page_shows_the_timeline_and_steps(as_clerk):
    complaint = make_complaint("important")
    page = as_clerk.get(url(Complaint, f"details/?id={complaint.id}")).text
    assert 'id="timeline"' in page
    assert "反馈投诉人" in page and 'id="deadlines"' in page
    assert "剩余" in page or "逾期" in page


# ---------------------------------------------------------------- R-CMP-9

def hand_built_month():
    """March 2025: 4 complaints (one repeat complainant, one escalated); February: 2."""
    def make(at, category, severity, phone, subject, started=None, resolved=None):
        c = make_complaint(severity, category=category, at=at)
        Complaint.update(complainant_phone=phone, subject=subject, started_at=started,
                         resolved_at=resolved).where(Complaint.id == c.id).execute()
        return Complaint.get_by_id(c.id)
    mar = datetime(2025, 3, 3, 10, 0)
    make(mar, "property", "important", "13700000001", "电梯故障", started=mar + timedelta(minutes=30))
    make(mar + timedelta(days=1), "property", "general", "13700000001", "电梯故障",
         resolved=mar + timedelta(days=2))
    late = make(mar + timedelta(days=2), "product", "general", "13700000002", "商品质量",
                resolved=mar + timedelta(days=6))
    make(mar + timedelta(days=3), "sales_staff", "important", "13700000003", "态度差",
         started=mar + timedelta(days=3, hours=2))
    run(late.escalate, user("ops"), mar + timedelta(days=7), "投诉人不满")
    for day in (3, 4):
        make(datetime(2025, 2, day, 9, 0), "property", "general", "13700000009", "停车收费")


def test_cmp_9_monthly_report_figures_on_a_hand_built_month(app):
    import reports
    hand_built_month()
    with write_transaction():
        report = reports.generate_complaint_report(date(2025, 3, 15), datetime(2025, 4, 1, 2, 0))
    f = __import__("json").loads(report.figures)
    assert f["total"] == 4 and f["previous_total"] == 2
    assert f["by_category"] == {"物业管理": 2, "商品": 1, "营业员": 1}
    assert f["by_department"] == {"物业管理部": 2, "营运部": 2}
    assert f["by_severity"] == {"重要": 3, "一般": 1}  # as graded now: one was escalated
    assert f["start_on_time"] == {"due": 3, "on_time": 1, "rate": 33.3}  # the escalated one too
    assert f["resolved_on_time"] == {"due": 1, "on_time": 1, "rate": 100.0}
    assert f["escalations"] == 1
    assert f["repeat_complainants"] == {"赵女士（137****0001）": 2}  # the stored report masks the phone
    assert list(f["top_subjects"])[0] == "电梯故障"
    assert f["change"]["total"] == 2 and f["change"]["物业管理"] == 0
    assert "2025年03月共受理投诉 4 件（上月 2 件）" in report.summary


def test_cmp_9_job_on_the_first_and_published_reports_stand(app):
    from jobs.complaints import generate_monthly_complaint_report
    from models import ComplaintReport
    hand_built_month()
    assert generate_monthly_complaint_report(datetime(2025, 4, 2, 0, 5)) is None
    report = generate_monthly_complaint_report(datetime(2025, 4, 1, 0, 5))
    assert report.month == date(2025, 3, 1)
    again = generate_monthly_complaint_report(datetime(2025, 4, 1, 0, 6))
    assert again.id == report.id
    ComplaintReport.update(status="published").where(ComplaintReport.id == report.id).execute()
    assert generate_monthly_complaint_report(datetime(2025, 4, 1, 0, 7)).id == report.id


def test_cmp_9_a_report_generated_on_demand_is_written_with_its_audit_row(app):
    from models import AuditLog, ComplaintReport
    hand_built_month()
    ops, at = user("ops"), datetime(2025, 4, 2, 9, 0)
    report = flows.complaints.generate_report(date(2025, 3, 15), ops, at)
    assert (report.month, report.created_by_id, report.generated_at) == (date(2025, 3, 1), ops.id, at)
    generated = AuditLog.select().where((AuditLog.action == "generate")
                                        & (AuditLog.model == "ComplaintReport")
                                        & (AuditLog.record_id == str(report.id)))
    assert [(row.username, row.created_at) for row in generated] == [("ops", at)]
    ComplaintReport.update(status="published").where(ComplaintReport.id == report.id).execute()
    with pytest.raises(DomainError):  # a published report stands, and nothing is audited
        flows.complaints.generate_report(date(2025, 3, 1), ops, at + timedelta(hours=1))
    assert generated.count() == 1


def test_cmp_9_report_page_chart_and_csv(login):
    import csv
    import io
    hand_built_month()
    ops = login("ops")
    response = ops.submit("/admin/complaintreport/generate/", {"month": "2025-03-01"})
    assert response.status_code == 302
    page = ops.get(response.headers["Location"]).text
    assert 'id="complaint-report"' in page and 'class="bar"' in page and "电梯故障" in page
    report_id = response.headers["Location"].split("id=")[1].split("&")[0]
    exported = ops.get(f"/admin/complaintreport/report.csv?id={report_id}")
    rows = list(csv.reader(io.StringIO(exported.get_data().decode("utf-8-sig"))))
    assert rows[0] == ["分类", "项目", "数值"] and ["合计", "本月投诉", "4"] in rows
    assert login("property").get("/admin/complaintreport/generate/").status_code == 403


# ---------------------------------------------------------------- found in review

def test_a_complaint_from_a_contact_is_graded(app):
    from factories import make_contact
    complaint = run(flows.reception.open_complaint, make_contact(MON), user("clerk"), MON, "other", "general")
    stored = Complaint.get_by_id(complaint.id)
    assert stored.resolve_deadline is not None and stored.follow_up_from is not None


def test_severity_and_department_change_only_through_their_steps(as_admin):
    complaint = make_complaint("general")
    data = valid_form(Complaint) | {"severity": "major", "received_at": "2026-11-23 10:00:00",
                                    "department": str(complaint.department_id)}
    response = as_admin.submit(url(Complaint, f"edit/?id={complaint.id}"), data)
    assert "受理后请用“更正类别/性质”（启动处理前）或“升级”办理" in response.text
    assert Complaint.get_by_id(complaint.id).severity == "general"


def test_rerouting_keeps_the_general_manager_and_alerts_the_new_owner(app):
    complaint = make_complaint("important", category="product")
    run(complaint.reroute, user("pm"), MON, Department.get(Department.code == "property"), "公共区域")
    stored = Complaint.get_by_id(complaint.id)
    assert stored.owner.username == "property"
    assert Alert.select().where((Alert.record_id == complaint.id) & (Alert.status == "open")
                                & (Alert.assignee == user("property"))).exists()
    assert not Alert.select().where((Alert.record_id == complaint.id) & (Alert.status == "open")
                                    & (Alert.assignee == user("ops"))).exists()


def test_escalation_after_a_rejected_callback_restarts_the_follow_up_clock(app):
    complaint = make_complaint("general")
    run(complaint.start, user("property"), MON)
    run(complaint.resolve, user("property"), MON + timedelta(hours=1), "已处理")
    later = MON + timedelta(days=3)
    run(Complaint.get_by_id(complaint.id).record_callback, user("clerk"), later, False, 1, "不满意")
    stored = Complaint.get_by_id(complaint.id)
    assert stored.callback_deadline is None
    assert stored.follow_up_from == datetime(2026, 12, 3, 10, 0)  # 5 working days from the 26th
    assert stored.missing_follow_ups(later + timedelta(days=1)) == []


def test_a_product_complaint_is_checked_before_it_is_started(app):
    complaint = make_complaint(category="product")
    with pytest.raises(DomainError):
        run(complaint.start, user("ops"), MON)
    ids = [g.id for g in ComplaintGuideline.checklist()]
    run(complaint.check_scope, user("clerk"), MON, ids, ids)
    run(Complaint.get_by_id(complaint.id).start, user("ops"), MON)


def test_grading_alerts_close_when_someone_acts(app):
    complaint = make_complaint("major")
    run(complaint.start, user("pm"), MON + timedelta(minutes=2))
    assert not Alert.select().where((Alert.record_id == complaint.id) & (Alert.record_type == "Complaint")
                                    & (Alert.status == "open")).exists()


def test_report_figures_skip_refused_and_key_repeats_by_person(app):
    import reports
    a = make_complaint(category="property", at=datetime(2025, 5, 5, 9, 0))
    b = make_complaint(category="property", at=datetime(2025, 5, 6, 9, 0))
    Complaint.update(complainant_phone="13711112222").where(Complaint.id.in_([a.id, b.id])).execute()
    refused = make_complaint("important", category="other", at=datetime(2025, 5, 7, 9, 0))
    Complaint.update(status="refused").where(Complaint.id == refused.id).execute()
    figures = reports.complaint_figures(date(2025, 5, 1))
    assert figures["repeat_complainants"] == {"赵女士（137****2222）": 2}  # one person, phone masked
    assert figures["start_on_time"]["due"] == 0


def test_report_month_is_bounded_and_csv_is_excel_safe(login):
    ops = login("ops")
    response = ops.submit("/admin/complaintreport/generate/", {"month": "9999-12-01"})
    assert response.status_code == 200 and "日期须在 2000-01-01 至 2100-12-31 之间" in response.text
