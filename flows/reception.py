"""Reception (接待登记): service requests and work letters; a contact turned into a record."""
from audit import audit
from database import write_transaction
from models import Callback, Contact, Department, RepairOrder, ServiceRequest, WorkLetter
from flows.steps import calls, runs
from workflow import INTAKE  # what the desk decides at intake (category, severity, date)
from flows.records import after_save, stamped_by

stamped_by(Contact, "received_by")
stamped_by(Callback, "called_by")


@after_save(ServiceRequest)
def start_handback_clock(request, created, by, now, extra):
    """R-SVC-2: the decision goes back within 1 working day of submission."""
    if created:
        request.submit(by, now)


@after_save(WorkLetter)
def start_forward_clock(letter, created, by, now, extra):
    """R-ENQ-2: a letter from an enquiry reaches its department within 1 hour."""
    if created:
        letter.start(by, now)


def _converted(contact, by, now, convert):
    """Convert a contact in one transaction; the new record's audit row names the contact."""
    with write_transaction():
        record = convert()
        audit("create", record, now=now, user=by, summary=f"由{contact.number}转入：{record}")
    return record


def open_repair_order(contact, by, now):
    """转维修单: a repair report becomes a repair order of the service center (R-REP-1)."""
    return _converted(contact, by, now, lambda: contact.open_repair_order(by, now))


def open_service_request(contact, by, now):
    """转服务申请: a request that needs approval (R-SVC-1), its hand-back clock started."""
    return _converted(contact, by, now, lambda: contact.open_service_request(by, now))


def open_complaint(contact, by, now, category, severity, requested_by=None):
    """转投诉: a complaint routed and graded as one entered in 投诉处理 (R-CMP-3, 4)."""
    return _converted(contact, by, now, lambda: contact.open_complaint(
        by, now, category, severity, requested_by))


def open_work_letter(contact, by, now, department):
    """转联系函: another department must act within 1 hour of the enquiry (R-ENQ-2)."""
    return _converted(contact, by, now, lambda: contact.open_work_letter(by, now, department))


def notify_departments(request, by, now, departments):
    """书面转达: a work letter, already sent, to each department that must cooperate (R-SVC-3)."""
    with write_transaction():
        letters = request.notify_departments(by, now, departments)
        for letter in letters:
            audit("create", letter, now=now, user=by)
    return letters


# The steps of this area's registers, each one function (flows.steps.take_step runs them);
# calls(Model, step, method, *fields): the model's method given (by, now, *those fields).

NOT_RATED = "none"  # 回访: the customer gave no score (a callback, not a rating)


calls(None, "hold", "hold", "reason")
calls(None, "release")


@runs(Contact, "to_repair")
def _contact_to_repair(record, by, now, fields):
    return open_repair_order(record, by, now)


@runs(Contact, "to_service_request")
def _contact_to_service_request(record, by, now, fields):
    return open_service_request(record, by, now)


@runs(Contact, "to_complaint")
def _contact_to_complaint(record, by, now, fields):
    return open_complaint(record, by, now, *(fields[name] for name in INTAKE))


@runs(Contact, "to_letter")
def _contact_to_letter(record, by, now, fields):
    return open_work_letter(record, by, now, Department.get_by_id(fields["department"]))


calls(Contact, "handled", "mark_handled", "outcome")
calls(Contact, "answer", "answer_enquirer", "method", "answer")
calls(RepairOrder, "dispatch")
calls(RepairOrder, "accept")
calls(RepairOrder, "complete", "complete", "result")
calls(RepairOrder, "refuse", "refuse", "reason")
calls(ServiceRequest, "approve", "approve", "note")
calls(ServiceRequest, "decline", "decline", "reason")
calls(ServiceRequest, "hand_back")


@runs(ServiceRequest, "notify")
def _service_request_notify(record, by, now, fields):
    return notify_departments(record, by, now, list(
        Department.select().where(Department.id.in_(fields["departments"]))))


calls(WorkLetter, "send")
calls(WorkLetter, "acknowledge")
calls(WorkLetter, "reply", "answer", "reply")
calls(WorkLetter, "close")


@runs(None, "callback")
def _any_callback(record, by, now, fields):
    """回访 of a repair order or a complaint: `fixed` "yes" or "no", `satisfaction` "1"…"5" or
    NOT_RATED, the person called and the notes."""
    return record.record_callback(
        by, now, fields["fixed"] == "yes",
        None if fields["satisfaction"] == NOT_RATED else int(fields["satisfaction"]),
        fields.get("notes") or None, fields.get("person") or None)
