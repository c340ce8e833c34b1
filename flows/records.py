"""Saving a record typed in (a form, an import row, an API call): its register's rules before and
after the row is written, the creation stamps and number, one transaction, one audit row."""
import access
from audit import audit, snapshot
from database import write_transaction
from flows.scopes import in_scope
from flows.steps import NotAllowed
from models import DomainError, ValidationError

# {model class: [rule(record, created, by, now, extra)]}, registered by each area's module.
_BEFORE, _AFTER = {}, {}
# {model class: columns naming who did it, set to the creating user when left empty}
_STAMPED = {}
# extra[MORE_TO_COME] is true while a record is one of several written as one change (an import's
# rows, sharing one `extra`) and not the last: a rule may then leave an effect of the whole change
# (the running clocks new calendar days move) to the last record's save, so it is made once.
MORE_TO_COME = "more_to_come"


def stamped_by(model, *names):
    """Declare the columns of `model` that name the user who creates a record (收费人, 借出人…)."""
    _STAMPED[model] = names


def stamps(model):
    """The columns of `model` set to the creating user (forms do not ask for them)."""
    return _STAMPED.get(model, ())


def before_save(*models):
    """Register a rule checked (and values set) before a record of `models` is written."""
    def register(rule):
        for model in models:
            _BEFORE.setdefault(model, []).append(rule)
        return rule
    return register


def after_save(*models):
    """Register an effect applied once a record of `models` is written (clocks, linked rows)."""
    def register(rule):
        for model in models:
            _AFTER.setdefault(model, []).append(rule)
        return rule
    return register


def stored_copy(record, original):
    """The record as it was loaded, before the edit (for the audit row's before)."""
    copy = type(record)()
    copy.__data__ = dict(original)
    return copy


def save(record, by, now, *, created, original=None, extra=None, settled=None, summary=None):
    """Write a new or edited `record` with its register's rules and its audit row, in one
    transaction; a refused rule (ValidationError, DomainError) leaves nothing written.

    `original`: the edited record's values as loaded (only the columns changed since are
    written, so a column written meanwhile stays). `extra`: values the user gave that are not
    columns (an override amount, a password, the staff who attended), shared by the records of
    one change (MORE_TO_COME). `settled(record)`: the entry point's own check once the row is
    written (its scope, its form token). Returns what the last after-save rule tells the user
    (a text, e.g. clocks the change moved), or None."""
    extra = {} if extra is None else extra  # several records of one change share theirs
    if original is None and not created:
        original = dict(type(record).get_by_id(record.id).__data__)
    refuse_unwritable(record, by, created)
    if not created:
        refuse_closed(record, original)
    before = {} if created else snapshot(stored_copy(record, original))
    outcome = None
    with write_transaction():
        for rule in _BEFORE.get(type(record), ()):
            rule(record, created, by, now, extra)
        record.full_clean()
        if created:
            record.created_at = now
            record.created_by = by.id if by is not None else None
            for name in stamps(type(record)):
                if getattr(record, name + "_id") is None and by is not None:
                    setattr(record, name, by.id)
            if hasattr(record, "assign_number"):
                record.assign_number(now)
        record.updated_at = now
        if created:
            record.save(force_insert=True)
        else:
            record.save(only=[field for name, field in record._meta.fields.items()
                              if name == "updated_at" or name != "version"
                              and record.__data__.get(name) != original.get(name)])
        if settled is not None:
            settled(record)
        if by is not None and not in_scope(record, by, write=True):  # what it became
            raise ValidationError({scope_field(record): OWN_DEPARTMENT})
        for rule in _AFTER.get(type(record), ()):
            outcome = rule(record, created, by, now, extra)
        audit("create" if created else "update", record, before=before, now=now, user=by,
              summary=summary)
    return outcome


OWN_DEPARTMENT = "只能登记或修改本部门的记录"


def scope_field(record):
    """The field saying which department a record is (where "only your own" is shown)."""
    fields = type(record)._meta.fields
    return next((name for name in ("from_department", "department") if name in fields),
                "__all__")


def refuse_unwritable(record, by, created):
    """A user writes only the registers access.REGISTERS lets their roles write, and (a
    department's staff) only their department's rows; the system (no user) writes any."""
    grant = access.REGISTERS.get(type(record).__name__)
    if by is None or grant is None:
        return
    if not by.role_set & grant.write:
        raise NotAllowed("您的角色不能%s%s" % ("登记" if created else "修改",
                                            type(record).verbose_name()))
    if not created and not in_scope(record, by, write=True):
        raise NotAllowed(OWN_DEPARTMENT)


def refuse_closed(record, original):
    """A record of a declared workflow is edited only in the states it declares editable (a
    handed-over charge, a published notice, a finished plan are a closed book)."""
    flow = getattr(type(record), "WORKFLOW", None)
    status = original.get("status")
    if flow is not None and flow.editable is not None and status not in flow.editable:
        raise DomainError("%s已%s，不能再修改" % (record, flow.label(status)))


def create(model, data, by, now, summary=None, **extra):
    """Create a `model` record from `data` ({column: value}) with its rules and audit row."""
    record = model(**data)
    save(record, by, now, created=True, extra=extra, summary=summary)
    return record


def update(record, changes, by, now, summary=None, **extra):
    """Change columns of a stored record with its rules and audit row."""
    original = dict(record.__data__)
    for name, value in changes.items():
        setattr(record, name, value)
    save(record, by, now, created=False, original=original, extra=extra, summary=summary)
    return record


_ARCHIVERS = {}


def archives(*models):
    """Register how a record of `models` is archived (when more than its own row changes)."""
    def register(archiver):
        for model in models:
            _ARCHIVERS[model] = archiver
        return archiver
    return register


def archive(record, by, now, reason, seen=None):
    """Archive (作废/归档) a record instead of deleting it, with its register's effects and its
    audit row, if it still has version `seen`."""
    before = snapshot(record)
    with write_transaction():
        archiver = _ARCHIVERS.get(type(record))
        if archiver is not None:
            archiver(record, by, now, reason, seen)
        else:
            record.archive(by, now, reason, seen)
        audit("archive", record, before=before, now=now, user=by)
