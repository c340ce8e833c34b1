"""Write AuditLog rows: who did what to which record, with old and new values."""
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context, request
from flask_login import current_user

import clock
from database import is_sqlite, missing_append_only_guards, write_transaction
from models import JOURNAL, AuditLog, job_label

SECRET_FIELDS = {"password_hash"}


def as_text(value):
    """Render a stored value as plain text (for audit rows and exports)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (date, Decimal)):
        return str(value)
    return str(value)


def snapshot(model):
    """Return {field: text} of a record's stored values (foreign keys as ids)."""
    values = {}
    for field in model._meta.sorted_fields:
        name = field.name
        raw = model.__data__.get(name)
        if name in SECRET_FIELDS:
            # Never the hash itself: a fingerprint of it, so that a change shows in the audit.
            raw = "***" + hashlib.sha256(raw.encode()).hexdigest()[:8] if raw else ""
        values[name] = as_text(raw)
    return values


def _actor():
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id, current_user.username
    return None, None


def audit(action, model=None, before=None, now=None, user=None, summary=None, extra=None):
    """Append one audit row for `action` on `model` (call inside the change's transaction)."""
    user_id, username = (user.id, user.username) if user is not None else _actor()
    changes = {}
    if model is not None:
        after = snapshot(model)
        before = before or {}
        changes = {k: [before.get(k, ""), v] for k, v in after.items()
                   if before.get(k, "") != v and k not in ("updated_at",)}
    if extra:
        changes.update(extra)
    now = now or clock.now()
    _append(dict(
        created_at=now,
        updated_at=now,
        user=user_id,
        username=username,
        ip=request.remote_addr if has_request_context() else None,
        action=action,
        model=type(model).__name__ if model is not None else None,
        record_id=str(model.id) if model is not None and model.id is not None else None,
        summary=(summary or (str(model) if model is not None else ""))[:200],
        changes=json.dumps(changes, ensure_ascii=False) if changes else None,
    ))


def audit_record(action, model_name, record_id, now, summary, changes=None):
    """Append one audit row for a record known by its register's name and id (a migration's
    SQL holds no model instance)."""
    user_id, username = _actor()
    _append(dict(created_at=now, updated_at=now, user=user_id, username=username, ip=None,
                 action=action, model=model_name, record_id=str(record_id), summary=summary[:200],
                 changes=json.dumps(changes, ensure_ascii=False) if changes else None))


SYSTEM = "系统"  # the username of the rows the scheduled jobs write


def audit_job(name, counts, now, text=None):
    """Append the system's row for a job run that changed something; nothing when it did not.

    `counts`: a number, or {what: number}; `text` says what changed when a count cannot.
    Call inside the transaction of the job's change."""
    if isinstance(counts, dict):
        changed = {k: v for k, v in counts.items() if isinstance(v, int) and v}
        text = text or "，".join("%s %d" % item for item in changed.items())
    else:
        changed = counts if isinstance(counts, int) and not isinstance(counts, bool) else 0
        text = text or str(counts)
    if not changed:
        return False
    _append(dict(created_at=now, updated_at=now, user=None, username=SYSTEM, ip=None,
                 action="job", model=None, record_id=None,
                 summary=("定时任务 %s：%s" % (job_label(name), text))[:200], changes=None))
    return True


# ---------------------------------------------------------------- the hash chain
#
# row_hash = SHA-256(prev_hash + "\n" + canonical content), prev_hash being the row_hash of
# the row before it in id order (GENESIS for the first). The id is not part of the content:
# the stored prev_hash says which row a row follows, so a moved row shows as out of order.

GENESIS = "0" * 64
CHAIN_FIELDS = ("created_at", "updated_at", "user", "username", "ip", "action", "model",
                "record_id", "summary", "changes")
# PostgreSQL: appenders queue on this transaction-scoped advisory lock before reading the
# last hash, so two transactions never chain to the same row. ("kefa": the audit log.)
CHAIN_LOCK_KEY = 0x6B656661


def _canonical_value(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def canonical(values):
    """The content a row's hash covers, as one text: JSON of CHAIN_FIELDS in order."""
    return json.dumps([_canonical_value(values[name]) for name in CHAIN_FIELDS],
                      ensure_ascii=False, separators=(",", ":"))


def chain_hash(prev_hash, values):
    return hashlib.sha256(("%s\n%s" % (prev_hash, canonical(values))).encode("utf-8")).hexdigest()


def last_hash():
    """The newest row's hash (one read of the primary key's last entry); GENESIS when empty."""
    row = (AuditLog.select(AuditLog.row_hash).order_by(AuditLog.id.desc()).limit(1)
           .tuples().first())
    return (row[0] or GENESIS) if row else GENESIS


def _append(values):
    """Insert one row chained to the last one; appenders are serialized (SQLite: the write
    lock, taken at once by write_transaction; PostgreSQL: CHAIN_LOCK_KEY)."""
    with write_transaction():  # a savepoint inside the caller's transaction
        if not is_sqlite():
            AuditLog._meta.database.execute_sql("SELECT pg_advisory_xact_lock(%s)",
                                                (CHAIN_LOCK_KEY,))
        prev = last_hash()
        AuditLog.insert(prev_hash=prev, row_hash=chain_hash(prev, values), **values).execute()


def _values(row):
    return {name: row.__data__.get(name) for name in CHAIN_FIELDS}


def rows_in_id_order(batch=2000):
    """Every audit row in id order, read a batch at a time (never the whole table at once)."""
    after = None
    while True:
        query = AuditLog.select().order_by(AuditLog.id).limit(batch)
        if after is not None:
            query = query.where(AuditLog.id > after)
        rows = list(query)
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].id


def backfill_chain(batch=2000):
    """Give every row without a hash its place in the chain (the migration that adds it)."""
    prev = GENESIS
    for row in rows_in_id_order(batch):
        if row.row_hash is None:
            row_hash = chain_hash(prev, _values(row))
            AuditLog.update(prev_hash=prev, row_hash=row_hash).where(AuditLog.id == row.id).execute()
            prev = row_hash
        else:
            prev = row.row_hash


# What can be wrong, as the check names it.
ALTERED, MISSING_BEFORE, INSERTED, OUT_OF_ORDER = "altered", "missing_before", "inserted", "out_of_order"
PROBLEMS = {
    ALTERED: "内容被改动（与本行哈希不符）",
    MISSING_BEFORE: "此行之前有记录被删除",
    INSERTED: "被插入（不是客服台写入的）",
    OUT_OF_ORDER: "顺序被打乱（链中它接在第 %s 行之后）",
}


class ChainCheck:
    """The outcome of verify_chain: rows read, the head hash, the first broken row, and the
    database guards (triggers) found missing."""

    def __init__(self, rows, head, broken=None, problem=None, follows=None, guards_missing=(),
                 head_found=None):
        self.rows, self.head, self.broken, self.problem = rows, head, broken, problem
        self.follows, self.guards_missing, self.head_found = follows, list(guards_missing), head_found

    @property
    def ok(self):
        return self.broken is None and not self.guards_missing and self.head_found is not False

    def describe(self):
        """One line per finding, in Chinese, for the command line and the admin's alert."""
        if self.ok:
            return ["ok：操作日志完整，共 %d 行；链头哈希 %s（请另行记录，以便日后核对）"
                    % (self.rows, self.head)]
        lines = []
        if self.broken is not None:
            what = PROBLEMS[self.problem] % self.follows if self.problem == OUT_OF_ORDER \
                else PROBLEMS[self.problem]
            lines.append("操作日志第一处损坏：第 %s 行（%s，%s）：%s" % (
                self.broken.id, as_text(self.broken.created_at), self.broken.action_label(), what))
        if self.head_found is False:
            lines.append("先前记录的链头哈希已不在链中：之后的记录被删除或整条链被重写")
        for name in self.guards_missing:
            lines.append("操作日志的数据库保护已被删除或停用：触发器 %s" % name)
        return lines


def verify_chain(expected_head=None, batch=2000):
    """Walk the whole audit log in id order and report its first broken row (ChainCheck).

    `expected_head`: a head hash recorded earlier; it must still be a row of the chain."""
    rows, last, before_last, previous = 0, GENESIS, None, None
    head_found = None if expected_head is None else False
    for row in rows_in_id_order(batch):
        rows += 1
        problem, follows, culprit = None, None, row
        if not row.row_hash or not row.prev_hash:
            problem = INSERTED
        elif row.row_hash != chain_hash(row.prev_hash, _values(row)):
            problem = ALTERED
        elif row.prev_hash != last:
            if previous is not None and row.prev_hash == before_last:
                problem, culprit = INSERTED, previous  # chained past the row before it
            else:
                elsewhere = (AuditLog.select(AuditLog.id).where(AuditLog.row_hash == row.prev_hash)
                             .order_by(AuditLog.id).limit(1).tuples().first())
                problem = OUT_OF_ORDER if elsewhere else MISSING_BEFORE
                follows = elsewhere[0] if elsewhere else None
        if problem:
            return ChainCheck(rows, last, culprit, problem, follows, missing_append_only_guards())
        if row.row_hash == expected_head:
            head_found = True
        before_last, last, previous = last, row.row_hash, row
    return ChainCheck(rows, last, guards_missing=missing_append_only_guards(),
                      head_found=head_found)


# The registers write their own state changes' audit rows through this module (models.journal):
# installed here, so that models import nothing above them.
JOURNAL.update(audit=audit, snapshot=snapshot)
