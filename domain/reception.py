"""Reception: contacts, repair orders, service requests and work letters."""

from peewee import SQL, BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, TextField

import access
import clock
import workflow
from domain.base import ChoiceField, DomainError, PhoneField, ValidationError
from domain.organisation import Department, User
from domain.register import Register, number_field
from domain.customers import Customer


# ---------------------------------------------------------------- reception

CHANNELS = (("visit", "来访"), ("phone", "来电"), ("letter", "来函"), ("email", "电子邮件"),
            ("hotline", "服务热线"), ("web", "网络"))


class Contact(Register):
    KINDS = (("enquiry", "咨询"), ("repair", "报修"), ("service", "服务申请"),
             ("complaint", "投诉"), ("paid", "有偿服务"), ("loan", "物品借用"),
             ("suggestion", "建议"), ("other", "其他"))
    WORKFLOW = workflow.CONTACT
    OPEN, TRANSFERRED, HANDLED, CLOSED = WORKFLOW.values
    STATUSES = WORKFLOW.choices
    # The customer's own requests: a contact, never a department's cadence communication.
    REQUESTS = ("repair", "service", "complaint", "paid", "loan")
    ANSWER_METHODS = (("phone", "电话答复"), ("visit", "当面答复"), ("letter", "书面答复"),
                      ("email", "电子邮件"), ("sms", "短信"))

    number_prefix = "JD"
    number = number_field()
    # Indexed with archived_at and received_at below: a customer's latest contact is one seek.
    customer = ForeignKeyField(Customer, null=True, backref="contacts", on_delete="RESTRICT",
                               index=False, verbose_name="客户")
    visitor_name = CharField(max_length=50, null=True, verbose_name="来访人")
    phone = PhoneField(index=True, verbose_name="联系电话")
    channel = ChoiceField(CHANNELS, default="visit", verbose_name="方式")
    kind = ChoiceField(KINDS, default="enquiry", verbose_name="事项类别")
    subject = CharField(max_length=200, verbose_name="事由")
    content = TextField(null=True, verbose_name="内容")
    received_at = DateTimeField(default=clock.now, verbose_name="接待时间")
    received_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                  verbose_name="接待人")
    department = ForeignKeyField(Department, null=True, backref="+", on_delete="RESTRICT",
                                 verbose_name="承办部门")
    outcome = TextField(null=True, verbose_name="处理结果")
    status = ChoiceField(STATUSES, default=OPEN, verbose_name="状态")
    # A department's reply to a work letter comes back here; the desk answers the enquirer
    # (R-ENQ-1/2): how, when and what was said, within ENQ_ANSWER of the reply.
    answer_deadline = DateTimeField(null=True, verbose_name="答复时限")
    answered_at = DateTimeField(null=True, verbose_name="答复时间")
    answer_method = ChoiceField(ANSWER_METHODS, null=True, verbose_name="答复方式")
    answer = TextField(null=True, verbose_name="答复内容")
    answered_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                  verbose_name="答复人")

    # The answer owed to the enquirer; "callback" (回访) is the Deadline kind that says it.
    deadline_columns = {"callback": "answer_deadline"}

    class Meta:
        verbose_name = "顾客接待登记"
        indexes = ((("status", "received_at"), False),
                   (("customer", "archived_at", "received_at"), False),
                   (("status", "answer_deadline"), False),
                   # The dashboard's open / overdue count of the desk's contacts, index only.
                   (("status", "archived_at", "answer_deadline"), False))

    def __str__(self):
        return f"{self.number or '接待'} {self.subject or ''}".strip()

    def save(self, *args, **kwargs):
        saved = super().save(*args, **kwargs)
        Customer.contacted(self.customer_id, self.received_at, self.cadence_department())
        return saved

    def cadence_department(self):
        """The department whose cadence this contact keeps: its recorder's, when it is their
        own call, letter or visit rather than the customer's request (R-COM-3); else None."""
        if self.kind in self.REQUESTS or not self.received_by_id:
            return None
        return User.select(User.department).where(User.id == self.received_by_id).scalar()

    def _open(self, by, now, step, record):
        """Save a record created from this contact by `step` (转维修单…), linked back; the
        contact becomes transferred.

        The contact's state change comes first: of two clerks converting it, one wins."""
        target = record.department if "department" in record._meta.fields else self.department
        self.transition(step, by, now, department=target)
        record.created_by, record.created_at, record.updated_at = by, now, now
        record.full_clean()
        record.assign_number(now)
        record.save(force_insert=True)
        return record

    def _require_customer(self):
        if not self.customer_id:
            raise DomainError("请先在接待登记中选择客户")

    def open_repair_order(self, by, now):
        """A repair report becomes a RepairOrder filled in by the service center (R-REP-1)."""
        self._require_customer()
        return self._open(by, now, "to_repair", RepairOrder(
            contact=self, customer=self.customer, reporter_name=self.visitor_name,
            reporter_phone=self.phone, location=self.customer.shop_no or self.customer.name,
            description=self.content or self.subject, reported_at=self.received_at,
            department=Department.by_code(Department.PROPERTY)))

    def open_service_request(self, by, now):
        self._require_customer()
        request = self._open(by, now, "to_service_request", ServiceRequest(
            contact=self, customer=self.customer, applicant_name=self.visitor_name,
            applicant_phone=self.phone, description=self.content or self.subject,
            submitted_at=now, department=Department.by_code(Department.OPERATIONS)))
        request.submit(by, now)
        return request

    def open_complaint(self, by, now, category, severity, requested_by=None):
        """Every complaint is registered as a contact first (R-CMP-3); taken over from here it
        is routed and graded exactly as one entered in 投诉处理."""
        from domain.complaints import Complaint  # domain.complaints builds on this module
        complaint = Complaint(
            contact=self, customer=self.customer,
            complainant_name=self.visitor_name or (self.customer.name if self.customer_id else "顾客"),
            complainant_phone=self.phone, channel=self.channel, subject=self.subject,
            description=self.content, received_at=self.received_at, category=category,
            severity=severity, requested_by=requested_by)
        complaint.route_new(by)
        complaint = self._open(by, now, "to_complaint", complaint)
        complaint.register(by, now)
        return complaint

    def open_work_letter(self, by, now, department):
        """Another department must act: a WorkLetter within 1 hour of the enquiry (R-ENQ-2)."""
        letter = self._open(by, now, "to_letter", WorkLetter(
            contact=self, from_department=Department.by_code(Department.SERVICE),
            to_department=department, subject=self.subject,
            body=(self.content or self.subject) + (f"\n来访人：{self.visitor_name or ''} {self.phone or ''}")))
        letter.start(by, now)
        return letter

    def mark_handled(self, by, now, outcome):
        self.transition("handled", by, now, outcome=(outcome or "").strip())

    def replies(self):
        """The departments' replies to this enquiry's work letters, oldest first."""
        return [letter for letter in self.work_letters.order_by(WorkLetter.replied_at)
                if letter.replied_at]

    def has_replies(self):
        """Has a department replied (read for a whole grid page by `mark_replied`)?"""
        known = self.__dict__.get("_kefu_replied")
        return bool(self.replies()) if known is None else known

    @classmethod
    def mark_replied(cls, contacts):
        """Read for a page of contacts, in one query, which have a department's reply."""
        waiting = [c for c in contacts if c.status == cls.TRANSFERRED]
        replied = {contact_id for (contact_id,) in WorkLetter.select(WorkLetter.contact).where(
            WorkLetter.contact.in_([c.id for c in waiting])
            & WorkLetter.replied_at.is_null(False)).distinct().tuples()} if waiting else set()
        for contact in waiting:
            contact.__dict__["_kefu_replied"] = contact.id in replied

    def reply_arrived(self, now):
        """A department replied: the desk owes the enquirer an answer (R-ENQ-1/2), on a clock
        started by the first reply."""
        if self.status == self.TRANSFERRED and not self.answer_deadline:
            self.start_clock("callback", "ENQ_ANSWER", now, now)

    def answer_enquirer(self, by, now, method, answer):
        """The desk tells the enquirer the department's answer (how, what was said); the entry
        and its replied letters close (R-ENQ-1/2)."""
        errors = {}
        if method not in dict(self.ANSWER_METHODS):
            errors["method"] = "请选择答复方式"
        if not (answer or "").strip():
            errors["answer"] = "请填写向咨询人答复的内容"
        if errors:
            raise ValidationError(errors)
        if not self.replies():
            raise DomainError("%s的联系函尚未回复，不能答复咨询人" % self)
        self.transition("answer", by, now, answered_at=now, answer_method=method, answer=answer.strip(),
                        answered_by=by)
        self.stop_clock("callback", now)
        for letter in self.work_letters.where(WorkLetter.status == WorkLetter.REPLIED):
            letter.close(by, now)



# 已逾期 on the desk's contacts: only the few awaiting an answer have its clock, so the overdue
# list reads those alone. A plain (status, answer_deadline) index counts every transferred
# contact of the years as a candidate, and SQLite then pages the whole table by id instead.
Contact.add_index(Contact.index(Contact.status, Contact.answer_deadline, name="contact_answer_due",
                                where=SQL("answer_deadline IS NOT NULL")))

class RepairOrder(Register):
    WORKFLOW = workflow.REPAIR_ORDER
    REGISTERED, DISPATCHED, ACCEPTED, DONE, CLOSED, REFUSED, CANCELLED = WORKFLOW.values
    STATUSES = WORKFLOW.choices
    # Each category has its own editable completion limit REP_COMPLETE_<CODE> (R-REP-5;
    # database.SLA_RULES says why each default is what it is).
    CATEGORIES = (("utilities", "水电照明"), ("hvac", "空调通风"), ("equipment", "设施设备"),
                  ("civil", "土建装饰"), ("other", "其他"))

    number_prefix = "WX"
    number = number_field()
    contact = ForeignKeyField(Contact, null=True, backref="repair_orders", on_delete="RESTRICT",
                              verbose_name="来源接待")
    customer = ForeignKeyField(Customer, backref="repair_orders", on_delete="RESTRICT",
                               verbose_name="报修客户")
    reporter_name = CharField(max_length=50, null=True, verbose_name="报修人")
    reporter_phone = PhoneField(index=True, verbose_name="报修电话")
    location = CharField(max_length=100, verbose_name="维修地点")
    description = TextField(verbose_name="报修内容")
    reported_at = DateTimeField(default=clock.now, verbose_name="报修时间")
    department = ForeignKeyField(Department, backref="+", on_delete="RESTRICT",
                                 verbose_name="维修部门")
    category = ChoiceField(CATEGORIES, default="other", verbose_name="维修类别")
    status = ChoiceField(STATUSES, default=REGISTERED, verbose_name="状态")
    dispatched_at = DateTimeField(null=True, verbose_name="派单时间")
    accept_deadline = DateTimeField(null=True, verbose_name="接单时限")
    accepted_at = DateTimeField(null=True, verbose_name="接单时间")
    accepted_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                  verbose_name="接单人")
    complete_deadline = DateTimeField(null=True, verbose_name="完工时限")
    completed_at = DateTimeField(null=True, verbose_name="完工时间")
    result = TextField(null=True, verbose_name="维修结果")
    closed_at = DateTimeField(null=True, verbose_name="关闭时间")
    refusal_reason = TextField(null=True, verbose_name="不予受理原因")
    callback_deadline = DateTimeField(null=True, verbose_name="回访时限")
    on_hold_since = DateTimeField(null=True, verbose_name="挂起时间")

    date_ranges = (("reported_at", "dispatched_at"), ("dispatched_at", "accepted_at"),
                   ("accepted_at", "completed_at"))
    deadline_columns = {"accept": "accept_deadline", "resolve": "complete_deadline",
                        "callback": "callback_deadline"}
    holdable_states = WORKFLOW.source("hold")

    class Meta:
        verbose_name = "维修工作单"
        # The overdue filter's branches, with the hold (counted from the index alone).
        indexes = ((("status", "accept_deadline", "on_hold_since"), False),
                   (("status", "callback_deadline", "on_hold_since"), False),
                   (("status", "complete_deadline", "on_hold_since"), False),
                   # Covers the dashboard's open / overdue counts per department (index only),
                   # every clock of the overdue filter included (migration 25).
                   (("status", "archived_at", "department", "on_hold_since", "accept_deadline",
                     "callback_deadline", "complete_deadline"), False))

    def __str__(self):
        return f"{self.number or '维修单'} {self.location or ''}".strip()

    def dispatch(self, by, now):
        """Send the order to property management; it must be accepted within 30 minutes (R-REP-2)."""
        self.transition("dispatch", by, now, dispatched_at=now)
        self.start_clock("accept", "REP_ACCEPT", now, now)

    def completion_rule(self):
        """The code of the SlaRule that limits the repair of this order's category (R-REP-5)."""
        return "REP_COMPLETE_" + (self.category or "other").upper()

    def accept(self, by, now):
        """Property management takes the order (接单); the repair must be done within its
        category's limit, chased until it is (R-REP-5)."""
        self.transition("accept", by, now, accepted_at=now, accepted_by=by)
        self.stop_clock("accept", now)
        self.start_clock("resolve", self.completion_rule(), now, now)

    def complete(self, by, now, result):
        """The repair is done; the service center must call back (R-REP-3)."""
        if not (result or "").strip():
            raise ValidationError({"result": "请填写维修结果"})
        self.transition("complete", by, now, completed_at=now, result=result.strip())
        self.stop_clock("resolve", now)
        self.start_clock("callback", "REP_CALLBACK", now, now)

    # What the callback form shows the clerk before the call: what was reported and done.
    callback_facts = ("customer", "location", "description", "result", "completed_at")

    def callback_party(self):
        """(whom to call, their phone): the reporter, else the customer's contact person."""
        customer = self.customer if self.customer_id else None
        return (self.reporter_name or (customer and (customer.contact_person or customer.name)) or "",
                self.reporter_phone or (customer and customer.phone) or "")

    def record_callback(self, by, now, fixed, satisfaction=None, notes=None, person=None,
                        method="phone"):
        """Record the callback: fixed closes the order, not fixed sends it back (R-REP-3/5)."""
        from domain.complaints import Callback  # domain.complaints builds on this module
        callback = Callback.draft(by, now, fixed, satisfaction, notes, person, method,
                                  repair_order=self)
        if fixed:
            self.transition("callback", by, now, closed_at=now)
        else:
            self.transition("reopen", by, now, dispatched_at=now, accepted_at=None, accepted_by=None,
                            completed_at=None)
            self.start_clock("accept", "REP_ACCEPT", now, now)
        self.stop_clock("callback", now)
        callback.assign_number(now)
        callback.save(force_insert=True)
        return callback

    def refuse(self, by, now, reason):
        """Out of the repair scope: not accepted, the explanation recorded (R-REP-4)."""
        if not (reason or "").strip():
            raise ValidationError({"reason": "请填写不予受理的原因及向客户所作的解释"})
        self.transition("refuse", by, now, refusal_reason=reason.strip())


class ServiceRequest(Register):
    KINDS = (("renovation", "装修施工"), ("overtime", "延时营业"), ("goods", "货物进出"),
             ("advertising", "广告宣传"), ("event", "场地活动"), ("other", "其他"))
    WORKFLOW = workflow.SERVICE_REQUEST
    SUBMITTED, APPROVED, REFUSED, HANDED_BACK, CANCELLED = WORKFLOW.values
    STATUSES = WORKFLOW.choices

    number_prefix = "FW"
    number = number_field()
    contact = ForeignKeyField(Contact, null=True, backref="service_requests",
                              on_delete="RESTRICT", verbose_name="来源接待")
    customer = ForeignKeyField(Customer, backref="service_requests", on_delete="RESTRICT",
                               verbose_name="申请客户")
    applicant_name = CharField(max_length=50, null=True, verbose_name="申请人")
    applicant_phone = PhoneField(index=True, verbose_name="申请人电话")
    kind = ChoiceField(KINDS, default="other", verbose_name="申请类别")
    description = TextField(verbose_name="申请内容")
    wanted_from = DateField(null=True, verbose_name="申请开始日期")
    wanted_to = DateField(null=True, verbose_name="申请结束日期")
    submitted_at = DateTimeField(default=clock.now, verbose_name="提交时间")
    department = ForeignKeyField(Department, backref="+", on_delete="RESTRICT",
                                 verbose_name="审批部门")
    status = ChoiceField(STATUSES, default=SUBMITTED, verbose_name="状态")
    decided_at = DateTimeField(null=True, verbose_name="审批时间")
    decided_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                 verbose_name="审批人")
    decision_note = TextField(null=True, verbose_name="审批意见")
    handback_deadline = DateTimeField(null=True, verbose_name="交回时限")
    handed_back_at = DateTimeField(null=True, verbose_name="交回时间")
    on_hold_since = DateTimeField(null=True, verbose_name="挂起时间")
    approved = BooleanField(null=True, verbose_name="批准")

    date_ranges = (("wanted_from", "wanted_to"), ("submitted_at", "decided_at"))
    deadline_columns = {"handback": "handback_deadline"}
    holdable_states = WORKFLOW.source("hold")

    class Meta:
        verbose_name = "服务申请单"
        indexes = ((("status", "handback_deadline", "on_hold_since"), False),)  # 已逾期, index only

    def __str__(self):
        return f"{self.number or '服务申请'} {self.choice_label('kind')}".strip()

    def submit(self, by, now):
        """Start the 1-working-day clock for handing the decision back (R-SVC-2)."""
        self.start_clock("handback", "SVC_HANDBACK", self.submitted_at or now, now)

    def may_approve(self, user):
        """Is `user` entitled to approve this application (R-SVC-1)? The head of its approving
        department (部门负责人, set by the admin per department), or one who approves for every
        department (access.POWERS)."""
        if access.may(user, "approve_service_requests"):
            return True
        head_id = self.department.head_id if self.department_id else None
        return head_id is not None and head_id == getattr(user, "id", None)

    def approver_name(self):
        """Who may approve it, for the message and the form."""
        head = self.department.head if self.department_id else None
        return "%s负责人%s" % (self.department.name if self.department_id else "审批部门",
                             "（%s）" % head.full_name if head else "（未设置）")

    def approve(self, by, now, note=None):
        """The desk runs the approval (办理审批手续); the approval itself is given by one
        entitled to approve, recorded with their name (R-SVC-1)."""
        if not self.may_approve(by):
            raise DomainError("服务申请须由%s或项目经理、总经理审批" % self.approver_name())
        self.transition("approve", by, now, approved=True, decided_at=now, decided_by=by,
                        decision_note=(note or "").strip() or None)

    def decline(self, by, now, reason):
        """Out of the service scope: refused with an explanation (R-SVC-4)."""
        if not (reason or "").strip():
            raise ValidationError({"reason": "请填写不予批准的原因及解释"})
        self.transition("decline", by, now, approved=False, decided_at=now, decided_by=by, decision_note=reason.strip())

    def hand_back(self, by, now):
        """Give the decided application back to the applicant (R-SVC-2)."""
        self.transition("hand_back", by, now, handed_back_at=now)
        self.stop_clock("handback", now)

    def notify_departments(self, by, now, departments):
        """Send a WorkLetter to each department that must cooperate (R-SVC-3)."""
        if not self.approved or self.status not in self.WORKFLOW.source("notify"):
            raise DomainError("只有已批准的服务申请才能书面转达配合部门")
        if not departments:
            raise ValidationError({"departments": "请选择至少一个配合部门"})
        service = Department.by_code(Department.SERVICE)
        notified = {l.to_department_id for l in self.work_letters}
        departments = [d for d in departments if d.id not in notified]
        if not departments:
            raise DomainError("所选部门均已书面转达")
        letters = []
        for dept in departments:
            letter = WorkLetter(service_request=self, from_department=service, to_department=dept,
                                subject=f"请配合办理：{self}",
                                body=f"{self.customer}：{self.description}\n申请时间：{self.wanted_from or ''}"
                                     f" 至 {self.wanted_to or ''}\n审批意见：{self.decision_note or ''}",
                                status=WorkLetter.WORKFLOW.target("send"), sent_at=now,
                                created_by=by, created_at=now, updated_at=now)
            letter.full_clean()
            letter.assign_number(now)
            letter.save(force_insert=True)
            letters.append(letter)
        return letters


class WorkLetter(Register):
    WORKFLOW = workflow.WORK_LETTER
    DRAFT, SENT, ACKNOWLEDGED, REPLIED, CLOSED = WORKFLOW.values
    STATUSES = WORKFLOW.choices

    number_prefix = "LXH"
    number = number_field()
    contact = ForeignKeyField(Contact, null=True, backref="work_letters", on_delete="RESTRICT",
                              verbose_name="来源接待")
    service_request = ForeignKeyField(ServiceRequest, null=True, backref="work_letters",
                                      on_delete="RESTRICT", verbose_name="相关服务申请")
    from_department = ForeignKeyField(Department, backref="+", on_delete="RESTRICT",
                                      verbose_name="发函部门")
    to_department = ForeignKeyField(Department, backref="+", on_delete="RESTRICT",
                                    verbose_name="收函部门")
    subject = CharField(max_length=200, verbose_name="主题")
    body = TextField(verbose_name="内容")
    status = ChoiceField(STATUSES, default=DRAFT, verbose_name="状态")
    sent_at = DateTimeField(null=True, verbose_name="发出时间")
    forward_deadline = DateTimeField(null=True, verbose_name="转达时限")
    acknowledged_at = DateTimeField(null=True, verbose_name="签收时间")
    acknowledged_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                      verbose_name="签收人")
    reply = TextField(null=True, verbose_name="回复")
    replied_at = DateTimeField(null=True, verbose_name="回复时间")

    date_ranges = (("sent_at", "acknowledged_at"), ("acknowledged_at", "replied_at"))
    deadline_columns = {"forward": "forward_deadline"}

    class Meta:
        verbose_name = "内部工作联系函"
        indexes = ((("status", "forward_deadline"), False),)

    def __str__(self):
        return f"{self.number or '联系函'} {self.subject or ''}".strip()

    def clean_extra(self):
        if self.from_department_id and self.from_department_id == self.to_department_id:
            return {"to_department": "收函部门不能与发函部门相同"}
        return {}

    def start(self, by, now):
        """A letter from an enquiry must reach its department within 1 hour of it (R-ENQ-2)."""
        if self.contact_id:
            self.start_clock("forward", "ENQ_LETTER", self.contact.received_at, now)

    def send(self, by, now):
        self.transition("send", by, now, sent_at=now)
        self.stop_clock("forward", now)

    def acknowledge(self, by, now):
        """The receiving department signs for the letter."""
        self.transition("acknowledge", by, now, acknowledged_at=now, acknowledged_by=by)

    def answer(self, by, now, reply):
        """The department replies; an enquiry's reply comes back to the desk (R-ENQ-1/2)."""
        if not (reply or "").strip():
            raise ValidationError({"reply": "请填写回复内容"})
        self.transition("reply", by, now, reply=reply.strip(), replied_at=now)
        if self.contact_id:
            self.contact.reply_arrived(now)

    def close(self, by, now):
        self.transition("close", by, now)
