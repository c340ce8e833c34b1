"""The system's own books: alerts, job runs, settings, the audit log, login
attempts and one-time form tokens."""

import json
from datetime import datetime

from peewee import SQL, CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField

import clock
import sla
import workflow
from domain.base import AlreadySubmitted, BaseModel, ChoiceField, DomainError, ValidationError, db
from domain.organisation import Department, User
from domain.register import Register, action_label
from domain.time import SlaRule


class Alert(Register):
    KINDS = (("overdue", "已逾期"), ("due_soon", "即将到期"), ("escalation", "升级"),
             ("reminder", "提醒"))
    WORKFLOW = workflow.ALERT
    OPEN, RESOLVED = WORKFLOW.values
    STATUSES = WORKFLOW.choices

    # No index on when or by whom an alert was made or resolved (migration 28): nothing reads
    # alerts by them, and each index is written for every alert the jobs raise or escalate.
    created_at = DateTimeField(default=clock.now, verbose_name="创建时间")
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL", index=False,
                                 verbose_name="创建人")
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
                                  index=False, verbose_name="解决人")
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
    def insert_rows(cls, fields, rows, batch=500):
        """Insert `rows` (tuples in the order of `fields`), each skipped as insert_new skips
        one, `batch` rows per statement written with placeholders; returns how many were
        raised. peewee's insert_many builds a node for each value: at a catch-up's thousands
        of alerts that was most of the time (6,640 follow-up alerts: 740 of 870 ms)."""
        database = cls._meta.database
        # The model's defaults for the fields not given, as insert_many fills them in (by
        # name: a peewee field's == builds an expression).
        given = {field.name for field in fields}
        defaults = [(field, value() if callable(value) else value)
                    for field, value in cls._meta.defaults.items() if field.name not in given]
        if defaults:
            fields = list(fields) + [field for field, _ in defaults]
            extra = tuple(value for _, value in defaults)
            rows = [tuple(row) + extra for row in rows]
        columns = ", ".join('"%s"' % field.column_name for field in fields)
        one = "(%s)" % ", ".join([database.param] * len(fields))
        raised = 0
        for start in range(0, len(rows), batch):
            some = rows[start:start + batch]
            # ON CONFLICT DO NOTHING on both databases: only a unique key skips a row (SQLite's
            # INSERT OR IGNORE would also drop one breaking NOT NULL, silently).
            sql = 'INSERT INTO "%s" (%s) VALUES %s ON CONFLICT DO NOTHING' % (
                cls._meta.table_name, columns, ", ".join([one] * len(some)))
            params = [field.db_value(value) for row in some for field, value in zip(fields, row)]
            raised += database.execute_sql(sql, params).rowcount
        return raised

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
for _index in Alert.priority_indexes():
    Alert.add_index(_index)


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
