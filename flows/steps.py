"""Take one step of a register's workflow: the one way an entry point changes a record's state.

Each step is one function `run(record, by, now, fields)`, registered here by its area's flows
module (`@runs(Model, "name")`): the model method it calls, with the fields the step asks for
(a reason, a result, the audience). `take_step` owns what every step shares: the
transaction, the one-time form token, reading the row afresh, refusing a step the user's roles
(access.STEPS) or rows (flows.scopes) do not allow or its declared workflow (workflow.py) does
not allow now, and the version claim that lets exactly one of two clicks on the same page win."""
import access
from database import write_transaction
from flows.scopes import may_step
from models import DomainError, FormToken


_RUNS = {}  # {(model class or None for any register, step name): run(record, by, now, fields)}


def runs(model, name):
    """Register the function that takes step `name` on a record of `model` (None: the step of
    that name of every register offering it, e.g. 挂起, 回访)."""
    def register(run):
        if (model, name) in _RUNS:
            raise LookupError("step %s of %s registered twice" % (name, model))
        _RUNS[model, name] = run
        return run
    return register


def calls(model, name, method=None, *fields):
    """Register step `name` of `model` as its model method `method` (default: the step's own
    name) given (by, now) and the step's `fields`, in that order (挂起: hold(by, now, reason))."""
    method = method or name

    def run(record, by, now, given):
        return getattr(record, method)(by, now, *(given[field] for field in fields))
    run.__name__ = "%s_%s" % (getattr(model, "__name__", "any"), name)
    runs(model, name)(run)


def run_of(model, name):
    """The function taking step `name` on `model`'s records; LookupError if none."""
    run = _RUNS.get((model, name)) or _RUNS.get((None, name))
    if run is None:
        raise LookupError("step %s of %s has no flows function" % (name, model.__name__))
    return run


class NotAllowed(DomainError):
    """The user may not take this step: not one of its roles, or not a row of theirs."""


def step_label(record, name):
    flow = getattr(type(record), "WORKFLOW", None)
    if flow is not None and name in flow.steps():
        return flow.steps()[name][0].label
    return name


def forbidden(record, name, by):
    """Why `by` may not take step `name` on `record` (Chinese), or None. The system (no user)
    takes any step its jobs take."""
    if by is None:
        return None
    if not by.role_set & access.step_roles(type(record).__name__, name):
        return "您的角色不能办理“%s”" % step_label(record, name)
    if not may_step(record, name, by):
        return "%s不属于您部门办理的记录，不能办理“%s”" % (record, step_label(record, name))
    return None


def refusal(record, name):
    """Why step `name` cannot be taken on `record` now (Chinese), or None: archived, waiting on
    hold (only 解除挂起 moves it), or not in one of the states the step is declared for."""
    if getattr(record, "archived_at", None):
        return "%s已归档，不能再办理" % record
    if getattr(record, "on_hold_since", None) and name != "release":
        return "%s已挂起，请先解除挂起" % record
    flow = getattr(type(record), "WORKFLOW", None)
    if flow is None or name not in flow.steps():
        return None
    states = flow.step_states(name)
    if states is not None and record.status not in states:
        return "%s当前状态为“%s”，不能%s" % (record, record.choice_label("status"),
                                        step_label(record, name))
    return None


def take_step(record, name, by, now, fields=None, seen=None, once=None, check=None):
    """Take step `name` on `record` by `by` at `now` with the step's `fields` ({name: value},
    as its form gives them) in a transaction of its own, and return what its function returned
    (a record it made, or None).

    `seen`: the version the button or form was drawn from (None: the one read here); `once`: the
    form's one-time token, used in the same transaction; `check(record)`: an entry point's own
    further refusal (e.g. a button shown only to the approver), or None."""
    run = run_of(type(record), name)
    with write_transaction():
        if once:
            FormToken.use(once, now)
        fresh = type(record).get_by_id(record.id)
        denied = forbidden(fresh, name, by)
        if denied:
            raise NotAllowed(denied)
        why = refusal(fresh, name) or (check(fresh) if check else None)
        if why:
            raise DomainError(why)
        fresh.claim(seen)
        result = run(fresh, by, now, dict(fields or {}))
        if once:
            FormToken.result(once, fresh)
        return result
