"""The business register base class (created by, archiving, versions, steps)
and the Chinese names of actions and jobs."""

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField, fn

import sla
from domain.base import BaseModel, DomainError, StaleRecord, ValidationError, next_number
from domain.organisation import User


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
        from domain.time import CalendarDay, Deadline, SlaRule  # domain.time builds on this module
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
        from domain.time import Deadline  # domain.time builds on this module
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
        from domain.time import Deadline  # domain.time builds on this module
        return list(Deadline.select().where((Deadline.record_type == type(self).__name__)
                                            & (Deadline.record_id == self.id))
                    .order_by(Deadline.started_at, Deadline.id))

    def holds(self):
        from domain.time import Hold  # domain.time builds on this module
        return list(Hold.select().where((Hold.record_type == type(self).__name__)
                                        & (Hold.record_id == self.id)).order_by(Hold.started_at))

    def hold(self, by, now, reason):
        """Put the record on hold (挂起): its clocks stop until release()."""
        from domain.time import Hold  # domain.time builds on this module
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
        from domain.time import CalendarDay, Deadline, Hold  # domain.time builds on this module
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
