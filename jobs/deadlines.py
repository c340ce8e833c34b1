"""Overdue and due-soon flags for every stamped deadline: set-based SQL, idempotent, catching up.

Each rule has its own named job; they share one INSERT … SELECT (no loop over open records)."""
from peewee import JOIN, Value, fn

from models import (Alert, Charge, Complaint, Deadline, Department, ItemLoan, RepairOrder,
                    ServiceRequest, SlaRule, WorkLetter)

# Which column of each register names the department that must act.
ACTING_DEPARTMENT = {
    "RepairOrder": (RepairOrder, RepairOrder.department),
    "ServiceRequest": (ServiceRequest, ServiceRequest.department),
    "Complaint": (Complaint, Complaint.department),
    "WorkLetter": (WorkLetter, WorkLetter.from_department),  # the sender must forward it
    "Charge": (Charge, None),          # the service center's cash
    "ItemLoan": (ItemLoan, None),      # the service center chases the borrower
}
TITLES = {"overdue": "%s已逾期：", "due_soon": "%s即将到期："}


def _flag(rule_code, kind, now):
    """Open one alert per running clock of `rule_code` that is past due (or past its warning
    time) unless one is open already, in one INSERT … SELECT. Returns how many were raised."""
    rule = SlaRule.get_or_none(SlaRule.code == rule_code)
    if rule is None or rule.applies_to not in ACTING_DEPARTMENT:
        return 0
    model, dept_column = ACTING_DEPARTMENT[rule.applies_to]
    service = Department.get(Department.code == Department.SERVICE).id
    department = dept_column if dept_column is not None else Value(service)
    head = Department.select(Department.head).where(Department.id == department)
    moment = Deadline.due_at if kind == "overdue" else Deadline.warn_at
    already = Alert.select(Alert.id).where(
        (Alert.record_type == Deadline.record_type) & (Alert.record_id == Deadline.record_id)
        & (Alert.rule == Deadline.rule) & (Alert.kind == kind) & (Alert.status == Alert.OPEN))
    condition = ((Deadline.rule_code == rule_code) & (Deadline.record_type == rule.applies_to)
                 & (Deadline.status == Deadline.RUNNING) & (moment <= now)
                 & ~fn.EXISTS(already) & model.archived_at.is_null())
    if kind == "due_soon":
        condition &= Deadline.due_at > now
    if "on_hold_since" in model._meta.fields:
        condition &= model.on_hold_since.is_null()  # a record on hold waits; its clock stopped
    title = fn.SUBSTR(Value(TITLES[kind] % rule.name).concat(fn.COALESCE(model.number, "")), 1, 200)
    query = (Deadline
             .select(Value(kind), title, Deadline.record_type, Deadline.record_id, Deadline.rule,
                     moment, department, head, Value(1), Value(Alert.OPEN), Value(now), Value(now))
             .join(model, JOIN.INNER, on=(model.id == Deadline.record_id))
             .where(condition))
    return (Alert.insert_from(query, [
        Alert.kind, Alert.title, Alert.record_type, Alert.record_id, Alert.rule, Alert.since,
        Alert.department, Alert.assignee, Alert.level, Alert.status, Alert.created_at,
        Alert.updated_at]).as_rowcount().execute())


def resolve_done_alerts(now):
    """Close overdue and due-soon alerts whose clock is no longer running (the record is done)."""
    running = Deadline.select(Deadline.id).where(
        (Deadline.record_type == Alert.record_type) & (Deadline.record_id == Alert.record_id)
        & (Deadline.rule == Alert.rule) & (Deadline.status == Deadline.RUNNING))
    return (Alert.update(status=Alert.RESOLVED, resolved_at=now, updated_at=now,
                         resolution_note="办理完毕，系统自动解除")
            .where((Alert.status == Alert.OPEN) & Alert.kind.in_(("overdue", "due_soon"))
                   & Alert.rule.is_null(False) & ~fn.EXISTS(running))
            .execute())


def _rule_job(name, rule_code, doc):
    def job(now):
        return _flag(rule_code, "overdue", now) + _flag(rule_code, "due_soon", now)
    job.__name__ = job.__qualname__ = name
    job.__doc__ = doc
    return job


flag_unaccepted_repairs = _rule_job("flag_unaccepted_repairs", "REP_ACCEPT", "Repairs not accepted within 30 minutes (R-REP-2).")
flag_repairs_without_callback = _rule_job("flag_repairs_without_callback", "REP_CALLBACK", "Finished repairs not called back (R-REP-3).")
flag_requests_not_handed_back = _rule_job("flag_requests_not_handed_back", "SVC_HANDBACK", "Service requests not handed back in 1 working day (R-SVC-2).")
flag_letters_not_forwarded = _rule_job("flag_letters_not_forwarded", "ENQ_LETTER", "Work letters not forwarded within 1 hour (R-ENQ-2).")
flag_charges_not_handed_to_finance = _rule_job("flag_charges_not_handed_to_finance", "PAY_FINANCE", "Charges not handed to finance the same day (R-PAY-1).")
flag_loans_out_too_long = _rule_job("flag_loans_out_too_long", "LOAN_FREE", "Loans out past the free hour, to chase (R-LOAN-4/5).")
flag_major_complaints_not_reported = _rule_job("flag_major_complaints_not_reported", "CMP_MAJOR_REPORT", "Major complaints not taken up at once (R-CMP-1).")
flag_important_complaints_not_started = _rule_job("flag_important_complaints_not_started", "CMP_IMPORTANT_START", "Important complaints not started within 1 hour (R-CMP-1).")
flag_general_complaints_not_resolved = _rule_job("flag_general_complaints_not_resolved", "CMP_GENERAL_RESOLVE", "General complaints not resolved in time (R-CMP-1).")
flag_complaint_callbacks_missed = _rule_job("flag_complaint_callbacks_missed", "CMP_CALLBACK", "Complaint callbacks not made in 3 working days (R-CMP-7).")

DEADLINE_JOBS = (
    flag_unaccepted_repairs, flag_repairs_without_callback, flag_requests_not_handed_back,
    flag_letters_not_forwarded, flag_charges_not_handed_to_finance, flag_loans_out_too_long,
    flag_major_complaints_not_reported, flag_important_complaints_not_started,
    flag_general_complaints_not_resolved, flag_complaint_callbacks_missed, resolve_done_alerts,
)
