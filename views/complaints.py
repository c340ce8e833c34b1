"""Complaint handling (投诉处理): complaints, progress entries, monthly analyses."""
from models import Complaint, ComplaintReport, ComplaintUpdate
from views.base import A, C, GM, M, PM, S, KefuModelView

COMPLAINT_WRITERS = frozenset({A, C, S, M, PM, GM})


class ComplaintView(KefuModelView):
    write_roles = COMPLAINT_WRITERS
    column_list = ("number", "received_at", "severity", "category", "customer",
                   "complainant_name", "complainant_phone", "subject", "department", "status",
                   "start_deadline", "resolve_deadline")
    form_excluded_extra = ("status", "start_deadline", "started_at", "resolve_deadline",
                           "resolved_at", "escalation_level", "result", "refusal_reason",
                           "routing_override_reason")


class ComplaintUpdateView(KefuModelView):
    write_roles = COMPLAINT_WRITERS
    scope_error_field = "complaint"
    column_list = ("complaint", "kind", "happened_at", "content", "told_complainant", "by_user")
    stamp_user_fields = ("by_user",)


class ComplaintReportView(KefuModelView):
    write_roles = frozenset({A, M, PM, GM})
    column_list = ("month", "status", "generated_at", "summary")
    column_default_sort = ("month", True)
    form_excluded_extra = ("generated_at", "figures")


def register(admin, category):
    admin.add_view(ComplaintView(Complaint, category=category))
    admin.add_view(ComplaintUpdateView(ComplaintUpdate, category=category))
    admin.add_view(ComplaintReportView(ComplaintReport, category=category))
