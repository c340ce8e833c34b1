"""Satisfaction surveys (满意度调查): plans, questionnaires, distribution, returns, results,
corrective actions (R-SUR-1 … R-SUR-6)."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from wtforms import DateTimeLocalField, IntegerField, SelectField, validators

import access
import clock
import flows.surveys
import reports
from database import write_transaction
from forms import KefuForm
from i18n import _l
from models import (AlreadySubmitted, CorrectiveAction, Customer, DomainError,
                    FormToken, Survey, SurveyDistribution, SurveyQuestion, SurveyResponse,
                    ValidationError)
from views.audience import audience_fields
from views.base import KefuModelView
from views.steps import Step, one_time_token, reason_field


class TemplateField(SelectField):
    """The names of the reusable question templates, read when drawn."""

    @property
    def choices(self):
        names = (SurveyQuestion.select(SurveyQuestion.template)
                 .where(SurveyQuestion.survey.is_null() & SurveyQuestion.template.is_null(False)
                        & SurveyQuestion.archived_at.is_null())
                 .distinct().order_by(SurveyQuestion.template).tuples())
        return [(n, n) for (n,) in names]

    @choices.setter
    def choices(self, value):
        pass


def survey_calendar(today, planned):
    """The surveys R-SUR-2 asks for this year and next (consumers every May, tenants every
    quarter) with the plan that covers each, if any; `planned` is [(target, start_date, status)].
    A period is late once its latest date (Survey.latest_submission_for) has passed without
    an approved plan: the same dates the daily job flag_survey_plans_missing alerts on."""
    lead = Survey.plan_lead()
    approved = Survey.WORKFLOW.group("approved")
    rows = []
    for target, label, start, end in Survey.required_periods((today.year, today.year + 1)):
        if end < today.replace(month=1, day=1):
            continue
        plans = [s for s in planned if s[0] == target and start <= s[1] <= end]
        covered = [s for s in plans if s[2] != Survey.DRAFT]  # a draft alone is not a plan yet
        latest = Survey.latest_submission_for(start, lead)
        is_approved = any(s[2] in approved for s in plans)
        rows.append({"target": target, "target_label": dict(Survey.TARGETS)[target],
                     "period": label, "start": start, "end": end, "plans": covered,
                     "drafts": len(plans) - len(covered), "latest_submission": latest,
                     "approved": is_approved, "missing": not covered,
                     "late": not is_approved and today > latest, "past": end < today})
    return rows


class SurveyView(KefuModelView):
    list_template = "kefu/survey_list.html"
    column_list = ("title", "target", "start_date", "end_date", "status", "approve_deadline",
                   "training_deadline", "filing_deadline")
    form_excluded_extra = ("approved_at", "approved_by", "submitted_at", "trained_at",
                           "training_note", "closed_at", "filed_at", "approve_deadline",
                           "training_deadline", "filing_deadline", "status")
    # States, clocks, labels and the states it is edited in: workflow.SURVEY.
    steps = (
        Step("copy_template",
             fields={"template": TemplateField(_l("问卷模板"))}, style="outline-primary"),
        Step("submit"),
        Step("approve", style="success"),
        Step("return_plan", fields={"reason": reason_field("退回原因")}, style="danger"),
        Step("train", show=lambda r: r.trained_at is None,
             fields={"trained_at": DateTimeLocalField(
                 _l("培训时间"), format="%Y-%m-%dT%H:%M",
                 validators=[validators.InputRequired(message="请填写培训时间")]),
                 "note": reason_field("培训内容及参加人员")}, style="info"),
        Step("begin"),
        Step("distribute", fields=audience_fields(), style="info"),
        Step("paper_copies", fields={"copies": IntegerField(_l("现场发放份数（未登记客户）"), validators=[
                 validators.InputRequired(message="请填写份数"),
                 validators.NumberRange(min=0, max=1000000, message="份数须在 0 到 1000000 之间")])},
             style="outline-info"),
        Step("close", style="warning"),
        Step("file", style="secondary"),
    )

    def extra_links(self, record):
        links = [("问卷题目", url_for("surveyquestion.index_view", flt0_survey_equal=record.id)),
                 ("发放记录", url_for("surveydistribution.index_view",
                                      flt0_survey_equal=record.id))]
        if record.status == Survey.RUNNING and access.may(current_user, "enter_answers"):
            links.insert(0, ("录入答卷", self.get_url(".entry_view", id=record.id)))
        if record.status in Survey.WORKFLOW.group("answered"):
            links.append(("满意度调查报告", self.get_url(".report_view", id=record.id)))
        return links

    def render(self, template, **kwargs):
        if template == self.list_template:
            today = clock.now().date()
            planned = list(Survey.select(Survey.target, Survey.start_date, Survey.status)
                           .where(Survey.archived_at.is_null()).tuples())
            kwargs["survey_calendar"] = survey_calendar(today, planned)
        return super().render(template, **kwargs)

    # ------------------------------------------------------------ the clerk's entry screen

    @expose("/entry/", methods=("GET", "POST"))
    def entry_view(self):
        """One screen per returned questionnaire, keyboard only: type the code (or pick the
        respondent's kind and floor), a digit per rating, Enter saves and clears the form."""
        if not access.may(current_user, "enter_answers"):
            abort(403)
        survey = self.get_one(request.args.get("id"))
        if survey is None:
            abort(404)
        questions = list(survey.questions.where(SurveyQuestion.archived_at.is_null())
                         .order_by(SurveyQuestion.seq, SurveyQuestion.id))
        form = KefuForm(request.form if request.method == "POST" else None)
        once = one_time_token()  # Enter pressed twice saves one questionnaire
        errors, values = {}, {}
        if request.method == "POST":
            values = {k: v for k, v in request.form.items()}
            if not form.validate():
                flash(form.refusal(_l("页面已过期，请重新提交")), "error")
            else:
                try:
                    with write_transaction():
                        if once:
                            FormToken.use(once, clock.now())
                        survey = Survey.get_by_id(survey.id)
                        distribution = None
                        code = (values.get("code") or "").strip()
                        if code:
                            distribution = SurveyDistribution.get_or_none(
                                (SurveyDistribution.token == code)
                                & (SurveyDistribution.survey == survey.id))
                            if distribution is None:
                                raise ValidationError({"code": "问卷编码不存在"})
                        kind = values.get("respondent_kind") or None
                        if kind and kind not in dict(Customer.KINDS):
                            raise ValidationError({"respondent_kind": "受访者类别无效"})
                        flows.surveys.record_response(
                            survey, current_user._get_current_object(), clock.now(),
                            {q.id: values.get("q%d" % q.id) for q in questions},
                            distribution=distribution, respondent_kind=kind,
                            area=(values.get("area") or "").strip()[:20] or None)
                except ValidationError as err:
                    errors = err.errors
                except AlreadySubmitted:
                    flash(_l("该答卷已保存过，未重复录入"), "info")
                    return redirect(self.get_url(".entry_view", id=survey.id))
                except DomainError as err:
                    flash(str(err), "error")
                else:
                    flash(_l("答卷已保存"), "success")
                    return redirect(self.get_url(".entry_view", id=survey.id))
        entered = SurveyResponse.select().where((SurveyResponse.survey == survey.id)
                                                & SurveyResponse.archived_at.is_null()).count()
        return self.render("kefu/survey_entry.html", survey=survey, questions=questions,
                           form=form, errors=errors, values=values, entered=entered,
                           kinds=Customer.KINDS, once=once)

    # ------------------------------------------------------------ the report

    @expose("/report/")
    def report_view(self):
        survey = self.get_one(request.args.get("id"))
        if survey is None:
            abort(404)
        if survey.status not in Survey.WORKFLOW.group("answered"):
            flash(_l("调查尚未开始，暂无结果"), "error")
            return redirect(self.get_url(".details_view", id=survey.id))
        return self.render("kefu/survey_report.html", survey=survey,
                           results=reports.survey_results(survey),
                           threshold=Survey.threshold(), min_group=Survey.MIN_GROUP,
                           actions=list(survey.corrective_actions.order_by(CorrectiveAction.id)))


class SurveyQuestionView(KefuModelView):
    """A survey's questionnaire is fixed once the plan leaves 草拟; templates stay editable."""
    column_list = ("survey", "template", "seq", "text", "kind", "department")
    column_default_sort = ("seq", False)

    def _handle_view(self, name, **kwargs):
        if name in ("edit_view", "archive_view"):
            question = self.get_one(request.args.get("id"))
            if question is not None and question.survey_id and \
                    question.survey.status != Survey.DRAFT:
                flash(_l("调查方案已报批，问卷题目不能再修改"), "error")
                return redirect(self.get_url(".details_view", id=question.id))
        return super()._handle_view(name, **kwargs)


def hands_out_surveys():
    """May the user 发放问卷 (the step's own roles)? Only they see the answer links: a link is a
    respondent's one answer, and whoever holds it can answer in their name."""
    return (current_user.is_authenticated
            and current_user.has_role(*access.step_roles("Survey", "distribute")))


def answer_link(view, context, row, name):
    """The one-time answer link, for those who hand questionnaires out; for others, that it is hidden."""
    if not hands_out_surveys():
        return str(_l("（仅发放人员可见）"))
    return url_for("public.survey_form", token=row.token, _external=True)


class SurveyDistributionView(KefuModelView):
    """Who was given a questionnaire, and its one-time link; written by 发放问卷 only."""
    column_list = ("survey", "customer", "token", "distributed_at", "distributed_by",
                   "responded_at")
    column_formatters = {"token": answer_link}
    column_labels = {"token": "答卷链接"}

    def is_sortable(self, name):
        # Nobody who may not see the links orders rows by them.
        return super().is_sortable(name) and (name != "token" or hands_out_surveys())


class SurveyResponseView(KefuModelView):
    """Returned questionnaires; entered on the survey's 录入答卷 screen or by the public link.
    Never linked to a customer (R-SUR-3): old rows' links are not shown."""
    column_list = ("survey", "returned_at", "respondent_kind", "area", "entered_by")
    column_details_exclude_list = ("customer", "distribution", "answers")
    column_export_exclude_list = ("customer", "distribution", "answers")
    column_searchable_list = ()

    def _default_filters(self, model):
        return [f for f in super()._default_filters(model)
                if f.column.name not in ("customer", "distribution")]


class CorrectiveActionView(KefuModelView):
    column_list = ("number", "source", "survey", "department", "finding", "due_date", "status",
                   "verified_at")
    form_excluded_extra = ("verified_at", "verified_by", "done_at", "done_note", "evidence",
                           "status", "question")
    # States, clocks, labels and the states it is edited in: workflow.CORRECTIVE_ACTION.
    steps = (
        Step("complete_action", fields={"action": reason_field("纠正预防措施"), "note": reason_field("整改情况")},
             style="success"),
        Step("verify", fields={"evidence": reason_field("验证证据")},
             style="success"),
        Step("reject_verification", fields={"reason": reason_field("不通过原因")}, style="danger"),
    )


def register(admin, category):
    admin.add_view(SurveyView(Survey, category=category))
    admin.add_view(SurveyQuestionView(SurveyQuestion, category=category))
    admin.add_view(SurveyDistributionView(SurveyDistribution, category=category))
    admin.add_view(SurveyResponseView(SurveyResponse, category=category))
    admin.add_view(CorrectiveActionView(CorrectiveAction, category=category))
