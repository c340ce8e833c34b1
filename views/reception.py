"""Reception registers (咨询接待): contacts, repairs, service applications, letters, callbacks."""
from models import Callback, Contact, RepairOrder, ServiceRequest, WorkLetter
from views.base import A, C, M, S, KefuModelView

RECEPTION_WRITERS = frozenset({A, C, S, M})


class ContactView(KefuModelView):
    write_roles = frozenset({A, C})
    column_list = ("number", "received_at", "channel", "kind", "customer", "visitor_name",
                   "phone", "subject", "department", "status")
    stamp_user_fields = ("received_by",)


class RepairOrderView(KefuModelView):
    write_roles = RECEPTION_WRITERS
    column_list = ("number", "reported_at", "customer", "location", "department", "status",
                   "accept_deadline", "accepted_at", "completed_at")
    # Workflow stamps are set by the dispatch/accept/close actions, not typed.
    form_excluded_extra = ("status", "dispatched_at", "accept_deadline", "accepted_at",
                           "accepted_by", "completed_at", "closed_at", "result", "refusal_reason")


class ServiceRequestView(KefuModelView):
    write_roles = RECEPTION_WRITERS
    column_list = ("number", "submitted_at", "customer", "kind", "department", "status",
                   "handback_deadline", "handed_back_at")
    form_excluded_extra = ("status", "decided_at", "decided_by", "decision_note",
                           "handback_deadline", "handed_back_at")


class WorkLetterView(KefuModelView):
    write_roles = RECEPTION_WRITERS
    scope_error_field = "from_department"  # staff write letters from their department only
    column_list = ("number", "from_department", "to_department", "subject", "status", "sent_at",
                   "forward_deadline", "acknowledged_at")
    form_excluded_extra = ("status", "sent_at", "forward_deadline", "acknowledged_at",
                           "acknowledged_by", "replied_at")


class CallbackView(KefuModelView):
    write_roles = frozenset({A, C})
    scope_error_field = "repair_order"
    column_list = ("number", "called_at", "repair_order", "complaint", "method", "person_reached",
                   "accepted", "satisfaction", "called_by")
    stamp_user_fields = ("called_by",)


def register(admin, category):
    admin.add_view(ContactView(Contact, category=category))
    admin.add_view(RepairOrderView(RepairOrder, category=category))
    admin.add_view(ServiceRequestView(ServiceRequest, category=category))
    admin.add_view(WorkLetterView(WorkLetter, category=category))
    admin.add_view(CallbackView(Callback, category=category))
