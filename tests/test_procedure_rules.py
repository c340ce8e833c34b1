"""Issue 22: the procedure table's lines, each to the letter, at fixed times (tests named after
the rule id; `now` is always passed in)."""
from datetime import datetime, timedelta

import pytest

import flows.reception
import flows.surveys
from database import write_transaction
from jobs.deadlines import (escalate_repeated_misses, flag_repairs_not_completed,
                            resolve_done_alerts)
from models import Alert, Deadline, RepairOrder, SlaRule
from helpers import MON, alerts_for, run, user
from factories import make_repair_order


@pytest.fixture
def quiet(app):
    """No alerts and no running clocks but the test's own."""
    Alert.delete().execute()
    Deadline.update(status=Deadline.CANCELLED).where(Deadline.status == Deadline.RUNNING).execute()


def accepted_order(category, at=MON):
    order = make_repair_order(at)
    order.category = category
    order.save()
    run(order.dispatch, user("clerk"), at)
    run(order.accept, user("property"), at + timedelta(minutes=10))
    return order


def sweep(job, now):
    with write_transaction():
        raised = job(now)
        escalate_repeated_misses(now)
        resolve_done_alerts(now)
    return raised


# ---------------------------------------------------------------- R-REP-5

ACCEPTED = MON + timedelta(minutes=10)  # Monday 10:10


@pytest.mark.parametrize("category,due", [
    ("utilities", ACCEPTED + timedelta(hours=4)),              # water and power: the same shift
    ("hvac", ACCEPTED + timedelta(days=1)),
    ("equipment", ACCEPTED + timedelta(days=1)),
    ("civil", datetime(2026, 11, 26, 10, 10)),                 # 3 working days: Thursday
    ("other", datetime(2026, 11, 25, 10, 10)),                 # 2 working days: Wednesday
])
def test_R_REP_5_accepting_starts_the_completion_clock_of_the_category(quiet, category, due):
    order = accepted_order(category)
    assert RepairOrder.get_by_id(order.id).complete_deadline == due
    [clock] = [d for d in order.deadlines() if d.kind == "resolve"]
    assert clock.status == Deadline.RUNNING and clock.rule_code == "REP_COMPLETE_" + category.upper()


@pytest.mark.parametrize("after,overdue,due_soon,level", [
    (timedelta(hours=2, minutes=59), 0, 0, None),   # before 75 % of the 4 hours
    (timedelta(hours=3), 0, 1, None),               # 75 %: due soon
    (timedelta(hours=4), 1, 0, 1),                  # at the limit: overdue, the department
    (timedelta(hours=8), 1, 0, 2),                  # missed again: the department head
    (timedelta(days=30), 1, 0, 4),                  # a month later: still chased, at the top
])
def test_R_REP_5_an_accepted_order_not_completed_is_chased_and_escalated(
        quiet, after, overdue, due_soon, level):
    order = accepted_order("utilities")
    sweep(flag_repairs_not_completed, ACCEPTED + after)
    assert len(alerts_for(order)) == overdue
    assert len(alerts_for(order, "due_soon")) == due_soon
    if level:
        [alert] = alerts_for(order)
        assert alert.level == level and alert.department.code == "property"
        assert alert.title.startswith("维修完工（水电照明）已逾期")


def test_R_REP_5_completing_stops_the_clock_and_resolves_the_alert(quiet):
    order = accepted_order("utilities")
    sweep(flag_repairs_not_completed, ACCEPTED + timedelta(hours=5))
    run(order.complete, user("property"), ACCEPTED + timedelta(hours=6), "已更换水管")
    sweep(flag_repairs_not_completed, ACCEPTED + timedelta(hours=7))
    [alert] = alerts_for(order)
    assert alert.status == Alert.RESOLVED
    [clock] = [d for d in order.deadlines() if d.kind == "resolve"]
    assert clock.status == Deadline.MET and clock.overdue(ACCEPTED + timedelta(hours=7))


def test_R_REP_5_not_fixed_at_callback_starts_a_new_completion_clock_on_acceptance(quiet):
    order = accepted_order("hvac")
    run(order.complete, user("property"), ACCEPTED + timedelta(hours=2), "已加氟")
    run(order.record_callback, user("clerk"), ACCEPTED + timedelta(hours=3), False, notes="仍不制冷")
    again = ACCEPTED + timedelta(hours=4)
    run(order.accept, user("property"), again)
    assert RepairOrder.get_by_id(order.id).complete_deadline == again + timedelta(days=1)


def test_R_REP_5_the_limit_is_an_editable_rule(quiet):
    SlaRule.update(amount=2, unit="hours").where(SlaRule.code == "REP_COMPLETE_UTILITIES").execute()
    order = accepted_order("utilities")
    assert RepairOrder.get_by_id(order.id).complete_deadline == ACCEPTED + timedelta(hours=2)


def test_R_REP_5_a_hold_stops_the_completion_clock(quiet):
    order = accepted_order("utilities")
    run(order.hold, user("property"), ACCEPTED + timedelta(hours=1), "等配件")
    assert sweep(flag_repairs_not_completed, ACCEPTED + timedelta(hours=5)) == 0
    run(order.release, user("property"), ACCEPTED + timedelta(hours=21))
    assert RepairOrder.get_by_id(order.id).complete_deadline == ACCEPTED + timedelta(hours=24)


def test_R_REP_5_the_grids_overdue_filter_lists_orders_not_completed(quiet, as_clerk, monkeypatch):
    import clock
    from helpers import rows, url
    late, in_time = accepted_order("utilities"), accepted_order("civil")
    monkeypatch.setattr(clock, "now", lambda: ACCEPTED + timedelta(hours=5))
    for query in ("?flt0_complete_deadline_overdue=1", "?flt0_id_overdue=1"):
        grid = rows(as_clerk.get(url(RepairOrder, query + "&page_size=200")).text)
        assert late.number in grid and in_time.number not in grid, query
    page = as_clerk.get(url(RepairOrder, "?page_size=200")).text
    assert "完工时限" in page and "水电照明" in page


# ---------------------------------------------------------------- R-CMP-1 (major)

def test_R_CMP_1_a_major_complaint_is_reported_to_the_pm_at_intake_not_flagged_a_minute_later(quiet):
    from jobs.deadlines import flag_major_complaints_not_started
    from factories import make_complaint
    complaint = make_complaint("major")
    [report] = [a for a in Alert.select().where((Alert.record_type == "Complaint")
                                                & (Alert.record_id == complaint.id))]
    assert report.kind == "escalation" and report.assignee.username == "pm"
    assert report.since == MON and "主持启动处理" in report.title
    assert complaint.start_deadline == MON + timedelta(hours=1)
    assert sweep(flag_major_complaints_not_started, MON + timedelta(minutes=1)) == 0
    assert alerts_for(complaint) == []
    assert sweep(flag_major_complaints_not_started, MON + timedelta(hours=1)) == 1
    [late] = alerts_for(complaint)
    assert late.title.startswith("重大投诉项目经理主持启动处理已逾期")


def test_R_CMP_1_the_project_manager_starts_a_major_complaint(quiet):
    from models import Complaint, DomainError
    from factories import make_complaint
    complaint = make_complaint("major")
    with pytest.raises(DomainError, match="项目经理主持启动处理"):
        run(complaint.start, user("property"), MON + timedelta(minutes=20))
    run(Complaint.get_by_id(complaint.id).start, user("pm"), MON + timedelta(minutes=20))
    [clock] = [d for d in complaint.deadlines() if d.kind == "start"]
    assert clock.status == Deadline.MET and not clock.overdue(MON + timedelta(hours=2))
    important = make_complaint("important")
    run(important.start, user("property"), MON + timedelta(minutes=20))  # its department head's


def test_R_CMP_1_only_the_project_manager_is_offered_the_start_of_a_major_complaint(quiet, login):
    from factories import make_complaint
    complaint = make_complaint("major")
    page = "/admin/complaint/details/?id=%d" % complaint.id
    assert "step/start/" not in login("property").get(page).text
    assert "step/start/" in login("pm").get(page).text


def test_R_CMP_1_the_kpi_counts_a_major_complaint_started_in_time_as_on_time(quiet):
    import kpi
    from models import Complaint
    from factories import make_complaint
    in_time, late = make_complaint("major"), make_complaint("major")
    run(in_time.start, user("pm"), MON + timedelta(minutes=30))
    run(late.start, user("pm"), MON + timedelta(hours=2))
    rows = [r for r in kpi.clock_counts(MON, MON + timedelta(days=1), MON + timedelta(hours=3))
            if r[1] == "CMP_MAJOR_START"]
    assert sum(r[3] for r in rows) == 2 and sum(r[5] for r in rows) == 1


def test_R_CMP_1_migration_19_turns_the_0_minute_report_clock_into_the_start_clock(quiet):
    import database
    from models import Complaint, SlaRule, db
    from factories import make_complaint
    complaint = make_complaint("major")
    rule = SlaRule.get(SlaRule.code == "CMP_MAJOR_START")
    # As a database before migration 19 had it: a 0-minute rule and a clock due at intake.
    rule.code, rule.amount, rule.unit = "CMP_MAJOR_REPORT", 0, "minutes"
    rule.save()
    Deadline.update(rule_code="CMP_MAJOR_REPORT", due_at=MON, original_due_at=MON).where(
        Deadline.rule == rule.id).execute()
    with write_transaction():
        database._procedure_rules(db.obj)
    rule = SlaRule.get_by_id(rule.id)
    assert (rule.code, rule.amount, rule.unit) == ("CMP_MAJOR_START", 1, "hours")
    [clock] = [d for d in Complaint.get_by_id(complaint.id).deadlines() if d.kind == "start"]
    assert clock.rule_code == "CMP_MAJOR_START" and clock.due_at == MON + timedelta(hours=1)


# ---------------------------------------------------------------- R-CMP-6

FOLLOW_UP_DAY = datetime(2026, 11, 30, 10, 0)  # received Mon 23 Nov 10:00 + 5 working days


@pytest.fixture
def only_ours(quiet):
    from models import Complaint
    Complaint.update(archived_at=MON, archive_reason="测试").execute()  # the demo's stay out


def follow_up_alert_days(complaint):
    return sorted(a.since.date() - timedelta(days=1) for a in alerts_for(complaint))


def test_R_CMP_6_page_and_job_agree_on_a_complaint_held_30_nov_to_2_dec(only_ours):
    from jobs.deadlines import flag_missing_follow_ups
    from models import Complaint
    from factories import make_complaint
    complaint = make_complaint("general")
    run(complaint.start, user("property"), MON + timedelta(hours=1))
    assert complaint.follow_up_from == FOLLOW_UP_DAY
    run(complaint.hold, user("property"), datetime(2026, 11, 30, 8, 0), "等待厂家检测")
    run(Complaint.get_by_id(complaint.id).release, user("property"), datetime(2026, 12, 2, 17, 0))
    now = datetime(2026, 12, 4, 8, 0)
    page = Complaint.get_by_id(complaint.id).missing_follow_ups(now)
    with write_transaction():
        flag_missing_follow_ups(now)
    assert page == follow_up_alert_days(complaint) == [datetime(2026, 12, 3).date()]


@pytest.mark.parametrize("kind,told,counts", [
    ("progress", None, False),          # a note to the file: the complainant heard nothing
    ("progress", "  ", False),
    ("follow_up", None, False),
    ("progress", "下周一更换", True),   # any note counts once the complainant was told
    ("follow_up", "已致电告知进度", True),
    ("feedback", "已致电告知进度", True),
])
def test_R_CMP_6_a_day_counts_only_when_the_complainant_was_given_feedback(
        only_ours, kind, told, counts):
    from jobs.deadlines import flag_missing_follow_ups
    from models import Complaint, ComplaintUpdate
    from factories import make_complaint
    complaint = make_complaint("general")
    run(complaint.start, user("property"), MON + timedelta(hours=1))
    ComplaintUpdate.create(complaint=complaint, kind=kind, content="跟进", told_complainant=told,
                           happened_at=datetime(2026, 11, 30, 15, 0), created_at=MON, updated_at=MON)
    now = datetime(2026, 12, 1, 8, 0)
    with write_transaction():
        flag_missing_follow_ups(now)
    expected = [] if counts else [FOLLOW_UP_DAY.date()]
    assert Complaint.get_by_id(complaint.id).missing_follow_ups(now) == expected
    assert follow_up_alert_days(complaint) == expected


def test_R_CMP_6_the_intake_person_is_alerted_for_a_missed_day(only_ours):
    from jobs.deadlines import flag_missing_follow_ups
    from models import Complaint
    from factories import make_complaint
    complaint = make_complaint("general")  # handled by 物业管理部
    Complaint.update(created_by=user("clerk")).where(Complaint.id == complaint.id).execute()
    with write_transaction():
        flag_missing_follow_ups(datetime(2026, 12, 1, 8, 0))
    [alert] = alerts_for(complaint)
    assert (alert.assignee.username, alert.department.code) == ("clerk", "service")


def test_R_CMP_6_feedback_without_what_the_complainant_was_told_is_refused(only_ours):
    from models import ValidationError
    from factories import make_complaint
    complaint = make_complaint("general")
    with pytest.raises(ValidationError):
        run(complaint.add_update, user("clerk"), MON, "feedback", "已致电", " ")


# ---------------------------------------------------------------- R-ENQ-1/2

def enquiry_letter(at=MON):
    from models import Contact, Customer, Department
    customer = Customer.select().where(Customer.kind == "tenant").first()
    contact = Contact.create(customer=customer, visitor_name="钱先生", phone="13900002222",
                             kind="enquiry", subject="能否延长周末营业时间", received_at=at,
                             created_at=at, updated_at=at)
    contact.assign_number(at)
    contact.save()
    letter = run(flows.reception.open_work_letter, contact, user("clerk"), at,
                 Department.get(Department.code == "operations"))
    run(letter.send, user("clerk"), at + timedelta(minutes=10))
    return Contact.get_by_id(contact.id), letter


def test_R_ENQ_1_2_the_reply_comes_back_and_the_desk_answers_and_closes(quiet):
    from models import Contact, WorkLetter
    contact, letter = enquiry_letter()
    assert contact.status == Contact.TRANSFERRED and contact.answer_deadline is None
    replied = MON + timedelta(hours=2)
    run(WorkLetter.get_by_id(letter.id).answer, user("ops"), replied, "周末可延长至22:00，需提前报备")
    contact = Contact.get_by_id(contact.id)
    assert contact.answer_deadline == replied + timedelta(days=1)  # 1 working day: Tuesday
    answered = replied + timedelta(hours=1)
    run(contact.answer_enquirer, user("clerk"), answered, "phone", "已电话告知：周末可延长至22:00")
    contact = Contact.get_by_id(contact.id)
    assert contact.status == Contact.CLOSED
    assert (contact.answered_at, contact.answer_method, contact.answered_by.username) == (
        answered, "phone", "clerk")
    assert contact.answer == "已电话告知：周末可延长至22:00"
    assert WorkLetter.get_by_id(letter.id).status == WorkLetter.CLOSED
    [clock] = [d for d in contact.deadlines() if d.rule_code == "ENQ_ANSWER"]
    assert clock.status == Deadline.MET


def test_R_ENQ_1_2_no_answer_before_the_department_replied_nor_without_what_was_said(quiet):
    from models import DomainError, ValidationError, WorkLetter
    contact, letter = enquiry_letter()
    with pytest.raises(DomainError, match="尚未回复"):
        run(contact.answer_enquirer, user("clerk"), MON + timedelta(hours=1), "phone", "稍后答复")
    run(WorkLetter.get_by_id(letter.id).answer, user("ops"), MON + timedelta(hours=2), "可以")
    with pytest.raises(ValidationError) as refused:
        run(contact.answer_enquirer, user("clerk"), MON + timedelta(hours=3), "pigeon", " ")
    assert set(refused.value.errors) == {"method", "answer"}


@pytest.mark.parametrize("now,overdue,due_soon", [
    (datetime(2026, 11, 24, 5, 59), 0, 0),    # before 75 % of the working day
    (datetime(2026, 11, 24, 6, 0), 0, 1),
    (datetime(2026, 11, 24, 12, 0), 1, 0),    # replied Mon 12:00, answer owed by Tue 12:00
])
def test_R_ENQ_1_2_an_answer_still_owed_is_a_clock(quiet, now, overdue, due_soon):
    from jobs.deadlines import flag_enquirers_not_answered
    from models import WorkLetter
    contact, letter = enquiry_letter()
    run(WorkLetter.get_by_id(letter.id).answer, user("ops"), MON + timedelta(hours=2), "可以")
    sweep(flag_enquirers_not_answered, now)
    assert len(alerts_for(contact)) == overdue and len(alerts_for(contact, "due_soon")) == due_soon
    if overdue:
        assert alerts_for(contact)[0].department.code == "service"


def test_R_ENQ_1_2_the_contact_page_offers_the_answer_with_the_reply(quiet, as_clerk):
    from models import Contact, WorkLetter
    from helpers import url
    contact, letter = enquiry_letter()
    run(WorkLetter.get_by_id(letter.id).answer, user("ops"), MON + timedelta(hours=2), "周末可延长")
    page = as_clerk.get(url(Contact, "step/answer/?id=%d" % contact.id))
    assert page.status_code == 200 and "周末可延长" in page.text and "答复方式" in page.text


# ---------------------------------------------------------------- R-SVC-1

@pytest.mark.parametrize("approver,entitled", [
    ("ops", True),        # head of 营运部, the approving department
    ("pm", True),         # approves for every department
    ("gm", True),
    ("clerk", False),     # the desk runs the paperwork, it does not approve
    ("property", False),  # another department's head
])
def test_R_SVC_1_only_one_entitled_to_approve_may_approve(quiet, approver, entitled):
    from models import DomainError, ServiceRequest
    from factories import make_service_request
    request = make_service_request(MON)
    if entitled:
        run(request.approve, user(approver), MON + timedelta(hours=1), "同意")
        stored = ServiceRequest.get_by_id(request.id)
        assert stored.status == ServiceRequest.APPROVED and stored.decided_by.username == approver
    else:
        with pytest.raises(DomainError, match="营运部负责人"):
            run(request.approve, user(approver), MON + timedelta(hours=1), "同意")
        assert ServiceRequest.get_by_id(request.id).status == ServiceRequest.SUBMITTED


def test_R_SVC_1_the_approver_is_the_departments_head_as_the_admin_sets_it(quiet):
    from models import Department, ServiceRequest
    from factories import make_service_request
    request = make_service_request(MON)
    Department.update(head=user("property")).where(Department.code == "operations").execute()
    run(ServiceRequest.get_by_id(request.id).approve, user("property"), MON, "同意")
    assert ServiceRequest.get_by_id(request.id).decided_by.username == "property"


def test_R_SVC_1_the_clerk_is_not_offered_the_approval_and_cannot_post_it(quiet, login):
    from models import ServiceRequest
    from factories import make_service_request
    from helpers import url
    request = make_service_request(MON)
    clerk, ops = login("clerk"), login("ops")
    page = url(ServiceRequest, "details/?id=%d" % request.id)
    assert "step/approve/" not in clerk.get(page).text
    assert "step/approve/" in ops.get(page).text
    refused = clerk.post(url(ServiceRequest, "step/approve/?id=%d" % request.id), data={"note": "x"})
    assert refused.status_code in (302, 403)
    assert ServiceRequest.get_by_id(request.id).status == ServiceRequest.SUBMITTED
    form = ops.get(url(ServiceRequest, "step/approve/?id=%d" % request.id)).text
    assert "审批部门负责人" in form and user("ops").full_name in form


# ---------------------------------------------------------------- R-COM-4

def test_R_COM_4_operations_assigns_an_action_item_to_any_department(quiet, login):
    from models import ActionItem, Department, Meeting
    meeting = Meeting.select().first()
    property_id = Department.get(Department.code == "property").id
    ops = login("ops")
    done = ops.submit("/admin/actionitem/new/", {
        "meeting": str(meeting.id), "description": "三楼卫生间加装扶手", "department": str(property_id),
        "due_date": "2026-12-10"})
    assert done.status_code == 302, done.text[:2000]
    item = ActionItem.get(ActionItem.description == "三楼卫生间加装扶手")
    assert item.department_id == property_id
    assert "三楼卫生间加装扶手" in ops.get("/admin/actionitem/?page_size=200").text  # tracked
    # Another department still writes only its own.
    prop = login("property")
    refused = prop.submit("/admin/actionitem/new/", {
        "meeting": str(meeting.id), "description": "营运部的事项",
        "department": str(Department.get(Department.code == "operations").id),
        "due_date": "2026-12-10"})
    assert refused.status_code == 200 and "只能登记或修改本部门的记录" in refused.text
    assert not ActionItem.select().where(ActionItem.description == "营运部的事项").exists()


# ---------------------------------------------------------------- R-SUR-3

@pytest.mark.parametrize("handed_out,flagged", [(8, True), (10, False)])  # of 10 planned
def test_R_SUR_3_a_distribution_rate_under_100_is_flagged_at_the_end(quiet, login, handed_out,
                                                                       flagged):
    from models import Customer
    from helpers import fresh
    from factories import make_running_survey
    survey = make_running_survey()
    tenants = list(Customer.select().where(Customer.kind.in_(("tenant", "anchor")))
                   .order_by(Customer.id).limit(handed_out))
    assert len(tenants) == handed_out
    run(flows.surveys.distribute, survey, user("clerk"), datetime(2026, 12, 13, 9, 0), tenants)
    run(flows.surveys.close, fresh(survey), user("ops"), datetime(2026, 12, 27, 18, 0))
    titles = [a.title for a in Alert.select().where((Alert.record_type == "Survey")
                                                   & (Alert.record_id == survey.id))]
    short = [t for t in titles if "发放率" in t]
    assert bool(short) == flagged
    if flagged:
        assert "发放率 80.0%（8/10 份），未达目标 100%" in short[0]
        [alert] = [a for a in Alert.select().where(Alert.title == short[0])]
        assert alert.assignee.username == "ops"
    report = login("ops").get("/admin/survey/report/?id=%d" % survey.id).text
    assert ("未达到目标发放率" in report) == flagged


def test_migration_19_adds_its_columns_and_may_run_again(app):
    import database
    from database import SchemaMigration
    from models import Contact, RepairOrder, db
    columns = {c.name for model in (RepairOrder, Contact)
               for c in db.get_columns(model._meta.table_name)}
    assert {"category", "complete_deadline", "answer_deadline", "answer_method",
            "answered_by_id"} <= columns
    SchemaMigration.delete().where(SchemaMigration.version == 19).execute()
    with database.startup_transaction():
        assert database.migrate() == [19]
    assert RepairOrder.select().count() and Contact.select().count()
