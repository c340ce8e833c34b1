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
    CLOSES, NOTIFIES; `bulk`: also offered on a grid's selected rows; `audit_as`: the audit
    row's action when several transitions are audited alike (转维修单, 转投诉…: 转办)."""

    def __init__(self, name, label, source, target=None, asks=(), starts=(), stops=(), does=(),
                 bulk=False, step=None, audit_as=None):
        self.name, self.label = name, label
        self.audit_as = audit_as or name  # the audit row's action code
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
    time, and the states in which it still runs (past due there: overdue). `started_on`: what
    starts it when no transition of its own register does ("create", or another register's
    transition as "Register.name")."""

    def __init__(self, kind, column, runs_in, started_on=None):
        self.kind, self.column, self.runs_in = kind, column, tuple(runs_in)
        self.started_on = started_on


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

CONTACT = Workflow(
    "Contact",
    states=(("open", "待处理"), ("transferred", "已转部门"), ("handled", "已处理"),
            ("closed", "已关闭")),
    # Waiting on the desk; a transferred contact waits on what it became (its own answer
    # owed is the clock below).
    open=("open",),
    # The department's reply owes the enquirer an answer (R-ENQ-1/2).
    clocks=(Clock("callback", "answer_deadline", ("transferred",),
                  started_on="WorkLetter.reply"),),
    transitions=(
        Transition("to_repair", "转维修单", ("open",), "transferred", audit_as="transfer"),
        Transition("to_service_request", "转服务申请", ("open",), "transferred",
                   audit_as="transfer"),
        # Category and severity decide routing, clocks and the pm's alert (R-CMP-1, 4).
        Transition("to_complaint", "转投诉", ("open",), "transferred",
                   asks=("category", "severity", "requested_by"), audit_as="transfer"),
        # Another department must act: a letter within 1 hour of the enquiry (R-ENQ-2).
        Transition("to_letter", "发联系函", ("open", "transferred"), "transferred",
                   asks=("department",), audit_as="transfer"),
        Transition("handled", "已答复", ("open",), "handled", asks=("outcome",)),
        Transition("answer", "答复咨询人", ("transferred",), "closed", asks=("method", "answer"),
                   stops=("callback",), does=(CLOSES,)),
    ))

SERVICE_REQUEST = Workflow(
    "ServiceRequest",
    states=(("submitted", "已提交"), ("approved", "已批准"), ("refused", "不予批准"),
            ("handed_back", "已交申请人"), ("cancelled", "已取消")),
    open=("submitted", "approved", "refused"),
    retired=("cancelled",),  # an application is archived (作废/归档) instead
    # The decision goes back to the applicant within 1 working day of submission (R-SVC-2).
    clocks=(Clock("handback", "handback_deadline", ("submitted", "approved", "refused"),
                  started_on="create"),),
    transitions=(
        # By the approving department's head or one approving for all (R-SVC-1).
        Transition("approve", "批准", ("submitted",), "approved", asks=("note",)),
        Transition("decline", "不予批准", ("submitted",), "refused", asks=("reason",)),
        Transition("hand_back", "交回申请人", ("approved", "refused"), "handed_back",
                   stops=("handback",), does=(NOTIFIES, CLOSES), bulk=True),
        # A work letter to each cooperating department (R-SVC-3).
        Transition("notify", "书面转达配合部门", ("approved", "handed_back"),
                   asks=("departments",)),
        *on_hold(("submitted", "approved", "refused")),
    ))

WORK_LETTER = Workflow(
    "WorkLetter",
    states=(("draft", "草稿"), ("sent", "已发出"), ("acknowledged", "已签收"),
            ("replied", "已回复"), ("closed", "已关闭")),
    open=("draft", "sent", "acknowledged", "replied"),
    # A letter from an enquiry reaches its department within 1 hour of it (R-ENQ-2).
    clocks=(Clock("forward", "forward_deadline", ("draft",), started_on="create"),),
    transitions=(
        Transition("send", "发出", ("draft",), "sent", stops=("forward",), does=(NOTIFIES,),
                   bulk=True),
        # The receiving department signs and replies; the sender sends and closes.
        Transition("acknowledge", "签收", ("sent",), "acknowledged", bulk=True),
        Transition("reply", "回复", ("sent", "acknowledged"), "replied", asks=("reply",)),
        Transition("close", "关闭", ("replied",), "closed", does=(CLOSES,)),
    ))


WORKFLOWS = {flow.register: flow for flow in (CONTACT, REPAIR_ORDER, SERVICE_REQUEST,
                                              WORK_LETTER)}


def of(register):
    """The workflow of `register` (a model class name), or None for a register without one."""
    return WORKFLOWS.get(register)
