"""Satisfaction surveys (满意度调查): plans, questions, returned questionnaires, actions."""
from models import CorrectiveAction, Survey, SurveyQuestion, SurveyResponse
from views.base import A, AU, C, GM, M, PM, S, KefuModelView

SURVEY_WRITERS = frozenset({A, C, M, GM})


class SurveyView(KefuModelView):
    write_roles = SURVEY_WRITERS
    column_list = ("title", "target", "start_date", "end_date", "status", "approved_at",
                   "approved_by", "trained_at")
    form_excluded_extra = ("approved_at", "approved_by", "submitted_at")


class SurveyQuestionView(KefuModelView):
    write_roles = SURVEY_WRITERS
    column_list = ("survey", "seq", "text", "kind")
    column_default_sort = ("seq", False)


class SurveyResponseView(KefuModelView):
    read_roles = frozenset({A, C, M, PM, GM, AU})
    write_roles = frozenset({A, C})
    column_list = ("survey", "returned_at", "entered_by")
    stamp_user_fields = ("entered_by",)


class CorrectiveActionView(KefuModelView):
    write_roles = frozenset({A, C, S, M})
    column_list = ("number", "source", "survey", "department", "finding", "due_date", "status",
                   "verified_at")
    form_excluded_extra = ("verified_at", "verified_by")


def register(admin, category):
    admin.add_view(SurveyView(Survey, category=category))
    admin.add_view(SurveyQuestionView(SurveyQuestion, category=category))
    admin.add_view(SurveyResponseView(SurveyResponse, category=category))
    admin.add_view(CorrectiveActionView(CorrectiveAction, category=category))
