"""Satisfaction surveys (满意度调查): the plan's clocks, its questionnaire."""
import reports
from audit import audit, snapshot
from database import write_transaction
from models import CorrectiveAction, DomainError, Survey, SurveyAnswer, SurveyQuestion, ValidationError
from flows.audience import chosen_customers
from flows.steps import calls, runs
from flows.records import after_save, archives, before_save


@after_save(Survey)
def plan_clocks(survey, created, by, now, extra):
    """The plan's countdowns follow its dates (R-SUR-1 … 6)."""
    survey.plan_clocks(now)


@before_save(SurveyQuestion)
def only_while_drafted(question, created, by, now, extra):
    if question.survey_id and Survey.get_by_id(question.survey_id).status != Survey.DRAFT:
        raise ValidationError({"survey": "只有草拟中的调查方案可以增改题目"})


@archives(SurveyQuestion)
def archive_question(question, by, now, reason, seen=None):
    """A plan's question is archived only while the plan is drafted (a template's at any time)."""
    if question.survey_id and Survey.get_by_id(question.survey_id).status != Survey.DRAFT:
        raise DomainError("调查方案已报批，问卷题目不能再修改")
    question.archive(by, now, reason, seen)


def copy_template(survey, by, now, template):
    """导入模板题目: a reusable template's questions added to a drafted plan. Returns how many."""
    with write_transaction():
        added = survey.copy_template(by, now, template)
        audit("copy_template", survey, before=snapshot(survey), now=now, user=by,
              summary="导入模板“%s” %d 题" % (template, added))
    return added


def distribute(survey, by, now, customers):
    """发放问卷: one questionnaire (its own one-time link) per customer. Returns how many."""
    with write_transaction():
        handed = survey.distribute(by, now, customers)
        audit("distribute", survey, before=snapshot(survey), now=now, user=by,
              summary="发放问卷 %d 份" % handed)
    return handed


def record_response(survey, by, now, answers, distribution=None, respondent_kind=None, area=None):
    """回收答卷: one returned questionnaire; a distributed one is answered once (R-SUR-3)."""
    with write_transaction():
        response = survey.record_response(by, now, answers, distribution, respondent_kind, area)
        audit("return_questionnaire", survey, before=snapshot(survey), now=now, user=by,
              summary="回收答卷 #%d（%d 项）" % (response.id, SurveyAnswer.select().where(
                  SurveyAnswer.response == response.id).count()))
    return response


def close(survey, by, now):
    """结束调查: the results compiled; each item under the threshold raises a corrective action
    for its department, a rate under target alerts the planner (R-SUR-3). Returns the actions."""
    with write_transaction():
        survey.close(by, now)
        raised = survey.raise_findings(by, now, reports.survey_results(survey))
        for action in raised:
            audit("create", action, now=now, user=by, summary="调查结束自动生成：" + action.finding[:120])
    return raised


# The steps of this area's registers, each one function (flows.steps.take_step runs them);
# calls(Model, step, method, *fields): the model's method given (by, now, *those fields).

@runs(Survey, "copy_template")
def _survey_copy_template(record, by, now, fields):
    return copy_template(record, by, now, fields["template"])


calls(Survey, "submit")
calls(Survey, "approve")
calls(Survey, "return_plan", "return_plan", "reason")
calls(Survey, "train", "record_training", "trained_at", "note")
calls(Survey, "begin")


@runs(Survey, "distribute")
def _survey_distribute(record, by, now, fields):
    customers, _ = chosen_customers(fields, only_kinds=Survey.TARGET_KINDS[record.target])
    return distribute(record, by, now, customers)


calls(Survey, "paper_copies", "record_paper_copies", "copies")


@runs(Survey, "close")
def _survey_close(record, by, now, fields):
    return close(record, by, now)


calls(Survey, "file", "file_records")
calls(CorrectiveAction, "complete_action", "complete", "action", "note")
calls(CorrectiveAction, "verify", "verify", "evidence")
calls(CorrectiveAction, "reject_verification", "reject", "reason")
