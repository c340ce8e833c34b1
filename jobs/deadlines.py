"""Overdue and due-soon flags for every stamped deadline: set-based SQL, idempotent, catching up.

Each rule has its own named job; they share one INSERT … SELECT (no loop over open records)."""
from collections import defaultdict
from datetime import datetime, time, timedelta

from peewee import JOIN, SQL, Case, Cast, NodeList, Value, fn

import sla

from models import (ActionItem, Alert, CalendarDay, Charge, Complaint, ComplaintPassOn, Contact, ComplaintUpdate,
                    ShiftHandover,
                    CorrectiveAction, Deadline,
                    Department, Hold, ItemLoan, Notice, RepairOrder, ServiceRequest, SlaRule, Survey,
                    User, WorkLetter, db)

# Which column of each register names the department that must act.
ACTING_DEPARTMENT = {
    "Contact": (Contact, None),        # the desk answers the enquirer
    "RepairOrder": (RepairOrder, RepairOrder.department),
    "ServiceRequest": (ServiceRequest, ServiceRequest.department),
    "Complaint": (Complaint, Complaint.department),
    "ComplaintPassOn": (ComplaintPassOn, None),  # the desk registers what staff passed on
    "WorkLetter": (WorkLetter, WorkLetter.from_department),  # the sender must forward it
    "Charge": (Charge, None),          # the service center's cash
    "ShiftHandover": (ShiftHandover, None),  # the service center's shift money
    "ItemLoan": (ItemLoan, None),      # the service center chases the borrower
    "Survey": (Survey, None),          # the service center plans and files surveys
    "Notice": (Notice, Notice.department),
    "ActionItem": (ActionItem, ActionItem.department),
    "CorrectiveAction": (CorrectiveAction, CorrectiveAction.department),
}


def record_label(model):
    """The column that names a record in an alert's title: its number, else its title, else
    what it is about (an action item has only its description)."""
    fields = model._meta.fields
    return next(fields[name] for name in ("number", "title", "description") if name in fields)
# Callbacks are made by the service center whichever department did the work.
SERVICE_RULES = ("REP_CALLBACK", "CMP_CALLBACK")
TITLES = {"overdue": "%s已逾期：", "due_soon": "%s即将到期："}


def acting_department_sql(model, service_id):
    """The department that must act on each of `model`'s clocks, for a query over Deadline."""
    _, column = ACTING_DEPARTMENT[model.__name__]
    if column is None:
        return Value(service_id)
    return Case(None, [(Deadline.rule_code.in_(SERVICE_RULES), service_id)],
                fn.COALESCE(column, service_id))


def acting_department(model, rule_code, service_id):
    """The SQL value naming the department that must act on `model`'s clock of `rule_code`."""
    _, column = ACTING_DEPARTMENT[model.__name__]
    if column is None or rule_code in SERVICE_RULES:
        return Value(service_id)
    return fn.COALESCE(column, service_id)  # a record without a department: the service center


def probed(subquery):
    """`subquery`, an EXISTS probe, run for each outer row through its index: what the job
    checks is the open work (the clocks running overdue), never the years of alerts. PostgreSQL's
    planner keeps a subquery with an OFFSET as a subplan; without one it turned NOT EXISTS into
    a hash anti-join that read every alert of the register (218k repair-order alerts at three
    years: 200 ms a job, to check 7,500 running clocks). SQLite probes each row either way."""
    return subquery.offset(0)


def among(column, values):
    """SQL: `column` IN `values` (a non-empty list of ids), one placeholder each and no peewee
    node per value: building 500 nodes per chunk of a catch-up cost more than its queries
    (230 of 1,060 ms for 5,000 missed follow-ups at three years)."""
    return NodeList((column, SQL("IN (%s)" % ", ".join([db.param] * len(values)), list(values))))


def _flag(rule_code, kind, now):
    """Open one alert per running clock of `rule_code` that is past due (or past its warning
    time) unless one is open already, in one INSERT … SELECT. Returns how many were raised."""
    rule = SlaRule.get_or_none(SlaRule.code == rule_code)
    if rule is None or rule.applies_to not in ACTING_DEPARTMENT:
        return 0
    model, _ = ACTING_DEPARTMENT[rule.applies_to]
    service = Department.get(Department.code == Department.SERVICE).id
    department = acting_department(model, rule_code, service)
    moment = Deadline.due_at if kind == "overdue" else Deadline.warn_at
    # One alert per miss: an open one, or one already raised for this very due time (resolved
    # by hand, it stays resolved; a hold that moves the due time makes a new miss possible).
    already = probed(Alert.select(Alert.id).where(
        (Alert.record_type == Deadline.record_type) & (Alert.record_id == Deadline.record_id)
        & (Alert.rule == Deadline.rule) & (Alert.kind == kind)
        & ((Alert.status == Alert.OPEN) | (Alert.since == moment))))
    condition = ((Deadline.rule_code == rule_code) & (Deadline.record_type == rule.applies_to)
                 & (Deadline.status == Deadline.RUNNING) & (moment <= now)
                 & ~fn.EXISTS(already) & model.archived_at.is_null())
    if kind == "due_soon":
        condition &= Deadline.due_at > now
    if "on_hold_since" in model._meta.fields:
        condition &= model.on_hold_since.is_null()  # a record on hold waits; its clock stopped
    title = fn.SUBSTR(Value(TITLES[kind] % rule.name).concat(fn.COALESCE(record_label(model), "")),
                      1, 200)
    if kind == "overdue":  # raised at the level its misses have reached (a catch-up's old ones
        level = reached_level(now)  # at 4): written once, not raised and then escalated
        assignee = escalated_to(level, department, Cast(Value(None), "INTEGER"))
    else:
        level, assignee = Value(1), Value(None)
    query = (Deadline
             .select(Value(kind), title, Deadline.record_type, Deadline.record_id, Deadline.rule,
                     moment, department, assignee, level, Value(Alert.OPEN), Value(now), Value(now))
             .join(model, JOIN.INNER, on=(model.id == Deadline.record_id))
             .where(condition))
    return (Alert.insert_new(query, [
        Alert.kind, Alert.title, Alert.record_type, Alert.record_id, Alert.rule, Alert.since,
        Alert.department, Alert.assignee, Alert.level, Alert.status, Alert.created_at,
        Alert.updated_at]))


def reached_level(now):
    """The level a running clock's miss has reached by `now` (its Deadline row's escalation
    times, sla.escalation_times): 2 the department head, 3 the project manager, 4 the general
    manager. A missed follow-up day counts its own levels (flag_missing_follow_ups)."""
    return Case(None, [(Deadline.kind == "follow_up", 1), (Deadline.level4_at <= now, 4),
                       (Deadline.level3_at <= now, 3), (Deadline.level2_at <= now, 2)], 1)


def escalated_to(level, department, assignee):
    """Who an alert of `department` at `level` (SQL) goes to: at 2 the department's head, at 3
    the project manager, at 4 the general manager, each the next one up who exists, else
    `assignee` (whoever has it now; plain ids only: a NULL literal has no type on PostgreSQL)."""
    pm = User.first_with_role(User.PM)
    gm = User.first_with_role(User.GM)
    top = {3: pm.id if pm else None, 4: gm.id if gm else None}
    head = (Department.select(Department.head).join(User, on=(User.id == Department.head))
            .where((Department.id == department) & (User.is_active == True)))  # noqa: E712

    def person(level):
        above = [top[n] for n in range(max(level, 3), 5) if top[n] is not None]
        choices = ([head] if level == 2 else []) + above + [assignee]
        return fn.COALESCE(*choices) if len(choices) > 1 else assignee

    return Case(level, [(1, assignee), (2, person(2)), (3, person(3))], person(4))


def escalate_repeated_misses(now):
    """Raise an open overdue alert a level each time its rule's allowance runs out once more:
    level 2 goes to the department head, 3 to the project manager, 4 to the general manager.
    One UPDATE: each alert's clock gives the level reached by now, so a catch-up jumps straight
    to it, and a rerun reads each open alert's running clock once and writes nothing. (An
    alert is raised at the level reached already, _flag: this moves the ones raised before.)"""
    on_hold = Hold.select(Hold.id).where((Hold.record_type == Alert.record_type)
                                         & (Hold.record_id == Alert.record_id)
                                         & Hold.ended_at.is_null())
    level = Deadline.select(fn.MAX(reached_level(now))).where(
        (Deadline.record_type == Alert.record_type) & (Deadline.record_id == Alert.record_id)
        & (Deadline.rule == Alert.rule) & (Deadline.status == Deadline.RUNNING)
        & (Deadline.kind != "follow_up"))  # missed follow-ups count their own levels
    return (Alert.update(level=level, updated_at=now,
                         assignee=escalated_to(level, Alert.department, Alert.assignee))
            .where((Alert.status == Alert.OPEN) & (Alert.kind == "overdue") & (Alert.level < 4)
                   # only the clocked registers' alerts have a clock to read (not a cadence's)
                   & Alert.record_type.in_(tuple(ACTING_DEPARTMENT))
                   & (level > Alert.level)
                   & ~fn.EXISTS(on_hold))  # a record on hold waits; so does its alert
            .execute())


FOLLOW_UP_CATCH_UP_DAYS = 5


def flag_missing_follow_ups(now):
    """Complaints open past their fifth working day whose complainant was given no feedback on
    a working day (R-CMP-6, decided by sla.missed_follow_up_days as on the complaint's page):
    one alert per missed day to the intake person, each further missed day one level higher. Looks back over the
    last five working days, so a few days of downtime are caught up once. Reads the complaints
    owing follow-ups and the window's alerts; only for those with a day of the window not yet
    flagged, their feedback, holds and earlier alerts (a rerun reads no more); one insert."""
    rule = SlaRule.get_or_none(SlaRule.code == "CMP_DAILY_FOLLOWUP")
    if rule is None or not rule.is_active or rule.archived_at:
        return 0
    calendar = CalendarDay.work_calendar()
    days, day = [], now.date()
    while len(days) < FOLLOW_UP_CATCH_UP_DAYS and day > now.date() - timedelta(days=30):
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            days.append(day)
    if not days:
        return 0
    window_start = datetime.combine(min(days), time())
    today = datetime.combine(now.date(), time())
    owing = Complaint.select(Complaint.id).where(
        Complaint.status.in_(Complaint.OPEN_STATES) & Complaint.archived_at.is_null()
        & Complaint.on_hold_since.is_null() & (Complaint.follow_up_from < today))
    # A complaint whose every day of the window has its alert already has nothing to raise (a
    # rerun): left out in SQL, from the alerts of the window's days (by `since`), not history.
    mine = (Alert.record_type == "Complaint") & (Alert.rule == rule.id)
    window_ends = [datetime.combine(day, time()) + timedelta(days=1) for day in days]
    flagged_all = (Alert.select(Alert.record_id).where(mine & Alert.since.in_(window_ends))
                   .group_by(Alert.record_id)
                   .having(fn.COUNT(fn.DISTINCT(Alert.since)) >= len(window_ends)))
    complaints = {row[0]: row for row in owing.select(
        Complaint.id, Complaint.number, Complaint.created_by, Complaint.follow_up_from).where(
        Complaint.id.not_in(flagged_all)).tuples()}
    candidates = list(complaints)
    if not candidates:
        return 0
    flagged = defaultdict(set)
    feedback, holds, earlier = defaultdict(set), defaultdict(list), defaultdict(int)
    for start in range(0, len(candidates), 500):
        some = candidates[start:start + 500]
        for complaint_id, happened_at, told in ComplaintUpdate.select(
                ComplaintUpdate.complaint, ComplaintUpdate.happened_at,
                ComplaintUpdate.told_complainant).where(
                among(ComplaintUpdate.complaint, some)
                & (ComplaintUpdate.happened_at >= window_start)
                & (ComplaintUpdate.happened_at < today)
                & ComplaintUpdate.told_complainant.is_null(False)).tuples():
            if ComplaintUpdate.tells_complainant(told):  # plain values: no model built per row
                feedback[complaint_id].add(happened_at.date())
        for record_id, started_at, ended_at in Hold.select(
                Hold.record_id, Hold.started_at, Hold.ended_at).where(
                (Hold.record_type == "Complaint") & among(Hold.record_id, some)
                & (Hold.started_at < today)
                & (Hold.ended_at.is_null() | (Hold.ended_at > window_start))).tuples():
            holds[record_id].append((started_at, ended_at))
        # Each missed day raises the level by one: the alerts raised before count; those of
        # the window's days say which have theirs already.
        earlier.update(Alert.select(Alert.record_id, fn.COUNT(Alert.id)).where(
            mine & among(Alert.record_id, some)).group_by(Alert.record_id).tuples())
        for record_id, since in Alert.select(Alert.record_id, Alert.since).where(
                mine & among(Alert.record_id, some) & Alert.since.in_(window_ends)).tuples():
            flagged[record_id].add(since)
    pm, gm = User.first_with_role(User.PM), User.first_with_role(User.GM)
    # The intake person (受理人) follows up and tells the complainant, whichever department
    # handles it: the alert is the service center's, then its head's (R-CMP-6).
    service = Department.get(Department.code == Department.SERVICE)
    head = service.head_id if service.head_id and service.head.is_active else None
    rows = []
    for complaint_id in candidates:
        _, number, created_by, follow_up_from = complaints[complaint_id]
        missed = sla.missed_follow_up_days(follow_up_from, now, calendar,
                                           feedback[complaint_id], holds[complaint_id],
                                           first_day=min(days))
        level = earlier[complaint_id]
        for day in missed:
            end = datetime.combine(day, time()) + timedelta(days=1)
            if day < min(days) or end in flagged[complaint_id]:
                continue
            level += 1
            person = {1: created_by, 2: head,
                      3: pm.id if pm else None}.get(level, gm.id if gm else None)
            rows.append(("overdue", "Complaint", complaint_id,
                         ("投诉未每日跟踪（%s）：%s" % (day.isoformat(), number or ""))[:200],
                         rule.id, end, service.id, person, min(level, 4), Alert.OPEN, now, now))
    # An alert raised meanwhile by another run is skipped.
    return Alert.insert_rows([
        Alert.kind, Alert.record_type, Alert.record_id, Alert.title, Alert.rule, Alert.since,
        Alert.department, Alert.assignee, Alert.level, Alert.status, Alert.created_at,
        Alert.updated_at], rows)


# Registers tracked by a due date rather than a stamped clock: (model, title, label column,
# person who must act). Overdue the day after the due date while still open.
DUE_DATE_REGISTERS = {
    "ActionItem": (ActionItem, "会议议定事项已逾期：", ActionItem.description, ActionItem.owner),
    "CorrectiveAction": (CorrectiveAction, "纠正措施已逾期：", CorrectiveAction.finding, None),
}


def _flag_past_due_date(record_type, now):
    """One alert per open record past its due date, to its department (and owner), once per
    due date, in one INSERT … SELECT."""
    model, prefix, label, owner = DUE_DATE_REGISTERS[record_type]
    already = Alert.select(Alert.id).where(
        (Alert.record_type == record_type) & (Alert.record_id == model.id)
        & (Alert.kind == "overdue")
        & ((Alert.status == Alert.OPEN) | (Alert.since == model.due_date)))
    title = fn.SUBSTR(Value(prefix).concat(label), 1, 200)
    person = owner if owner is not None else Cast(Value(None), "INTEGER")
    query = (model
             .select(Value("overdue"), title, Value(record_type), model.id, model.due_date,
                     model.department, person, Value(1), Value(Alert.OPEN), Value(now), Value(now))
             .where((model.status == model.OPEN) & model.archived_at.is_null()
                    & (model.due_date < now.date()) & ~fn.EXISTS(already)))
    return (Alert.insert_new(query, [
        Alert.kind, Alert.title, Alert.record_type, Alert.record_id, Alert.since,
        Alert.department, Alert.assignee, Alert.level, Alert.status, Alert.created_at,
        Alert.updated_at]))


def flag_overdue_action_items(now):
    """Meeting action items past their due date and not done (R-COM-4)."""
    return _flag_past_due_date("ActionItem", now)


def flag_overdue_corrective_actions(now):
    """Corrective actions past their due date and not done (R-SUR-5)."""
    return _flag_past_due_date("CorrectiveAction", now)


def resolve_alerts(alerts, now, note):
    """Resolve the alerts `alerts` selects (their ids read first from the open alerts'
    indexes, so a run that finds none writes nothing and reads no alert row)."""
    ids = [alert_id for (alert_id,) in alerts.tuples()]
    for start in range(0, len(ids), 500):
        Alert.update(status=Alert.WORKFLOW.target("resolve"), resolved_at=now, updated_at=now,
                     resolution_note=note).where(
            Alert.id.in_(ids[start:start + 500]) & (Alert.status == Alert.OPEN)).execute()
    return len(ids)


def resolve_done_alerts(now):
    """Close overdue and due-soon alerts whose clock is no longer running (the record is done).
    Reads only the open alerts and, for each, its running clock (indexes alone: what is open,
    not the years of resolved alerts and met clocks)."""
    running = Deadline.select(Deadline.id).where(
        (Deadline.record_type == Alert.record_type) & (Deadline.record_id == Alert.record_id)
        & (Deadline.rule == Alert.rule) & (Deadline.status == Deadline.RUNNING))
    resolved = resolve_alerts(Alert.select(Alert.id).where(
        (Alert.status == Alert.OPEN) & Alert.kind.in_(("overdue", "due_soon"))
        & Alert.rule.is_null(False) & ~fn.EXISTS(running)
        # The clocked registers' alerts only: a customer's cadence (jobs/communication) and a
        # survey period without a plan (jobs/surveys, keyed by its rule) have no clock, and
        # their own jobs resolve them (resolved here, they were gone a minute after raised).
        & Alert.record_type.in_(tuple(ACTING_DEPARTMENT))),
        now, "办理完毕，系统自动解除")
    # A due-soon alert has done its work once the clock is past due: the overdue alert takes over.
    past_due = Deadline.select(Deadline.id).where(
        (Deadline.record_type == Alert.record_type) & (Deadline.record_id == Alert.record_id)
        & (Deadline.rule == Alert.rule) & (Deadline.status == Deadline.RUNNING)
        & (Deadline.due_at <= now))
    resolved += resolve_alerts(Alert.select(Alert.id).where(
        (Alert.status == Alert.OPEN) & (Alert.kind == "due_soon") & fn.EXISTS(past_due)),
        now, "已逾期，由逾期提醒跟进")
    kinds = [kind for kind, _ in Alert.KINDS]  # every kind: the open alerts' index is by kind
    for record_type, (model, *_) in DUE_DATE_REGISTERS.items():
        still_open = model.select(model.id).where(
            (model.id == Alert.record_id) & (model.status == model.OPEN) & model.archived_at.is_null())
        resolved += resolve_alerts(Alert.select(Alert.id).where(
            (Alert.status == Alert.OPEN) & Alert.kind.in_(kinds) & (Alert.record_type == record_type)
            & ~fn.EXISTS(still_open)), now, "办理完毕，系统自动解除")
    return resolved


def _rule_job(name, rule_code, doc):
    def job(now):
        return _flag(rule_code, "overdue", now) + _flag(rule_code, "due_soon", now)
    job.__name__ = job.__qualname__ = name
    job.__doc__ = doc
    return job


flag_unaccepted_repairs = _rule_job("flag_unaccepted_repairs", "REP_ACCEPT", "Repairs not accepted within 30 minutes (R-REP-2).")
flag_repairs_without_callback = _rule_job("flag_repairs_without_callback", "REP_CALLBACK", "Finished repairs not called back (R-REP-3).")


def flag_repairs_not_completed(now):
    """Accepted repairs not done within their category's limit, chased until done (R-REP-5)."""
    codes = SlaRule.select(SlaRule.code).where(SlaRule.code.startswith("REP_COMPLETE_"))
    return sum(_flag(code, kind, now) for (code,) in codes.tuples()
               for kind in ("overdue", "due_soon"))


flag_requests_not_handed_back = _rule_job("flag_requests_not_handed_back", "SVC_HANDBACK", "Service requests not handed back in 1 working day (R-SVC-2).")
flag_letters_not_forwarded = _rule_job("flag_letters_not_forwarded", "ENQ_LETTER", "Work letters not forwarded within 1 hour (R-ENQ-2).")
flag_enquirers_not_answered = _rule_job("flag_enquirers_not_answered", "ENQ_ANSWER", "Enquirers not answered within 1 working day of the department's reply (R-ENQ-1/2).")
flag_charges_not_handed_to_finance = _rule_job("flag_charges_not_handed_to_finance", "PAY_FINANCE", "Charges not handed to finance the same day (R-PAY-1).")
flag_handovers_not_at_finance = _rule_job("flag_handovers_not_at_finance", "PAY_HANDOVER", "Shift handovers whose money has not reached finance by the end of the day (R-PAY-2).")
flag_loans_out_too_long = _rule_job("flag_loans_out_too_long", "LOAN_FREE", "Loans out past the free hour, to chase (R-LOAN-4/5).")
flag_major_complaints_not_started = _rule_job("flag_major_complaints_not_started", "CMP_MAJOR_START", "Major complaints the project manager has not started in time (R-CMP-1).")
flag_important_complaints_not_started = _rule_job("flag_important_complaints_not_started", "CMP_IMPORTANT_START", "Important complaints not started within 1 hour (R-CMP-1).")
flag_general_complaints_not_resolved = _rule_job("flag_general_complaints_not_resolved", "CMP_GENERAL_RESOLVE", "General complaints not resolved in time (R-CMP-1).")
flag_survey_plans_not_approved = _rule_job("flag_survey_plans_not_approved", "SUR_PLAN", "Survey plans not approved 20 days before the start (R-SUR-1).")
flag_survey_staff_not_trained = _rule_job("flag_survey_staff_not_trained", "SUR_TRAINING", "Survey staff not trained 2 days before the start (R-SUR-4).")
flag_surveys_not_filed = _rule_job("flag_surveys_not_filed", "SUR_ARCHIVE", "Survey records not filed within 5 days of the end (R-SUR-6).")
flag_notices_not_confirmed = _rule_job("flag_notices_not_confirmed", "COM_NOTICE_CONFIRM", "Important notices not confirmed by every recipient (R-COM-1).")
flag_complaints_not_registered = _rule_job("flag_complaints_not_registered", "CMP_PASS_ON", "Complaints passed on by staff not registered by the desk within 1 hour (R-CMP-3).")
flag_complaint_callbacks_missed = _rule_job("flag_complaint_callbacks_missed", "CMP_CALLBACK", "Complaint callbacks not made in 3 working days (R-CMP-7).")

DEADLINE_JOBS = (
    flag_unaccepted_repairs, flag_repairs_not_completed, flag_repairs_without_callback, flag_requests_not_handed_back,
    flag_letters_not_forwarded, flag_enquirers_not_answered, flag_charges_not_handed_to_finance,
    flag_handovers_not_at_finance, flag_loans_out_too_long,
    flag_major_complaints_not_started, flag_important_complaints_not_started,
    flag_general_complaints_not_resolved, flag_complaint_callbacks_missed,
    flag_complaints_not_registered,
    flag_survey_plans_not_approved, flag_survey_staff_not_trained, flag_surveys_not_filed,
    flag_notices_not_confirmed,
    flag_missing_follow_ups, flag_overdue_action_items, flag_overdue_corrective_actions,
    escalate_repeated_misses,
    resolve_done_alerts,
)
