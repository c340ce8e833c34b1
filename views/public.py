"""The respondent's own questionnaire: a one-time link, no login (R-SUR-3)."""
from flask import Blueprint, abort, render_template, request

import clock
import flows.surveys
from forms import KefuForm
from models import DomainError, Survey, SurveyDistribution, SurveyQuestion, ValidationError

public = Blueprint("public", __name__)


@public.route("/s/<token>", methods=("GET", "POST"))
def survey_form(token):
    """Anyone holding the link may answer once, while the survey runs."""
    if len(token) > 40:
        abort(404)
    distribution = SurveyDistribution.get_or_none((SurveyDistribution.token == token)
                                                  & SurveyDistribution.archived_at.is_null())
    if distribution is None:
        abort(404)
    survey = Survey.get_by_id(distribution.survey_id)
    questions = list(survey.questions.where(SurveyQuestion.archived_at.is_null())
                     .order_by(SurveyQuestion.seq, SurveyQuestion.id))
    message, errors, values = None, {}, {}
    if distribution.responded_at:
        message = "此问卷已提交，感谢您的参与！每份问卷只能填写一次。"
    elif survey.status != Survey.RUNNING:
        message = "本次调查当前不在进行中（%s），问卷无法提交。" % survey.choice_label("status")
    form = KefuForm(request.form if request.method == "POST" else None)
    if request.method == "POST" and message is None:
        values = dict(request.form.items())
        if not form.validate():
            errors = {"form": form.refusal("页面已过期，请刷新后重新填写")}
        else:
            try:
                flows.surveys.record_response(
                    Survey.get_by_id(survey.id), None, clock.now(),
                    {q.id: values.get("q%d" % q.id) for q in questions},
                    distribution=SurveyDistribution.get_by_id(distribution.id))
            except ValidationError as err:
                errors = err.errors
            except DomainError as err:
                message = str(err)
            else:
                message = "问卷已提交，感谢您的宝贵意见！"
    return render_template("kefu/public_survey.html", survey=survey, questions=questions,
                           form=form, message=message, errors=errors, values=values)
