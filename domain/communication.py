"""Communication: notices and receipts, meetings, action items and call
scripts."""

import re

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

import workflow
from domain.base import BaseModel, ChoiceField, ValidationError
from domain.organisation import Department, User
from domain.register import Register, number_field
from domain.customers import Customer


# ---------------------------------------------------------------- communication

class Notice(Register):
    IMPORTANT, GENERAL, REMINDER = "important", "general", "reminder"
    KINDS = ((IMPORTANT, "重要通知"), (GENERAL, "一般通知"), (REMINDER, "提示提醒"))
    WORKFLOW = workflow.NOTICE
    DRAFT, PUBLISHED, DONE, CANCELLED = WORKFLOW.values
    STATUSES = WORKFLOW.choices

    number_prefix = "TZ"
    number = number_field()
    kind = ChoiceField(KINDS, default=GENERAL, verbose_name="通知类别")
    title = CharField(max_length=200, verbose_name="标题")
    body = TextField(verbose_name="正文")
    audience = CharField(max_length=200, null=True, verbose_name="通知对象")
    posted_publicly = BooleanField(default=False, verbose_name="公告栏张贴")
    published_at = DateTimeField(null=True, verbose_name="发布时间")
    department = ForeignKeyField(Department, null=True, backref="+", on_delete="RESTRICT",
                                 verbose_name="发布部门")
    confirm_deadline = DateTimeField(null=True, verbose_name="全部确认时限")
    status = ChoiceField(STATUSES, default=DRAFT, verbose_name="状态")

    deadline_columns = {"confirm": "confirm_deadline"}

    class Meta:
        verbose_name = "通知"

    def __str__(self):
        return f"{self.number or '通知'} {self.title or ''}".strip()

    @staticmethod
    def recipients(kinds=(), floors=(), categories=(), shop_nos=()):
        """Active customers of the chosen kinds, floors and categories (each list narrows;
        an empty list does not), plus the hand-picked shop numbers."""
        chosen = None
        if kinds or floors or categories:
            chosen = Customer.status == Customer.ACTIVE
            if kinds:
                chosen &= Customer.kind.in_(list(kinds))
            if floors:
                chosen &= Customer.floor.in_(list(floors))
            if categories:
                chosen &= Customer.category.in_(list(categories))
        if shop_nos:
            picked = Customer.shop_no.in_(list(shop_nos))
            chosen = picked if chosen is None else (chosen | picked)
        if chosen is None:
            return Customer.select().where(Customer.id < 0)
        return Customer.select().where(chosen & Customer.archived_at.is_null())

    def publish(self, by, now, customers, audience):
        """发布: one receipt per recipient; an important notice starts the clock for every
        receipt to be confirmed (R-COM-1)."""
        ids = [c.id for c in customers]
        if not ids:
            raise ValidationError({"kinds": "请选择通知对象（客户类别、楼层、业态或铺位号）"})
        self.transition("publish", by, now, published_at=now, audience=audience[:200],
                        department=self.department_id or by.department_id)
        rows = [dict(notice=self.id, customer=cid, status=NoticeReceipt.PENDING, created_by=by.id,
                     created_at=now, updated_at=now) for cid in ids]
        for start in range(0, len(rows), 500):
            NoticeReceipt.insert_many(rows[start:start + 500]).on_conflict_ignore().execute()
        if self.kind == self.IMPORTANT:
            self.start_clock("confirm", "COM_NOTICE_CONFIRM", now, now)
        return len(ids)

    def pending_receipts(self):
        return self.receipts.where(NoticeReceipt.status == NoticeReceipt.PENDING)

    def check_done(self, by, now):
        """An important notice is done once every receipt is confirmed."""
        if self.kind != self.IMPORTANT or self.status != self.PUBLISHED:
            return False
        if self.pending_receipts().exists():
            return False
        self.transition("notice_done", by, now)
        self.stop_clock("confirm", now)
        return True


class NoticeReceipt(Register):
    WORKFLOW = workflow.NOTICE_RECEIPT
    PENDING, CONFIRMED = WORKFLOW.values
    STATUSES = WORKFLOW.choices
    READ, SIGNED, PHONE = "read", "signed", "phone"
    METHODS = ((READ, "已阅"), (SIGNED, "签收"), (PHONE, "电话确认"))

    notice = ForeignKeyField(Notice, backref="receipts", on_delete="RESTRICT", verbose_name="通知")
    customer = ForeignKeyField(Customer, backref="notice_receipts", on_delete="RESTRICT",
                               verbose_name="接收客户")
    status = ChoiceField(STATUSES, default=PENDING, verbose_name="状态")
    method = ChoiceField(METHODS, null=True, verbose_name="确认方式")
    confirmed_at = DateTimeField(null=True, verbose_name="确认时间")
    confirmed_person = CharField(max_length=50, null=True, verbose_name="确认人（客户方）")
    recorded_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                  verbose_name="记录人")

    class Meta:
        verbose_name = "通知回执"
        indexes = ((("notice", "customer"), True), (("notice", "status"), False))

    def __str__(self):
        return f"回执 {self.customer}" if self.customer_id else "回执"

    def clean_extra(self):
        if self.status == self.CONFIRMED and (not self.method or not self.confirmed_at):
            return {"method": "已确认的回执须填写确认方式和确认时间"}
        return {}

    def confirm(self, by, now, method, person=None, confirmed_at=None, transition="confirm"):
        """确认收到: read, signed, or confirmed by phone with who and when (R-COM-1); taken as
        `transition` (签收 in bulk is "sign")."""
        at = confirmed_at or now
        if method not in dict(self.METHODS):
            raise ValidationError({"method": "请选择确认方式"})
        if method == self.PHONE and not (person or "").strip():
            raise ValidationError({"person": "电话确认须填写接听人"})
        if at > now:
            raise ValidationError({"confirmed_at": "确认时间不能晚于现在"})
        notice = Notice.get_by_id(self.notice_id)
        if notice.published_at and at < notice.published_at:
            raise ValidationError({"confirmed_at": "确认时间不能早于通知发布时间"})
        if notice.kind == Notice.IMPORTANT and notice.posted_publicly and method != self.PHONE:
            raise ValidationError({"method": "公告张贴的重要通知须逐户电话确认（R-COM-1）"})
        self.transition(transition, by, now, method=method, confirmed_at=at,
                        confirmed_person=(person or "").strip()[:50] or None, recorded_by=by)
        notice = Notice.get_by_id(self.notice_id)
        Customer.contacted(self.customer_id, at, notice.department_id)
        notice.check_done(by, now)


class Meeting(Register):
    KINDS = (("anchor", "主力店座谈会"), ("tenants", "商户座谈会"), ("consumers", "消费者座谈会"),
             ("owners_committee", "业委会座谈会"), ("merchants_committee", "商委会座谈会"))
    COMMITTEES = ("owners_committee", "merchants_committee")

    number_prefix = "ZT"
    number = number_field()
    kind = ChoiceField(KINDS, default="tenants", verbose_name="会议类别")
    title = CharField(max_length=200, verbose_name="会议主题")
    held_at = DateTimeField(verbose_name="会议时间")
    location = CharField(max_length=100, null=True, verbose_name="地点")
    department = ForeignKeyField(Department, null=True, backref="+", on_delete="RESTRICT",
                                 verbose_name="组织部门")
    attendees = TextField(null=True, verbose_name="参会人员")
    # Kept from the staff who attended (record_staff), never ticked by hand (R-COM-3).
    gm_attended = BooleanField(default=False, verbose_name="总经理参加")
    minutes = TextField(null=True, verbose_name="会议纪要")

    class Meta:
        verbose_name = "座谈会记录"

    def __str__(self):
        return f"{self.held_at:%Y-%m-%d} {self.title}" if self.held_at else (self.title or "座谈会")

    def record_staff(self, users, now):
        """Record the staff who attended (replacing the list); a committee meeting already held
        needs the general manager among them (R-COM-3). gm_attended follows from the list."""
        users = list(users)
        gm = any(u.has_role(User.GM) for u in users)
        if self.kind in self.COMMITTEES and self.held_at and self.held_at <= now and not gm:
            raise ValidationError({"staff": "业委会、商委会座谈会须由总经理参加：参会员工中没有总经理，"
                                            "不能登记为已召开（R-COM-3）"})
        MeetingStaff.delete().where(MeetingStaff.meeting == self.id).execute()
        if users:
            MeetingStaff.insert_many([{"meeting": self.id, "user": u.id} for u in users]).execute()
        Meeting.update(gm_attended=gm).where(Meeting.id == self.id).execute()
        self.gm_attended = gm

    def staff_ids(self):
        return [uid for (uid,) in MeetingStaff.select(MeetingStaff.user).where(
            MeetingStaff.meeting == self.id).tuples()]

    def cadence_department(self):
        """The department whose cadence the meeting keeps: its organizer; a committee meeting
        the general manager's (R-COM-3)."""
        if self.kind in self.COMMITTEES:
            return Department.select(Department.id).where(Department.code == "general").scalar()
        return self.department_id

    def record_attendance(self, now):
        """Each attending customer was in contact on the meeting's day (once it has been held)."""
        if not self.held_at or self.held_at > now:
            return
        for (customer_id,) in MeetingAttendee.select(MeetingAttendee.customer).where(
                MeetingAttendee.meeting == self.id).tuples():
            Customer.contacted(customer_id, self.held_at, self.cadence_department())


class MeetingAttendee(BaseModel):
    """A customer who attended a meeting (their contact for the cadence, R-COM-3)."""
    meeting = ForeignKeyField(Meeting, backref="attending", on_delete="CASCADE",
                              verbose_name="座谈会")
    customer = ForeignKeyField(Customer, backref="+", on_delete="RESTRICT", verbose_name="参会客户")
    person = CharField(max_length=50, null=True, verbose_name="参会人")

    class Meta:
        verbose_name = "参会客户"
        indexes = ((("meeting", "customer"), True), (("customer",), False))

    def __str__(self):
        return self.person or "参会客户"


class MeetingStaff(BaseModel):
    """A member of staff who attended a meeting (R-COM-3: the general manager at committees)."""
    meeting = ForeignKeyField(Meeting, backref="staff_rows", on_delete="CASCADE",
                              verbose_name="座谈会")
    user = ForeignKeyField(User, backref="+", on_delete="RESTRICT", verbose_name="参会员工")

    class Meta:
        verbose_name = "参会员工"
        indexes = ((("meeting", "user"), True),)

    def __str__(self):
        return "参会员工"


class ActionItem(Register):
    WORKFLOW = workflow.ACTION_ITEM
    OPEN, DONE, CANCELLED = WORKFLOW.values
    STATUSES = WORKFLOW.choices

    meeting = ForeignKeyField(Meeting, backref="action_items", on_delete="RESTRICT",
                              verbose_name="座谈会")
    description = TextField(verbose_name="议定事项")
    department = ForeignKeyField(Department, backref="+", on_delete="RESTRICT",
                                 verbose_name="责任部门")
    owner = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                            verbose_name="责任人")
    due_date = DateField(null=True, verbose_name="完成期限")
    done_at = DateTimeField(null=True, verbose_name="落实时间")
    outcome = TextField(null=True, verbose_name="落实情况")
    status = ChoiceField(STATUSES, default=OPEN, verbose_name="状态")

    class Meta:
        verbose_name = "会议议定事项"
        indexes = ((("status", "due_date"), False),)

    def __str__(self):
        return (self.description or "议定事项")[:30]

    def clean_extra(self):
        if not self.due_date:
            return {"due_date": "请填写完成期限（R-COM-4：议定事项须跟踪到落实）"}
        return {}

    def complete(self, by, now, outcome):
        """落实: done, with what was done (R-COM-4)."""
        self.transition("complete_item", by, now, done_at=now, outcome=outcome)

    def cancel(self, by, now, reason):
        self.transition("cancel_item", by, now, outcome="取消：" + reason)


# ---------------------------------------------------------------- time limits and alerts

# ---------------------------------------------------------------- CRM (R-CRM-3, R-CRM-4)

PLACEHOLDER_NAMES = ("客户", "编号", "事项", "时限", "状态", "进展")
PLACEHOLDER_RE = re.compile(r"\{(%s)\}" % "|".join(PLACEHOLDER_NAMES))


class CallScript(Register):
    """One answer of the script library (话术库): what to say when a caller calls for a reason."""
    # The likely reasons the caller screen ranks (crm.likely_reasons) — a script answers one.
    TRIGGERS = (
        ("repair_open", "报修进度查询"), ("repair_callback", "维修完工回访"),
        ("complaint_open", "投诉处理进展"), ("complaint_callback", "投诉处理结果回访"),
        ("service_pending", "服务申请审批进度"), ("loan_out", "借用物品归还与押金"),
        ("notice_pending", "通知确认"),
        ("survey_pending", "满意度调查问卷"), ("action_item", "座谈会议定事项落实"),
        ("lease_ending", "租约到期与续租"), ("repeat_contact", "近期同一事由再次来电"),
        ("new_caller", "新来电客户"), ("general", "一般咨询"))

    topic = CharField(max_length=100, verbose_name="话术主题")
    trigger = ChoiceField(TRIGGERS, default="general", verbose_name="适用情形")
    script = TextField(verbose_name="话术内容")
    department = ForeignKeyField(Department, null=True, backref="+", on_delete="RESTRICT",
                                 verbose_name="维护部门")
    owner = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                            verbose_name="负责人")
    seq = IntegerField(default=1, verbose_name="优先顺序")
    is_active = BooleanField(default=True, verbose_name="启用")

    seq.min_value = 1
    # Placeholders a script may use; the caller screen fills them from the caller's record.
    PLACEHOLDERS = tuple("{%s}" % name for name in PLACEHOLDER_NAMES)

    class Meta:
        verbose_name = "话术库"
        indexes = ((("trigger", "seq"), False),)

    def __str__(self):
        return self.topic or "话术"

    @classmethod
    def for_triggers(cls, triggers):
        """{trigger: the active script of highest priority} for the given triggers."""
        scripts = {}
        for script in cls.select().where(cls.trigger.in_(list(triggers)) & (cls.is_active == True)  # noqa: E712
                                         & cls.archived_at.is_null()).order_by(cls.seq, cls.id):
            scripts.setdefault(script.trigger, script)
        return scripts

    def render(self, values):
        """The script text with its placeholders filled from `values` ({"客户": …})."""
        return self.render_text(self.script, values)

    @staticmethod
    def render_text(text, values):
        """`text` with its placeholders filled from `values`."""
        # One pass: a placeholder typed inside a filled-in value stays as typed.
        return PLACEHOLDER_RE.sub(lambda m: str(values.get(m.group(1)) or ""), text or "")
