"""Time: time-limit rules, the working-day calendar, running clocks and holds."""

from datetime import datetime, time, timedelta

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
    fn,
)

import sla
from domain.base import BaseModel, ChoiceField
from domain.organisation import User
from domain.register import Register


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
        from domain.system import Setting  # domain.system builds on this module
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
        from domain.system import Alert  # domain.system builds on this module
        from models import _REGISTER_BY_NAME  # it lists every register
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
                    Alert.update(status=Alert.WORKFLOW.target("resolve"), resolved_at=now, resolved_by=by,
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
        from domain.system import Alert  # domain.system builds on this module
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

    @classmethod
    def running_time_indexes(cls):
        """Each escalation time of the running clocks that have one: whether one passed in the
        last minute is an index probe (jobs.quiet; due and warning times have (status, time)).
        `IS NOT NULL` in the predicate: a query that does not compare the time cannot use it
        (PostgreSQL took the smallest index of all running clocks to scan them for my work)."""
        return [cls.index(column, where=((cls.status == cls.RUNNING) & column.is_null(False)),
                          name="deadline_running_%s" % column.column_name.replace("_at", ""))
                for column in (cls.level2_at, cls.level3_at, cls.level4_at)]

    def escalation_columns(self, limit, calendar):
        """The level2_at … level4_at values for this clock's current due time."""
        return dict(zip(("level2_at", "level3_at", "level4_at"),
                        sla.escalation_times(self.due_at, limit, calendar)))

    def __str__(self):
        from models import register_name  # it lists every register
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
        from models import register_name  # it lists every register
        return f"{register_name(self.record_type)} #{self.record_id} 挂起" if self.record_type \
            else "挂起记录"


# Every register with a Flask-Admin grid, in glossary order.
Deadline.add_index(Deadline.running_clock_index())
Deadline.add_index(Deadline.running_by_rule_index())
for _index in Deadline.running_time_indexes():
    Deadline.add_index(_index)
