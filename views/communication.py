"""Customer communication (顾客沟通): notices and receipts, meetings and their action items."""
from models import ActionItem, Meeting, Notice, NoticeReceipt
from views.base import A, C, GM, M, S, KefuModelView

COMMUNICATION_WRITERS = frozenset({A, C, M, GM})


class NoticeView(KefuModelView):
    write_roles = COMMUNICATION_WRITERS
    column_list = ("number", "kind", "title", "audience", "published_at", "department", "status")


class NoticeReceiptView(KefuModelView):
    write_roles = COMMUNICATION_WRITERS
    column_list = ("notice", "customer", "status", "method", "confirmed_at", "confirmed_person",
                   "recorded_by")
    stamp_user_fields = ("recorded_by",)


class MeetingView(KefuModelView):
    write_roles = COMMUNICATION_WRITERS
    column_list = ("number", "held_at", "kind", "title", "location", "department", "gm_attended")


class ActionItemView(KefuModelView):
    write_roles = COMMUNICATION_WRITERS | {S}
    column_list = ("meeting", "description", "department", "owner", "due_date", "status",
                   "done_at")


def register(admin, category):
    admin.add_view(NoticeView(Notice, category=category))
    admin.add_view(NoticeReceiptView(NoticeReceipt, category=category))
    admin.add_view(MeetingView(Meeting, category=category))
    admin.add_view(ActionItemView(ActionItem, category=category))
