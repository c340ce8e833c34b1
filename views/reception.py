"""Reception registers (咨询接待): contacts, repairs, service applications, letters, callbacks."""
from flask_login import current_user
from wtforms import SelectField, SelectMultipleField, validators
from wtforms.widgets import CheckboxInput, ListWidget

from i18n import _l
from models import Callback, Contact, Department, RepairOrder, ServiceRequest, WorkLetter
from views import crm
from views.base import KefuModelView, mask, sees_personal_data
from views.steps import INTAKE_HELP, Step, callback_step, intake_fields, reason_field


def hold_steps():
    """Put on hold / release, for registers whose clocks may wait on the customer or parts
    (in the states their workflow declares for 挂起)."""
    return (
        Step("hold", fields={"reason": reason_field("挂起原因")}, style="secondary",
             show=lambda r: r.on_hold_since is None),
        Step("release", style="secondary", show=lambda r: r.on_hold_since is not None),
    )


def department_choices():
    return [(str(d.id), d.name) for d in Department.select().where(Department.is_active == True)  # noqa: E712
            .order_by(Department.id)]


class LiveChoices:
    """Choices read from the database when the form is drawn or checked, not at import."""

    @property
    def choices(self):
        return department_choices()

    @choices.setter
    def choices(self, value):
        pass


class DepartmentField(LiveChoices, SelectField):
    def __init__(self, label, **kw):
        super().__init__(label, coerce=int, **kw)


class DepartmentsField(LiveChoices, SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label, **kw):
        super().__init__(label, coerce=int, validators=[
            validators.InputRequired(message="请选择至少一个部门")], **kw)


def answer_fields():
    return {"method": SelectField(_l("答复方式"), choices=[("", _l("请选择"))] + [
                (code, _l(label)) for code, label in Contact.ANSWER_METHODS],
                validators=[validators.InputRequired(message="请选择答复方式")]),
            "answer": reason_field("答复内容")}


def department_replies(contact):
    """Whom to answer and what the departments replied, for the clerk to pass on."""
    phone = contact.phone if sees_personal_data(contact) else mask(contact.phone, "phone")
    return [(_l("咨询人"), contact.visitor_name or (contact.customer.name if contact.customer_id
                                                  else "—")),
            (_l("联系电话"), phone or "—"), (_l("事由"), contact.subject)] + [
        (_l("部门回复"), "%s（%s，%s）" % (letter.reply, letter.to_department.name,
                                       letter.replied_at.strftime("%Y-%m-%d %H:%M")))
        for letter in contact.replies()]


class ContactView(KefuModelView):
    # The key columns first (number, status, the answer owed): on screen at 1366 px.
    column_list = ("number", "received_at", "status", "answer_deadline", "kind", "customer",
                   "visitor_name", "phone", "subject", "channel", "department")
    form_excluded_extra = ("answer_deadline", "answered_at", "answer_method", "answer",
                           "answered_by")
    # States, clocks, labels: workflow.CONTACT.
    steps = (
        Step("to_repair"),
        Step("to_service_request"),
        # Category and severity decide routing, clocks and the pm's alert: asked before saving.
        Step("to_complaint", fields=intake_fields(), style="danger", help=INTAKE_HELP),
        Step("to_letter", fields={"department": DepartmentField("收函部门")}),
        Step("handled", fields={"outcome": reason_field("处理结果")}, style="success"),
        # The department replied to the letter: the desk tells the enquirer, and it closes.
        Step("answer", fields=answer_fields(), style="success", facts=department_replies,
             show=lambda r: r.has_replies()),
    )

    def load_related(self, rows):
        super().load_related(rows)
        Contact.mark_replied(rows)  # whether 答复咨询人 is offered: one query for the page

    def get_save_return_url(self, model, is_created=False):
        """A new contact opens on its own page: what follows (转维修单, 转投诉…) starts there."""
        if is_created:
            return self.get_url(".details_view", id=model.id)
        return super().get_save_return_url(model, is_created)

    def extra_links(self, record):
        """What this contact became (its repair order, application, complaint, letters): one
        click away on its page, not only in the message after 转…."""
        from flask import url_for
        return [("%s %s" % (type(made).verbose_name(), made.number),
                 url_for(f"{type(made).__name__.lower()}.details_view", id=made.id))
                for made in (*record.repair_orders, *record.service_requests, *record.complaints,
                             *record.work_letters)]


class RepairOrderView(KefuModelView):
    # The key columns first (number, customer, status, deadlines): on screen at 1366 px.
    column_list = ("number", "customer", "status", "accept_deadline", "complete_deadline",
                   "callback_deadline", "category", "location", "department", "reported_at")
    # Workflow stamps are set by the steps below, never typed.
    form_excluded_extra = ("status", "dispatched_at", "accept_deadline", "accepted_at",
                           "accepted_by", "completed_at", "closed_at", "result", "refusal_reason",
                           "callback_deadline", "complete_deadline", "on_hold_since")
    print_slips = (("repair_order", "打印维修工作单"),)
    # States, clocks, labels and bulk offers: workflow.REPAIR_ORDER.
    steps = (
        Step("dispatch"),
        Step("accept"),
        Step("complete", fields={"result": reason_field("维修结果")}, style="success"),
        callback_step(verdicts=(_l("已解决"), _l("未解决，重新派单"))),
        Step("refuse", fields={"reason": reason_field("不予受理原因及解释")}, style="danger"),
    ) + hold_steps()


class ServiceRequestView(KefuModelView):
    column_list = ("number", "submitted_at", "customer", "kind", "department", "status",
                   "handback_deadline", "handed_back_at")
    form_excluded_extra = ("status", "decided_at", "decided_by", "decision_note",
                           "handback_deadline", "handed_back_at", "on_hold_since", "approved")
    print_slips = (("service_request", "打印服务申请单"),)
    # States, clocks, labels and bulk offers: workflow.SERVICE_REQUEST.
    steps = (
        # Only to one entitled to approve this application (R-SVC-1); recorded as 审批人.
        Step("approve", fields={"note": reason_field("审批意见")},
             style="success", show=lambda r: r.may_approve(current_user),
             facts=lambda r: [(_l("审批人"), str(current_user)), (_l("审批部门负责人"), str(
                 r.department.head or _l("未设置")) if r.department_id else "—")]),
        Step("decline", fields={"reason": reason_field("不予批准原因及解释")}, style="danger"),
        Step("hand_back"),
        Step("notify", fields={"departments": DepartmentsField("配合部门")}, style="info",
             show=lambda r: bool(r.approved)),
    ) + hold_steps()


class WorkLetterView(KefuModelView):
    column_list = ("number", "from_department", "to_department", "subject", "status", "sent_at",
                   "forward_deadline", "acknowledged_at")
    form_excluded_extra = ("status", "sent_at", "forward_deadline", "acknowledged_at",
                           "acknowledged_by", "replied_at", "reply")
    print_slips = (("work_letter", "打印内部工作联系函"),)
    # States, clocks, labels and bulk offers: workflow.WORK_LETTER.
    steps = (
        Step("send"),
        # The receiving department signs and replies; the sender sends and closes.
        Step("acknowledge"),
        Step("reply", fields={"reply": reason_field("回复")}, style="success"),
        Step("close", style="secondary"),
    )


class CallbackView(KefuModelView):
    """Written by the 回访 steps of repair orders and complaints, which close or reopen them."""
    column_list = ("number", "called_at", "repair_order", "complaint", "method", "person_reached",
                   "accepted", "satisfaction", "called_by")


def register(admin, category):
    admin.add_view(ContactView(Contact, category=category))
    admin.add_view(RepairOrderView(RepairOrder, category=category))
    admin.add_view(ServiceRequestView(ServiceRequest, category=category))
    admin.add_view(WorkLetterView(WorkLetter, category=category))
    admin.add_view(CallbackView(Callback, category=category))
    crm.register(admin, category)
