"""Complaints: intake, pass-on, updates, guidelines, callbacks and reports."""

import json
from datetime import datetime, time

from peewee import (
    BooleanField,
    Check,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

import access
import clock
import sla
import workflow
from domain.base import ChoiceField, DomainError, PhoneField, ValidationError
from domain.organisation import Department, User
from domain.register import Register, journal, number_field, snapshot_of
from domain.time import CalendarDay, Deadline
from domain.system import Alert
from domain.customers import Customer
from domain.reception import CHANNELS, Contact, RepairOrder


# ---------------------------------------------------------------- complaints

class Complaint(Register):
    CATEGORIES = (("product", "商品"), ("sales_staff", "营业员"), ("property", "物业管理"),
                  ("other", "其他"))
    MAJOR, IMPORTANT, GENERAL = "major", "important", "general"
    SEVERITIES = ((MAJOR, "重大"), (IMPORTANT, "重要"), (GENERAL, "一般"))
    WORKFLOW = workflow.COMPLAINT
    RECEIVED, IN_PROGRESS, RESOLVED, CLOSED, REFUSED, CANCELLED = WORKFLOW.values
    STATUSES = WORKFLOW.choices

    number_prefix = "TS"
    number = number_field()
    contact = ForeignKeyField(Contact, null=True, backref="complaints", on_delete="RESTRICT",
                              verbose_name="来源接待")
    customer = ForeignKeyField(Customer, null=True, backref="complaints", on_delete="RESTRICT",
                               verbose_name="投诉客户")
    complainant_name = CharField(max_length=50, verbose_name="投诉人")
    complainant_phone = PhoneField(index=True, verbose_name="投诉人电话")
    channel = ChoiceField(CHANNELS, default="visit", verbose_name="投诉方式")
    category = ChoiceField(CATEGORIES, default="other", verbose_name="投诉类别")
    subject = CharField(max_length=200, verbose_name="投诉事由")
    description = TextField(null=True, verbose_name="投诉内容")
    request = TextField(null=True, verbose_name="投诉人诉求")
    requested_by = DateField(null=True, verbose_name="要求解决日期")
    severity = ChoiceField(SEVERITIES, default=GENERAL, verbose_name="投诉性质")
    department = ForeignKeyField(Department, backref="+", on_delete="RESTRICT",
                                 verbose_name="责任部门")
    owner = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                            verbose_name="负责人")
    received_at = DateTimeField(default=clock.now, verbose_name="受理时间")
    start_deadline = DateTimeField(null=True, verbose_name="启动时限")
    started_at = DateTimeField(null=True, verbose_name="启动时间")
    resolve_deadline = DateTimeField(null=True, verbose_name="解决时限")
    resolved_at = DateTimeField(null=True, verbose_name="处理完毕时间")
    result = TextField(null=True, verbose_name="处理结果")
    status = ChoiceField(STATUSES, default=RECEIVED, verbose_name="状态")
    escalation_level = IntegerField(default=0, verbose_name="升级次数")
    refusal_reason = TextField(null=True, verbose_name="不予受理原因")
    routing_override_reason = TextField(null=True, verbose_name="改派原因")
    on_hold_since = DateTimeField(null=True, verbose_name="挂起时间")
    callback_deadline = DateTimeField(null=True, verbose_name="回访时限")
    follow_up_from = DateTimeField(null=True, verbose_name="每日跟踪起始")
    scope_checked = TextField(null=True, verbose_name="受理范围核对（JSON）")

    # Being handled: while the daily follow-up is owed (R-CMP-6).
    OPEN_STATES = WORKFLOW.clock("follow_up").runs_in
    holdable_states = WORKFLOW.source("hold")
    deadline_columns = {"start": "start_deadline", "resolve": "resolve_deadline",
                        "callback": "callback_deadline", "follow_up": "follow_up_from"}
    # R-CMP-4: who handles what.
    ROUTES = {"product": Department.OPERATIONS, "sales_staff": Department.OPERATIONS,
              "property": Department.PROPERTY, "other": Department.OPERATIONS}
    NEXT_SEVERITY = {GENERAL: IMPORTANT, IMPORTANT: MAJOR, MAJOR: MAJOR}
    # May send a complaint to another department than its category's, or escalate it by hand.
    SUPERVISORS = access.SUPERVISORS  # may reroute and escalate by hand

    escalation_level.min_value = 0
    date_ranges = (("received_at", "started_at"), ("received_at", "resolved_at"))

    class Meta:
        verbose_name = "相关方投诉处理"
        # The overdue filter's branches, with the hold (counted from the index alone).
        indexes = ((("status", "resolve_deadline", "on_hold_since"), False),
                   (("status", "start_deadline", "on_hold_since"), False),
                   (("status", "callback_deadline", "on_hold_since"), False),
                   # Covers the dashboard's open / overdue counts per department (index only).
                   (("status", "archived_at", "department", "on_hold_since", "start_deadline",
                     "resolve_deadline", "callback_deadline"), False),
                   # The open complaints owing a daily follow-up (the job reads no table row
                   # for those that have one or are flagged already).
                   (("status", "archived_at", "on_hold_since", "follow_up_from"), False))

    def __str__(self):
        return f"{self.number or '投诉'} {self.subject or ''}".strip()

    @classmethod
    def route(cls, category):
        """The department that handles a category of complaint (R-CMP-4)."""
        return Department.by_code(cls.ROUTES.get(category, Department.OPERATIONS))

    def route_new(self, by):
        """Route a new complaint by its category (R-CMP-4); elsewhere only by a supervisor, with
        a reason. Call before its first save."""
        self._check_requested_by()
        routed = self.route(self.category)
        if not self.department_id:
            self.department = routed
        elif self.department_id != routed.id:
            if not by.has_role(*self.SUPERVISORS):
                raise ValidationError({"department": "%s类投诉由%s处理；改派须由主管办理" % (
                    self.choice_label("category"), routed.name)})
            if not (self.routing_override_reason or "").strip():
                raise ValidationError({"routing_override_reason": "改派必须填写原因"})

    def _check_requested_by(self):
        if self.requested_by and self.received_at and self.requested_by < self.received_at.date():
            raise ValidationError({"requested_by": "要求解决日期不能早于受理日期"})

    def register(self, by, now):
        """Grade a new complaint: stamp its clocks, name its owner, alert a major one's owner.
        Returns the reception entry made for it (None if it came from one)."""
        contact = self._enter_reception(by, now)
        self.start_clock("follow_up", "CMP_DAILY_FOLLOWUP", self.received_at, now)
        self._grade(by, now, self.received_at)
        return contact

    def _enter_reception(self, by, now):
        """Every complaint is in the reception register (顾客接待登记), whoever took it
        (R-CMP-3): one entered directly gets its contact, already passed on (转投诉) to it."""
        if self.contact_id:
            return None
        contact = Contact(
            customer=self.customer_id, visitor_name=self.complainant_name,
            phone=self.complainant_phone, channel=self.channel, kind="complaint",
            subject=self.subject, content=self.description, received_at=self.received_at,
            received_by=by, department=self.department_id,
            status=Contact.WORKFLOW.target("to_complaint"),
            created_by=by, created_at=now, updated_at=now)
        contact.assign_number(now)
        contact.save(force_insert=True)
        type(self).update(contact=contact, updated_at=now).where(type(self).id == self.id).execute()
        self.contact = contact
        return contact

    def _grade(self, by, now, start, owner=None):
        """Stamp the clocks of the current severity from `start` (R-CMP-1)."""
        for kind in ("start", "resolve"):
            Deadline.update(status=Deadline.CANCELLED, updated_at=now).where(
                (Deadline.record_type == "Complaint") & (Deadline.record_id == self.id)
                & (Deadline.kind == kind) & (Deadline.status == Deadline.RUNNING)).execute()
        owner = owner or self._owner_for_severity()
        changes = {"owner": owner, "start_deadline": None, "resolve_deadline": None}
        type(self).update(updated_at=now, **changes).where(type(self).id == self.id).execute()
        for name, value in changes.items():
            setattr(self, name, value)
        if self.severity == self.MAJOR:
            # Reported to the project manager (or, a second time, the general manager) at
            # intake: the alert is the report and is mailed at once. What can be missed is the
            # project manager starting the handling (主持启动处理), on its own clock (R-CMP-1).
            Alert.raise_for(self, "escalation", now, "重大投诉：%s，请立即主持启动处理" % self, owner,
                            level=3 if owner and owner.has_role(User.GM) else 2)
            self.start_clock("start", "CMP_MAJOR_START", start, now)
        elif self.severity == self.IMPORTANT:
            self.start_clock("start", "CMP_IMPORTANT_START", start, now)
            if owner:
                Alert.raise_for(self, "reminder", now, "重要投诉：%s，请 1 小时内启动处理" % self, owner)
        else:
            # The complainant's own date replaces the two days (R-CMP-1).
            asked = datetime.combine(self.requested_by, time(23, 59, 59)) if self.requested_by else None
            return self.start_clock("resolve", "CMP_GENERAL_RESOLVE", start, now, due=asked,
                                    note="按投诉人要求日期" if asked else None)

    def may_correct_intake(self):
        """The desk may still correct category and severity: received, never started or
        escalated (after that only 改派 and 升级 change them)."""
        return self.status == self.RECEIVED and not self.started_at and not self.escalation_level

    def correct_intake(self, by, now, category, severity, requested_by=None):
        """The desk corrects category, severity or the asked date before handling starts:
        routed and graded again, as if taken so at receipt (R-CMP-1, R-CMP-4)."""
        if not self.may_correct_intake():
            raise DomainError("%s已启动处理或升级，不能再更正类别/性质；请由主管“改派”或“升级”" % self)
        changes = {}
        if category != self.category:
            # A changed category goes to its own department and is checked against the
            # guideline afresh when it is a product complaint (R-CMP-2).
            changes.update(category=category, department=self.route(category),
                           routing_override_reason=None, scope_checked=None)
        if severity != self.severity:
            changes["severity"] = severity
        if requested_by != self.requested_by:
            changes["requested_by"] = requested_by
        if not changes:
            raise ValidationError({"category": "类别、性质和要求解决日期均未改变"})
        self.requested_by = requested_by
        self._check_requested_by()
        self.transition("correct", by, now, **changes)
        self._close_alerts(now)
        self._grade(by, now, self.received_at)

    def _owner_for_severity(self):
        if self.severity == self.MAJOR:
            return User.first_with_role(User.PM)
        return self.department.head if self.department_id else None

    def check_scope(self, by, now, ticked, guideline_ids, reason=None):
        """Check a product complaint against the guideline (R-CMP-2): every item ticked, or refuse."""
        missing = [gid for gid in guideline_ids if gid not in set(ticked)]
        record = json.dumps({"ticked": sorted(ticked), "missing": missing}, ensure_ascii=False)
        type(self).update(scope_checked=record, updated_at=now).where(type(self).id == self.id).execute()
        self.scope_checked = record
        if missing:
            if not (reason or "").strip():
                raise ValidationError({"reason": "不在受理范围：请填写不予受理的原因及解释"})
            self.transition("refuse", by, now, refusal_reason=reason.strip())
            for kind in ("start", "resolve", "follow_up"):
                self.stop_clock(kind, now)
            return False
        journal("scope_ok", self, before=snapshot_of(self), now=now, user=by, summary=f"{self} 在受理范围内")
        return True

    def reroute(self, by, now, department, reason):
        """A supervisor sends the complaint to another department, with a reason."""
        if not (reason or "").strip():
            raise ValidationError({"reason": "改派必须填写原因"})
        if department.id == self.department_id:
            raise ValidationError({"department": "已在该部门"})
        gm_owned = self.owner is not None and self.owner.has_role(User.GM)
        self.department = department
        owner = self.owner if gm_owned or self.severity == self.MAJOR else self._owner_for_severity()
        self.transition("reroute", by, now, department=department, owner=owner,
                        routing_override_reason=reason.strip())
        self._close_alerts(now)
        if owner is not None:
            Alert.raise_for(self, "reminder", now, "投诉改派至%s：%s" % (department.name, self), owner)

    def _close_alerts(self, now):
        """Close the grading alerts (major/important reminders) once someone has acted."""
        Alert.update(status=Alert.WORKFLOW.target("resolve"), resolved_at=now, updated_at=now,
                     resolution_note="已办理").where(
            (Alert.record_type == "Complaint") & (Alert.record_id == self.id)
            & (Alert.status == Alert.OPEN) & Alert.kind.in_(("escalation", "reminder"))).execute()

    def may_start(self, user):
        """A major complaint is started by the one leading it (R-CMP-1: 由项目经理主持启动)."""
        return self.severity != self.MAJOR or access.may(user, "lead_major_complaint")

    def start(self, by, now, note=None):
        """The responsible department starts handling (启动处理); a major complaint's, the
        project manager who leads it (R-CMP-1)."""
        if self.category == "product" and not self.scope_checked and ComplaintGuideline.checklist():
            raise DomainError("商品投诉须先按受理指引核对受理范围")
        if not self.may_start(by):
            raise DomainError("重大投诉由项目经理主持启动处理")
        self.transition("start", by, now, started_at=now)
        self._close_alerts(now)
        self.stop_clock("start", now)
        self._update(by, now, "start", note or "责任部门启动处理")

    def add_update(self, by, now, kind, content, told=None):
        """Record progress, a feedback to the complainant or a daily follow-up (R-CMP-5/6), in
        the states its step is declared for."""
        if self.status not in self.WORKFLOW.source(kind):
            raise DomainError("%s当前状态为“%s”，不能%s" % (
                self, self.choice_label("status"), self.WORKFLOW.transition(kind).label))
        if not (content or "").strip():
            raise ValidationError({"content": "请填写处理情况"})
        return self._update(by, now, kind, content, told)

    def _update(self, by, now, kind, content, told=None):
        if kind == "feedback" and not (told or "").strip():
            raise ValidationError({"told": "请填写告知投诉人的内容"})
        update = ComplaintUpdate(complaint=self, kind=kind, happened_at=now, content=content.strip(),
                                 told_complainant=(told or "").strip() or None, by_user=by,
                                 created_by=by, created_at=now, updated_at=now)
        update.full_clean()
        update.save(force_insert=True)
        journal("create", update, now=now, user=by)
        return update

    def resolve(self, by, now, result):
        """Handling is done: a callback is due within 3 working days (R-CMP-7)."""
        if not (result or "").strip():
            raise ValidationError({"result": "请填写处理结果"})
        self.transition("resolve", by, now, resolved_at=now, result=result.strip())
        self._close_alerts(now)
        for kind in ("start", "resolve", "follow_up"):
            self.stop_clock(kind, now)
        self._update(by, now, "result", result)
        self.start_clock("callback", "CMP_CALLBACK", now, now)

    callback_facts = ("customer", "subject", "request", "result", "resolved_at")

    def callback_party(self):
        """(whom to call, their phone): the complainant."""
        return self.complainant_name or "", self.complainant_phone or ""

    def record_callback(self, by, now, accepted, satisfaction=None, notes=None, person=None,
                        method="phone"):
        """Accepted: closed. Not accepted: one level up and handled again (R-CMP-7/8)."""
        callback = Callback.draft(by, now, accepted, satisfaction, notes, person, method,
                                  complaint=self)
        if accepted:
            self.transition("callback", by, now)
            self.stop_clock("callback", now)
        else:
            if self.status not in self.WORKFLOW.source("callback_escalate"):
                raise DomainError("%s当前状态为“%s”，不能回访" % (self, self.choice_label("status")))
            self.stop_clock("callback", now)
            self.escalate(by, now, "回访时投诉人不接受处理结果：%s" % (notes or ""),
                          "callback_escalate")
        callback.assign_number(now)
        callback.save(force_insert=True)
        return callback

    def escalate(self, by, now, reason, transition="escalate"):
        """Raise the severity one level, stamp new clocks from now, alert the new owner (R-CMP-8)."""
        if not (reason or "").strip():
            raise ValidationError({"reason": "升级必须填写原因"})
        new = self.NEXT_SEVERITY[self.severity]
        # A major complaint rejected again stays major and goes to the general manager.
        owner = User.first_with_role(User.GM) if self.severity == self.MAJOR else None
        self.transition(transition, by, now, severity=new,
                        escalation_level=self.escalation_level + 1,
                        started_at=None, resolved_at=None, callback_deadline=None)
        self._close_alerts(now)
        self.stop_clock("callback", now)
        # Handled again: the daily follow-up counts from the escalation, not the first receipt.
        self.start_clock("follow_up", "CMP_DAILY_FOLLOWUP", now, now)
        journal("escalate_reason", self, before=snapshot_of(self), now=now, user=by, summary=reason.strip()[:200])
        self._grade(by, now, now, owner)

    def progress_entries(self):
        """Its progress entries and callbacks as (when, who, what, detail); the audit rows join
        them on the page (history.timeline)."""
        events = []
        for update in self.updates:
            detail = update.content + (f"（已告知投诉人：{update.told_complainant}）"
                                       if update.told_complainant else "")
            events.append((update.happened_at, str(update.by_user or ""),
                           update.choice_label("kind"), detail))
        for callback in self.callbacks:
            verdict = "认可处理结果" if callback.accepted else "不认可处理结果"
            events.append((callback.called_at, str(callback.called_by or ""), "回访",
                           f"{verdict}；满意度 {callback.satisfaction or '—'}；{callback.notes or ''}"))
        return sorted(events, key=lambda e: e[0])

    def missing_follow_ups(self, now):
        """Working days past the fifth on which the complainant was given no feedback
        (R-CMP-6), as sla.missed_follow_up_days decides for the job too."""
        if not self.follow_up_from or self.status not in self.OPEN_STATES:
            return []
        feedback = {u.happened_at.date() for u in self.updates if u.gave_feedback}
        holds = [(h.started_at, h.ended_at) for h in self.holds()]
        return sla.missed_follow_up_days(self.follow_up_from, now, CalendarDay.work_calendar(),
                                         feedback, holds)


class ComplaintPassOn(Register):
    """A complaint a member of staff outside the desk received, passed on to the desk at once
    (R-CMP-3: 其他工作人员收到顾客投诉时应第一时间转告); the desk registers it as a complaint.

    A register of its own, not a Contact kind: every role writes here (the reception register
    stays the desk's), and a department sees only what it passed on."""
    WORKFLOW = workflow.COMPLAINT_PASS_ON
    WAITING, REGISTERED, CANCELLED = WORKFLOW.values
    STATUSES = WORKFLOW.choices

    number_prefix = "ZG"
    number = number_field()
    complainant_name = CharField(max_length=50, verbose_name="投诉人")
    complainant_phone = PhoneField(verbose_name="联系方式")
    customer = ForeignKeyField(Customer, null=True, backref="+", on_delete="RESTRICT",
                               verbose_name="投诉客户")
    channel = ChoiceField(CHANNELS, default="visit", verbose_name="投诉方式")
    subject = CharField(max_length=200, verbose_name="投诉事由")
    content = TextField(null=True, verbose_name="投诉内容")
    received_at = DateTimeField(default=clock.now, verbose_name="收到时间")
    received_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                  verbose_name="收到人")
    department = ForeignKeyField(Department, null=True, backref="+", on_delete="RESTRICT",
                                 verbose_name="转告部门")
    status = ChoiceField(STATUSES, default=WAITING, verbose_name="状态")
    register_deadline = DateTimeField(null=True, verbose_name="登记时限")
    registered_at = DateTimeField(null=True, verbose_name="登记时间")
    registered_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                    verbose_name="登记人")
    contact = ForeignKeyField(Contact, null=True, backref="+", on_delete="RESTRICT",
                              verbose_name="接待登记")
    complaint = ForeignKeyField(Complaint, null=True, backref="+", on_delete="RESTRICT",
                                verbose_name="投诉")

    # Its clock is of the kind 转达 (forward): the complaint reaching the desk's register.
    deadline_columns = {"forward": "register_deadline"}

    class Meta:
        verbose_name = "投诉转告"
        indexes = ((("status", "register_deadline"), False),)

    def __str__(self):
        return f"{self.number or '转告'} {self.subject or ''}".strip()

    def pass_on(self, by, now):
        """Passed on: the desk's clock to register it runs from its receipt (R-CMP-3)."""
        if self.received_at > now:
            raise ValidationError({"received_at": "收到时间不能晚于现在"})
        self.start_clock("forward", "CMP_PASS_ON", self.received_at, now)

    def enter_reception(self, by, now):
        """The desk registers it: first its reception entry (kind complaint), which
        flows.complaints.register_pass_on turns into a complaint (then `registered_as`)."""
        self.transition("register", by, now, registered_at=now, registered_by=by)
        contact = Contact(
            customer=self.customer_id, visitor_name=self.complainant_name,
            phone=self.complainant_phone, channel=self.channel, kind="complaint",
            subject=self.subject,
            content="%s\n（%s转告）" % (self.content or self.subject, self.received_by or self.department or ""),
            received_at=self.received_at, received_by=by, status=Contact.OPEN,
            created_by=by, created_at=now, updated_at=now)
        contact.full_clean()
        contact.assign_number(now)
        contact.save(force_insert=True)
        return contact

    def registered_as(self, contact, complaint, now):
        """Link the reception entry and the complaint made of it; the clock stops."""
        type(self).update(contact=contact, complaint=complaint, updated_at=now).where(
            type(self).id == self.id).execute()
        self.contact, self.complaint = contact, complaint
        self.stop_clock("forward", now)


class ComplaintUpdate(Register):
    KINDS = (("start", "启动处理"), ("progress", "处理进展"), ("feedback", "反馈投诉人"),
             ("result", "处理结果"), ("follow_up", "每日跟踪"))

    complaint = ForeignKeyField(Complaint, backref="updates", on_delete="RESTRICT",
                                index=False, verbose_name="投诉")  # see Meta.indexes
    kind = ChoiceField(KINDS, default="progress", verbose_name="类型")
    happened_at = DateTimeField(default=clock.now, verbose_name="时间")
    content = TextField(verbose_name="处理情况")
    told_complainant = TextField(null=True, verbose_name="告知投诉人内容")
    by_user = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                              verbose_name="记录人")

    class Meta:
        verbose_name = "投诉进展"
        # A complaint's updates by time: the daily follow-up check reads one day of them
        # without touching the rows.
        indexes = ((("complaint", "happened_at", "kind"), False),)

    def __str__(self):
        return f"{self.choice_label('kind')} {self.happened_at:%Y-%m-%d %H:%M}" \
            if self.happened_at else "投诉进展"

    @property
    def gave_feedback(self):
        """A day's follow-up counts only when the complainant was told something (R-CMP-6)."""
        return self.tells_complainant(self.told_complainant)

    @staticmethod
    def tells_complainant(told):
        """Whether a follow-up that told the complainant `told` gave feedback (gave_feedback,
        for rows read as plain values)."""
        return bool((told or "").strip())


class ComplaintGuideline(Register):
    """One condition of the product-complaint guideline (消费者商品投诉受理工作指引, R-CMP-2)."""
    seq = IntegerField(default=1, verbose_name="序号")
    text = CharField(max_length=200, verbose_name="受理条件")
    is_active = BooleanField(default=True, verbose_name="启用")

    seq.min_value = 1

    class Meta:
        verbose_name = "商品投诉受理指引"

    def __str__(self):
        return f"{self.seq}. {self.text}" if self.text else "受理条件"

    @classmethod
    def checklist(cls):
        return list(cls.select().where((cls.is_active == True) & cls.archived_at.is_null())  # noqa: E712
                    .order_by(cls.seq, cls.id))


class Callback(Register):
    METHODS = (("phone", "电话"), ("visit", "上门"), ("sms", "短信"), ("other", "其他"))

    number_prefix = "HF"
    number = number_field()
    repair_order = ForeignKeyField(RepairOrder, null=True, backref="callbacks",
                                   on_delete="RESTRICT", verbose_name="维修工作单")
    complaint = ForeignKeyField(Complaint, null=True, backref="callbacks", on_delete="RESTRICT",
                                verbose_name="投诉")
    method = ChoiceField(METHODS, default="phone", verbose_name="回访方式")
    called_at = DateTimeField(default=clock.now, verbose_name="回访时间")
    called_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                verbose_name="回访人")
    person_reached = CharField(max_length=50, null=True, verbose_name="受访人")
    accepted = BooleanField(default=True, verbose_name="认可处理结果")
    satisfaction = IntegerField(null=True, constraints=[Check("satisfaction BETWEEN 1 AND 5")],
                                verbose_name="满意度（1-5）")
    notes = TextField(null=True, verbose_name="回访记录")

    class Meta:
        verbose_name = "回访记录单"

    @classmethod
    def draft(cls, by, now, accepted, satisfaction, notes, person, method, **target):
        """A checked, unsaved callback on `target` (repair_order= or complaint=)."""
        callback = cls(called_at=now, called_by=by, accepted=accepted, satisfaction=satisfaction,
                       notes=notes, person_reached=person, method=method, created_by=by,
                       created_at=now, updated_at=now, **target)
        callback.full_clean()
        return callback

    def __str__(self):
        return f"{self.number or '回访'}"

    def clean_extra(self):
        errors = {}
        if not self.repair_order_id and not self.complaint_id:
            errors["repair_order"] = "请选择回访的维修工作单或投诉"
        if self.satisfaction is not None and not 1 <= int(self.satisfaction) <= 5:
            errors["satisfaction"] = "满意度须在 1 到 5 之间"
        return errors


class ComplaintReport(Register):
    WORKFLOW = workflow.COMPLAINT_REPORT
    DRAFT, PUBLISHED = WORKFLOW.values
    STATUSES = WORKFLOW.choices

    month = DateField(unique=True, verbose_name="月份")
    generated_at = DateTimeField(null=True, verbose_name="生成时间")
    summary = TextField(null=True, verbose_name="分析结论")
    figures = TextField(null=True, verbose_name="统计数据（JSON）")
    status = ChoiceField(STATUSES, default=DRAFT, verbose_name="状态")

    class Meta:
        verbose_name = "相关方投诉分析报告"

    def __str__(self):
        return f"{self.month:%Y年%m月}投诉分析" if self.month else "投诉分析报告"

    def publish(self, by, now):
        """报送管理层: the report is final."""
        self.transition("publish", by, now)

    def clean_extra(self):
        if self.figures:
            try:
                json.loads(self.figures)
            except ValueError:
                return {"figures": "统计数据不是有效的 JSON"}
        return {}
