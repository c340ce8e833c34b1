"""Customer communication (顾客沟通): notices and receipts, meetings and their action items
(R-COM-1 … R-COM-4)."""
from peewee import JOIN, Case, fn
from flask import request
from wtforms import DateTimeLocalField, SelectField, SelectMultipleField, StringField, validators
from wtforms.widgets import CheckboxInput, ListWidget

from i18n import _l
from models import ActionItem, Department, Meeting, Notice, NoticeReceipt, User
from views.audience import audience_fields
from views.base import KefuModelView
from views.steps import Step, reason_field


class NoticeView(KefuModelView):
    column_list = ("number", "kind", "title", "audience", "published_at", "department", "status",
                   "confirm_deadline", "progress")
    column_labels = {"progress": "确认进度"}
    column_formatters = {
        "progress": lambda v, c, m, n: "%s / %s" % (m.confirmed or 0, m.total or 0) if m.total else ""}
    form_excluded_extra = ("published_at", "status", "confirm_deadline", "audience")
    # States, clocks, labels and the states it is edited in: workflow.NOTICE.
    steps = (
        Step("publish", fields=audience_fields()),
    )

    def get_query(self):
        """Each notice with its receipts counted, in the same query (no query per row)."""
        counts = (NoticeReceipt.select(NoticeReceipt.notice, fn.COUNT(NoticeReceipt.id).alias("total"),
                                       fn.SUM(Case(None, [(NoticeReceipt.status == NoticeReceipt.CONFIRMED, 1)], 0))
                                       .alias("confirmed"))
                  .group_by(NoticeReceipt.notice).alias("receipt_counts"))
        query = super().get_query()
        return (query.select_extend(counts.c.total, counts.c.confirmed)
                .join(counts, on=(counts.c.notice_id == Notice.id), join_type=JOIN.LEFT_OUTER)
                .switch(Notice)  # a sort by department joins from the notice, not the counts
                .objects())

    def extra_links(self, record):
        from flask import url_for
        return [("通知回执", url_for("noticereceipt.index_view", flt0_notice_equal=record.id))] \
            if record.status != Notice.DRAFT else []


class ConfirmForm:
    @staticmethod
    def fields():
        return {
            "method": SelectField(_l("确认方式"), choices=[(c, _l(label)) for c, label in NoticeReceipt.METHODS],
                                  default=NoticeReceipt.SIGNED),
            "person": StringField(_l("确认人（客户方）"), validators=[validators.Length(max=50)]),
            "confirmed_at": DateTimeLocalField(_l("确认时间（空=现在）"), format="%Y-%m-%dT%H:%M",
                                               validators=[validators.Optional()]),
        }


class NoticeReceiptView(KefuModelView):
    """One row per recipient, made when the notice is published; staff record confirmations."""
    column_list = ("notice", "customer", "status", "method", "confirmed_at", "confirmed_person",
                   "recorded_by")
    steps = (
        Step("confirm", fields=ConfirmForm.fields(), style="success"),
        Step("sign"),
    )


class StaffField(SelectMultipleField):
    """The staff who attended, ticked from the active users (read when drawn or checked)."""
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label, **kw):
        super().__init__(label, coerce=int, validators=[validators.Optional()], **kw)

    @property
    def choices(self):
        return [(u.id, "%s（%s）" % (u.full_name or u.username, u.department.name)
                 if u.department_id else (u.full_name or u.username))
                for u in User.select(User, Department).join(Department, JOIN.LEFT_OUTER)
                .where(User.is_active == True).order_by(User.id)]  # noqa: E712

    @choices.setter
    def choices(self, value):
        pass


def staff_formatter(view, context, row, name):
    names = [u.full_name or u.username for u in User.select().where(User.id.in_(row.staff_ids()))]
    return "、".join(names)


class MeetingView(KefuModelView):
    column_list = ("number", "held_at", "kind", "title", "location", "department", "gm_attended")
    column_details_list = ("number", "kind", "title", "held_at", "location", "department",
                           "staff", "gm_attended", "attendees", "minutes")
    column_labels = {"staff": "参会员工"}
    column_formatters_detail = {"staff": staff_formatter,
                                "gm_attended": lambda v, c, m, n: _l("是") if m.gm_attended else _l("否")}
    form_excluded_extra = ("gm_attended",)
    form_extra_fields = {"staff": StaffField(_l("参会员工（业委会、商委会座谈会须有总经理）"))}
    # A list of checkboxes, not a text box: no form-control frame around it.
    form_widget_args = {"staff": {"class": "list-unstyled mb-0"}}
    steps = (
        Step("attendance", "登记参会客户", fields=audience_fields(),
             style="info"),
    )

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if request.method == "GET" and obj is not None:
            form.staff.data = obj.staff_ids()
        return form

    def extra_links(self, record):
        from flask import url_for
        return [("议定事项", url_for("actionitem.index_view", flt0_meeting_equal=record.id))]


class ActionItemView(KefuModelView):
    column_list = ("meeting", "description", "department", "owner", "due_date", "status",
                   "done_at")
    form_excluded_extra = ("done_at", "outcome", "status")
    # States, labels and the states it is edited in: workflow.ACTION_ITEM.
    steps = (
        Step("complete_item", fields={"outcome": reason_field("落实情况")}, style="success"),
        Step("cancel_item", fields={"reason": reason_field("取消原因")}, style="danger"),
    )


def register(admin, category):
    admin.add_view(NoticeView(Notice, category=category))
    admin.add_view(NoticeReceiptView(NoticeReceipt, category=category))
    admin.add_view(MeetingView(Meeting, category=category))
    admin.add_view(ActionItemView(ActionItem, category=category))
