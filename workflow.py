"""Each register's workflow, declared once: its states, which of them are open, the clocks that
run in them, and every transition between them.

A transition is declared here and nowhere else: the states it leaves and the one it enters, the
form it asks for, the clocks it starts and stops, what it does beyond the change of state. The
model's step method (`Register.transition` reads its states from here), the view's buttons, row
and bulk actions, the open states and overdue filters of the grids, the README's workflow table
(`python app.py workflow-table`) and tests/test_workflow.py all derive from it. Who may take a
step is the other half, declared in access.STEPS.

This module imports nothing of the console.
"""

# What a step does beyond changing a state; any of these makes a fieldless step ask first.
MONEY = "money"        # takes, hands over or pays back money (deposit, fee, refund)
CLOSES = "closes"      # ends the record's life (办结, 关闭, 归档)
NOTIFIES = "notifies"  # tells someone outside the desk: a tenant, another department, the pm
DOES = {MONEY: "涉及款项", CLOSES: "结束记录", NOTIFIES: "通知对方"}


class Transition:
    """One change a register's records go through.

    `source`: the states it may start from (None: any state, e.g. 解除挂起 checks the hold
    instead); `target`: the state it leaves the record in (None: the state does not change, e.g.
    挂起 or 记录进展); `step`: the button that takes it, by default its own name (a transition
    that is one outcome of another step names that step, e.g. 回访 that reopens an order);
    `asks`: the form's fields; `starts`/`stops`: the clocks (Deadline kinds); `does`: MONEY,
    CLOSES, NOTIFIES; `bulk`: also offered on a grid's selected rows."""

    def __init__(self, name, label, source, target=None, asks=(), starts=(), stops=(), does=(),
                 bulk=False, step=None):
        self.name, self.label = name, label
        self.source = None if source is None else tuple(source)
        self.target = target
        self.asks, self.starts, self.stops = tuple(asks), tuple(starts), tuple(stops)
        self.does = frozenset(does)
        assert self.does <= set(DOES), self.does
        self.bulk = bulk
        self.step = step or name

    def __repr__(self):
        return "Transition(%r)" % self.name


class Clock:
    """A time limit shown on a register's grid: its Deadline kind, the column holding its due
    time, and the states in which it still runs (past due there: overdue)."""

    def __init__(self, kind, column, runs_in):
        self.kind, self.column, self.runs_in = kind, column, tuple(runs_in)


def on_hold(holdable):
    """挂起 / 解除挂起: for registers whose clocks may wait on the customer or parts."""
    return (Transition("hold", "挂起", holdable, asks=("reason",)),
            Transition("release", "解除挂起", None))


class Workflow:
    """The states of `register` (a model class name) as (value, Chinese label), in the order
    its choices show them; the open ones (still needing work); its clocks and transitions."""

    def __init__(self, register, states, open, transitions, clocks=(), retired=()):
        self.register = register
        # States kept for old rows and the column's check, that no transition enters any more.
        self.retired = tuple(retired)
        self.states = tuple(states)
        self.values = tuple(value for value, _ in self.states)
        self.open = tuple(open)
        self.transitions = {t.name: t for t in transitions}
        self.clocks = tuple(clocks)
        assert len(self.transitions) == len(tuple(transitions)), register
        known = set(self.values)
        assert set(self.open) <= known and set(self.retired) <= known, register
        for t in self.transitions.values():
            assert set(t.source or ()) <= known and t.target in known | {None}, (register, t)
        for c in self.clocks:
            assert set(c.runs_in) <= known, (register, c.kind)

    @property
    def choices(self):
        """The status field's choices."""
        return self.states

    def label(self, state):
        return dict(self.states)[state]

    def transition(self, name):
        """The declared transition `name`; an undeclared one is an error."""
        return self.transitions[name]

    def source(self, name):
        return self.transitions[name].source

    def steps(self):
        """{step name: [its transitions]}: what the register's buttons are."""
        steps = {}
        for t in self.transitions.values():
            steps.setdefault(t.step, []).append(t)
        return steps

    def step_states(self, step):
        """The states in which `step` is offered (None: any)."""
        sources = [t.source for t in self.steps()[step]]
        if any(s is None for s in sources):
            return None
        return tuple(v for v in self.values if any(v in s for s in sources))

    def deadline_filters(self):
        """(column, states in which its clock runs) for the overdue filters and 即将到期."""
        return tuple((c.column, c.runs_in) for c in self.clocks)


# ---------------------------------------------------------------- reception

REPAIR_ORDER = Workflow(
    "RepairOrder",
    states=(("registered", "已登记"), ("dispatched", "已派单"), ("accepted", "已接单"),
            ("done", "已完工"), ("closed", "已回访关闭"), ("refused", "不予受理"),
            ("cancelled", "已取消")),
    open=("registered", "dispatched", "accepted", "done"),
    retired=("cancelled",),  # an order is archived (作废/归档) instead
    clocks=(Clock("accept", "accept_deadline", ("dispatched",)),
            Clock("resolve", "complete_deadline", ("accepted",)),
            Clock("callback", "callback_deadline", ("done",))),
    transitions=(
        # Property management must accept within 30 minutes (R-REP-2).
        Transition("dispatch", "派单", ("registered",), "dispatched", starts=("accept",),
                   does=(NOTIFIES,), bulk=True),
        # The repair must be done within its category's limit (R-REP-5).
        Transition("accept", "接单", ("dispatched",), "accepted", stops=("accept",),
                   starts=("resolve",), bulk=True),
        # The service center must call back (R-REP-3).
        Transition("complete", "完工", ("accepted",), "done", asks=("result",),
                   stops=("resolve",), starts=("callback",)),
        Transition("callback", "回访", ("done",), "closed",
                   asks=("fixed", "satisfaction", "person", "notes"), stops=("callback",)),
        # The customer says it is not fixed: dispatched again (R-REP-5).
        Transition("reopen", "重新派单", ("done",), "dispatched", step="callback",
                   asks=("fixed", "satisfaction", "person", "notes"), stops=("callback",),
                   starts=("accept",)),
        # Out of the repair scope (R-REP-4).
        Transition("refuse", "不予受理", ("registered",), "refused", asks=("reason",)),
        *on_hold(("dispatched", "accepted")),
    ))


def table():
    """The README's workflow tables (Markdown): per register its states, open states and
    clocks, then one row per declared transition."""
    def states(flow, values):
        return "any" if values is None else " / ".join(flow.label(v) for v in values)

    lines = []
    for flow in WORKFLOWS.values():
        lines.append("`%s`: states %s; open %s%s; clocks %s." % (
            flow.register, states(flow, flow.values), states(flow, flow.open),
            "; retired (no transition enters) " + states(flow, flow.retired)
            if flow.retired else "",
            ", ".join("`%s` runs in %s (`%s`)" % (c.kind, states(flow, c.runs_in), c.column)
                      for c in flow.clocks) or "none"))
        lines += ["", "| step | from | to | asks | starts | stops | does |",
                  "|---|---|---|---|---|---|---|"]
        for t in flow.transitions.values():
            lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                t.label + (f" `{t.name}`" if t.step == t.name
                           else f" `{t.name}` (an outcome of `{t.step}`)"),
                states(flow, t.source),
                "unchanged" if t.target is None else flow.label(t.target),
                ", ".join(t.asks) or "–", ", ".join(t.starts) or "–",
                ", ".join(t.stops) or "–",
                ", ".join(DOES[d] for d in sorted(t.does)) or "–"))
        lines.append("")
    return "\n".join(lines)


WORKFLOWS = {flow.register: flow for flow in (REPAIR_ORDER,)}


def of(register):
    """The workflow of `register` (a model class name), or None for a register without one."""
    return WORKFLOWS.get(register)
