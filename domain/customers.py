"""Customers (tenants and consumers) and their segments."""

from decimal import Decimal

from peewee import (
    BooleanField,
    SQL,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    IntegerField,
    TextField,
    Select,
    fn,
)

import sla
from domain.base import ChoiceField, MoneyField, PhoneField
from domain.organisation import Department, User
from domain.register import Register
from domain.time import CalendarDay, SlaRule


# ---------------------------------------------------------------- customers

class Customer(Register):
    TENANT, ANCHOR, CONSUMER, OWNERS, MERCHANTS = (
        "tenant", "anchor", "consumer", "owners_committee", "merchants_committee")
    KINDS = ((TENANT, "商户"), (ANCHOR, "主力店"), (CONSUMER, "消费者"),
             (OWNERS, "业委会"), (MERCHANTS, "商委会"))
    ACTIVE, INACTIVE = "active", "inactive"
    STATUSES = ((ACTIVE, "在营"), (INACTIVE, "已撤场"))

    name = CharField(max_length=100, index=True, verbose_name="客户名称")  # the grid's order
    kind = ChoiceField(KINDS, default=TENANT, verbose_name="客户类别")
    shop_no = CharField(max_length=30, null=True, index=True, verbose_name="铺位号")
    floor = CharField(max_length=10, null=True, verbose_name="楼层")
    category = CharField(max_length=50, null=True, verbose_name="经营业态")
    contact_person = CharField(max_length=50, null=True, verbose_name="联系人")
    phone = PhoneField(index=True, verbose_name="联系电话")
    phone2 = PhoneField(index=True, verbose_name="备用电话")
    email = CharField(max_length=120, null=True, verbose_name="电子邮件")
    id_number = CharField(max_length=30, null=True, verbose_name="证件号码")
    address = CharField(max_length=200, null=True, verbose_name="地址")
    lease_start = DateField(null=True, verbose_name="租约开始")
    lease_end = DateField(null=True, verbose_name="租约结束")
    area_sqm = DecimalField(max_digits=10, decimal_places=2, null=True, verbose_name="面积（㎡）")
    monthly_rent = MoneyField(null=True, verbose_name="月租金（元）")
    status = ChoiceField(STATUSES, default=ACTIVE, verbose_name="状态")
    notes = TextField(null=True, verbose_name="备注")
    # The latest contact, meeting attended or notice confirmed (kept by Customer.contacted and
    # recomputed daily by the cadence job from the registers themselves).
    last_contact_at = DateTimeField(null=True, verbose_name="最近沟通")
    # The responsible department's own latest communication (R-COM-3): a meeting it held, a
    # call, letter or visit by its staff, a notice of its own confirmed. Only this keeps the
    # cadence: a tenant's repair call at the desk is a contact, not 营运部's monthly one.
    cadence_contact_at = DateTimeField(null=True, verbose_name="责任部门最近沟通")
    # Segments (R-CRM-4): written by the nightly segment job from the SegmentRule data.
    value_segment = CharField(max_length=20, null=True, verbose_name="价值分层")
    engagement_segment = CharField(max_length=20, null=True, verbose_name="活跃度")
    satisfaction_segment = CharField(max_length=20, null=True, verbose_name="满意度分层")
    risk_segment = CharField(max_length=20, null=True, verbose_name="风险等级")
    segment_reasons = TextField(null=True, verbose_name="分群依据（JSON）")
    segmented_at = DateTimeField(null=True, verbose_name="分群时间")

    date_ranges = (("lease_start", "lease_end"),)
    # Contact cadence (R-COM-3): kind -> (time-limit rule, the department that keeps it).
    CADENCE = {ANCHOR: ("COM_ANCHOR", "property"), TENANT: ("COM_TENANT", "operations"),
               CONSUMER: ("COM_CONSUMER", "service"), OWNERS: ("COM_COMMITTEE", "general"),
               MERCHANTS: ("COM_COMMITTEE", "general")}

    class Meta:
        verbose_name = "客户"
        # (kind, status, …): the cadence check reads who is overdue from the index alone.
        indexes = ((("kind", "status", "archived_at", "last_contact_at", "created_at"), False),
                   (("kind", "last_contact_at"), False),
                   (("kind", "status", "archived_at", "cadence_contact_at", "created_at"), False))

    def __str__(self):
        return f"{self.shop_no} {self.name}" if self.shop_no else (self.name or "客户")

    @classmethod
    def contacted(cls, customer_id, at, department_id=None):
        """Record a contact with the customer at `at` (only ever moves the date forward); made
        by `department_id`'s own communication, it also keeps that department's cadence."""
        if not (customer_id and at):
            return
        cls.update(last_contact_at=at).where(
            (cls.id == customer_id)
            & (cls.last_contact_at.is_null() | (cls.last_contact_at < at))).execute()
        code = Department.select(Department.code).where(Department.id == department_id).scalar() \
            if department_id else None
        kinds = cls.cadence_kinds(code)
        if kinds:
            cls.update(cadence_contact_at=at).where(
                (cls.id == customer_id) & cls.kind.in_(kinds)
                & (cls.cadence_contact_at.is_null() | (cls.cadence_contact_at < at))).execute()

    @classmethod
    def cadence_kinds(cls, department_code):
        """The customer kinds whose cadence `department_code` keeps (R-COM-3)."""
        return [kind for kind, (_, dept) in cls.CADENCE.items() if dept == department_code]

    @classmethod
    def cadence_rules(cls):
        """{kind: sla.Limit allowed between contacts}, from the admin-tunable COM_* rules (each
        in its own unit)."""
        limits = {r.code: r.limit() for r in SlaRule.select().where(
            SlaRule.code.startswith("COM_") & (SlaRule.is_active == True)  # noqa: E712
            & SlaRule.archived_at.is_null())}
        return {kind: limits[code] for kind, (code, _) in cls.CADENCE.items() if code in limits}

    @staticmethod
    def cadence_calendar(limits):
        """The working-day calendar the cadence `limits` need (None when none counts working
        days: the calendar is read only then)."""
        if any(limit.unit == sla.WORKING_DAY_UNITS for limit in limits):
            return CalendarDay.work_calendar()
        return None

    @classmethod
    def cadence_reference(cls):
        """SQL: what a customer's cadence counts from (as contact_due does)."""
        return fn.COALESCE(cls.cadence_contact_at, cls.created_at)

    @classmethod
    def cadence_due_parts(cls, kind, limit, moment, calendar=None):
        """cadence_due_before as two disjoint conditions, each a range of the (kind, status,
        archived_at, cadence_contact_at, created_at) index: last communicated before the
        boundary, or never and registered before it. The cadence job unions them: one
        COALESCE compared row by row read every customer of a kind, the years of them."""
        boundary = sla.cadence_boundary(moment, limit, calendar)
        alive = (cls.kind == kind) & (cls.status == cls.ACTIVE) & cls.archived_at.is_null()
        return (alive & (cls.cadence_contact_at < boundary),
                alive & cls.cadence_contact_at.is_null() & (cls.created_at < boundary))

    @classmethod
    def cadence_due_before(cls, kind, limit, moment, calendar=None):
        """SQL: active customers of `kind` whose next contact (contact_due) falls before `moment`."""
        return ((cls.kind == kind) & (cls.status == cls.ACTIVE) & cls.archived_at.is_null()
                & (cls.cadence_reference() < sla.cadence_boundary(moment, limit, calendar)))

    def contact_due(self, rules=None, calendar=None):
        """When the next contact is due, counted from the responsible department's last own
        communication (never: from the customer's registration); None without a cadence.
        `rules`, `calendar`: cadence_rules() and cadence_calendar(), read once for a page."""
        limit = (self.cadence_rules() if rules is None else rules).get(self.kind)
        reference = self.cadence_contact_at or self.created_at
        if limit is None or reference is None:
            return None
        if calendar is None:
            calendar = self.cadence_calendar([limit])
        return sla.cadence_due(reference, limit, calendar)

    @classmethod
    def refresh_cadence_contacts(cls, now, write):
        """Recompute each customer's cadence contact from the registers: meetings held by the
        responsible department (committee meetings: the general manager's), calls, letters and
        visits its staff recorded, its notices confirmed. `write(column, latest, condition)`
        writes only the rows that differ and returns how many."""
        from domain.reception import Contact  # domain.reception builds on this module
        # domain.communication builds on this module
        from domain.communication import Meeting, MeetingAttendee, Notice, NoticeReceipt
        written = 0
        departments = {d.code: d.id for d in Department.select()}
        for kind, (_, code) in cls.CADENCE.items():
            dept = departments.get(code)
            staff = User.select(User.id).where(User.department == dept)
            contacts = (Contact.select(fn.MAX(Contact.received_at).alias("at"))
                        .where((Contact.customer == cls.id) & Contact.archived_at.is_null()
                               & Contact.received_by.in_(staff)
                               & Contact.kind.not_in(Contact.REQUESTS)))
            held_by = (Meeting.department == dept)
            if code == "general":
                held_by = held_by | Meeting.kind.in_(Meeting.COMMITTEES)
            meetings = (Meeting.select(fn.MAX(Meeting.held_at).alias("at")).join(MeetingAttendee)
                        .where((MeetingAttendee.customer == cls.id) & Meeting.archived_at.is_null()
                               & (Meeting.held_at <= now) & held_by))
            receipts = (NoticeReceipt.select(fn.MAX(NoticeReceipt.confirmed_at).alias("at"))
                        .join(Notice, on=(NoticeReceipt.notice == Notice.id))
                        .where((NoticeReceipt.customer == cls.id)
                               & (NoticeReceipt.status == NoticeReceipt.CONFIRMED)
                               & NoticeReceipt.archived_at.is_null() & (Notice.department == dept)))
            sources = (contacts + meetings + receipts).alias("source")  # UNION ALL
            latest = Select([sources], [fn.MAX(sources.c.at)])
            written += write(cls.cadence_contact_at, latest, cls.kind == kind)
        return written


# A live customer is one party where the importer matches it (importer.customer_key): by shop
# number and name when it has a shop number, else by name and phone. Archived rows are left out:
# a unit re-let to a namesake, or a duplicate archived instead of merged, stays as it was.
Customer.add_index(Customer.index(
    Customer.shop_no, Customer.name, unique=True, name="customer_live_shop_no_name",
    where=SQL("archived_at IS NULL AND shop_no IS NOT NULL AND shop_no <> ''")))
Customer.add_index(Customer.index(
    Customer.name, SQL("COALESCE(phone, '')"), unique=True, name="customer_live_name_phone",
    where=SQL("archived_at IS NULL AND (shop_no IS NULL OR shop_no = '')")))


def plain_number(value):
    """60000, 3.5, -1: a number as people write it, whatever the database returned."""
    if value is None:
        return ""
    return format(Decimal(str(round(value, 2) if isinstance(value, float) else value)).normalize(), "f")


class SegmentRule(Register):
    """One tunable rule of customer segmentation (R-CRM-4): when a customer's metric compares
    to the threshold, the dimension takes the level; the first matching rule (lowest order)
    wins and every matching rule is shown as a reason."""
    DIMENSIONS = (("value", "价值"), ("engagement", "活跃度"), ("satisfaction", "满意度"),
                  ("risk", "风险"))
    # What each dimension is when no rule matches.
    DEFAULT_LEVELS = {"value": "一般", "engagement": "一般", "satisfaction": "无数据",
                      "risk": "低"}
    METRICS = (
        ("monthly_rent", "月租金（元）"), ("area_sqm", "面积（㎡）"),
        ("tenure_months", "入驻月数"), ("paid_services_12m", "近12个月有偿服务次数"),
        ("contacts_12m", "近12个月沟通次数"), ("days_since_contact", "距上次沟通天数"),
        ("callback_satisfaction", "近12个月回访满意度（1-5）"),
        ("floor_survey_score", "最近一次调查同类同楼层平均分（1-5）"),
        ("satisfaction_change", "回访满意度变化（近6个月减前6个月）"),
        ("complaints_12m", "近12个月投诉次数"), ("escalations_12m", "近12个月投诉升级次数"),
        ("rejected_results_12m", "近12个月回访不认可处理结果次数"),
        ("lease_months_left", "租约剩余月数"))
    OPERATORS = ((">=", "≥"), (">", ">"), ("<=", "≤"), ("<", "<"), ("==", "="))

    code = CharField(max_length=40, unique=True, verbose_name="规则代码")
    dimension = ChoiceField(DIMENSIONS, default="risk", verbose_name="分群维度")
    seq = IntegerField(default=10, verbose_name="优先顺序")
    metric = ChoiceField(METRICS, default="complaints_12m", verbose_name="指标")
    operator = ChoiceField(OPERATORS, default=">=", verbose_name="比较")
    threshold = DecimalField(max_digits=12, decimal_places=2, verbose_name="阈值")
    level = CharField(max_length=20, verbose_name="分层结果")
    kinds = CharField(max_length=100, null=True, verbose_name="适用客户类别（留空为全部）")
    is_active = BooleanField(default=True, verbose_name="启用")

    seq.min_value = 1

    class Meta:
        verbose_name = "客户分群规则"

    def __str__(self):
        return "%s：%s %s %s → %s" % (self.choice_label("dimension"), self.choice_label("metric"),
                                     self.choice_label("operator"), self.threshold, self.level) \
            if self.threshold is not None and self.level else "分群规则"

    def clean_extra(self):
        known = dict(Customer.KINDS)
        labels = {label: code for code, label in Customer.KINDS}
        for part in (self.kinds or "").replace("，", ",").split(","):
            part = part.strip()
            if part and part not in known and part not in labels:
                return {"kinds": "客户类别“%s”不存在（可填：%s）" % (part, "、".join(labels))}
        return {}

    def kind_codes(self):
        """The customer kinds the rule applies to (empty: all), from codes or Chinese labels."""
        labels = {label: code for code, label in Customer.KINDS}
        parts = [p.strip() for p in (self.kinds or "").replace("，", ",").split(",")]
        return {labels.get(p, p) for p in parts if p}

    def matches(self, kind, metrics):
        """True when the rule applies to `kind` and the customer's metric meets it."""
        codes = self.kind_codes()
        value = metrics.get(self.metric)
        if (codes and kind not in codes) or value is None:
            return False
        value, limit = Decimal(str(value)), Decimal(str(self.threshold))
        return {">=": value >= limit, ">": value > limit, "<=": value <= limit,
                "<": value < limit, "==": value == limit}[self.operator]

    def reason(self, metrics):
        """Why the rule matched, in words: 近12个月投诉次数 3 ≥ 2 → 高."""
        return "%s %s %s %s → %s" % (self.choice_label("metric"), plain_number(metrics.get(self.metric)),
                                     self.choice_label("operator"), plain_number(self.threshold),
                                     self.level)
