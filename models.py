"""Every register of the service center, with its Chinese labels, choices and checks."""
import json
import math
import re
import secrets
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from peewee import (
    BooleanField,
    Check,
    SQL,
    CharField,
    DatabaseProxy,
    DateField,
    DateTimeField,
    DecimalField,
    DeferredForeignKey,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
    CompositeKey,
    NodeList,
    Select,
    SqliteDatabase,
    fn,
)
from werkzeug.security import check_password_hash, generate_password_hash

import access
import clock
import sla
import workflow

db = DatabaseProxy()


class DomainError(Exception):
    """A business rule refused an operation; the message is for the user (Chinese)."""


class StaleRecord(DomainError):
    """The row was changed (or archived) after the copy being saved was read: nothing written."""

    def __init__(self, record, seen):
        super().__init__("%s已被他人修改或办理，请刷新页面查看最新情况后再操作" % record)
        self.record, self.seen = record, seen


class AlreadySubmitted(DomainError):
    """A form whose one-time token was used already: `record_type`/`record_id` is its result."""

    def __init__(self, record_type, record_id):
        super().__init__("该表单已提交过，未重复保存")
        self.record_type, self.record_id = record_type, record_id


class ValidationError(DomainError):
    """Bad input: `errors` maps field names to Chinese messages."""

    def __init__(self, errors):
        self.errors = dict(errors)
        super().__init__("；".join(f"{k}: {v}" for k, v in self.errors.items()))


# ---------------------------------------------------------------- field types

TEXT_MAX = 20000  # characters in one free-text field: a long letter, never a pasted book
INT_MAX = 2 ** 31 - 1

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|[48]00-?\d{3}-?\d{4}|\d{5})$")


class ChoiceField(CharField):
    """A coded value from a fixed list; the database refuses any other (CHECK)."""

    def __init__(self, choices, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(choices=choices, **kwargs)

    def bind(self, model, name, set_attribute=True):
        super().bind(model, name, set_attribute)
        values = ", ".join("'%s'" % code for code, _ in self.choices)
        self.constraints = [Check("%s IN (%s)" % (self.column_name, values))]

    def label(self, value):
        return dict(self.choices).get(value, value or "")


class MoneyField(DecimalField):
    """An amount in yuan, never negative (CHECK), exact to the fen."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("auto_round", True)
        super().__init__(**kwargs)

    def bind(self, model, name, set_attribute=True):
        super().bind(model, name, set_attribute)
        self.constraints = [Check("%s >= 0" % self.column_name)]


class PhoneField(CharField):
    """A Chinese mobile, landline or service number."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("null", True)
        super().__init__(**kwargs)


# ---------------------------------------------------------------- base models

class BaseModel(Model):
    created_at = DateTimeField(default=clock.now, index=True, verbose_name="创建时间")
    updated_at = DateTimeField(default=clock.now, verbose_name="更新时间")

    # Pairs of (start, end) fields where end may not come before start.
    date_ranges = ()

    class Meta:
        database = db
        legacy_table_names = False

    def clean(self):
        """Return {field name: Chinese message} for every bad value; empty when valid."""
        errors = {}
        for field in self._meta.sorted_fields:
            value = getattr(self, field.name, None) if not isinstance(field, ForeignKeyField) \
                else getattr(self, field.name + "_id", None)
            label = field.verbose_name or field.name
            if value is None or value == "":
                if not field.null and field.default is None and not field.primary_key \
                        and not getattr(field, "auto_assigned", False) \
                        and not isinstance(field, (BooleanField,)):
                    errors[field.name] = f"{label}不能为空"
                continue
            if isinstance(field, ChoiceField) and value not in dict(field.choices):
                errors[field.name] = f"{label}的值“{value}”不在可选范围内"
            elif isinstance(field, PhoneField) and not PHONE_RE.match(str(value)):
                errors[field.name] = f"{label}格式不正确（例如 13800138000 或 021-12345678）"
            elif isinstance(field, CharField) and field.max_length and len(str(value)) > field.max_length:
                errors[field.name] = f"{label}不能超过 {field.max_length} 个字符"
            elif isinstance(field, TextField) and len(str(value)) > TEXT_MAX:
                errors[field.name] = f"{label}不能超过 {TEXT_MAX} 个字符"
            elif isinstance(field, DecimalField):
                try:
                    amount = Decimal(str(value))
                except Exception:
                    errors[field.name] = f"{label}必须是数字"
                    continue
                if not amount.is_finite():
                    errors[field.name] = f"{label}必须是有效的数字"
                elif isinstance(field, MoneyField) and amount < 0:
                    errors[field.name] = f"{label}不能为负数"
                elif amount.adjusted() >= field.max_digits - field.decimal_places:
                    errors[field.name] = f"{label}数值过大"
            elif isinstance(field, IntegerField) and not isinstance(field, ForeignKeyField) \
                    and not field.primary_key:
                if getattr(field, "min_value", None) is not None and value < field.min_value:
                    errors[field.name] = f"{label}不能小于 {field.min_value}"
                elif abs(value) > INT_MAX:
                    errors[field.name] = f"{label}数值过大"
        for start, end in self.date_ranges:
            a, b = getattr(self, start), getattr(self, end)
            if a and b and b < a:
                errors[end] = "%s不能早于%s" % (
                    self._meta.fields[end].verbose_name, self._meta.fields[start].verbose_name)
        errors.update(self.clean_extra())
        return errors

    def clean_extra(self):
        """Return errors of rules that span several fields (overridden per model)."""
        return {}

    def full_clean(self):
        """Raise ValidationError unless every value is acceptable."""
        errors = self.clean()
        if errors:
            raise ValidationError(errors)

    @classmethod
    def verbose_name(cls):
        return getattr(cls._meta, "verbose_name", cls.__name__)

    def choice_label(self, name):
        """Return the Chinese label of a coded field's current value."""
        return self._meta.fields[name].label(getattr(self, name))


class DocumentCounter(Model):
    """The last number issued per document prefix and day (WX-20261122-0001)."""
    prefix = CharField(max_length=8)
    day = CharField(max_length=8)
    last = IntegerField(default=0)

    class Meta:
        database = db
        legacy_table_names = False
        primary_key = CompositeKey("prefix", "day")


def next_number(prefix, when):
    """Issue the next document number for `prefix` on the day of `when` (call in a transaction)."""
    day = when.strftime("%Y%m%d")
    (DocumentCounter.insert(prefix=prefix, day=day, last=1)
     .on_conflict(conflict_target=[DocumentCounter.prefix, DocumentCounter.day],
                  update={DocumentCounter.last: DocumentCounter.last + 1})
     .execute())
    last = DocumentCounter.get((DocumentCounter.prefix == prefix) & (DocumentCounter.day == day)).last
    return f"{prefix}-{day}-{last:04d}"


# ---------------------------------------------------------------- organisation

class Department(BaseModel):
    SERVICE, OPERATIONS, PROPERTY, FINANCE, WAREHOUSE, PROJECT, GENERAL = (
        "service", "operations", "property", "finance", "warehouse", "project", "general")
    CODES = (
        (SERVICE, "客服中心"), (OPERATIONS, "营运部"), (PROPERTY, "物业管理部"),
        (FINANCE, "财务部"), (WAREHOUSE, "仓库"), (PROJECT, "项目经理"), (GENERAL, "总经理办公室"),
    )
    code = CharField(max_length=20, unique=True, verbose_name="部门代码")
    name = CharField(max_length=50, unique=True, verbose_name="部门名称")
    head = DeferredForeignKey("User", null=True, on_delete="SET NULL", verbose_name="部门负责人")
    phone = PhoneField(verbose_name="部门电话")
    is_active = BooleanField(default=True, verbose_name="启用")
    created_by = DeferredForeignKey("User", null=True, on_delete="SET NULL", verbose_name="创建人")

    class Meta:
        verbose_name = "部门"

    def __str__(self):
        return self.name or self.code or "部门"

    @classmethod
    def by_code(cls, code):
        return cls.get(cls.code == code)


_DUMMY_HASH = []


def _dummy_password_hash():
    """A hash of no one's password, made like every real one (same method, same cost)."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(generate_password_hash(secrets.token_hex(16)))
    return _DUMMY_HASH[0]


class User(BaseModel):
    ADMIN, CLERK, STAFF, MANAGER, PM, GM, AUDITOR = access.ORDER
    ROLES = access.ROLES
    username = CharField(max_length=40, unique=True, verbose_name="登录名")
    full_name = CharField(max_length=50, verbose_name="姓名")
    department = ForeignKeyField(Department, backref="users", null=True, on_delete="SET NULL",
                                 verbose_name="部门")
    roles = CharField(max_length=100, default=CLERK, verbose_name="角色")
    password_hash = CharField(max_length=255, default="", verbose_name="密码摘要")
    phone = PhoneField(verbose_name="电话")
    email = CharField(max_length=120, null=True, verbose_name="电子邮件")
    is_active = BooleanField(default=True, verbose_name="启用")
    last_login_at = DateTimeField(null=True, verbose_name="最近登录")
    # A session carries the epoch it began in; logout, a new password or disabling bumps it,
    # and every session of the older epoch (a copied cookie too) stops working.
    session_epoch = IntegerField(default=0, verbose_name="会话代数")
    created_by = ForeignKeyField("self", null=True, backref="+", on_delete="SET NULL",
                                 verbose_name="创建人")

    class Meta:
        verbose_name = "员工"

    def __str__(self):
        return self.full_name or self.username or "员工"

    # Flask-Login protocol
    @property
    def is_authenticated(self):
        return True

    @property
    def is_anonymous(self):
        return False

    def get_id(self):
        return str(self.id)

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @classmethod
    def authenticate(cls, username, password):
        """The active user `username` if `password` is theirs, else None; one hash check either
        way, so an unknown name costs as long as a wrong password (no name guessing by time)."""
        user = cls.get_or_none(cls.username == username)
        stored = user.password_hash if user is not None and user.password_hash else None
        matches = check_password_hash(stored or _dummy_password_hash(), password)
        return user if stored and matches and user.is_active else None

    def change_account(self, new_password=None):
        """An administrator's edit of this login: a new password, or the login disabled, ends
        every session it has open (the save writes the next session generation)."""
        if new_password:
            self.set_password(new_password)
        if self.id is not None and (new_password or not self.is_active):
            stored = User.select(User.session_epoch).where(User.id == self.id).scalar()
            self.session_epoch = (stored or 0) + 1

    def end_sessions(self):
        """End every session of this user, on every browser (call inside the change's transaction)."""
        User.update(session_epoch=User.session_epoch + 1).where(User.id == self.id).execute()
        self.session_epoch = User.select(User.session_epoch).where(User.id == self.id).scalar()

    @property
    def role_set(self):
        return {r.strip() for r in (self.roles or "").split(",") if r.strip()}

    def has_role(self, *roles):
        return bool(self.role_set & set(roles))

    @classmethod
    def first_with_role(cls, role):
        """The first active user holding `role` (the project manager, the general manager)."""
        for user in cls.select().where(cls.is_active == True).order_by(cls.id):  # noqa: E712
            if user.has_role(role):
                return user
        return None

    def clean_extra(self):
        unknown = self.role_set - dict(self.ROLES).keys()
        if not self.role_set:
            return {"roles": "至少选择一个角色"}
        if unknown:
            return {"roles": "未知角色：%s" % "、".join(sorted(unknown))}
        return {}


# What each state change is called in messages and the audit log.
ACTION_LABELS = {
    "dispatch": "派单", "accept": "接单", "complete": "完工", "callback": "回访", "refuse": "不予受理",
    "approve": "批准", "decline": "不予批准", "hand_back": "交回申请人", "send": "发出",
    "acknowledge": "签收", "reply": "回复", "close": "关闭", "hand_to_finance": "交财务",
    "void": "作废", "return_item": "归还", "refund": "退押金", "hold": "挂起", "release": "解除挂起",
    "reopen": "重新派单", "transfer": "转办", "handled": "答复", "start": "启动处理",
    "resolve": "办结", "escalate": "升级", "reroute": "改派", "refuse_scope": "不予受理",
    "publish": "报送", "resolve_alert": "解除提醒", "submit": "报批", "return_plan": "退回修改",
    "train": "记录培训", "begin": "开始实施", "file": "资料归档", "distribute": "发放问卷",
    "copy_template": "导入模板题目", "verify": "验证", "confirm": "确认收到",
    "publish_notice": "发布通知", "notice_done": "全部确认", "complete_item": "落实",
    "cancel_item": "取消", "answer": "答复咨询人", "correct": "更正类别/性质", "issue": "仓库发放",
    "take_over": "接班签字", "finance": "交财务", "return_questionnaire": "回收答卷",
    "paper_copies": "登记现场发放份数", "complete_action": "整改完成", "reject_verification": "验证不通过",
    "register": "登记为投诉",
}


# What the audit log calls the other things it records (ACTION_LABELS: the state changes).
AUDIT_ACTIONS = {
    "create": "新建", "update": "修改", "archive": "归档", "scope_ok": "受理范围核对通过",
    "escalate_reason": "升级原因", "login": "登录", "login_failed": "登录失败",
    "login_throttled": "登录受限", "logout": "退出", "export": "导出", "import": "导入",
    "generate": "生成报告", "setting": "修改系统参数", "backup": "数据库备份",
    "unmask": "查看完整个人信息", "attendance": "登记参会客户", "job": "定时任务",
    "calendar_confirm": "确认全年工作日历", "calendar_moved": "工作日历调整期限",
}


# What the audit log and the admin's alerts call each scheduled job (jobs.SCHEDULE).
JOB_LABELS = {
    "flag_unaccepted_repairs": "维修单接单超时检查", "flag_repairs_without_callback": "维修回访超时检查",
    "flag_requests_not_handed_back": "服务申请交回超时检查",
    "flag_letters_not_forwarded": "联系函转发超时检查",
    "flag_charges_not_handed_to_finance": "收费交财务超时检查",
    "flag_handovers_not_at_finance": "交接班款项交财务检查",
    "flag_loans_out_too_long": "借用超时检查", "flag_major_complaints_not_reported": "重大投诉报告检查",
    "flag_major_complaints_not_started": "重大投诉启动检查",
    "flag_repairs_not_completed": "维修完工超时检查", "flag_enquirers_not_answered": "咨询答复超时检查",
    "flag_important_complaints_not_started": "重要投诉启动检查",
    "flag_general_complaints_not_resolved": "一般投诉办结检查",
    "flag_complaint_callbacks_missed": "投诉回访超时检查", "flag_survey_plans_not_approved": "调查方案报批检查",
    "flag_survey_plans_missing": "调查方案缺失检查",
    "flag_survey_staff_not_trained": "调查人员培训检查", "flag_surveys_not_filed": "调查资料归档检查",
    "flag_notices_not_confirmed": "重要通知确认检查", "flag_missing_follow_ups": "投诉每日跟踪检查",
    "flag_overdue_action_items": "议定事项逾期检查", "flag_overdue_corrective_actions": "纠正措施逾期检查",
    "escalate_repeated_misses": "逾期提醒逐级上报", "resolve_done_alerts": "已办结提醒自动解除",
    "refresh_last_contacts": "客户最近沟通刷新", "flag_contact_cadence": "客户沟通频次检查",
    "segment_customers": "客户分群", "mail_alerts": "提醒邮件发送",
    "generate_monthly_complaint_report": "月度投诉分析报告", "refresh_statistics": "数据库统计信息更新",
    "check_audit_log": "操作日志完整性校验", "prune_bookkeeping": "过期记账数据清理",
    "flag_complaints_not_registered": "投诉转告登记检查",
    "run_due_jobs": "每分钟定时任务",
}


def job_label(name):
    return JOB_LABELS.get(name, name)


def action_label(action):
    """The Chinese name of an audit row's action code ("其他操作" for a code no longer written)."""
    return AUDIT_ACTIONS.get(action) or ACTION_LABELS.get(action) or "其他操作"


# The audit log's writer, installed by audit.py when it is imported (every entry point imports
# it): a register's own state change writes its audit row in the change's transaction, while
# the models import nothing above them (tests/test_layers.py). Unset, a change refuses to go
# unaudited.
JOURNAL = {}


def journal(action, record, **kw):
    """Write `record`'s audit row for `action` (audit.audit's arguments)."""
    if "audit" not in JOURNAL:
        raise RuntimeError("audit.py is not imported: the change would go unaudited")
    return JOURNAL["audit"](action, record, **kw)


def snapshot_of(record):
    """The record's stored values as the audit row keeps them (audit.snapshot)."""
    if "snapshot" not in JOURNAL:
        raise RuntimeError("audit.py is not imported: the change would go unaudited")
    return JOURNAL["snapshot"](record)


class Register(BaseModel):
    """Base of every business register: who created it, and archiving instead of deleting."""
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                 verbose_name="创建人")
    archived_at = DateTimeField(null=True, verbose_name="归档时间")
    archive_reason = TextField(null=True, verbose_name="归档原因")
    # Bumped by every change through the console: an edit form made from an older version is
    # refused instead of overwriting (optimistic locking). Nullable: added without rebuilds.
    version = IntegerField(null=True, default=1, verbose_name="版本")

    number_prefix = None
    # Clock kind -> the column that shows its current deadline, e.g. {"accept": "accept_deadline"}.
    deadline_columns = {}

    def claim(self, seen=None):
        """Take the row for one change in the running transaction: refused (StaleRecord) unless
        it still has version `seen` (default: the version this copy was read at). Bumps the
        version once; the change's own writes then leave it (`next_version`). On PostgreSQL
        the UPDATE also locks the row, so a second writer waits and then finds the new version."""
        model = type(self)
        seen = (self.version or 0) if seen is None else int(seen)
        if model.update(version=seen + 1).where(
                (model.id == self.id) & (fn.COALESCE(model.version, 0) == seen)).execute() != 1:
            raise StaleRecord(self, seen)
        self.version = seen + 1
        self._claimed = seen + 1

    def next_version(self):
        """The version column's value for a write of this row: unchanged inside a claim (the
        claim counted the change), else one more."""
        model = type(self)
        if getattr(self, "_claimed", None) is not None and self._claimed == self.version:
            return model.version
        return fn.COALESCE(model.version, 0) + 1

    WORKFLOW = None  # the register's declared workflow (workflow.py), if it has states

    def transition(self, action, by, now, /, **changes):
        """Take the transition `action` declared in the register's workflow (workflow.py):
        change state only if the row is still in one of its from-states, so that of two clerks
        pressing the same button exactly one wins. Audited; call inside a transaction."""
        model = type(self)
        declared = model.WORKFLOW.transition(action)
        assert "status" not in changes, "%s.%s: its states are declared in workflow.py" % (
            model.__name__, action)
        allowed_from = declared.source
        if declared.target is not None:
            changes["status"] = declared.target
        action = declared.audit_as
        before = snapshot_of(self)
        claimed = getattr(self, "_claimed", None) is not None and self._claimed == self.version
        changes["updated_at"] = now
        changes["version"] = self.next_version()
        updated = (model.update(**changes)
                   .where((model.id == self.id) & model.status.in_(allowed_from)
                          & model.archived_at.is_null()).execute())
        if updated != 1:
            current = model.get_by_id(self.id)
            if current.archived_at:
                raise DomainError("%s已归档，不能再办理" % current)
            raise DomainError("%s当前状态为“%s”，不能%s" % (
                current, current.choice_label("status"), ACTION_LABELS.get(action, action)))
        for name, value in changes.items():
            if name != "version":
                setattr(self, name, value)
        if not claimed:
            self.version = (self.version or 0) + 1
        journal(action, self, before=before, now=now, user=by)

    def start_clock(self, kind, rule_code, start, now, due=None, note=None):
        """Stamp a deadline from rule `rule_code` started at `start` (values frozen on the row).

        `due` replaces the rule's own arithmetic where the rule counts differently (a countdown
        to a survey's start, the complainant's own date); `note` says why."""
        rule = SlaRule.get_or_none(SlaRule.code == rule_code)
        if rule is None:
            raise DomainError("缺少时限规则 %s，请管理员在“时限规则”中恢复" % rule_code)
        if not rule.is_active or rule.archived_at:
            return None  # the admin switched this time limit off
        limit = rule.limit()
        calendar = CalendarDay.work_calendar()
        due = due or sla.deadline(start, limit, calendar)
        Deadline.update(status=Deadline.CANCELLED, updated_at=now).where(
            (Deadline.record_type == type(self).__name__) & (Deadline.record_id == self.id)
            & (Deadline.kind == kind) & (Deadline.status == Deadline.RUNNING)).execute()
        Deadline.create(record_type=type(self).__name__, record_id=self.id, kind=kind, rule=rule,
                        rule_code=rule.code, limit_amount=limit.amount, limit_unit=limit.unit,
                        limit_clock=limit.clock,
                        explanation=(limit.describe() + ("；" + note if note else ""))[:200],
                        started_at=start, original_due_at=due, due_at=due,
                        warn_at=sla.due_soon_at(start, due, rule.warn_percent),
                        **Deadline(due_at=due).escalation_columns(limit, calendar),
                        created_at=now, updated_at=now)
        self._show_deadline(kind, due, now)
        return due

    def stop_clock(self, kind, now):
        """Mark the running clock of `kind` as met at `now`."""
        Deadline.update(status=Deadline.MET, met_at=now, updated_at=now).where(
            (Deadline.record_type == type(self).__name__) & (Deadline.record_id == self.id)
            & (Deadline.kind == kind) & (Deadline.status == Deadline.RUNNING)).execute()

    def _show_deadline(self, kind, due, now):
        column = self.deadline_columns.get(kind)
        if column:
            type(self).update({column: due, "updated_at": now}).where(
                type(self).id == self.id).execute()
            setattr(self, column, due)

    def deadlines(self):
        return list(Deadline.select().where((Deadline.record_type == type(self).__name__)
                                            & (Deadline.record_id == self.id))
                    .order_by(Deadline.started_at, Deadline.id))

    def holds(self):
        return list(Hold.select().where((Hold.record_type == type(self).__name__)
                                        & (Hold.record_id == self.id)).order_by(Hold.started_at))

    def hold(self, by, now, reason):
        """Put the record on hold (挂起): its clocks stop until release()."""
        if not (reason or "").strip():
            raise ValidationError({"reason": "请填写挂起原因"})
        before = snapshot_of(self)
        model = type(self)
        if model.update(on_hold_since=now, updated_at=now, version=self.next_version()).where(
                (model.id == self.id) & model.on_hold_since.is_null()
                & model.status.in_(self.holdable_states)).execute() != 1:
            raise DomainError("%s已挂起或当前状态不能挂起" % self)
        self.on_hold_since = now
        Hold.create(record_type=model.__name__, record_id=self.id, reason=reason.strip(),
                    started_at=now, created_by=by, created_at=now, updated_at=now)
        journal("hold", self, before=before, now=now, user=by, extra={"reason": reason.strip()})

    def release(self, by, now):
        """End the hold: every running deadline moves out by the time spent on hold."""
        before = snapshot_of(self)
        model = type(self)
        since = self.on_hold_since
        if since is None or model.update(on_hold_since=None, updated_at=now,
                                         version=self.next_version()).where(
                (model.id == self.id) & (model.on_hold_since == since)).execute() != 1:
            raise DomainError("%s未挂起" % self)
        self.on_hold_since = None
        Hold.update(ended_at=now, ended_by=by, updated_at=now).where(
            (Hold.record_type == model.__name__) & (Hold.record_id == self.id)
            & Hold.ended_at.is_null()).execute()
        calendar = CalendarDay.work_calendar()
        for clock_row in Deadline.select().where(
                (Deadline.record_type == model.__name__) & (Deadline.record_id == self.id)
                & (Deadline.status == Deadline.RUNNING)):
            # A clock started during the hold is only credited from its own start.
            held_from = max(since, clock_row.started_at)
            due = sla.extend_for_hold(clock_row.due_at, held_from, now, clock_row.limit(), calendar)
            Deadline.update(due_at=due, warn_at=clock_row.warn_at + (due - clock_row.due_at),
                            **Deadline(due_at=due).escalation_columns(clock_row.limit(), calendar),
                            held_seconds=Deadline.held_seconds
                            + max(int((now - held_from).total_seconds()), 0), updated_at=now).where(
                Deadline.id == clock_row.id).execute()
            self._show_deadline(clock_row.kind, due, now)
        journal("release", self, before=before, now=now, user=by)

    holdable_states = ()

    def assign_number(self, now):
        """Give a new paper-form record its document number."""
        if self.number_prefix and not self.number:
            self.number = next_number(self.number_prefix, now)

    def archive(self, by, now, reason, seen=None):
        """Archive (作废/归档) this record instead of deleting it: only if it still has version
        `seen` (default: the one this copy was read at), writing the archive's columns only,
        so a step taken meanwhile is never undone. Call inside a transaction."""
        if self.archived_at:
            raise DomainError("该记录已归档")
        if not (reason or "").strip():
            raise ValidationError({"archive_reason": "请填写归档原因"})
        model = type(self)
        self.claim(seen)
        changes = {"archived_at": now, "archive_reason": reason.strip(), "updated_at": now}
        if model.update(**changes).where((model.id == self.id)
                                         & model.archived_at.is_null()).execute() != 1:
            raise DomainError("该记录已归档")
        for name, value in changes.items():
            setattr(self, name, value)


def number_field():
    return CharField(max_length=20, unique=True, null=True, verbose_name="编号")


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
    def cadence_days(cls):
        """{kind: days allowed between contacts}, from the admin-tunable COM_* rules."""
        amounts = {r.code: r.amount for r in SlaRule.select().where(
            SlaRule.code.startswith("COM_") & (SlaRule.is_active == True)  # noqa: E712
            & SlaRule.archived_at.is_null())}
        return {kind: amounts[code] for kind, (code, _) in cls.CADENCE.items() if code in amounts}

    @classmethod
    def cadence_reference(cls):
        """SQL: what a customer's cadence counts from (as contact_due does)."""
        return fn.COALESCE(cls.cadence_contact_at, cls.created_at)

    @classmethod
    def cadence_due_before(cls, kind, days, moment):
        """SQL: active customers of `kind` whose next contact (contact_due) falls before `moment`."""
        return ((cls.kind == kind) & (cls.status == cls.ACTIVE) & cls.archived_at.is_null()
                & (cls.cadence_reference() < sla.cadence_boundary(moment, days)))

    def contact_due(self, days=None):
        """When the next contact is due, counted from the responsible department's last own
        communication (never: from the customer's registration); None without a cadence."""
        days = (days if days is not None else self.cadence_days()).get(self.kind)
        reference = self.cadence_contact_at or self.created_at
        if days is None or reference is None:
            return None
        return sla.cadence_due(reference, days)

    @classmethod
    def refresh_cadence_contacts(cls, now):
        """Recompute each customer's cadence contact from the registers: meetings held by the
        responsible department (committee meetings: the general manager's), calls, letters and
        visits its staff recorded, its notices confirmed. Writes only the rows that differ."""
        sqlite = isinstance(cls._meta.database.obj, SqliteDatabase)
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
            differs = NodeList((cls.cadence_contact_at,
                                SQL("IS NOT" if sqlite else "IS DISTINCT FROM"), latest))
            written += cls.update(cadence_contact_at=latest).where(
                (cls.kind == kind) & differs).execute()
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
                   (("status", "answer_deadline"), False))

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
                   # Covers the dashboard's open / overdue counts per department (index only).
                   (("status", "archived_at", "department", "on_hold_since", "accept_deadline",
                     "callback_deadline"), False))

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
                                status=WorkLetter.SENT, sent_at=now, created_by=by,
                                created_at=now, updated_at=now)
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


# ---------------------------------------------------------------- paid services and loans

PAYMENT_METHODS = (("cash", "现金"), ("wechat", "微信"), ("alipay", "支付宝"),
                   ("card", "银行卡"), ("transfer", "转账"))


class FeeItem(Register):
    UNITS = (("time", "次"), ("hour", "小时"), ("day", "天"), ("piece", "件"), ("sqm", "平方米"))

    code = CharField(max_length=20, unique=True, verbose_name="收费代码")
    name = CharField(max_length=100, verbose_name="服务项目")
    unit = ChoiceField(UNITS, default="time", verbose_name="计价单位")
    price = MoneyField(verbose_name="单价（元）")
    effective_from = DateField(null=True, verbose_name="执行日期")
    is_active = BooleanField(default=True, verbose_name="有效")
    notes = TextField(null=True, verbose_name="说明")

    class Meta:
        verbose_name = "收费标准"

    def __str__(self):
        return f"{self.name}（{self.price}元/{self.choice_label('unit')}）" if self.name else "收费项目"


DIGITS_UPPER = "零壹贰叁肆伍陆柒捌玖"


def amount_in_words(amount):
    """An amount in yuan in Chinese capital numerals, as receipts write it (壹佰贰拾元整)."""
    amount = Decimal(str(amount or 0)).quantize(Decimal("0.01"))
    if amount < 0:
        return "负" + amount_in_words(-amount)
    fen_total = int(amount * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10

    def group(n):  # 0..9999 -> words, with 零 for inner gaps
        out, zero = "", False
        for unit, div in (("仟", 1000), ("佰", 100), ("拾", 10), ("", 1)):
            d = n // div % 10
            if d:
                if zero and out:
                    out += "零"
                out, zero = out + DIGITS_UPPER[d] + unit, False
            else:
                zero = True
        return out

    words, pending_zero = "", False
    for unit, div in (("亿", 10 ** 8), ("万", 10 ** 4), ("", 1)):
        part = yuan // div % 10000 if div != 10 ** 8 else yuan // div
        if part:
            if words and (pending_zero or part < 1000):
                words += "零"
            words += group(part) + unit
            pending_zero = False
        elif words:
            pending_zero = True
    text = (words + "元") if words else ""
    if not jiao and not fen:
        return (text or "零元") + "整"
    if jiao:
        text += DIGITS_UPPER[jiao] + "角"
    elif text:
        text += "零"
    if fen:
        text += DIGITS_UPPER[fen] + "分"
    else:
        text += "整"
    return text


class PrintedAmounts:
    """How a printed slip writes a register's amounts: to the fen, and in capitals."""

    def money(self, name):
        value = getattr(self, name)
        return "" if value is None else str(Decimal(str(value)).quantize(Decimal("0.01")))

    def in_words(self, name):
        return amount_in_words(getattr(self, name))


class ShiftHandover(PrintedAmounts, Register):
    """交接班对账 (R-PAY-2): one shift's money, counted, signed by both clerks, given to finance."""
    WORKFLOW = workflow.SHIFT_HANDOVER
    SIGNING, SIGNED, FINANCE = WORKFLOW.values
    STATUSES = WORKFLOW.choices

    number_prefix = "JB"
    number = number_field()
    handed_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT", verbose_name="交班人")
    taken_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT", verbose_name="接班人")
    period_from = DateTimeField(verbose_name="当班开始")
    period_to = DateTimeField(verbose_name="当班结束")
    charge_count = IntegerField(default=0, verbose_name="收费笔数")
    totals = TextField(null=True, verbose_name="按支付方式汇总")  # as the sheet reads, frozen
    system_total = MoneyField(default=Decimal("0"), verbose_name="系统收费合计（元）")
    system_cash = MoneyField(default=Decimal("0"), verbose_name="系统现金收费（元）")
    cash_counted = MoneyField(default=Decimal("0"), verbose_name="清点现金（元）")
    difference = DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"),
                              auto_round=True, verbose_name="差额（元）")
    difference_reason = TextField(null=True, verbose_name="差额原因")
    deposits_taken = MoneyField(default=Decimal("0"), verbose_name="本班收取押金（元）")
    deposits_refunded = MoneyField(default=Decimal("0"), verbose_name="本班退还押金（元）")
    loan_fees = MoneyField(default=Decimal("0"), verbose_name="押金转超时费（元）")
    handed_signed_at = DateTimeField(null=True, verbose_name="交班人签字时间")
    taken_signed_at = DateTimeField(null=True, verbose_name="接班人签字时间")
    finance_receiver = CharField(max_length=50, null=True, verbose_name="财务接收人")
    finance_amount = MoneyField(null=True, verbose_name="财务实收（元）")
    finance_received_at = DateTimeField(null=True, verbose_name="交财务时间")
    finance_deadline = DateTimeField(null=True, verbose_name="交财务时限")
    status = ChoiceField(STATUSES, default=SIGNING, verbose_name="状态")

    date_ranges = (("period_from", "period_to"),)
    deadline_columns = {"finance": "finance_deadline"}

    class Meta:
        verbose_name = "交接班记录"
        indexes = ((("status", "finance_deadline"), False),)

    def __str__(self):
        return self.number or "交接班"

    def method_totals(self):
        """[(method label, count, amount)] of the shift's charges for every payment method."""
        sums = {code: (count, amount) for code, count, amount in Charge.select(
            Charge.payment_method, fn.COUNT(Charge.id), fn.SUM(Charge.amount)).where(
            Charge.handover == self.id).group_by(Charge.payment_method).tuples()}
        return [(label, sums.get(code, (0, 0))[0],
                 Decimal(str(sums.get(code, (0, 0))[1] or 0)).quantize(Decimal("0.01")))
                for code, label in PAYMENT_METHODS]

    @staticmethod
    def describe_totals(totals):
        """The per-method sums as one line a person reads (现金 2 笔 600.00 元；…)."""
        return "；".join("%s %d 笔 %s 元" % (label, totals[code][0], totals[code][1])
                        for code, label in PAYMENT_METHODS if totals[code][0]) or "无收费"

    @classmethod
    def shift_figures(cls, clerk_id, period_from, period_to, charge_ids=None):
        """What the system says the clerk took in the shift: charges not yet in a handover
        (up to the shift's end; an older one still in the drawer comes along), and the deposits
        the clerk took and refunded in the shift."""
        # A shift typed to the minute ("to 17:30") includes what was taken during 17:30.
        until = period_to.replace(second=59, microsecond=999999) if not period_to.second \
            and not period_to.microsecond else period_to
        charges = list(Charge.select().where(
            (Charge.charged_by == clerk_id) & (Charge.status == Charge.RECORDED)
            & Charge.handover.is_null() & Charge.archived_at.is_null()
            & (Charge.charged_at <= until)).order_by(Charge.charged_at, Charge.id))
        if charge_ids is not None:  # exactly the charges the clerk saw and counted
            charges = [c for c in charges if c.id in set(charge_ids)]
        totals = {code: [0, Decimal("0.00")] for code, _ in PAYMENT_METHODS}
        for charge in charges:
            totals[charge.payment_method][0] += 1
            totals[charge.payment_method][1] += charge.amount
        in_shift = lambda column: (column >= period_from) & (column <= until)  # noqa: E731
        taken = (ItemLoan.select(fn.COALESCE(fn.SUM(ItemLoan.deposit), 0))
                 .where((ItemLoan.lent_by == clerk_id) & in_shift(ItemLoan.created_at)
                        & (ItemLoan.status != ItemLoan.CANCELLED)).scalar())
        refunded = ItemLoan.select(fn.COALESCE(fn.SUM(ItemLoan.refund), 0),
                                   fn.COALESCE(fn.SUM(ItemLoan.deposit - ItemLoan.refund), 0)).where(
            (ItemLoan.refunded_by == clerk_id) & in_shift(ItemLoan.refunded_at)).tuples().first()
        money = lambda v: Decimal(str(v or 0)).quantize(Decimal("0.01"))  # noqa: E731
        return {"charges": charges, "totals": totals, "deposits_taken": money(taken),
                "deposits_refunded": money(refunded[0]), "loan_fees": money(refunded[1])}

    @classmethod
    def hand_over(cls, by, taker, period_from, period_to, cash_counted, reason, now,
                  charge_ids=None):
        """The clerk going off shift hands over (R-PAY-2): the shift's charges are counted
        against the cash, the difference explained, and the record waits for the taker's
        signature; the charges join this handover (its audit row: flows.cash.hand_over)."""
        errors = {}
        if taker is None:
            errors["taken_by"] = "请选择接班人"
        elif taker.id == by.id:
            errors["taken_by"] = "接班人不能是交班人本人"
        if period_from is None or period_to is None:
            errors["period_to"] = "请填写当班起止时间"
        elif period_to < period_from:
            errors["period_to"] = "当班结束不能早于当班开始"
        elif period_to > now:
            errors["period_to"] = "当班结束不能晚于现在"
        counted = None
        try:
            counted = Decimal(str(cash_counted)).quantize(Decimal("0.01"))
            if not counted.is_finite() or counted < 0:
                errors["cash_counted"] = "清点现金不能为负数"
        except Exception:
            errors["cash_counted"] = "清点现金必须是数字"
        if errors:
            raise ValidationError(errors)
        with db.atomic():
            figures = cls.shift_figures(by.id, period_from, period_to, charge_ids)
            system_cash = figures["totals"]["cash"][1]
            difference = counted - system_cash
            reason = (reason or "").strip()
            if difference and not reason:
                raise ValidationError({"difference_reason": "清点现金与系统现金收费相差 %s 元，请填写差额原因"
                                       % difference})
            record = cls(handed_by=by, taken_by=taker, period_from=period_from,
                         period_to=period_to, charge_count=len(figures["charges"]),
                         totals=cls.describe_totals(figures["totals"]),
                         system_total=sum((c.amount for c in figures["charges"]), Decimal("0.00")),
                         system_cash=system_cash, cash_counted=counted, difference=difference,
                         difference_reason=reason or None,
                         deposits_taken=figures["deposits_taken"],
                         deposits_refunded=figures["deposits_refunded"],
                         loan_fees=figures["loan_fees"], handed_signed_at=now,
                         created_by=by, created_at=now, updated_at=now)
            record.assign_number(now)
            record.full_clean()
            record.save()
            ids = [c.id for c in figures["charges"]]
            if ids and Charge.update(handover=record, updated_at=now).where(
                    Charge.id.in_(ids) & Charge.handover.is_null()).execute() != len(ids):
                raise DomainError("有收费已被另一份交接班记录列入，请刷新后重新清点")
            # The shift's money reaches finance by the end of the shift's day.
            record.start_clock("finance", "PAY_HANDOVER", period_to, now,
                               due=sla.end_of_day(period_to))
        return record

    def take_over(self, by, now):
        """The clerk coming on shift signs that the handover is right (both signatures)."""
        if by.id != self.taken_by_id:
            raise DomainError("只有接班人%s本人可以签字" % self.taken_by.full_name)
        self.transition("take_over", by, now, taken_signed_at=now)

    def archive(self, by, now, reason, seen=None):
        """Withdraw a handover the taker has not signed (a wrong count): its charges wait for
        the next one. A signed handover is the shift's record and stays."""
        if self.status != self.SIGNING:
            raise DomainError("%s已由接班人签字，不能作废" % self)
        super().archive(by, now, reason, seen)
        Charge.update(handover=None, updated_at=now).where(Charge.handover == self.id).execute()
        Deadline.update(status=Deadline.CANCELLED, updated_at=now).where(
            (Deadline.record_type == "ShiftHandover") & (Deadline.record_id == self.id)
            & (Deadline.status == Deadline.RUNNING)).execute()

    def charges(self):
        return list(Charge.select().where(Charge.handover == self.id)
                    .order_by(Charge.charged_at, Charge.id))

    def hand_to_finance(self, by, now, receiver, amount):
        """交财务: finance's receiver takes the counted cash; every charge of the shift is
        handed over with it (R-PAY-1, 2). Refused when the amount is not the counted cash."""
        receiver = (receiver or "").strip()
        errors = {}
        if not receiver:
            errors["receiver"] = "请填写财务接收人"
        try:
            amount = Decimal(str(amount)).quantize(Decimal("0.01"))
            if amount != Decimal(str(self.cash_counted)).quantize(Decimal("0.01")):
                errors["amount"] = "财务实收%s元与交班清点现金%s元不符，请核对" % (
                    amount, self.cash_counted)
        except Exception:
            errors["amount"] = "请填写财务实收金额"
        if errors:
            raise ValidationError(errors)
        with db.atomic():
            self.transition("finance", by, now, finance_receiver=receiver, finance_amount=amount,
                            finance_received_at=now)
            for charge in self.charges():
                if charge.status == Charge.RECORDED:
                    charge.hand_to_finance(by, now)
            self.stop_clock("finance", now)



class Charge(Register):
    WORKFLOW = workflow.CHARGE
    RECORDED, HANDED_OVER, VOIDED = WORKFLOW.values
    STATUSES = WORKFLOW.choices

    number_prefix = "SF"
    number = number_field()
    customer = ForeignKeyField(Customer, null=True, backref="charges", on_delete="RESTRICT",
                               verbose_name="客户")
    payer_name = CharField(max_length=50, null=True, verbose_name="付款人")
    fee_item = ForeignKeyField(FeeItem, backref="charges", on_delete="RESTRICT",
                               verbose_name="收费项目")
    quantity = DecimalField(max_digits=10, decimal_places=2, default=Decimal("1"),
                            verbose_name="数量")
    unit_price = MoneyField(null=True, verbose_name="单价（元）")
    amount = MoneyField(null=True, verbose_name="金额（元）")
    payment_method = ChoiceField(PAYMENT_METHODS, default="cash", verbose_name="支付方式")
    charged_at = DateTimeField(default=clock.now, verbose_name="收费时间")
    charged_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                 verbose_name="收费人")
    handed_to_finance_at = DateTimeField(null=True, verbose_name="交财务时间")
    status = ChoiceField(STATUSES, default=RECORDED, verbose_name="状态")
    override_reason = TextField(null=True, verbose_name="改价原因")
    finance_deadline = DateTimeField(null=True, verbose_name="交财务时限")
    void_reason = TextField(null=True, verbose_name="作废原因")
    handover = ForeignKeyField(ShiftHandover, null=True, backref="+", on_delete="RESTRICT",
                               verbose_name="交接班记录")

    deadline_columns = {"finance": "finance_deadline"}

    class Meta:
        verbose_name = "有偿服务收费"
        indexes = ((("status", "charged_at"), False), (("status", "finance_deadline"), False),
                   (("status", "archived_at", "finance_deadline"), False))  # the dashboard's count

    def __str__(self):
        return f"{self.number or '收费'} {self.amount or ''}".strip()

    def price(self, override_amount=None, reason=None, may_override=False):
        """Take the price from the published list (R-PAY-1); a manager may override with a reason."""
        self.unit_price = self.fee_item.price
        self.quantity = Decimal(str(self.quantity)).quantize(Decimal("0.01"))
        if self.quantity <= 0:
            raise ValidationError({"quantity": "数量必须大于 0"})
        listed = (self.unit_price * self.quantity).quantize(Decimal("0.01"))
        if override_amount is None or Decimal(str(override_amount)) == listed:
            self.amount = listed
            return
        if not may_override:
            raise ValidationError({"override_amount": "只有经理可以改价"})
        if not (reason or "").strip():
            raise ValidationError({"override_reason": "改价必须填写原因"})
        self.amount = Decimal(str(override_amount)).quantize(Decimal("0.01"))
        self.override_reason = reason.strip()

    def start(self, by, now):
        """The cash goes to finance the same day: the clock runs out at the day's end (R-PAY-1)."""
        self.start_clock("finance", "PAY_FINANCE", sla.end_of_day(self.charged_at), now)

    def hand_to_finance(self, by, now):
        self.transition("hand_to_finance", by, now, handed_to_finance_at=now)
        self.stop_clock("finance", now)

    def check_editable(self):
        """A charge counted into a shift handover is the shift's: it no longer changes."""
        if self.handover_id:
            raise DomainError("%s已列入交接班记录%s，不能再修改" % (self, self.handover))

    def void(self, by, now, reason):
        if not (reason or "").strip():
            raise ValidationError({"reason": "请填写作废原因"})
        if self.handover_id:
            raise DomainError("%s已列入交接班记录，不能作废" % self)
        self.transition("void", by, now, void_reason=reason.strip())
        self.stop_clock("finance", now)

    def clean_extra(self):
        if self.quantity is not None and Decimal(str(self.quantity)).is_finite() \
                and Decimal(str(self.quantity)) <= 0:
            return {"quantity": "数量必须大于 0"}
        return {}


class LendableItem(Register):
    AVAILABLE, ON_LOAN, REPAIR, RETIRED = "available", "on_loan", "repair", "retired"
    STATUSES = ((AVAILABLE, "在库"), (ON_LOAN, "借出"), (REPAIR, "维修中"), (RETIRED, "已报废"))

    code = CharField(max_length=20, unique=True, verbose_name="物品编号")
    name = CharField(max_length=100, verbose_name="物品名称")
    category = CharField(max_length=50, null=True, verbose_name="类别")
    deposit = MoneyField(default=Decimal("0"), verbose_name="押金（元）")
    fee_item = ForeignKeyField(FeeItem, null=True, backref="+", on_delete="RESTRICT",
                               verbose_name="超时收费项目")
    location = CharField(max_length=100, null=True, verbose_name="存放位置")
    status = ChoiceField(STATUSES, default=AVAILABLE, verbose_name="状态")

    class Meta:
        verbose_name = "借用物品"

    def __str__(self):
        return f"{self.code} {self.name}" if self.code else (self.name or "物品")


class ItemLoan(PrintedAmounts, Register):
    # Registered at the desk (deposit taken, receipt and certificate printed), then the
    # warehouse keeper issues the item against the certificate (R-LOAN-1, 2).
    WORKFLOW = workflow.ITEM_LOAN
    ISSUING, OUT, RETURNED, REFUNDED, CANCELLED = WORKFLOW.values
    STATUSES = WORKFLOW.choices

    number_prefix = "JY"
    number = number_field()
    receipt_no = CharField(max_length=20, unique=True, null=True, verbose_name="押金收据号")
    item = ForeignKeyField(LendableItem, backref="loans", on_delete="RESTRICT",
                           verbose_name="借用物品")
    customer = ForeignKeyField(Customer, null=True, backref="loans", on_delete="RESTRICT",
                               verbose_name="客户")
    borrower_name = CharField(max_length=50, verbose_name="借用人")
    borrower_phone = PhoneField(index=True, verbose_name="借用人电话")
    lent_at = DateTimeField(default=clock.now, verbose_name="借出时间")
    due_back_at = DateTimeField(null=True, verbose_name="应还时间")
    returned_at = DateTimeField(null=True, verbose_name="归还时间")
    deposit = MoneyField(default=Decimal("0"), verbose_name="押金（元）")
    fee = MoneyField(default=Decimal("0"), verbose_name="超时费（元）")
    refund = MoneyField(null=True, verbose_name="退还押金（元）")
    refunded_at = DateTimeField(null=True, verbose_name="退押金时间")
    lent_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                              verbose_name="经办人")
    issued_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                verbose_name="发放人（仓库保管员）")
    returned_to = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                  verbose_name="收回人（仓库保管员）")
    refunded_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                  verbose_name="退押金经办人")
    fee_charge = ForeignKeyField(Charge, null=True, backref="+", on_delete="RESTRICT",
                                 verbose_name="超时费收费单")
    status = ChoiceField(STATUSES, default=ISSUING, verbose_name="状态")

    date_ranges = (("lent_at", "returned_at"), ("lent_at", "due_back_at"),
                   ("returned_at", "refunded_at"))
    deadline_columns = {"free": "due_back_at"}

    class Meta:
        verbose_name = "借用物品登记"
        indexes = ((("status", "due_back_at"), False),
                   (("status", "archived_at", "due_back_at"), False))  # the dashboard's count

    def __str__(self):
        return f"{self.number or '借用'} {self.borrower_name or ''}".strip()

    def assign_number(self, now):
        super().assign_number(now)
        if not self.receipt_no:
            self.receipt_no = next_number("YJ", now)

    def take_item(self, now):
        """Reserve the item for this loan: an item already out cannot be lent twice."""
        if LendableItem.update(status=LendableItem.ON_LOAN, updated_at=now).where(
                (LendableItem.id == self.item_id)
                & (LendableItem.status == LendableItem.AVAILABLE)).execute() != 1:
            raise ValidationError({"item": "%s已借出或不可借用" % self.item})
        self.deposit = self.item.deposit

    def start(self, by, now):
        """Borrowing is free for the item's free time (default 1 hour, R-LOAN-4), counted from
        the moment the item leaves the warehouse (or from registration for an issued loan)."""
        self.start_clock("free", "LOAN_FREE", self.lent_at, now)

    def check_numbers(self, receipt_no=None, certificate_no=None, receipt=True):
        """Refuse unless the papers shown are this loan's: the certificate (借用物品证明) and,
        for a refund, the deposit receipt (R-LOAN-2, 3)."""
        same = lambda a, b: (a or "").strip().upper() == (b or "").strip().upper()  # noqa: E731
        errors = {}
        if not same(certificate_no, self.number):
            errors["certificate_no"] = ("请填写《借用物品证明》编号" if not (certificate_no or "").strip()
                                        else "证明编号与本借用登记（%s）不符" % self.number)
        if receipt and not same(receipt_no, self.receipt_no):
            errors["receipt_no"] = ("请填写押金收据号" if not (receipt_no or "").strip()
                                    else "押金收据号与本借用登记不符")
        if errors:
            raise ValidationError(errors)

    def issue(self, by, now, certificate_no, issued_at=None):
        """The warehouse keeper issues the item against the certificate's number (R-LOAN-2):
        the free time runs from the issue (`issued_at`, when recorded after the fact; else now)."""
        self.check_numbers(certificate_no=certificate_no, receipt=False)
        issued_at = issued_at or now
        if issued_at > now:
            raise ValidationError({"issued_at": "发放时间不能晚于现在"})
        if self.lent_at and issued_at < self.lent_at:
            raise ValidationError({"issued_at": "发放时间不能早于借用登记的借出时间 %s"
                                   % self.lent_at.strftime("%Y-%m-%d %H:%M")})
        with db.atomic():
            self.transition("issue", by, now, lent_at=issued_at, issued_by=by)
            self.start(by, now)

    def fee_units(self, returned_at):
        """How many of the fee item's units the loan ran past its free time (0: none)."""
        free_until = self.due_back_at or self.lent_at
        over = returned_at - free_until
        fee_item = self.item.fee_item
        if over <= timedelta(0) or fee_item is None:
            return 0
        span = {"hour": 3600, "day": 86400}.get(fee_item.unit)
        return math.ceil(over.total_seconds() / span) if span else 1

    def fee_for(self, returned_at):
        """The fee for keeping the item past the stamped free period (R-LOAN-4): every started
        hour (or day) at the item's listed price, or the listed price once for a flat fee."""
        units = self.fee_units(returned_at)
        if not units:
            return Decimal("0.00")
        return (self.item.fee_item.price * units).quantize(Decimal("0.01"))

    def return_item(self, by, now):
        """The warehouse takes the item back and writes the time on the certificate (R-LOAN-2)."""
        with db.atomic():
            self.transition("return_item", by, now, returned_at=now, returned_to=by, fee=self.fee_for(now))
            LendableItem.update(status=LendableItem.AVAILABLE, updated_at=now).where(
                LendableItem.id == self.item_id).execute()
            self.stop_clock("free", now)

    def refund_deposit(self, by, now, receipt_no, certificate_no):
        """Refund the deposit less the fee, against this loan's receipt and certificate, one
        loan at a time (R-LOAN-3). A fee kept becomes a paid-service charge of the clerk's
        shift, handed to finance like any other (R-LOAN-4, R-PAY-1)."""
        self.check_numbers(receipt_no, certificate_no)
        with db.atomic():
            charge = None
            if Decimal(str(self.fee or 0)) > 0:
                charge = Charge(fee_item=self.item.fee_item, customer=self.customer_id,
                                payer_name=self.borrower_name,
                                quantity=Decimal(self.fee_units(self.returned_at)),
                                payment_method="cash", charged_at=now, charged_by=by,
                                created_by=by, created_at=now, updated_at=now)
                charge.price(self.fee, "借用物品%s超时费（从押金中扣除）" % self.number,
                             may_override=True)
                charge.assign_number(now)
                charge.full_clean()
                charge.save()
                charge.start(by, now)
            self.transition("refund", by, now, refund=self.refund_due, refunded_at=now, refunded_by=by,
                            fee_charge=charge)
        return charge

    @property
    def refund_due(self):
        """The deposit less the fee kept from it (R-LOAN-3)."""
        return max(Decimal(str(self.deposit or 0)) - Decimal(str(self.fee or 0)), Decimal("0.00"))

    @property
    def fee_owed(self):
        """What the borrower still owes when the fee exceeds the deposit."""
        return max(Decimal(str(self.fee or 0)) - Decimal(str(self.deposit or 0)), Decimal("0.00"))


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
            received_by=by, department=self.department_id, status=Contact.TRANSFERRED,
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
        Alert.update(status=Alert.RESOLVED, resolved_at=now, updated_at=now,
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
        return bool((self.told_complainant or "").strip())


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


# ---------------------------------------------------------------- surveys

class Survey(Register):
    CONSUMERS, TENANTS = "consumers", "tenants"
    TARGETS = ((CONSUMERS, "消费者"), (TENANTS, "商户"))
    WORKFLOW = workflow.SURVEY
    DRAFT, SUBMITTED, APPROVED, RUNNING, CLOSED, ARCHIVED = WORKFLOW.values
    STATUSES = WORKFLOW.choices
    # Which customers a survey of each target reaches.
    TARGET_KINDS = {CONSUMERS: ("consumer",), TENANTS: ("tenant", "anchor")}
    # Rating items scored below this average (of 5) each raise a corrective action (R-SUR-5).
    DEFAULT_THRESHOLD = Decimal("3.5")
    # A group (customer kind, area) with fewer answers than this is not shown on its own.
    MIN_GROUP = 3

    title = CharField(max_length=100, verbose_name="调查名称")
    target = ChoiceField(TARGETS, default="consumers", verbose_name="调查对象")
    purpose = TextField(null=True, verbose_name="调查目的")
    scope = TextField(null=True, verbose_name="调查范围")
    method = CharField(max_length=100, null=True, verbose_name="调查方式")
    start_date = DateField(verbose_name="开始日期")
    end_date = DateField(verbose_name="结束日期")
    staff = TextField(null=True, verbose_name="调查人员")
    sample_size = IntegerField(null=True, verbose_name="计划发放份数")
    paper_copies = IntegerField(null=True, default=0,  # nullable: added without a table rebuild
                                verbose_name="现场发放份数（未登记客户）")
    target_distribution_rate = DecimalField(max_digits=5, decimal_places=1,
                                            default=Decimal("100"), verbose_name="目标发放率（%）")
    target_return_rate = DecimalField(max_digits=5, decimal_places=1, default=Decimal("70"),
                                      verbose_name="目标回收率（%）")
    analysis_method = TextField(null=True, verbose_name="统计分析方法")
    submitted_at = DateTimeField(null=True, verbose_name="报批时间")
    approved_at = DateTimeField(null=True, verbose_name="批准时间")
    approved_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                  verbose_name="批准人")
    trained_at = DateTimeField(null=True, verbose_name="培训时间")
    training_note = TextField(null=True, verbose_name="培训记录")
    closed_at = DateTimeField(null=True, verbose_name="结束时间")
    filed_at = DateTimeField(null=True, verbose_name="资料归档时间")
    approve_deadline = DateTimeField(null=True, verbose_name="报批批准时限")
    training_deadline = DateTimeField(null=True, verbose_name="培训时限")
    filing_deadline = DateTimeField(null=True, verbose_name="资料归档时限")
    status = ChoiceField(STATUSES, default=DRAFT, verbose_name="状态")

    sample_size.min_value = 1
    paper_copies.min_value = 0
    date_ranges = (("start_date", "end_date"),)
    deadline_columns = {"approve": "approve_deadline", "train": "training_deadline",
                        "file": "filing_deadline"}
    PLAN_FIELDS = (("purpose", "调查目的"), ("scope", "调查范围"), ("method", "调查方式"),
                   ("staff", "调查人员"), ("sample_size", "计划发放份数"),
                   ("analysis_method", "统计分析方法"))

    class Meta:
        verbose_name = "满意度调查方案"
        indexes = ((("target", "start_date"), False),)

    def __str__(self):
        return self.title or "满意度调查"

    def clean_extra(self):
        errors = {}
        for name in ("target_distribution_rate", "target_return_rate"):
            value = getattr(self, name)
            if value is not None and not 0 <= Decimal(str(value)) <= 100:
                errors[name] = "比率须在 0 到 100 之间"
        return errors

    # ------------------------------------------------------------ the plan's clocks

    @staticmethod
    def _day_rule(code, default_days):
        """The rule `code` counted in whole days, in its own unit (working days on the calendar)."""
        rule = SlaRule.get_or_none(SlaRule.code == code)
        limit = rule.limit() if rule is not None else sla.Limit(code, default_days, sla.CALENDAR_DAYS)
        calendar = CalendarDay.work_calendar() if limit.unit == sla.WORKING_DAY_UNITS else None
        return sla.DayRule(limit, calendar)

    @classmethod
    def threshold(cls):
        """The average (of 5) under which an item needs a corrective action (系统参数)."""
        try:
            value = Decimal(Setting.read("survey_threshold", str(cls.DEFAULT_THRESHOLD)))
        except ArithmeticError:
            return cls.DEFAULT_THRESHOLD
        return value if value.is_finite() and 1 <= value <= 5 else cls.DEFAULT_THRESHOLD

    @classmethod
    def plan_lead(cls):
        """How long before its start a survey's plan must be submitted and approved (SUR_PLAN),
        as an sla.DayRule."""
        return cls._day_rule("SUR_PLAN", 20)

    @classmethod
    def latest_submission_for(cls, start_date, lead=None):
        """The last day a plan for a survey starting on `start_date` may be submitted and
        approved: 20 days before the start (R-SUR-1/2). `lead`: plan_lead(), read once."""
        return (lead or cls.plan_lead()).before(start_date)

    def latest_submission(self):
        """The last day the plan may be submitted: 20 days before the start (R-SUR-1)."""
        return self.latest_submission_for(self.start_date)

    @classmethod
    def required_periods(cls, years):
        """The surveys R-SUR-2 asks for in `years`, by start: consumers every May, tenants
        every quarter, as [(target, label, first day, last day)]."""
        periods = []
        for year in years:
            periods.append((cls.CONSUMERS, "%d年5月" % year, date(year, 5, 1), date(year, 5, 31)))
            for quarter in range(4):
                start = date(year, quarter * 3 + 1, 1)
                after = date(year + (quarter == 3), (quarter * 3 + 3) % 12 + 1, 1)
                periods.append((cls.TENANTS, "%d年第%d季度" % (year, quarter + 1), start,
                                after - timedelta(days=1)))
        return sorted(periods, key=lambda p: p[2])

    @classmethod
    def approved_plan_in(cls, target, start, end):
        """Is an approved (or later) plan of `target` starting within [start, end] on file?"""
        return cls.select(cls.id).where(
            (cls.target == target) & cls.start_date.between(start, end)
            & cls.approved_at.is_null(False) & cls.archived_at.is_null()).exists()

    def latest_training(self):
        """The last day staff may be trained: 2 days before the start (R-SUR-4)."""
        return self._day_rule("SUR_TRAINING", 2).before(self.start_date)

    def latest_filing(self):
        """The last day the records may be filed: 5 days after the end (R-SUR-6)."""
        return self._day_rule("SUR_ARCHIVE", 5).after(self.end_date)

    def plan_clocks(self, now):
        """(Re)stamp the plan's countdown clocks from its dates; call when they change."""
        end_of = lambda day: datetime.combine(day, time(23, 59, 59))  # noqa: E731
        if not self.approved_at:
            self.start_clock("approve", "SUR_PLAN", now, end_of(self.latest_submission()), now,
                             note="调查开始前报批并经总经理批准")
        if not self.trained_at:
            self.start_clock("train", "SUR_TRAINING", now, end_of(self.latest_training()), now,
                             note="调查开始前完成人员培训")
        if not self.filed_at:
            self.start_clock("file", "SUR_ARCHIVE", now, end_of(self.latest_filing()), now,
                             note="调查结束后资料归档")

    def start_clock(self, kind, rule_code, start, due, now, note=None):
        return super().start_clock(kind, rule_code, min(start, due), now, due=due, note=note)

    # ------------------------------------------------------------ workflow

    def submit(self, by, now):
        """报批: the complete plan goes to the general manager, at least 20 days ahead."""
        missing = {name: "报批前请填写%s" % label for name, label in self.PLAN_FIELDS
                   if getattr(self, name) in (None, "")}
        if missing:
            raise ValidationError(missing)
        if not self.questions.where(SurveyQuestion.archived_at.is_null()).exists():
            raise DomainError("报批前请先编制问卷题目")
        if now.date() > self.latest_submission():
            raise DomainError("调查方案须在开始日期前 %d 天报批（最迟 %s），请调整开始日期" % (
                (self.start_date - self.latest_submission()).days, self.latest_submission()))
        self.transition("submit", by, now, submitted_at=now)

    def approve(self, by, now):
        """批准: only the general manager approves a survey plan (R-SUR-1)."""
        if not by.has_role(*access.step_roles("Survey", "approve")):
            raise DomainError("调查方案须由总经理批准")
        self.transition("approve", by, now, approved_at=now, approved_by=by)
        self.stop_clock("approve", now)

    def return_plan(self, by, now, reason):
        """退回修改: the plan goes back to its author with the reason."""
        self.transition("return_plan", by, now, submitted_at=None)
        Alert.raise_for(self, "reminder", now, "调查方案退回修改：%s（%s）" % (self, reason[:80]),
                        assignee=self.created_by)

    def record_training(self, by, now, trained_at, note):
        """培训: the survey staff were trained (R-SUR-4); a training after the start is refused."""
        if trained_at > now:
            raise ValidationError({"trained_at": "培训时间不能晚于现在"})
        if trained_at.date() >= self.start_date:
            raise ValidationError({"trained_at": "培训须在调查开始前完成"})
        self.transition("train", by, now, trained_at=trained_at, training_note=note)
        self.stop_clock("train", trained_at)

    def begin(self, by, now):
        """开始实施: approved, staff trained, and the start date reached."""
        if not self.trained_at:
            raise DomainError("调查人员尚未培训，不能开始实施")
        if now.date() < self.start_date:
            raise DomainError("调查开始日期为 %s，尚未到期" % self.start_date)
        self.transition("begin", by, now)

    def copy_template(self, by, now, template):
        """Add the questions of a reusable template (SurveyQuestion rows without a survey)."""
        if self.status not in self.WORKFLOW.source("copy_template"):
            raise DomainError("只有草拟中的方案可以导入题目")
        rows = list(SurveyQuestion.select().where(
            SurveyQuestion.survey.is_null() & (SurveyQuestion.template == template)
            & SurveyQuestion.archived_at.is_null()).order_by(SurveyQuestion.seq))
        if not rows:
            raise ValidationError({"template": "模板“%s”没有题目" % template})
        first = (self.questions.select(fn.MAX(SurveyQuestion.seq)).scalar() or 0) + 1
        for offset, row in enumerate(rows):
            SurveyQuestion.create(survey=self, seq=first + offset, text=row.text, kind=row.kind,
                                  department=row.department, created_by=by, created_at=now,
                                  updated_at=now)
        return len(rows)

    def distribute(self, by, now, customers):
        """发放: record one questionnaire per customer (each with its own one-time link)."""
        if self.status not in self.WORKFLOW.source("distribute"):
            raise DomainError("方案批准后方可发放问卷")
        already = {c for (c,) in SurveyDistribution.select(SurveyDistribution.customer)
                   .where(SurveyDistribution.survey == self.id).tuples()}
        rows = [dict(survey=self.id, customer=c.id, token=secrets.token_urlsafe(16),
                     distributed_at=now, distributed_by=by.id, created_at=now, updated_at=now)
                for c in customers if c.id not in already]
        for start in range(0, len(rows), 500):
            SurveyDistribution.insert_many(rows[start:start + 500]).execute()
        return len(rows)

    def record_response(self, by, now, answers, distribution=None, respondent_kind=None,
                        area=None):
        """Enter one returned questionnaire: answers {question id: rating 1-5 or text}.

        A distributed questionnaire is answered once: the first to use its link or its code
        wins, the second is refused."""
        if self.status != self.RUNNING:
            raise DomainError("调查“%s”当前状态为“%s”，不能回收问卷" % (self, self.choice_label("status")))
        questions = {q.id: q for q in self.questions.where(SurveyQuestion.archived_at.is_null())}
        errors, cleaned = {}, {}
        for qid, value in answers.items():
            question = questions.get(int(qid))
            text = ("" if value is None else str(value)).strip()
            if question is None or not text:
                continue
            if question.kind == SurveyQuestion.RATING:
                if text not in ("1", "2", "3", "4", "5"):
                    errors["q%d" % question.id] = "评分须为 1 到 5 的整数"
                    continue
                cleaned[question.id] = (int(text), None)
            else:
                cleaned[question.id] = (None, text[:2000])
        if errors:
            raise ValidationError(errors)
        if not any(rating for rating, _ in cleaned.values()):
            raise ValidationError({"answers": "请至少填写一项评分"})
        if distribution is not None:
            if distribution.survey_id != self.id:
                raise DomainError("问卷编码不属于本次调查")
            if SurveyDistribution.update(responded_at=now, updated_at=now).where(
                    (SurveyDistribution.id == distribution.id)
                    & SurveyDistribution.responded_at.is_null()).execute() != 1:
                raise DomainError("该问卷已回收，不能重复填写")
            customer = distribution.customer
            respondent_kind, area = customer.kind, customer.floor
        # The answers keep only the respondent's kind and floor, never who it was (R-SUR-3):
        # the one-time use lives on the distribution.
        response = SurveyResponse.create(
            survey=self, returned_at=now, entered_by=by, respondent_kind=respondent_kind or None,
            area=(area or None), created_by=by, created_at=now, updated_at=now)
        SurveyAnswer.insert_many([dict(response=response.id, question=qid, rating=rating, text=text)
                                  for qid, (rating, text) in cleaned.items()]).execute()
        return response

    def record_paper_copies(self, by, now, copies):
        """登记现场发放份数: questionnaires handed out on paper to people not on file."""
        if copies is None or copies < 0:
            raise ValidationError({"copies": "份数须为不小于 0 的整数"})
        self.transition("paper_copies", by, now, paper_copies=copies)

    def distribution_short(self, distributed):
        """Were fewer questionnaires handed out than the plan's target rate (100%, R-SUR-3)?"""
        if not self.sample_size:
            return False
        target = Decimal(str(self.target_distribution_rate or 100))
        return Decimal(distributed) * 100 < target * self.sample_size

    def close(self, by, now):
        """结束: no more questionnaires (flows.surveys.close compiles the results and raises
        what they show)."""
        self.transition("close", by, now, closed_at=now)

    def raise_findings(self, by, now, results):
        """Each item of the closed survey's `results` under the threshold raises a corrective
        action for its department, and a distribution or return rate under target alerts the
        planner (R-SUR-3). Returns the corrective actions raised."""
        threshold = self.threshold()
        operations = Department.by_code(Department.OPERATIONS)
        raised = []
        for item in results["items"]:
            if item["average"] is None or item["average"] >= threshold:
                continue
            question = item["question"]
            action = CorrectiveAction(
                source="survey", survey=self, question=question,
                finding="满意度调查“%s”第 %d 题“%s”平均分 %.2f，低于 %s" % (
                    self, question.seq, question.text, item["average"], threshold),
                department=question.department or operations,
                due_date=sla.corrective_action_due(now.date()), created_by=by, created_at=now,
                updated_at=now)
            action.assign_number(now)
            action.save(force_insert=True)
            raised.append(action)
        if results["distribution_short"]:
            Alert.raise_for(self, "reminder", now, "调查“%s”发放率 %s%%（%d/%d 份），未达目标 %s%%" % (
                self, results["distribution_rate"], results["distributed"], self.sample_size,
                plain_number(self.target_distribution_rate)), assignee=self.created_by)
        if results["return_rate"] is not None and \
                results["return_rate"] < Decimal(str(self.target_return_rate)):
            Alert.raise_for(self, "reminder", now, "调查“%s”回收率 %.1f%%，低于目标 %s%%" % (
                self, results["return_rate"], self.target_return_rate), assignee=self.created_by)
        return raised

    def file_records(self, by, now):
        """资料归档: the closed survey becomes read-only (R-SUR-6: within 5 days of its end)."""
        self.transition("file", by, now, filed_at=now)
        self.stop_clock("file", now)

    def previous(self):
        """The last finished survey of the same target before this one."""
        return (Survey.select().where((Survey.target == self.target) & (Survey.id != self.id)
                                      & (Survey.end_date < self.start_date)
                                      & Survey.status.in_(self.WORKFLOW.group("finished"))
                                      & Survey.archived_at.is_null())
                .order_by(Survey.end_date.desc()).first())


class SurveyQuestion(Register):
    RATING, TEXT = "rating", "text"
    KINDS = ((RATING, "评分（1-5）"), (TEXT, "文字意见"))

    survey = ForeignKeyField(Survey, null=True, backref="questions", on_delete="RESTRICT",
                             verbose_name="调查方案（空=模板）")
    template = CharField(max_length=50, null=True, verbose_name="模板名称")
    seq = IntegerField(default=1, verbose_name="序号")
    text = CharField(max_length=200, verbose_name="题目")
    kind = ChoiceField(KINDS, default=RATING, verbose_name="题型")
    department = ForeignKeyField(Department, null=True, backref="+", on_delete="RESTRICT",
                                 verbose_name="整改责任部门")

    seq.min_value = 1

    class Meta:
        verbose_name = "调查问卷题目"

    def __str__(self):
        return f"{self.seq}. {self.text}" if self.text else "题目"

    def clean_extra(self):
        if self.survey_id is None and not (self.template or "").strip():
            return {"template": "模板题目须填写模板名称（或选择调查方案）"}
        return {}


class SurveyDistribution(Register):
    """One questionnaire handed to one customer, with its one-time answer link (R-SUR-3)."""
    survey = ForeignKeyField(Survey, backref="distributions", on_delete="RESTRICT",
                             verbose_name="调查方案")
    customer = ForeignKeyField(Customer, backref="+", on_delete="RESTRICT", verbose_name="客户")
    token = CharField(max_length=40, unique=True, verbose_name="问卷编码")
    distributed_at = DateTimeField(verbose_name="发放时间")
    distributed_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                     verbose_name="发放人")
    responded_at = DateTimeField(null=True, verbose_name="回收时间")

    class Meta:
        verbose_name = "问卷发放记录"
        indexes = ((("survey", "customer"), True),)

    def __str__(self):
        return f"问卷 {self.token[:6]}…" if self.token else "问卷发放"


class SurveyResponse(Register):
    survey = ForeignKeyField(Survey, backref="responses", on_delete="RESTRICT",
                             verbose_name="调查方案")
    customer = ForeignKeyField(Customer, null=True, backref="survey_responses",
                               on_delete="RESTRICT", verbose_name="受访客户")
    distribution = ForeignKeyField(SurveyDistribution, null=True, unique=True, backref="+",
                                   on_delete="RESTRICT", verbose_name="问卷发放记录")
    # Copied from the customer (or typed for a walk-up consumer) for the aggregate breakdowns.
    respondent_kind = ChoiceField(Customer.KINDS, null=True, verbose_name="受访者类别")
    area = CharField(max_length=20, null=True, verbose_name="区域（楼层）")
    returned_at = DateTimeField(default=clock.now, verbose_name="回收时间")
    entered_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                 verbose_name="录入人")
    answers = TextField(null=True, verbose_name="答卷（JSON，旧数据）")
    comments = TextField(null=True, verbose_name="意见建议")

    class Meta:
        verbose_name = "调查问卷答卷"

    def __str__(self):
        return f"答卷 #{self.id}" if self.id else "答卷"

    def clean_extra(self):
        if self.answers:
            try:
                json.loads(self.answers)
            except ValueError:
                return {"answers": "答卷不是有效的 JSON"}
        return {}


class SurveyAnswer(BaseModel):
    """One item of a returned questionnaire: a rating 1–5 or a text."""
    response = ForeignKeyField(SurveyResponse, backref="items", on_delete="CASCADE",
                               verbose_name="答卷")
    question = ForeignKeyField(SurveyQuestion, backref="answers", on_delete="RESTRICT",
                               verbose_name="题目")
    rating = IntegerField(null=True, constraints=[Check("rating BETWEEN 1 AND 5")],
                          verbose_name="评分")
    text = TextField(null=True, verbose_name="文字意见")

    class Meta:
        verbose_name = "答卷明细"
        indexes = ((("response", "question"), True), (("question", "rating"), False))


class CorrectiveAction(Register):
    SOURCES = (("survey", "满意度调查"), ("complaint", "投诉"), ("audit", "内部检查"),
               ("other", "其他"))
    WORKFLOW = workflow.CORRECTIVE_ACTION
    OPEN, DONE, VERIFIED, CANCELLED = WORKFLOW.values
    STATUSES = WORKFLOW.choices

    number_prefix = "JZ"
    number = number_field()
    source = ChoiceField(SOURCES, default="survey", verbose_name="来源")
    survey = ForeignKeyField(Survey, null=True, backref="corrective_actions",
                             on_delete="RESTRICT", verbose_name="调查方案")
    question = ForeignKeyField(SurveyQuestion, null=True, backref="+", on_delete="RESTRICT",
                               verbose_name="调查题目")
    finding = TextField(verbose_name="问题描述")
    department = ForeignKeyField(Department, backref="+", on_delete="RESTRICT",
                                 verbose_name="责任部门")
    action = TextField(null=True, verbose_name="纠正预防措施")
    due_date = DateField(null=True, verbose_name="完成期限")
    done_at = DateTimeField(null=True, verbose_name="完成时间")
    done_note = TextField(null=True, verbose_name="整改情况")
    verified_at = DateTimeField(null=True, verbose_name="验证时间")
    verified_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                  verbose_name="验证人")
    evidence = TextField(null=True, verbose_name="验证证据")
    status = ChoiceField(STATUSES, default=OPEN, verbose_name="状态")

    date_ranges = (("done_at", "verified_at"),)

    class Meta:
        verbose_name = "纠正和预防措施报告"
        indexes = ((("status", "due_date"), False),)

    def __str__(self):
        return f"{self.number or '纠正措施'}"

    def complete(self, by, now, action, note):
        """整改完成: the responsible department says what it did."""
        self.transition("complete_action", by, now, done_at=now, action=action or self.action,
                        done_note=note)

    def verify(self, by, now, evidence):
        """验证: operations checks the result and records the evidence (R-SUR-5)."""
        if not by.has_role(*access.step_roles("CorrectiveAction", "verify")) or not (
                by.has_role(User.ADMIN)
                or (by.department_id and by.department.code == Department.OPERATIONS)):
            raise DomainError("纠正措施须由营运部验证")
        self.transition("verify", by, now, verified_at=now, verified_by=by, evidence=evidence)

    def reject(self, by, now, reason):
        """验证不通过: back to the department to do it again."""
        self.transition("reject_verification", by, now, done_at=None,
                        evidence="验证不通过：" + reason)


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


class SlaRule(Register):
    CLOCKS = (("calendar", "自然时间"), ("business_hours", "营业时间"), ("working_days", "工作日"))
    UNITS = (("minutes", "分钟"), ("hours", "小时"), ("calendar_days", "自然日"),
             ("working_days", "工作日"))

    code = CharField(max_length=40, unique=True, verbose_name="规则代码")
    name = CharField(max_length=100, verbose_name="规则名称")
    rule_ref = CharField(max_length=20, null=True, verbose_name="制度条款")
    applies_to = CharField(max_length=40, verbose_name="适用登记表")
    starts_on = CharField(max_length=100, null=True, verbose_name="起算事件")
    clock = ChoiceField(CLOCKS, default="calendar", verbose_name="计时方式")
    amount = IntegerField(verbose_name="时限数值")
    unit = ChoiceField(UNITS, default="minutes", verbose_name="时限单位")
    warn_percent = IntegerField(default=75, verbose_name="预警比例（%）")
    is_active = BooleanField(default=True, verbose_name="启用")

    amount.min_value = 0
    warn_percent.min_value = 1

    class Meta:
        verbose_name = "时限规则"

    def __str__(self):
        return f"{self.name}（{self.amount}{self.choice_label('unit')}）" if self.name else "时限规则"

    def clean_extra(self):
        if self.warn_percent is not None and self.warn_percent > 100:
            return {"warn_percent": "预警比例须在 1 到 100 之间"}
        if (self.clock == "working_days") != (self.unit == "working_days"):
            return {"unit": "按工作日计时的规则，时限单位须为工作日（反之亦然）"}
        return {}

    def limit(self):
        """The rule's values as an sla.Limit."""
        return sla.Limit(self.code, self.amount, self.unit, self.clock)


class CalendarDay(Register):
    HOLIDAY, WORKDAY = "holiday", "workday"
    KINDS = ((HOLIDAY, "节假日（休息）"), (WORKDAY, "调休上班"))
    SOURCES = (("package", "法定日历"), ("manual", "手工维护"), ("notice", "国务院通知"))

    day = DateField(unique=True, verbose_name="日期")
    kind = ChoiceField(KINDS, default=HOLIDAY, verbose_name="类型")
    name = CharField(max_length=50, null=True, verbose_name="名称")
    source = ChoiceField(SOURCES, default="manual", verbose_name="来源")

    class Meta:
        verbose_name = "工作日历"

    def __str__(self):
        return f"{self.day} {self.name or self.choice_label('kind')}" if self.day else "日历"

    @classmethod
    def known_years(cls, years):
        """Those of `years` whose arrangement is confirmed complete (a day entered by hand does
        not make a year known)."""
        return CalendarYear.confirmed() & frozenset(years)

    @classmethod
    def work_calendar(cls):
        """Load the working-day calendar (overrides, known years, opening hours) from the data."""
        holidays, workdays = set(), set()
        for day, kind in cls.select(cls.day, cls.kind).where(cls.archived_at.is_null()).tuples():
            (holidays if kind == cls.HOLIDAY else workdays).add(day)
        return sla.WorkCalendar(frozenset(holidays), frozenset(workdays), CalendarYear.confirmed(),
                                opening_hours=Setting.opening_hours())

    @classmethod
    def move_deadlines(cls, old, by, now):
        """Recompute every running clock whose deadline (or escalation) the change from `old`
        to the stored calendar moves; show it on its record and tell its owners with a reminder.
        Call inside the change's transaction. Returns [(record, values before, summary,
        [(clock, old due, due)])] per record moved, for its audit row."""
        new = cls.work_calendar()
        changed = new.days_changed(old)
        if not changed:
            return []
        first = datetime.combine(changed[0], time.min)
        last = datetime.combine(changed[-1] + timedelta(days=1), time.min)
        clocks = list(Deadline.select().where(
            (Deadline.status == Deadline.RUNNING) & (Deadline.started_at < last)
            & (fn.COALESCE(Deadline.level4_at, Deadline.due_at) >= first)
            # Calendar-time clocks move with the calendar only when they escalate by working day.
            & ((Deadline.limit_clock != sla.CALENDAR) | (Deadline.limit_unit == sla.WORKING_DAY_UNITS)
               | (Deadline.limit_amount == 0))))
        holds = {}
        if clocks:
            for hold in Hold.select().where(
                    Hold.ended_at.is_null(False)
                    & Hold.record_type.in_(sorted({c.record_type for c in clocks}))
                    & Hold.record_id.in_(sorted({c.record_id for c in clocks}))):
                holds.setdefault((hold.record_type, hold.record_id), []).append(
                    (hold.started_at, hold.ended_at))
        moved = {}
        for clock_row in clocks:
            limit = clock_row.limit()
            due = clock_row.due_at
            if sla.depends_on_calendar(limit):
                due = sla.recomputed_deadline(clock_row.started_at, limit, new,
                                              holds.get((clock_row.record_type, clock_row.record_id), ()))
            columns = Deadline(due_at=due).escalation_columns(limit, new)
            if due == clock_row.due_at and all(getattr(clock_row, k) == v for k, v in columns.items()):
                continue
            Deadline.update(due_at=due, warn_at=clock_row.warn_at and clock_row.warn_at + (due - clock_row.due_at),
                            updated_at=now, **columns).where(Deadline.id == clock_row.id).execute()
            if due != clock_row.due_at:
                moved.setdefault((clock_row.record_type, clock_row.record_id), []).append(
                    (clock_row, clock_row.due_at, due))
                if due > now:  # a miss flagged on the old deadline is no miss any more
                    Alert.update(status=Alert.RESOLVED, resolved_at=now, resolved_by=by,
                                 resolution_note="工作日历调整，期限改为 %s" % due.strftime("%Y-%m-%d %H:%M"),
                                 updated_at=now).where(
                        (Alert.record_type == clock_row.record_type)
                        & (Alert.record_id == clock_row.record_id) & (Alert.rule == clock_row.rule_id)
                        & (Alert.kind == "overdue") & (Alert.status == Alert.OPEN)).execute()
        told = (cls._tell_moved(_REGISTER_BY_NAME[record_type], record_id, clocks_moved, now)
                for (record_type, record_id), clocks_moved in moved.items())
        return [entry for entry in told if entry is not None]

    @staticmethod
    def _tell_moved(model, record_id, clocks_moved, now):
        """Show a record's moved deadlines on it and remind its owners; return
        (record, values before, summary, clocks moved)."""
        record = model.get_or_none(model.id == record_id)
        if record is None:
            return None
        before = dict(record.__data__)
        lines = []
        for clock_row, old_due, due in clocks_moved:
            column = model.deadline_columns.get(clock_row.kind)
            if column:
                model.update({column: due}).where(model.id == record_id).execute()
                setattr(record, column, due)
            label = clock_row.choice_label("kind")
            lines.append("%s %s → %s" % (label, old_due.strftime("%m-%d %H:%M"), due.strftime("%m-%d %H:%M")))
        summary = "工作日历调整，期限已重算：%s %s" % (record, "；".join(lines))
        owner = record.created_by_id if "created_by" in model._meta.fields else None
        Alert.raise_for(record, "reminder", now, summary, assignee=owner,
                        rule=clocks_moved[0][0].rule_id)
        return record, before, summary, clocks_moved


class CalendarYear(BaseModel):
    """A year whose holiday arrangement is complete: supplied by the calendar package, imported
    from the State Council's notice, or confirmed by an admin. Other years are estimates."""
    SOURCES = (("package", "法定日历"), ("notice", "国务院通知"), ("admin", "管理员确认"))

    year = IntegerField(unique=True, verbose_name="年份")
    source = ChoiceField(SOURCES, default="admin", verbose_name="来源")
    confirmed_at = DateTimeField(verbose_name="确认时间")
    confirmed_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                   verbose_name="确认人")

    class Meta:
        verbose_name = "已确认年份"

    def __str__(self):
        return "%s 年" % self.year if self.year else "年份"

    @classmethod
    def confirmed(cls):
        """The years whose arrangement is confirmed complete."""
        return frozenset(year for (year,) in cls.select(cls.year).tuples())

    @classmethod
    def confirm(cls, year, source, by, now):
        """Record `year` as complete (kept as first confirmed when it already is)."""
        cls.insert(year=year, source=source, confirmed_at=now, confirmed_by=by,
                   created_at=now, updated_at=now).on_conflict_ignore().execute()


class Alert(Register):
    KINDS = (("overdue", "已逾期"), ("due_soon", "即将到期"), ("escalation", "升级"),
             ("reminder", "提醒"))
    WORKFLOW = workflow.ALERT
    OPEN, RESOLVED = WORKFLOW.values
    STATUSES = WORKFLOW.choices

    kind = ChoiceField(KINDS, default="overdue", verbose_name="提醒类型")
    title = CharField(max_length=200, verbose_name="事项")
    record_type = CharField(max_length=40, verbose_name="登记表")
    record_id = IntegerField(verbose_name="记录号")
    # No index of its own on rule_id (see Deadline.rule): alerts are found by their record.
    rule = ForeignKeyField(SlaRule, null=True, backref="alerts", on_delete="RESTRICT",
                           index=False, verbose_name="时限规则")
    since = DateTimeField(verbose_name="逾期起始")
    department = ForeignKeyField(Department, null=True, backref="+", on_delete="RESTRICT",
                                 verbose_name="责任部门")
    assignee = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                               verbose_name="责任人")
    level = IntegerField(default=1, verbose_name="升级级别")
    status = ChoiceField(STATUSES, default=OPEN, verbose_name="状态")
    resolved_at = DateTimeField(null=True, verbose_name="解决时间")
    resolved_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                  verbose_name="解决人")
    resolution_note = TextField(null=True, verbose_name="处理说明")
    # The level already e-mailed to the assignee (0: none), so each level is sent once.
    mailed_level = IntegerField(default=0, constraints=[SQL("DEFAULT 0")],
                                verbose_name="已邮件通知级别")

    level.min_value = 1

    class Meta:
        verbose_name = "逾期提醒"
        # A record's alerts of a rule, and the open alerts the jobs revisit each minute, are
        # read from their indexes alone (the jobs' rerun at a year of data, issue 8).
        indexes = ((("record_type", "record_id", "rule", "kind", "status", "since"), False),
                   (("status", "kind", "record_type", "record_id", "rule", "level"), False),
                   (("status", "since"), False),
                   (("since",), False))  # the grid's newest-first order

    @classmethod
    def priority_indexes(cls):
        """A person's and a department's open alerts, most escalated and oldest first: the
        dashboard reads its first 20 of each in index order (no sort of thousands)."""
        return [cls.index(cls.status, column, cls.level.desc(), cls.since, cls.id,
                          name="alert_status_%s_priority" % column.column_name)
                for column in (cls.assignee, cls.department)]

    @classmethod
    def insert_new(cls, query, fields):
        """Insert the alerts `query` selects, skipping each that is open already: the database's
        unique index on open alerts (database.OPEN_ALERT_KEY) decides, so two runs at once
        raise an alert once. Returns how many were raised."""
        return cls.insert_from(query, fields).on_conflict_ignore().as_rowcount().execute()

    @classmethod
    def raise_for(cls, record, kind, now, title, assignee=None, level=1, rule=None):
        """Open an alert on a record for the person who must act."""
        return cls.create(kind=kind, title=title[:200], record_type=type(record).__name__,
                          record_id=record.id, rule=rule, since=now, assignee=assignee,
                          department=getattr(record, "department", None), level=level,
                          created_at=now, updated_at=now)

    def __str__(self):
        return self.title or "提醒"

    def may_resolve(self, user):
        """Who may close an alert by hand: the person it is addressed to, the project and
        general managers, the admin; a level-1 alert also its department and the desk. Nobody
        silences an alert escalated above them."""
        if user.has_role(User.ADMIN, User.PM, User.GM) or self.assignee_id == user.id:
            return True
        return self.level == 1 and (user.has_role(User.CLERK)
                                    or (user.department_id and user.department_id == self.department_id))

    def resolve(self, by, now, note):
        """Close the alert by hand with a note (what was done about it)."""
        if not (note or "").strip():
            raise ValidationError({"note": "请填写处理说明"})
        if not self.may_resolve(by):
            raise DomainError("该提醒已升级至%s，只能由其本人或上级解除" % (
                self.assignee.full_name if self.assignee_id else "上级"))
        self.transition("resolve", by, now, resolved_at=now, resolved_by=by, resolution_note=note.strip())


class Deadline(Register):
    """One running clock of a record: the rule and values that produced it, and its fate."""
    RUNNING, MET, CANCELLED = "running", "met", "cancelled"
    STATUSES = ((RUNNING, "计时中"), (MET, "已完成"), (CANCELLED, "已撤销"))
    KINDS = (("accept", "接单"), ("callback", "回访"), ("handback", "交回申请人"),
             ("forward", "转达部门"), ("finance", "交财务"), ("free", "免费借用"),
             ("start", "启动处理"), ("resolve", "解决"), ("follow_up", "每日跟踪"),
             ("approve", "报批批准"), ("train", "人员培训"), ("file", "资料归档"),
             ("confirm", "全部确认"))

    record_type = CharField(max_length=40, verbose_name="登记表")
    record_id = IntegerField(verbose_name="记录号")
    kind = ChoiceField(KINDS, max_length=20, verbose_name="时限类型")
    # No index of its own on rule_id: without planner statistics SQLite would pick it for the
    # jobs' "a running clock of this record and rule" subqueries and walk every clock of the
    # rule (hundreds of thousands) per alert. Clocks are found by (record, status) instead.
    rule = ForeignKeyField(SlaRule, null=True, backref="+", on_delete="RESTRICT", index=False,
                           verbose_name="时限规则")
    rule_code = CharField(max_length=40, verbose_name="规则代码")
    limit_amount = IntegerField(verbose_name="时限数值")
    limit_unit = CharField(max_length=20, verbose_name="时限单位")
    limit_clock = CharField(max_length=20, verbose_name="计时方式")
    explanation = CharField(max_length=200, verbose_name="计算依据")
    started_at = DateTimeField(verbose_name="起算时间")
    original_due_at = DateTimeField(verbose_name="原定时限")
    due_at = DateTimeField(verbose_name="当前时限")
    held_seconds = IntegerField(default=0, verbose_name="挂起秒数")
    warn_at = DateTimeField(null=True, verbose_name="预警时间")
    # A missed clock escalates a level at each of these (see sla.escalation_times).
    level2_at = DateTimeField(null=True, verbose_name="升级至部门负责人")
    level3_at = DateTimeField(null=True, verbose_name="升级至项目经理")
    level4_at = DateTimeField(null=True, verbose_name="升级至总经理")
    met_at = DateTimeField(null=True, verbose_name="完成时间")
    status = ChoiceField(STATUSES, default=RUNNING, verbose_name="状态")

    class Meta:
        verbose_name = "时限记录"
        # (record, status, kind) before the (status, time) pairs: a record's running clock is
        # then the most specific index whether or not the planner has statistics (ANALYZE).
        # (rule_code, status, time): each rule's job reads only its own running clocks.
        indexes = ((("record_type", "record_id", "status", "kind"), False),
                   (("rule_code", "status", "due_at"), False),
                   (("rule_code", "status", "warn_at"), False),
                   (("status", "due_at"), False),
                   (("status", "warn_at"), False),
                   # One register's running clocks in due order, covering what the dashboard's
                   # due-soon count and my work read (no row lookups on a 2M-row table).
                   (("record_type", "status", "due_at", "kind", "warn_at", "rule_code", "record_id"),
                    False))

    @classmethod
    def running_clock_index(cls):
        """The running clocks only (about 1 in 70 at a year of data), with what the jobs read
        of them: each open alert's clock is one small index seek, never a row of the table
        (`status` is in it too: SQLite reads a column of the WHERE from the row otherwise)."""
        return cls.index(cls.record_type, cls.record_id, cls.rule, cls.status, cls.kind,
                         cls.due_at, cls.warn_at, cls.level2_at, cls.level3_at, cls.level4_at,
                         where=(cls.status == cls.RUNNING), name="deadline_running_clock")

    @classmethod
    def running_by_rule_index(cls):
        """Each rule's running clocks by due time, with what its job matches alerts on: the
        overdue and due-soon jobs read only their rule's running clocks, from the index alone."""
        return cls.index(cls.rule_code, cls.status, cls.due_at, cls.warn_at, cls.record_type,
                         cls.record_id, cls.rule, where=(cls.status == cls.RUNNING),
                         name="deadline_running_by_rule")

    def escalation_columns(self, limit, calendar):
        """The level2_at … level4_at values for this clock's current due time."""
        return dict(zip(("level2_at", "level3_at", "level4_at"),
                        sla.escalation_times(self.due_at, limit, calendar)))

    def __str__(self):
        if not self.record_type:
            return "时限记录"
        return f"{register_name(self.record_type)} #{self.record_id} {self.choice_label('kind')}"

    def limit(self):
        return sla.Limit(self.rule_code, self.limit_amount, self.limit_unit, self.limit_clock)

    def overdue(self, now):
        end = self.met_at or now
        return end > self.due_at

    def time_left(self, now):
        """'剩余 1小时5分' while running, '已逾期 …' once past, '' when done or cancelled."""
        if self.status == self.CANCELLED:
            return ""
        end = self.met_at or now
        if self.status == self.MET and end <= self.due_at:
            return "按时完成"
        return sla.time_left(self.due_at, end)


class Hold(Register):
    """A period a record waited on the customer or on parts (挂起): its clocks did not run."""
    record_type = CharField(max_length=40, verbose_name="登记表")
    record_id = IntegerField(verbose_name="记录号")
    reason = TextField(verbose_name="挂起原因")
    started_at = DateTimeField(verbose_name="挂起时间")
    ended_at = DateTimeField(null=True, verbose_name="解除时间")
    ended_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                               verbose_name="解除人")

    date_ranges = (("started_at", "ended_at"),)

    class Meta:
        verbose_name = "挂起记录"
        indexes = ((("record_type", "record_id"), False),)

    def __str__(self):
        return f"{register_name(self.record_type)} #{self.record_id} 挂起" if self.record_type \
            else "挂起记录"


class JobRun(Model):
    """A claim on one run of a job in one time slot: the unique key lets exactly one process run it."""
    job = CharField(max_length=60)
    slot = CharField(max_length=20)
    started_at = DateTimeField()
    finished_at = DateTimeField(null=True)
    result = TextField(null=True)
    attempts = IntegerField(default=1)  # a failed run is taken again, up to jobs.ATTEMPTS

    FAILED = "failed"

    class Meta:
        database = db
        table_name = "job_run"
        indexes = ((("job", "slot"), True),)


class Setting(Model):
    """A site-wide setting (key/value), e.g. whether this is the demo database."""
    key = CharField(max_length=50, primary_key=True)
    value = TextField(null=True)

    class Meta:
        database = db
        table_name = "setting"

    @classmethod
    def read(cls, key, default=None):
        row = cls.get_or_none(cls.key == key)
        return row.value if row else default

    @classmethod
    def write(cls, key, value):
        cls.insert(key=key, value=value).on_conflict(
            conflict_target=[cls.key], update={cls.value: value}).execute()

    @classmethod
    def opening_hours(cls):
        """The center's opening hours per weekday: {"0": [["09:00", "12:00"], …], …}."""
        raw = cls.read("opening_hours")
        if not raw:
            return sla.DEFAULT_OPENING_HOURS
        parse = lambda text: datetime.strptime(text, "%H:%M").time()  # noqa: E731
        return {int(wd): tuple((parse(a), parse(b)) for a, b in spans)
                for wd, spans in json.loads(raw).items()}


class AuditLog(BaseModel):
    """One append-only line of who did what; never updated, never deleted."""
    user = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                           verbose_name="操作人")
    username = CharField(max_length=40, null=True, verbose_name="登录名")
    ip = CharField(max_length=64, null=True, verbose_name="来源地址")
    action = CharField(max_length=40, index=True, verbose_name="操作")
    model = CharField(max_length=40, null=True, verbose_name="登记表")
    record_id = CharField(max_length=40, null=True, verbose_name="记录号")
    summary = CharField(max_length=200, null=True, verbose_name="记录")
    changes = TextField(null=True, verbose_name="变更内容")
    # Tamper evidence (audit.py): each row's hash covers the previous row's hash and its own
    # content, in id order. Nullable: a row without them was not written by the console.
    prev_hash = CharField(max_length=64, null=True, verbose_name="前一行哈希")
    row_hash = CharField(max_length=64, null=True, verbose_name="本行哈希")

    class Meta:
        verbose_name = "操作日志"
        indexes = ((("model", "record_id"), False),)

    def __str__(self):
        return " ".join(str(part) for part in (self.created_at, self.username, self.action) if part) \
            or "操作日志"

    def action_label(self):
        return action_label(self.action)

    def save(self, *args, **kwargs):
        if self.id is not None and not kwargs.get("force_insert"):
            raise DomainError("操作日志只能追加，不能修改")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        raise DomainError("操作日志只能追加，不能删除")


# Every register with a Flask-Admin grid, in glossary order.
Deadline.add_index(Deadline.running_clock_index())
Deadline.add_index(Deadline.running_by_rule_index())
for _index in Alert.priority_indexes():
    Alert.add_index(_index)


REGISTERS = (
    Customer, Department, User, Contact, RepairOrder, ServiceRequest, WorkLetter, FeeItem,
    ShiftHandover, Charge, LendableItem, ItemLoan, Complaint, ComplaintPassOn, ComplaintUpdate, ComplaintGuideline, Callback,
    ComplaintReport,
    Survey, SurveyQuestion, SurveyDistribution, SurveyResponse, CorrectiveAction, Notice,
    NoticeReceipt, Meeting,
    ActionItem, CallScript, SegmentRule, SlaRule, CalendarDay, Alert, AuditLog, Deadline, Hold,
)
_REGISTER_BY_NAME = {model.__name__: model for model in REGISTERS}


def register_name(class_name):
    """A register's Chinese name from its class name (as clocks, holds and alerts store it)."""
    model = _REGISTER_BY_NAME.get(class_name)
    if model is None:  # what else an alert may be about: the log's chain, a job's run
        return {"AuditLog": "操作日志", "JobRun": "定时任务"}.get(class_name, class_name or "")
    return model.verbose_name()


class LoginAttempt(Model):
    """One login attempt, counted for the throttle before its password is checked: several
    guesses at once queue on the write lock, and each sees the ones before it.

    Not the audit log (which keeps login, login_failed and login_throttled for people to
    read): these rows change outcome once checked and are pruned after a day."""
    PENDING, FAILED, OK, REFUSED = "pending", "failed", "ok", "refused"
    username = CharField(max_length=40, index=True)
    address = CharField(max_length=64, null=True, index=True)
    at = DateTimeField(index=True)
    outcome = CharField(max_length=10, default=PENDING)

    class Meta:
        database = db
        table_name = "login_attempt"


class FormToken(Model):
    """A form's one-time token, used by the transaction that saved what the form asked for:
    the unique key lets a form submitted twice (a double click, a resubmit) save once, and
    the second submit finds the first's record here."""
    token = CharField(max_length=64, unique=True)
    record_type = CharField(max_length=40, null=True)
    record_id = IntegerField(null=True)
    used_at = DateTimeField()

    class Meta:
        database = db
        table_name = "form_token"

    @classmethod
    def use(cls, token, now):
        """Use `token` in the running transaction; raise AlreadySubmitted (naming the first
        submit's record) when it was used before. On PostgreSQL a second insert of the same
        token waits for the first's transaction and then finds its row."""
        inserted = cls.insert(token=token, used_at=now).on_conflict_ignore().as_rowcount().execute()
        if inserted != 1:
            first = cls.get_or_none(cls.token == token)
            raise AlreadySubmitted(first.record_type if first else None,
                                   first.record_id if first else None)

    @classmethod
    def result(cls, token, record):
        """Remember which record the form with `token` saved (its second submit lands there)."""
        cls.update(record_type=type(record).__name__, record_id=record.id).where(
            cls.token == token).execute()


ALL_MODELS = (DocumentCounter,) + REGISTERS + (SurveyAnswer, MeetingAttendee, MeetingStaff, LoginAttempt,
                                                CalendarYear, FormToken)
