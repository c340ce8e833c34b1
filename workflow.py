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
                 bulk=False, step=None, audit_as=None, taken_by=None):
        self.name, self.label = name, label
        # Another register's step that takes it ("ShiftHandover.finance"); no button of its own.
        self.taken_by = taken_by
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

    def __init__(self, kind, column, runs_in, started_on=None, overdue_filter=True,
                 runs_on=False):
        self.kind, self.column, self.runs_in = kind, column, tuple(runs_in)
        self.started_on = started_on
        # Still running after the record leaves `runs_in` (met late, it still counts as late);
        # shown overdue only in `runs_in`.
        self.runs_on = runs_on
        self.overdue_filter = overdue_filter  # a grid filter 已逾期 of its own


def on_hold(holdable):
    """挂起 / 解除挂起: for registers whose clocks may wait on the customer or parts."""
    return (Transition("hold", "挂起", holdable, asks=("reason",)),
            Transition("release", "解除挂起", None))


class Workflow:
    """The states of `register` (a model class name) as (value, Chinese label), in the order
    its choices show them; the open ones (still needing work); its clocks and transitions."""

    def __init__(self, register, states, open, transitions, clocks=(), retired=(),
                 editable=None, groups=None):
        self.register = register
        # Other named sets of states a report or a job reads, e.g. {"unhandled": (…)}.
        self.groups = {name: tuple(values) for name, values in (groups or {}).items()}
        # The states in which the record's edit form may still change it (None: any).
        self.editable = None if editable is None else tuple(editable)
        # States kept for old rows and the column's check, that no transition enters any more.
        self.retired = tuple(retired)
        self.states = tuple(states)
        self.values = tuple(value for value, _ in self.states)
        self.open = tuple(open)
        self.transitions = {t.name: t for t in transitions}
        self.clocks = tuple(clocks)
        assert len(self.transitions) == len(tuple(transitions)), register
        known = set(self.values)
        assert set(self.open) | set(self.retired) | set(self.editable or ()) <= known, register
        assert all(set(values) <= known for values in self.groups.values()), register
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

    def target(self, name):
        """The state transition `name` leads to: what a set-based write (a job resolving alerts,
        a record born already sent) writes instead of restating it."""
        return self.transitions[name].target

    @property
    def initial(self):
        """The state a new record starts in (the first declared)."""
        return self.values[0]

    def steps(self):
        """{step name: [its transitions]}: what the register's buttons are."""
        steps = {}
        for t in self.transitions.values():
            if t.taken_by is None:
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
        return tuple((c.column, c.runs_in) for c in self.clocks if c.overdue_filter)

    def group(self, name):
        return self.groups[name]

    def clock(self, kind):
        return next(c for c in self.clocks if c.kind == kind)


# ---------------------------------------------------------------- reception

# Asked when the desk takes a complaint or corrects it (R-CMP-1, 4).
INTAKE = ("category", "severity", "requested_by")
# Asked by every callback (回访): the customer's verdict and satisfaction.
CALLBACK = ("fixed", "satisfaction", "person", "notes")

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
        Transition("callback", "回访", ("done",), "closed", asks=CALLBACK, stops=("callback",)),
        # The customer says it is not fixed: dispatched again (R-REP-5).
        Transition("reopen", "重新派单", ("done",), "dispatched", step="callback",
                   asks=CALLBACK, stops=("callback",), starts=("accept",)),
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
        lines.append("`%s`: states %s; open %s%s%s%s; clocks %s." % (
            flow.register, states(flow, flow.values), states(flow, flow.open),
            "; edited only in " + states(flow, flow.editable) if flow.editable else "",
            "; retired (no transition enters) " + states(flow, flow.retired)
            if flow.retired else "",
            "".join("; `%s` %s" % (name, states(flow, values))
                    for name, values in flow.groups.items()),
            ", ".join("`%s` runs in %s (`%s`)" % (c.kind, states(flow, c.runs_in), c.column)
                      for c in flow.clocks) or "none"))
        lines += ["", "| step | from | to | asks | starts | stops | does |",
                  "|---|---|---|---|---|---|---|"]
        for t in flow.transitions.values():
            lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                t.label + (f" `{t.name}` (taken by `{t.taken_by}`)" if t.taken_by else
                           f" `{t.name}`" if t.step == t.name
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
        Transition("to_complaint", "转投诉", ("open",), "transferred", asks=INTAKE,
                   audit_as="transfer"),
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


# ---------------------------------------------------------------- complaints

# Grading stamps the clocks of the severity: a major or important complaint's start, a general
# one's resolution (R-CMP-1); handled again, the daily follow-up counts afresh (R-CMP-6).
GRADED = ("start", "resolve")

COMPLAINT = Workflow(
    "Complaint",
    states=(("received", "已受理"), ("in_progress", "处理中"), ("resolved", "已处理待回访"),
            ("closed", "已关闭"), ("refused", "不予受理"), ("cancelled", "已取消")),
    open=("received", "in_progress", "resolved"),
    retired=("cancelled",),  # a complaint is archived (作废/归档) instead
    # Never handled: counted in a month's analysis, but not in its on-time rates.
    groups={"unhandled": ("refused", "cancelled")},
    clocks=(Clock("start", "start_deadline", ("received",), started_on="create"),
            Clock("resolve", "resolve_deadline", ("received", "in_progress"),
                  started_on="create"),
            Clock("callback", "callback_deadline", ("resolved",)),
            # Owed while it is handled (R-CMP-6); its own page and job, no overdue filter.
            Clock("follow_up", "follow_up_from", ("received", "in_progress"),
                  started_on="create", overdue_filter=False)),
    transitions=(
        # A product complaint against the guideline (R-CMP-2): in scope, or refused.
        Transition("scope", "受理范围核对", ("received",), asks=("ticked", "reason")),
        Transition("refuse", "不予受理", ("received",), "refused", step="scope",
                   asks=("ticked", "reason"), stops=GRADED + ("follow_up",)),
        Transition("correct", "更正类别/性质", ("received",), asks=INTAKE, starts=GRADED),
        # A major complaint's handling is started by the project manager (R-CMP-1).
        Transition("start", "启动处理", ("received",), "in_progress", asks=("content",),
                   stops=("start",)),
        Transition("progress", "记录进展", ("in_progress",), asks=("content", "told")),
        Transition("feedback", "反馈投诉人", ("received", "in_progress"), asks=("content", "told")),
        Transition("follow_up", "每日跟踪", ("received", "in_progress"),
                   asks=("content", "told")),
        # A callback is due within 3 working days (R-CMP-7).
        Transition("resolve", "办结", ("in_progress",), "resolved", asks=("result",),
                   stops=GRADED + ("follow_up",), starts=("callback",)),
        Transition("callback", "回访", ("resolved",), "closed", asks=CALLBACK,
                   stops=("callback",)),
        # Not accepted: one level up and handled again (R-CMP-7/8).
        Transition("callback_escalate", "回访不认可，升级", ("resolved",), "received",
                   step="callback", audit_as="escalate", asks=CALLBACK, stops=("callback",),
                   starts=GRADED + ("follow_up",)),
        Transition("escalate", "升级", ("received", "in_progress"), "received", asks=("reason",),
                   starts=GRADED + ("follow_up",)),
        Transition("reroute", "改派", ("received", "in_progress"), asks=("department", "reason")),
        *on_hold(("received", "in_progress")),
    ))

COMPLAINT_PASS_ON = Workflow(
    "ComplaintPassOn",
    states=(("waiting", "待客服登记"), ("registered", "已登记投诉"), ("cancelled", "已撤回")),
    open=("waiting",),
    editable=("waiting",),  # once registered, the complaint is the record
    retired=("cancelled",),  # withdrawn by archiving (作废/归档)
    # The desk registers it within 1 hour of its receipt (R-CMP-3).
    clocks=(Clock("forward", "register_deadline", ("waiting",), started_on="create"),),
    transitions=(
        Transition("register", "登记为投诉", ("waiting",), "registered", asks=INTAKE,
                   stops=("forward",)),
    ))


# ---------------------------------------------------------------- paid services and loans

SHIFT_HANDOVER = Workflow(
    "ShiftHandover",
    states=(("signing", "待接班人签字"), ("signed", "已交接"), ("finance", "已交财务")),
    open=("signing", "signed"),
    # The shift's money reaches finance by the end of the shift's day (R-PAY-2).
    clocks=(Clock("finance", "finance_deadline", ("signing", "signed"), started_on="create"),),
    transitions=(
        # Both clerks sign the handover: the taker, in person.
        Transition("take_over", "接班签字", ("signing",), "signed", does=(MONEY,)),
        # Every charge of the shift goes with the counted cash (R-PAY-1, 2).
        Transition("finance", "交财务", ("signed",), "finance", asks=("receiver", "amount"),
                   stops=("finance",), does=(MONEY,)),
    ))

CHARGE = Workflow(
    "Charge",
    states=(("recorded", "已收费"), ("handed_over", "已交财务"), ("voided", "已作废")),
    open=("recorded",),
    editable=("recorded",),  # handed over or voided: a closed book
    clocks=(Clock("finance", "finance_deadline", ("recorded",), started_on="create"),),
    transitions=(
        # A charge reaches finance only inside its shift's handover (R-PAY-1, 2).
        Transition("hand_to_finance", "交财务", ("recorded",), "handed_over",
                   stops=("finance",), taken_by="ShiftHandover.finance"),
        Transition("void", "作废", ("recorded",), "voided", asks=("reason",), stops=("finance",)),
    ))

ITEM_LOAN = Workflow(
    "ItemLoan",
    states=(("issuing", "待仓库发放"), ("out", "借出中"), ("returned", "已归还"),
            ("refunded", "已退押金"), ("cancelled", "已取消")),
    # Waiting at the warehouse, out, or returned with the deposit still held.
    open=("issuing", "out", "returned"),
    editable=("issuing", "out"),
    retired=("cancelled",),  # a loan is archived (作废/归档) instead
    # Free for the item's free time from its issue (R-LOAN-4).
    clocks=(Clock("free", "due_back_at", ("out",)),),
    transitions=(
        # The warehouse keeper issues it against the certificate (R-LOAN-2).
        Transition("issue", "仓库发放", ("issuing",), "out", asks=("certificate_no", "issued_at"),
                   starts=("free",)),
        Transition("return_item", "归还", ("out",), "returned", stops=("free",), does=(MONEY,)),
        # Against the deposit receipt and the certificate, one loan at a time (R-LOAN-3).
        Transition("refund", "退押金", ("returned",), "refunded",
                   asks=("receipt_no", "certificate_no"), does=(MONEY,)),
    ))


# ---------------------------------------------------------------- surveys

SURVEY = Workflow(
    "Survey",
    states=(("draft", "草拟"), ("submitted", "已报批"), ("approved", "已批准"),
            ("running", "实施中"), ("closed", "已结束"), ("archived", "已归档")),
    open=("draft", "submitted", "approved", "running", "closed"),
    editable=("draft",),
    groups={"approved": ("approved", "running", "closed", "archived"),  # a plan on file
            "answered": ("running", "closed", "archived"),  # its results can be read
            "finished": ("closed", "archived")},           # the previous survey compared
    # Countdowns to the plan's latest dates, stamped when the plan is saved (R-SUR-1, 4, 6).
    clocks=(Clock("approve", "approve_deadline", ("draft", "submitted"), started_on="create"),
            Clock("train", "training_deadline", ("draft", "submitted", "approved"),
                  started_on="create", runs_on=True),
            Clock("file", "filing_deadline", ("running", "closed"), started_on="create")),
    transitions=(
        Transition("copy_template", "导入模板题目", ("draft",), asks=("template",)),
        # The complete plan, at least 20 days before the start, to the general manager.
        Transition("submit", "报批", ("draft",), "submitted", does=(NOTIFIES,)),
        # The general manager alone approves it (R-SUR-1).
        Transition("approve", "批准", ("submitted",), "approved", stops=("approve",)),
        Transition("return_plan", "退回修改", ("submitted",), "draft", asks=("reason",)),
        # The survey staff trained before the start (R-SUR-4).
        Transition("train", "记录培训", ("submitted", "approved"), asks=("trained_at", "note"),
                   stops=("train",)),
        Transition("begin", "开始实施", ("approved",), "running"),
        Transition("distribute", "发放问卷", ("approved", "running"),
                   asks=("kinds", "floors", "categories", "shop_nos")),
        Transition("paper_copies", "登记现场发放份数", ("approved", "running", "closed"),
                   asks=("copies",)),
        # Results computed; an item under the threshold raises a corrective action (R-SUR-3, 5).
        Transition("close", "结束调查", ("running",), "closed", does=(CLOSES, NOTIFIES)),
        # Within 5 days of the end; read-only from then on (R-SUR-6).
        Transition("file", "资料归档", ("closed",), "archived", stops=("file",), does=(CLOSES,)),
    ))

CORRECTIVE_ACTION = Workflow(
    "CorrectiveAction",
    states=(("open", "待整改"), ("done", "已完成"), ("verified", "已验证"), ("cancelled", "已取消")),
    open=("open", "done"),
    editable=("open",),
    retired=("cancelled",),  # an action is archived (作废/归档) instead
    # A due date on the record (no Deadline row): overdue while not done.
    clocks=(Clock("due", "due_date", ("open",), started_on="create"),),
    transitions=(
        Transition("complete_action", "整改完成", ("open",), "done", asks=("action", "note"),
                   stops=("due",)),
        # Operations verifies it with evidence (R-SUR-5), or sends it back.
        Transition("verify", "验证", ("done",), "verified", asks=("evidence",)),
        Transition("reject_verification", "验证不通过", ("done",), "open", asks=("reason",)),
    ))


COMPLAINT_REPORT = Workflow(
    "ComplaintReport",
    states=(("draft", "草稿"), ("published", "已报送")),
    open=("draft",),
    editable=("draft",),  # a published report is final
    transitions=(
        Transition("regenerate", "重新统计", ("draft",)),
        Transition("publish", "报送管理层", ("draft",), "published", does=(NOTIFIES, CLOSES)),
    ))


# ---------------------------------------------------------------- communication

NOTICE = Workflow(
    "Notice",
    states=(("draft", "草稿"), ("published", "已发布"), ("done", "已全部确认"), ("cancelled", "已撤回")),
    open=("published",),
    editable=("draft",),
    retired=("cancelled",),  # a notice is archived (作废/归档) instead
    # Every receipt of an important notice confirmed within 1 working day (R-COM-1).
    clocks=(Clock("confirm", "confirm_deadline", ("published",)),),
    transitions=(
        # One receipt per recipient; an important notice starts the clock.
        Transition("publish", "发布通知", ("draft",), "published",
                   asks=("kinds", "floors", "categories", "shop_nos"), starts=("confirm",),
                   audit_as="publish_notice"),
        Transition("notice_done", "全部确认", ("published",), "done", stops=("confirm",),
                   taken_by="NoticeReceipt.confirm"),
    ))

NOTICE_RECEIPT = Workflow(
    "NoticeReceipt",
    states=(("pending", "待确认"), ("confirmed", "已确认")),
    open=("pending",),
    transitions=(
        # Read, signed, or confirmed by phone with who and when (R-COM-1).
        Transition("confirm", "确认收到", ("pending",), "confirmed",
                   asks=("method", "person", "confirmed_at")),
        Transition("sign", "签收", ("pending",), "confirmed", bulk=True, audit_as="confirm"),
    ))

ACTION_ITEM = Workflow(
    "ActionItem",
    states=(("open", "待落实"), ("done", "已落实"), ("cancelled", "已取消")),
    open=("open",),
    editable=("open",),
    transitions=(
        # Tracked until done (R-COM-4).
        Transition("complete_item", "落实", ("open",), "done", asks=("outcome",)),
        Transition("cancel_item", "取消", ("open",), "cancelled", asks=("reason",)),
    ))


# ---------------------------------------------------------------- alerts

ALERT = Workflow(
    "Alert",
    states=(("open", "未处理"), ("resolved", "已解决")),
    open=("open",),
    transitions=(
        # Raised by the jobs and the workflows; people only resolve them, with a note.
        Transition("resolve", "解除提醒", ("open",), "resolved", asks=("note",),
                   audit_as="resolve_alert"),
    ))


WORKFLOWS = {flow.register: flow for flow in (CONTACT, REPAIR_ORDER, SERVICE_REQUEST,
                                              WORK_LETTER, SHIFT_HANDOVER, CHARGE, ITEM_LOAN,
                                              COMPLAINT, COMPLAINT_PASS_ON, COMPLAINT_REPORT,
                                              SURVEY, CORRECTIVE_ACTION, NOTICE, NOTICE_RECEIPT,
                                              ACTION_ITEM, ALERT)}


def of(register):
    """The workflow of `register` (a model class name), or None for a register without one."""
    return WORKFLOWS.get(register)
