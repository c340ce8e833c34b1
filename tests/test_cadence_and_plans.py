"""Issue 22: a survey period without an approved plan alerts operations (R-SUR-2); a
department's cadence is kept only by its own communication, and a committee meeting is held
only with the general manager among its attendees (R-COM-3)."""
import re
from datetime import date, datetime, timedelta

import jobs
from jobs.deadlines import resolve_done_alerts
from jobs.surveys import flag_survey_plans_missing
from models import Alert, Department, SlaRule, Survey
from views.surveys import survey_calendar


def plan_alerts(status=Alert.OPEN):
    rule = SlaRule.get(SlaRule.code == "SUR_PLAN")
    return list(Alert.select().where((Alert.record_type == "SlaRule") & (Alert.record_id == rule.id)
                                     & (Alert.status == status)).order_by(Alert.since))


def planned():
    return list(Survey.select(Survey.target, Survey.start_date, Survey.status)
                .where(Survey.archived_at.is_null()).tuples())


def new_plan(start, end, **fields):
    at = datetime(2026, 11, 20, 9, 0)
    return Survey.create(title="商户季度满意度调查", target=Survey.TENANTS, start_date=start,
                         end_date=end, created_at=at, updated_at=at, **fields)


def test_R_SUR_2_a_quarter_without_an_approved_plan_alerts_operations_once_until_approved(app):
    # 2027 Q1 starts 1 Jan: the plan must be approved by 12 Dec 2026 (20 days ahead).
    assert Survey.latest_submission_for(date(2027, 1, 1)) == date(2026, 12, 12)
    jobs.run_job(flag_survey_plans_missing, datetime(2026, 12, 12, 23, 0))
    assert plan_alerts() == []                       # the latest day is not over yet
    row = {r["period"]: r for r in survey_calendar(date(2026, 12, 12), planned())}["2027年第1季度"]
    assert row["latest_submission"] == date(2026, 12, 12) and not row["late"]

    jobs.run_job(flag_survey_plans_missing, datetime(2026, 12, 13, 0, 5))
    jobs.run_job(flag_survey_plans_missing, datetime(2026, 12, 14, 0, 5))   # next night: no second
    [alert] = plan_alerts()
    # The minute's alert resolving leaves it to this job: it has no clock, and it is not done.
    jobs.run_job(resolve_done_alerts, datetime(2026, 12, 14, 0, 6))
    assert [a.id for a in plan_alerts()] == [alert.id]
    assert alert.department == Department.get(Department.code == "operations")
    assert "2027年第1季度商户" in alert.title and "2026-12-12" in alert.title
    assert alert.since == datetime(2026, 12, 12, 23, 59, 59)
    # The grid flags the same period from the same date.
    row = {r["period"]: r for r in survey_calendar(date(2026, 12, 13), planned())}["2027年第1季度"]
    assert row["late"] and row["latest_submission"] == date(2026, 12, 12)

    # A draft, or a plan submitted but not approved, does not clear it.
    plan = new_plan(date(2027, 2, 1), date(2027, 2, 20), status=Survey.SUBMITTED)
    jobs.run_job(flag_survey_plans_missing, datetime(2026, 12, 15, 0, 5))
    assert [a.id for a in plan_alerts()] == [alert.id]
    row = {r["period"]: r for r in survey_calendar(date(2026, 12, 15), planned())}["2027年第1季度"]
    assert row["plans"] and row["late"]

    Survey.update(status=Survey.APPROVED, approved_at=datetime(2026, 12, 15, 9, 0)).where(
        Survey.id == plan.id).execute()
    jobs.run_job(flag_survey_plans_missing, datetime(2026, 12, 16, 0, 5))
    assert plan_alerts() == []
    [done] = plan_alerts(Alert.RESOLVED)
    assert done.id == alert.id and done.resolved_at == datetime(2026, 12, 16, 0, 5)
    row = {r["period"]: r for r in survey_calendar(date(2026, 12, 16), planned())}["2027年第1季度"]
    assert row["approved"] and not row["late"]


def test_R_SUR_2_the_may_consumer_survey_is_due_approved_by_11_april(app):
    assert Survey.latest_submission_for(date(2027, 5, 1)) == date(2027, 4, 11)
    jobs.run_job(flag_survey_plans_missing, datetime(2027, 4, 11, 12, 0))
    assert not [a for a in plan_alerts() if "2027年5月" in a.title]
    jobs.run_job(flag_survey_plans_missing, datetime(2027, 4, 12, 0, 5))
    [may] = [a for a in plan_alerts() if "2027年5月" in a.title]
    assert "消费者" in may.title and may.department.code == "operations"
    # Q2 of 2027 is late too; Q1 was over before the job first ran: history, not an alert.
    titles = [a.title for a in plan_alerts()]   # by since: Q2 (12 Mar), then May (11 Apr)
    assert len(titles) == 2 and "2027年第2季度商户" in titles[0] and "2027年5月消费者" in titles[1]


def test_R_SUR_2_a_longer_lead_set_by_the_admin_moves_both_the_grid_and_the_job(app):
    SlaRule.update(amount=30).where(SlaRule.code == "SUR_PLAN").execute()
    assert Survey.latest_submission_for(date(2027, 1, 1)) == date(2026, 12, 2)
    row = {r["period"]: r for r in survey_calendar(date(2026, 12, 3), planned())}["2027年第1季度"]
    assert row["late"] and row["latest_submission"] == date(2026, 12, 2)
    jobs.run_job(flag_survey_plans_missing, datetime(2026, 12, 3, 0, 5))
    assert [a.since for a in plan_alerts()] == [datetime(2026, 12, 2, 23, 59, 59)]


# ---------------------------------------------------------------- R-COM-3

import pytest  # noqa: E402

from database import write_transaction  # noqa: E402
from jobs.communication import flag_contact_cadence, refresh_last_contacts  # noqa: E402
from models import Contact, Customer, Meeting, MeetingAttendee, Notice, NoticeReceipt, User  # noqa: E402
from views.customers import cadence_condition  # noqa: E402

LONG_AGO = datetime(2026, 9, 1, 10, 0)
NIGHT = datetime(2026, 11, 23, 0, 5)


def staff(username):
    return User.get(User.username == username)


@pytest.fixture
def tenant_and_anchor(app):
    """A tenant and an anchor store registered long ago, never contacted, nothing else counted."""
    Customer.update(status=Customer.INACTIVE).execute()
    Alert.delete().where(Alert.record_type == "Customer").execute()
    return [Customer.create(name="测试" + kind, kind=kind, created_at=LONG_AGO, updated_at=LONG_AGO)
            for kind in ("tenant", "anchor")]


def cadence_alert(customer):
    return Alert.get_or_none((Alert.record_type == "Customer") & (Alert.record_id == customer.id)
                             & (Alert.status == Alert.OPEN))


def nightly(now):
    jobs.run_job(refresh_last_contacts, now)
    jobs.run_job(flag_contact_cadence, now)


def test_R_COM_3_a_tenants_own_repair_call_does_not_keep_operations_monthly_cadence(tenant_and_anchor):
    tenant, _ = tenant_and_anchor
    nightly(NIGHT)
    assert cadence_alert(tenant).department.code == "operations"
    at = datetime(2026, 11, 23, 9, 0)
    with write_transaction():  # the tenant calls the desk about a leak
        Contact.create(customer=tenant, kind="repair", channel="phone", subject="漏水报修",
                       received_at=at, received_by=staff("clerk"), created_at=at, updated_at=at)
    tenant = Customer.get_by_id(tenant.id)
    assert tenant.last_contact_at == at and tenant.cadence_contact_at is None
    nightly(NIGHT.replace(day=24))
    assert cadence_alert(tenant) is not None          # a contact, not operations' own
    with write_transaction():  # operations' own visit
        Contact.create(customer=tenant, kind="other", channel="visit", subject="营运部上门走访",
                       received_at=at, received_by=staff("ops"), created_at=at, updated_at=at)
    assert Customer.get_by_id(tenant.id).cadence_contact_at == at
    nightly(NIGHT.replace(day=25))
    assert cadence_alert(tenant) is None
    # The nightly refresh, recomputed from the registers, agrees with the event hooks.
    Customer.update(cadence_contact_at=None).where(Customer.id == tenant.id).execute()
    nightly(NIGHT.replace(day=26))
    assert Customer.get_by_id(tenant.id).cadence_contact_at == at


def test_R_COM_3_a_notice_or_meeting_counts_only_for_the_department_that_made_it(tenant_and_anchor):
    tenant, anchor = tenant_and_anchor
    at = datetime(2026, 11, 20, 15, 0)
    with write_transaction():  # 物业管理部's notice, confirmed by both
        notice = Notice.create(kind=Notice.IMPORTANT, title="消防检查通知", body="周五检查",
                               department=staff("property").department, created_at=at,
                               updated_at=at, published_at=at - timedelta(hours=1),
                               status=Notice.PUBLISHED)
        for customer in (tenant, anchor):
            receipt = NoticeReceipt.create(notice=notice, customer=customer, created_at=at,
                                           updated_at=at)
            receipt.confirm(staff("clerk"), at, NoticeReceipt.SIGNED)
    assert Customer.get_by_id(anchor.id).cadence_contact_at == at       # property keeps anchors
    assert Customer.get_by_id(tenant.id).cadence_contact_at is None     # operations keeps tenants
    held = datetime(2026, 11, 21, 10, 0)
    with write_transaction():  # 营运部's tenant meeting
        meeting = Meeting.create(kind="tenants", title="商户座谈会", held_at=held,
                                 department=staff("ops").department, created_at=held,
                                 updated_at=held)
        MeetingAttendee.create(meeting=meeting, customer=tenant)
        MeetingAttendee.create(meeting=meeting, customer=anchor)
        meeting.record_attendance(NIGHT)
    assert Customer.get_by_id(tenant.id).cadence_contact_at == held
    assert Customer.get_by_id(anchor.id).cadence_contact_at == at       # not property's meeting
    nightly(NIGHT)
    assert cadence_alert(tenant) is None and cadence_alert(anchor) is None


@pytest.mark.parametrize("last,now,due", [
    # Monthly (31 days): the column, the grid's filter and the job agree to the minute.
    (datetime(2026, 10, 23, 10, 0), datetime(2026, 11, 23, 9, 59), False),
    (datetime(2026, 10, 23, 10, 0), datetime(2026, 11, 23, 10, 1), True),
])
def test_R_COM_3_the_column_the_filter_and_the_job_read_one_due_date(tenant_and_anchor, last, now, due):
    tenant, _ = tenant_and_anchor
    Customer.update(cadence_contact_at=last).where(Customer.id == tenant.id).execute()
    tenant = Customer.get_by_id(tenant.id)
    assert tenant.contact_due() == datetime(2026, 11, 23, 10, 0)
    assert (tenant.contact_due() < now) == due
    filtered = Customer.select().where(cadence_condition(now) & (Customer.id == tenant.id)).exists()
    assert filtered == due
    with write_transaction():
        flag_contact_cadence(now)
    assert (cadence_alert(tenant) is not None) == due


@pytest.mark.parametrize("kind,code,amount,unit,last,due_at", [
    # 5 working days from Monday 28 September 2026: 29, 30 September, the National Day week
    # off, 8, 9 October and the make-up Saturday 10 October, by its end (read as days: 3 October).
    ("tenant", "COM_TENANT", 5, "working_days", datetime(2026, 9, 28, 15, 0),
     datetime(2026, 10, 10, 23, 59, 59)),
    # 36 hours, not 36 days.
    ("anchor", "COM_ANCHOR", 36, "hours", datetime(2026, 11, 20, 9, 0), datetime(2026, 11, 21, 21, 0)),
])
def test_R_COM_3_a_cadence_in_its_own_unit_is_due_alike_on_the_page_and_in_the_job(
        tenant_and_anchor, as_clerk, kind, code, amount, unit, last, due_at):
    """Issue 21: the cadence read its rule's amount as days whatever the unit. The column the
    grid shows, the grid's filter and the nightly job's alert agree, on an injected now."""
    from helpers import url
    import clock
    SlaRule.update(amount=amount, unit=unit, clock="working_days" if unit == "working_days"
                   else "calendar").where(SlaRule.code == code).execute()
    customer = next(c for c in tenant_and_anchor if c.kind == kind)
    Customer.update(cadence_contact_at=last).where(Customer.id == customer.id).execute()
    for now, overdue in ((due_at - timedelta(minutes=1), False), (due_at + timedelta(minutes=1), True)):
        clock.set_fixed_now(now)
        page = as_clerk.get(url(Customer, "?flt0_status_equal=active")).text
        row = re.search(r">%s</a></td>(.*?)</tr>" % customer.name, page, re.S).group(1)
        shown = re.sub(r"<[^>]+>", "", re.search(r'class="col-cadence">(.*?)</td>', row, re.S).group(1))
        assert shown.strip() == ("逾期 %s" if overdue else "下次 %s") % due_at.date()
        assert Customer.get_by_id(customer.id).contact_due() == due_at
        assert Customer.select().where(cadence_condition(now) & (Customer.id == customer.id)).exists() \
            == overdue
        with write_transaction():
            flag_contact_cadence(now)
        alert = cadence_alert(customer)
        assert (alert is not None) == overdue
        assert alert is None or alert.since == due_at


def test_R_COM_3_due_soon_on_the_grid_is_a_week_ahead(tenant_and_anchor):
    """The grid's 7 天内到期 (sla.CADENCE_DUE_SOON) counts from the injected now."""
    tenant, _ = tenant_and_anchor
    Customer.update(cadence_contact_at=datetime(2026, 10, 23, 10, 0)).where(
        Customer.id == tenant.id).execute()                     # due 23 November 10:00
    for now, soon in ((datetime(2026, 11, 16, 9, 59), False), (datetime(2026, 11, 16, 10, 1), True)):
        assert Customer.select().where(cadence_condition(now, overdue=False)
                                       & (Customer.id == tenant.id)).exists() == soon
        assert not Customer.select().where(cadence_condition(now) & (Customer.id == tenant.id)).exists()


def test_R_COM_3_a_committee_meeting_without_the_general_manager_cannot_be_recorded_as_held(app):
    from models import ValidationError
    held = datetime(2026, 11, 20, 15, 0)
    with write_transaction():
        meeting = Meeting.create(kind="merchants_committee", title="商委会年度座谈", held_at=held,
                                 created_at=held, updated_at=held)
    with pytest.raises(ValidationError) as err:
        with write_transaction():
            meeting.record_staff([staff("ops"), staff("clerk")], NIGHT)
    assert "staff" in err.value.errors and not Meeting.get_by_id(meeting.id).gm_attended
    # Planned for next month, it may list its staff without him yet.
    with write_transaction():
        meeting.held_at = datetime(2026, 12, 20, 15, 0)
        meeting.record_staff([staff("ops")], NIGHT)
    with write_transaction():
        meeting.held_at = held
        meeting.record_staff([staff("ops"), staff("gm")], NIGHT)
    assert Meeting.get_by_id(meeting.id).gm_attended


def test_R_COM_3_the_general_managers_box_is_no_longer_ticked_by_hand(as_clerk, app):
    from helpers import url
    page = as_clerk.http.get(url(Meeting, "new/")).text
    assert 'name="gm_attended"' not in page and 'name="staff"' in page
    response = as_clerk.submit(url(Meeting, "new/"), {
        "kind": "owners_committee", "title": "业委会座谈（勾选）", "held_at": "2026-11-20 15:00:00",
        "gm_attended": "y", "staff": [str(staff("clerk").id)]})
    assert "须由总经理参加" in response.text
    assert not Meeting.select().where(Meeting.title == "业委会座谈（勾选）").exists()
