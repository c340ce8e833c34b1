"""Complaint handling (投诉处理): complaints, progress entries, monthly analyses."""
from models import Complaint, ComplaintReport, ComplaintUpdate
from views.base import A, C, GM, M, PM, S, KefuModelView, user_scope_department

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
    scope_field = "complaint"  # staff see updates of their department's complaints
    column_list = ("complaint", "kind", "happened_at", "content", "told_complainant", "by_user")
    stamp_user_fields = ("by_user",)

    def scope_condition(self):
        dept = user_scope_department()
        if dept is None:
            return None
        return ComplaintUpdate.complaint.in_(
            Complaint.select(Complaint.id).where(Complaint.department == dept))


class ComplaintReportView(KefuModelView):
    write_roles = frozenset({A, M, PM, GM})
    scope_field = None
    column_list = ("month", "status", "generated_at", "summary")
    column_default_sort = ("month", True)
    form_excluded_extra = ("generated_at", "figures")


def register(admin, category):
    admin.add_view(ComplaintView(Complaint, category=category))
    admin.add_view(ComplaintUpdateView(ComplaintUpdate, category=category))
    admin.add_view(ComplaintReportView(ComplaintReport, category=category))
