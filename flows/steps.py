"""Take one step of a register's workflow: the one way an entry point changes a record's state.

The step's own rule is the model method (`run`); this function owns what every step shares: the
transaction, the one-time form token, reading the row afresh, refusing a step its declared
workflow (workflow.py) does not allow now, and the version claim that lets exactly one of two
clicks on the same page win."""
from database import write_transaction
from models import DomainError, FormToken


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
                                        flow.steps()[name][0].label)
    return None


def take_step(record, name, by, now, run, seen=None, once=None, check=None):
    """Take step `name` on `record` by `by` at `now` in a transaction of its own and return
    what `run(fresh record, by, now)` returned.

    `seen`: the version the button or form was drawn from (None: the one read here); `once`: the
    form's one-time token, used in the same transaction; `check(record)`: an entry point's own
    further refusal (e.g. a button shown only to the approver), or None."""
    with write_transaction():
        if once:
            FormToken.use(once, now)
        fresh = type(record).get_by_id(record.id)
        why = refusal(fresh, name) or (check(fresh) if check else None)
        if why:
            raise DomainError(why)
        fresh.claim(seen)
        result = run(fresh, by, now)
        if once:
            FormToken.result(once, fresh)
        return result
