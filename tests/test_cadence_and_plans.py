"""Issue 22: a survey period without an approved plan alerts operations (R-SUR-2); a
department's cadence is kept only by its own communication, and a committee meeting is held
only with the general manager among its attendees (R-COM-3)."""
from datetime import date, datetime

import jobs
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
