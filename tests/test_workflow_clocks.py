"""Every declared step starts and stops exactly the clocks its declaration (workflow.py) names.

The model methods stamp and stop their clocks by hand (`start_clock`/`stop_clock`); nothing but
this file holds them to the declaration. For every register whose workflow has clocks, each of
its declared transitions is walked on a fresh record, brought into a from-state along the
declared transitions and taken as every entry point takes it (flows.steps.take_step, with the
fields its view's form would give). The Deadline rows before and after say what it did: on the record, the
clocks started must be the declared `starts` and the clocks met the declared `stops` that were
running; on any other record, only what the declaration also says (a transition another
register's step takes, `taken_by`; a clock `started_on` this transition; the `create` clocks of a
record the step made). The cases come from workflow.py: a new transition is walked unchanged,
or fails here until it is given a form value, a recipe or a maker."""
from collections import defaultdict
from datetime import datetime, time, timedelta

import pytest
from peewee import fn

import access
import flows.reception
import models
import workflow
from factories import (make_charge, make_complaint, make_contact, make_lendable_item, make_loan,
                       make_notice, make_repair_order, make_service_request, make_survey_plan)
from flows.cash import hand_over
from flows.records import create, save
from flows.steps import take_step
from helpers import MON, dept, user
from models import (Complaint, ComplaintGuideline, ComplaintPassOn, Contact, CorrectiveAction,
                    Deadline, Notice, NoticeReceipt, SurveyQuestion, WorkLetter)

FLOWS = list(workflow.WORKFLOWS.values())
CLOCKED = [flow for flow in FLOWS if flow.clocks]
# Every transition of every register with clocks: one declaring none must start and stop none.
CASES = [(flow.register, t.name) for flow in CLOCKED for t in flow.transitions.values()]
# Clock kinds kept as Deadline rows; another clock is a due date on the record only
# (CorrectiveAction's `due`): it is stopped by leaving the states it runs in.
DEADLINE_KINDS = {kind for kind, _ in Deadline.KINDS}
# Who may take a step, in the order one is chosen among those its roles allow.
PEOPLE = ("admin", "clerk", "ops", "property", "pm", "gm", "warehouse")


# ---------------------------------------------------------------- what the declaration leaves open

# A declared start that only some records get, as the declaration's comments say: grading stamps
# the clocks of the severity (workflow.GRADED: a major or important complaint's start, a general
# one's resolution); only an important notice starts the confirmation clock.
ONLY_IF = {
    ("Complaint", "start"): lambda c: c.severity in (Complaint.MAJOR, Complaint.IMPORTANT),
    ("Complaint", "resolve"): lambda c: c.severity == Complaint.GENERAL,
    ("Notice", "confirm"): lambda n: n.kind == Notice.IMPORTANT,
}
# Declared starts of which a record gets one, by its grade (workflow.GRADED).
ALTERNATIVES = {"Complaint": workflow.GRADED}
# The records a register's transitions are walked on, one per variant: each declared clock is
# then seen started and stopped by at least one of them.
VARIANTS = {
    "Complaint": {"一般": {"severity": "general"}, "重要": {"severity": "important"},
                  "重大": {"severity": "major"}},
    "Notice": {"重要": {"kind": Notice.IMPORTANT}, "一般": {"kind": Notice.GENERAL}},
}


def _pass_on(at):
    pass_on = ComplaintPassOn(complainant_name="钱先生", complainant_phone="13700002222",
                              channel="phone", subject="商户转告投诉", content="空调不制冷",
                              received_at=at)
    save(pass_on, user("property"), at, created=True)
    return pass_on


def _handover(at):
    charge = make_charge(at)
    return hand_over(user("clerk"), user("clerk2"), at - timedelta(hours=2), at, charge.amount,
                     "", at, charge_ids=[charge.id])


def _corrective_action(at):
    return create(CorrectiveAction, dict(source="audit", finding="测试：服务台排队过长",
                                         department=dept("property"),
                                         due_date=at.date() + timedelta(days=7)), user("ops"), at)


# A fresh record of each register in its first state, made as the console makes it.
MAKERS = {
    "Contact": lambda at: make_contact(at),
    "RepairOrder": lambda at: make_repair_order(at),
    "ServiceRequest": lambda at: make_service_request(at),
    # A letter from an enquiry: its forward clock runs, and its reply starts the contact's.
    "WorkLetter": lambda at: flows.reception.open_work_letter(
        make_contact(at), user("clerk"), at, dept("property")),
    "Complaint": lambda at, severity: make_complaint(severity, at=at),
    "ComplaintPassOn": _pass_on,
    "ShiftHandover": _handover,
    "Charge": lambda at: make_charge(at),
    "ItemLoan": lambda at: make_loan(at, item=make_lendable_item(at), issued=False),
    "Survey": lambda at: make_survey_plan(at=at),
    "CorrectiveAction": _corrective_action,
    "Notice": lambda at, kind: make_notice(kind, at=at),
}


def _other_department(record):
    """A department the record is not already with (改派, 发联系函)."""
    current = getattr(record, "department_id", None)
    return dept("operations" if current == dept("property").id else "property").id


def _severity(record):
    """转投诉/登记 take a general complaint; 更正 changes the severity (else it refuses)."""
    if isinstance(record, Complaint):
        return Complaint.IMPORTANT if record.severity == Complaint.GENERAL else Complaint.GENERAL
    return Complaint.GENERAL


# What the clerk types into each field a step asks (a function of the record and the time
# where it depends on them).
FORM = {
    "reason": "测试原因：客户要求", "result": "已处理完毕", "note": "同意，按规定办理",
    "content": "已联系投诉人，正在处理", "told": "已告知投诉人处理进展", "outcome": "已当面答复",
    "answer": "部门已答复，已转告咨询人", "reply": "已安排人员处理", "action": "加强巡查",
    "evidence": "现场核查记录", "fixed": "yes", "satisfaction": "5", "person": "赵女士",
    "notes": "回访记录", "copies": 20, "receiver": "财务部 钱会计", "issued_at": None,
    "requested_by": lambda r, now: r.requested_by if isinstance(r, Complaint) else None,
    "category": lambda r, now: r.category if isinstance(r, Complaint) else "property",
    "severity": lambda r, now: _severity(r),
    "method": lambda r, now: (Contact.ANSWER_METHODS[0][0] if isinstance(r, Contact)
                              else NoticeReceipt.SIGNED),
    "department": lambda r, now: _other_department(r),
    "departments": lambda r, now: [dept("property").id],
    "ticked": lambda r, now: [g.id for g in ComplaintGuideline.checklist()],
    "amount": lambda r, now: r.cash_counted,
    "certificate_no": lambda r, now: r.number,
    "receipt_no": lambda r, now: r.receipt_no,
    "confirmed_at": None,
    "trained_at": lambda r, now: now - timedelta(minutes=30),
    "template": lambda r, now: SurveyQuestion.select(SurveyQuestion.template).where(
        SurveyQuestion.survey.is_null() & SurveyQuestion.template.is_null(False)).scalar(),
    "kinds": ["tenant"], "floors": [], "categories": [], "shop_nos": "",
}
# A step with several outcomes: what the form says to take this one.
OUTCOME = {
    ("RepairOrder", "reopen"): {"fixed": "no", "satisfaction": "2"},
    ("Complaint", "callback_escalate"): {"fixed": "no", "satisfaction": "2"},
    ("Complaint", "refuse"): {"ticked": [], "reason": "不在受理范围：非本商场售出商品"},
}
# Steps a transition needs taken first in the same state (they change no state, so no path
# along the declared states finds them): a survey begins only once its staff are trained.
BEFORE = {("Survey", "begin"): ("train",)}
# The time a step is taken at, when the rule needs one (a survey begins on its start date).
AT = {("Survey", "begin"): lambda r: datetime.combine(r.start_date, time(9))}


# ---------------------------------------------------------------- recipes

def _answer_owed(walk):
    """答复咨询人 waits on a department's reply: the contact's letter sent and replied, which
    starts the answer clock (started_on WorkLetter.reply)."""
    contact = walk.make("Contact")
    walk.take(contact, "to_letter")
    letter = WorkLetter.get(WorkLetter.contact == contact.id)
    for name in ("send", "reply"):
        letter = walk.take(letter, name)
    return Contact.get_by_id(contact.id)


def _charge_handed_over(walk):
    """交财务 of a charge is taken by its shift's handover (ShiftHandover.finance)."""
    handover = walk.take(walk.make("ShiftHandover"), "take_over")
    charge = handover.charges()[0]
    return charge, ("ShiftHandover", handover, "finance")


def _last_receipt_confirmed(walk):
    """全部确认 of a notice is taken by confirming its last receipt (NoticeReceipt.confirm)."""
    notice = walk.make("Notice")
    tenant = models.Customer.select().where(models.Customer.kind == "tenant").first()
    notice = walk.take(notice, "publish", shop_nos=tenant.shop_no)
    receipts = list(NoticeReceipt.select().where(NoticeReceipt.notice == notice.id))
    for receipt in receipts[:-1]:
        walk.take(receipt, "confirm")
    return notice, ("NoticeReceipt", receipts[-1], "confirm")


# (register, transition) -> recipe(walk): the record, in a from-state, when no path along the
# declared states gets it there with what the step needs; for a transition another register's
# step takes (`taken_by`), also (that register, its record, the step) to take.
RECIPES = {
    ("Contact", "answer"): _answer_owed,
    ("Charge", "hand_to_finance"): _charge_handed_over,
    ("Notice", "notice_done"): _last_receipt_confirmed,
}
# Variants a recipe's transition can only be taken on (only an important notice is done).
RECIPE_VARIANTS = {("Notice", "notice_done"): ("重要",)}


# ---------------------------------------------------------------- walking

def from_states(flow, t):
    """The states `t` is taken from: 解除挂起 from a record put on hold in a holdable state."""
    if t.source is not None:
        return t.source
    if t.name == "release":
        return flow.source("hold")
    return flow.values


def path(flow, state, targets):
    """The shortest run of declared state-changing transitions from `state` into `targets`
    (declaration order breaks ties), or None."""
    moves = [t for t in flow.transitions.values() if t.target and not t.taken_by]
    paths, seen = {state: []}, [state]
    for here in seen:
        if here in targets:
            return paths[here]
        for t in moves:
            if here in t.source and t.target not in paths:
                paths[t.target] = paths[here] + [t]
                seen.append(t.target)
    return None


class Walk:
    """One variant's records, taken from step to step at a time moving on a minute a step."""

    def __init__(self, app, variant):
        self.variant, self.now = variant, MON
        self.views = {view.model.__name__: view for view in app.extensions["admin"][0]._views
                      if getattr(view, "model", None) is not None}

    def make(self, register):
        extra = self.variant if register in VARIANTS else {}
        return MAKERS[register](self.now, **extra)

    def tick(self, register, name, record):
        at = AT.get((register, name))
        self.now = max(self.now + timedelta(minutes=1), at(record) if at else MON)
        return self.now

    def step(self, register, name):
        return next(step for step in self.views[register].steps if step.name == name)

    def form(self, register, t, record, now, **given):
        step = self.step(register, t.step)
        values = dict(OUTCOME.get((register, t.name), {}), **given)
        form = {}
        for field in step.fields:
            value = values[field] if field in values else FORM.get(field, KeyError)
            assert value is not KeyError, \
                "%s.%s asks %s: give it a value in FORM" % (register, t.step, field)
            form[field] = value(record, now) if callable(value) else value
        return form

    def by(self, register, step, record):
        if (register, step) == ("ShiftHandover", "take_over"):
            return record.taken_by  # the taker, in person
        roles = access.step_roles(register, step)
        return next(user(name) for name in PEOPLE if user(name).role_set & roles)

    def take(self, record, name, **given):
        """Take transition `name` of the record's register as its view's step does; return the
        record read afresh."""
        register = type(record).__name__
        flow = workflow.of(register)
        t = flow.transition(name)
        for before in BEFORE.get((register, name), ("hold",) if name == "release" else ()):
            if self.step(register, before).applies_to(record):
                record = self.take(record, before)
        now = self.tick(register, name, record)
        form = self.form(register, t, record, now, **given)
        take_step(record, t.step, self.by(register, t.step, record), now, form)
        record = type(record).get_by_id(record.id)
        if t.target is not None:
            assert record.status == t.target, "%s.%s left it %s" % (register, name, record.status)
        return record

    def bring(self, register, t):
        """A fresh record of `register` in one of `t`'s from-states."""
        flow = workflow.of(register)
        record = self.make(register)
        moves = path(flow, record.status, from_states(flow, t))
        assert moves is not None, "%s.%s: no declared path from %s into %s: give it a recipe" % (
            register, t.name, record.status, from_states(flow, t))
        for move in moves:
            record = self.take(record, move.name)
        return record


# ---------------------------------------------------------------- what the clocks did

def clock_rows():
    return {row[0]: row[1:] for row in Deadline.select(
        Deadline.id, Deadline.record_type, Deadline.record_id, Deadline.kind,
        Deadline.status).tuples()}


def last_ids():
    return {flow.register: getattr(models, flow.register).select(
        fn.MAX(getattr(models, flow.register).id)).scalar() or 0 for flow in CLOCKED}


def changes(before, after):
    """{(register, id): {"running": kinds running before, "started", "met", "cancelled"}}."""
    found = defaultdict(lambda: {"running": set(), "started": set(), "met": set(),
                                 "cancelled": set()})
    for key, (register, record_id, kind, status) in before.items():
        if status == Deadline.RUNNING:
            found[(register, record_id)]["running"].add(kind)
    for key, (register, record_id, kind, status) in after.items():
        old = before.get(key)
        if old is None:
            found[(register, record_id)]["started"].add(kind)
            if status == Deadline.MET:
                found[(register, record_id)]["met"].add(kind)
            elif status == Deadline.CANCELLED:
                found[(register, record_id)]["cancelled"].add(kind)
        elif old[3] != status:
            assert old[3] == Deadline.RUNNING, "a finished clock changed: %s %s" % (old, status)
            found[(register, record_id)]["met" if status == Deadline.MET else "cancelled"].add(kind)
    assert set(before) <= set(after), "a clock row was deleted"
    return found


def expected_starts(register, t, record):
    return {kind for kind in t.starts if kind in DEADLINE_KINDS
            and ONLY_IF.get((register, kind), lambda r: True)(record)}


def check(register, t, record, got, what):
    """The record's clocks did what transition `t` declares."""
    assert got["started"] == expected_starts(register, t, record), \
        "%s: started %s, declared %s" % (what, sorted(got["started"]), t.starts)
    assert got["met"] == set(t.stops) & got["running"], \
        "%s: stopped %s of %s running, declared %s" % (what, sorted(got["met"]),
                                                        sorted(got["running"]), t.stops)
    # Only a declared start cancels: restamping a clock (or, grading, its alternative).
    assert got["cancelled"] <= set(t.starts), \
        "%s: cancelled %s, declared starts %s" % (what, sorted(got["cancelled"]), t.starts)


def taking(register, t):
    """The transitions of other registers that taking `t` takes (`taken_by`)."""
    names = {"%s.%s" % (register, t.step), "%s.%s" % (register, t.name)}
    return {flow.register: other for flow in FLOWS for other in flow.transitions.values()
            if other.taken_by in names}


def walk_one(app, register, t, variant):
    """Take `t` on a fresh record of this variant; check every clock change; return the changes
    on the record the case is about."""
    walk = Walk(app, VARIANTS.get(register, {}).get(variant, {}))
    recipe = RECIPES.get((register, t.name))
    if t.taken_by:
        assert recipe, "%s.%s is taken by %s: give it a recipe in RECIPES" % (
            register, t.name, t.taken_by)
    made = recipe(walk) if recipe else walk.bring(register, t)
    record, (by_register, taken_record, taken_step) = (
        made if isinstance(made, tuple) else (made, (register, made, t.name)))
    taken = workflow.of(by_register).transition(taken_step)
    for before in BEFORE.get((by_register, taken.name),
                             ("hold",) if taken.name == "release" else ()):
        if walk.step(by_register, before).applies_to(taken_record):
            taken_record = walk.take(taken_record, before)
    before, ids, old_state = clock_rows(), last_ids(), taken_record.status
    walk.take(taken_record, taken.name)
    found = changes(before, clock_rows())
    what = "%s.%s (%s)" % (by_register, taken.name, variant)

    taken_key = (by_register, taken_record.id)
    check(by_register, taken, type(taken_record).get_by_id(taken_record.id), found[taken_key],
          what)
    for clock in workflow.of(by_register).clocks:
        if clock.kind not in DEADLINE_KINDS and clock.kind in taken.stops:
            after = type(taken_record).get_by_id(taken_record.id).status
            assert old_state in clock.runs_in and after not in clock.runs_in, what
    # Any other record: only what the declaration says of it.
    taken_by = taking(by_register, taken)
    started_on = {(flow.register, c.kind) for flow in CLOCKED for c in flow.clocks
                  if c.started_on == "%s.%s" % (by_register, taken.name)}
    made_with = {(flow.register, c.kind) for flow in CLOCKED for c in flow.clocks
                 if c.started_on == "create"}
    for key, got in found.items():
        other, other_id = key
        if key == taken_key or not (got["started"] | got["met"] | got["cancelled"]):
            continue
        where = "%s: %s #%s" % (what, other, other_id)
        if other_id > ids.get(other, 0):  # made by the step: its own clocks only
            assert {(other, k) for k in got["started"]} <= made_with | started_on, \
                "%s made with clocks %s" % (where, sorted(got["started"]))
            assert not got["met"] | got["cancelled"], where
        elif other in taken_by:
            check(other, taken_by[other], getattr(models, other).get_by_id(other_id), got, where)
        else:
            assert {(other, k) for k in got["started"]} <= started_on and not (
                got["met"] | got["cancelled"]), "%s: clocks changed undeclared: %s" % (where, got)
    for other, kind in started_on:
        assert any(k[0] == other and kind in g["started"] for k, g in found.items()), \
            "%s: declared to start %s's %s clock, started none" % (what, other, kind)
    for other, other_t in taken_by.items():
        if set(other_t.starts) | set(other_t.stops):
            assert any(k[0] == other and (g["met"] | g["started"]) for k, g in found.items()), \
                "%s: takes %s.%s, which changed no clock" % (what, other, other_t.name)
    return found[(register, record.id)]


@pytest.mark.parametrize("register, name", CASES, ids=["%s.%s" % case for case in CASES])
def test_each_step_starts_and_stops_exactly_its_declared_clocks(app, register, name):
    t = workflow.of(register).transition(name)
    variants = RECIPE_VARIANTS.get((register, name)) or tuple(VARIANTS.get(register, {})) or ("",)
    started, met = set(), set()
    for variant in variants:
        got = walk_one(app, register, t, variant)
        started |= got["started"]
        met |= got["met"]
    # Each declared clock was running to be stopped, and was started, on some record: else the
    # walk could not have caught a step that forgot it. A declared stop of a clock that never
    # runs in the step's from-states (办结 stops `start`, which 启动处理 already stopped) has
    # nothing to stop.
    flow = workflow.of(register)
    stoppable = {kind for kind in t.stops if kind in DEADLINE_KINDS
                 and set(flow.clock(kind).runs_in) & set(from_states(flow, t))}
    assert stoppable <= met, "%s.%s: never saw %s stopped" % (register, name, sorted(stoppable))
    # Of a group of alternatives, the one the record's grade stamps (升级 never grades general).
    alternatives = set(ALTERNATIVES.get(register, ())) & set(t.starts)
    assert set(t.starts) & DEADLINE_KINDS - alternatives <= started, \
        "%s.%s: never saw %s started" % (register, name, t.starts)
    assert not alternatives or alternatives & started, (register, name, sorted(alternatives))


def test_every_transition_that_changes_a_clock_is_walked():
    """A transition declaring a clock, on any register, is one of the cases; one taken by
    another register's step has a recipe; every register walked has a maker and its
    variants the makers' arguments."""
    bearing = {(flow.register, t.name) for flow in FLOWS for t in flow.transitions.values()
               if t.starts or t.stops}
    assert bearing <= set(CASES), "clock-bearing transitions not walked: %s" % sorted(
        bearing - set(CASES))
    for register, name in CASES:
        t = workflow.of(register).transition(name)
        assert not t.taken_by or (register, name) in RECIPES, (register, name)
    assert {register for register, _ in CASES} <= set(MAKERS)
    assert set(ONLY_IF) <= {(flow.register, c.kind) for flow in FLOWS for c in flow.clocks}
    assert set(RECIPES) | set(OUTCOME) | set(BEFORE) | set(AT) <= set(CASES)
