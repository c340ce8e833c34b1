"""A step taken without any view (a phone page, an API, the CLI): flows.steps.take_step finds
the step's one function, and refuses what the user's roles or rows do not allow, writing
nothing (issue 21: every entry point thin)."""
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

import access
import flows.complaints
import flows.records
import flows.surveys
import flows.system
import models
from factories import (make_complaint, make_customer, make_loan, make_notice, make_repair_order,
                       make_survey_plan, questions_of)
from flows.steps import NotAllowed, run_of, take_step
from helpers import MON, audit_actions, dept, run, user
from models import (AuditLog, ComplaintReport, Customer, DomainError, ItemLoan, Notice,
                    RepairOrder, Survey, SurveyDistribution, SurveyQuestion, ValidationError,
                    WorkLetter)


def test_every_declared_step_of_every_register_has_its_one_function(app):
    """access.STEPS names every step an entry point may offer; each is taken by one function
    registered in flows (the views only draw its form)."""
    missing = []
    for register, steps in access.STEPS.items():
        for name in steps:
            try:
                run_of(getattr(models, register), name)
            except LookupError:
                missing.append((register, name))
    assert missing == []
    with pytest.raises(LookupError, match="no flows function"):
        run_of(RepairOrder, "teleport")


def test_a_step_taken_without_a_view_runs_its_function_with_the_fields_given(app):
    order = make_repair_order()
    take_step(order, "dispatch", user("clerk"), MON)
    take_step(RepairOrder.get_by_id(order.id), "accept", user("property"), MON + timedelta(minutes=5))
    take_step(RepairOrder.get_by_id(order.id), "complete", user("property"),
              MON + timedelta(hours=1), {"result": "更换水龙头"})
    order = RepairOrder.get_by_id(order.id)
    assert (order.status, order.result) == (RepairOrder.DONE, "更换水龙头")
    assert audit_actions(order)[-3:] == ["dispatch", "accept", "complete"]


def test_a_role_the_step_is_not_declared_for_is_refused_and_nothing_is_written(app):
    order = make_repair_order()
    rows = AuditLog.select().count()
    with pytest.raises(NotAllowed, match="您的角色不能办理“派单”"):
        take_step(order, "dispatch", user("auditor"), MON)
    assert RepairOrder.get_by_id(order.id).status == RepairOrder.REGISTERED
    assert AuditLog.select().count() == rows


def test_a_department_takes_steps_only_on_its_own_rows(app):
    """Property staff accept property's repair orders, not operations' (the grid's write scope,
    now the executor's too)."""
    theirs, other = make_repair_order(), make_repair_order(department="operations")
    for order in (theirs, other):
        take_step(order, "dispatch", user("clerk"), MON)
    with pytest.raises(NotAllowed, match="不属于您部门办理的记录"):
        take_step(other, "accept", user("property"), MON)
    assert RepairOrder.get_by_id(other.id).status == RepairOrder.DISPATCHED
    take_step(theirs, "accept", user("property"), MON)
    assert RepairOrder.get_by_id(theirs.id).status == RepairOrder.ACCEPTED


def test_only_the_warehouse_issues_an_item_whoever_else_may_issue(app):
    """R-LOAN-2: department staff issue items only as the warehouse; the desk (a hub role) may."""
    loan = make_loan(issued=False)
    fields = {"certificate_no": loan.number, "issued_at": None}
    with pytest.raises(NotAllowed):
        take_step(loan, "issue", user("property"), MON, fields)
    assert ItemLoan.get_by_id(loan.id).status == loan.status
    take_step(loan, "issue", user("warehouse"), MON, fields)
    assert ItemLoan.get_by_id(loan.id).status == ItemLoan.OUT


def test_a_letter_is_signed_for_by_the_department_it_is_addressed_to(app):
    letter = WorkLetter.create(
        from_department=dept("service"), to_department=dept("property"), subject="请协助",
        body="请协助处理", created_at=MON, updated_at=MON)
    letter.assign_number(MON)
    letter.save()
    take_step(letter, "send", user("clerk"), MON)
    with pytest.raises(NotAllowed):
        take_step(letter, "acknowledge", user("ops"), MON)
    take_step(WorkLetter.get_by_id(letter.id), "acknowledge", user("property"), MON)
    assert WorkLetter.get_by_id(letter.id).status == "acknowledged"


def test_regenerating_a_report_is_audited(app):
    """重新统计 refreshes the figures through the report's flow, with its audit row (it wrote
    none when the view called the report code itself)."""
    month = date(2025, 3, 1)  # a month the demo has no report of
    report = flows.complaints.generate_report(month, user("ops"), MON)
    before = audit_actions(report)
    make_complaint(at=datetime(2025, 3, 14, 10, 0))
    take_step(ComplaintReport.get_by_id(report.id), "regenerate", user("ops"), MON)
    assert audit_actions(report) == before + ["generate"]


# ---------------------------------------------------------------- what an edit or archive may do

def test_a_record_is_edited_only_in_the_states_its_workflow_declares_editable(app):
    """A published notice is a closed book for every entry point, not only the edit page."""
    notice = make_notice()
    flows.records.update(notice, {"title": "消防检查通知（更正）"}, user("clerk"), MON)
    take_step(Notice.get_by_id(notice.id), "publish", user("clerk"), MON,
              {"kinds": ["tenant"], "floors": [], "categories": [], "shop_nos": ""})
    published = Notice.get_by_id(notice.id)
    rows = AuditLog.select().count()
    with pytest.raises(DomainError, match="已发布，不能再修改"):
        flows.records.update(published, {"title": "改过的标题"}, user("clerk"), MON)
    assert Notice.get_by_id(notice.id).title == "消防检查通知（更正）"
    assert AuditLog.select().count() == rows


def test_a_plans_question_is_archived_only_while_the_plan_is_drafted(app):
    survey = make_survey_plan()
    question = questions_of(survey)["清洁"]
    flows.records.archive(question, user("ops"), MON, "重复")
    assert SurveyQuestion.get_by_id(question.id).archived_at == MON
    run(survey.submit, user("ops"), MON)
    other = questions_of(Survey.get_by_id(survey.id))["服务态度"]
    with pytest.raises(DomainError, match="问卷题目不能再修改"):
        flows.records.archive(other, user("ops"), MON, "不要了")
    assert SurveyQuestion.get_by_id(other.id).archived_at is None


def test_a_survey_is_handed_only_to_its_target_kind(app):
    """A tenants' survey refuses consumers whoever hands it out (the form only offered tenants)."""
    survey = make_survey_plan()
    run(survey.submit, user("ops"), MON)
    run(Survey.get_by_id(survey.id).approve, user("gm"), MON)
    consumer = make_customer(kind=Customer.CONSUMER)
    with pytest.raises(DomainError, match="本次调查对象为商户"):
        flows.surveys.distribute(Survey.get_by_id(survey.id), user("ops"), MON,
                                 [make_customer(), consumer])
    assert SurveyDistribution.select().where(SurveyDistribution.survey == survey.id).count() == 0
    assert flows.surveys.distribute(Survey.get_by_id(survey.id), user("ops"), MON,
                                    [make_customer()]) == 1


def test_the_survey_threshold_is_set_with_its_audit_row(app):
    flows.system.set_survey_threshold("3.456", user("admin"), MON)
    assert Survey.threshold() == Decimal("3.46")
    row = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert (row.action, row.summary, row.created_at) == ("setting", "survey_threshold：3.5 → 3.46", MON)


def test_a_record_is_written_only_by_a_role_that_writes_its_register_and_in_its_rows(app):
    """flows.records.save is an entry point's whole check: the auditor writes nothing, property
    staff file no repair order for another department nor edit one of its."""
    rows = AuditLog.select().count()
    with pytest.raises(NotAllowed, match="您的角色不能修改维修工作单"):
        flows.records.update(make_repair_order(), {"location": "4F"}, user("auditor"), MON)
    with pytest.raises(NotAllowed, match="只能登记或修改本部门的记录"):
        flows.records.update(make_repair_order(department="operations"), {"location": "4F"},
                             user("property"), MON)
    orders = RepairOrder.select().count()
    with pytest.raises(ValidationError, match="只能登记或修改本部门的记录"):
        flows.records.create(RepairOrder, dict(customer=make_customer(), location="5F",
                                               description="漏水", reported_at=MON,
                                               department=dept("operations")),
                             user("property"), MON)
    assert (RepairOrder.select().count(), AuditLog.select().count()) == (orders, rows)
    mine = flows.records.create(RepairOrder, dict(customer=make_customer(), location="5F",
                                                  description="漏水", reported_at=MON,
                                                  department=dept("property")),
                                user("property"), MON)
    assert audit_actions(mine) == ["create"]
