"""Complaints (投诉): routing and grading a new one, what may change after intake, pass-ons,
the monthly analysis compiled on demand."""
import flows.reception
import reports
from audit import audit
from database import write_transaction
from models import (Complaint, ComplaintGuideline, ComplaintPassOn, ComplaintReport,
                    ComplaintUpdate, Department, ValidationError)
from flows.steps import calls, runs
from workflow import INTAKE  # what the desk decides at intake (category, severity, date)
from flows.records import after_save, before_save, stamped_by

stamped_by(ComplaintPassOn, "received_by")
stamped_by(ComplaintUpdate, "by_user")


@before_save(Complaint)
def route(complaint, created, by, now, extra):
    """Route a new complaint by category (R-CMP-4), another department only by a supervisor
    with a reason; after intake, what routes and grades it changes only by its step."""
    if created:
        complaint.route_new(by)
        return
    stored = Complaint.get_by_id(complaint.id)
    correct = "“更正类别/性质”（启动处理前）或" if stored.may_correct_intake() else ""
    for name, step in (("severity", correct + "“升级”"), ("department", "“改派”"),
                       ("category", correct + "“改派”"), ("received_at", None)):
        column = name + ("_id" if name == "department" else "")
        if getattr(complaint, column) != getattr(stored, column):
            raise ValidationError({name: ("受理后请用%s办理" % step) if step else "受理时间不能修改"})


@after_save(Complaint)
def grade(complaint, created, by, now, extra):
    if created:
        register(complaint, by, now)


def register(complaint, by, now):
    """A new complaint: its reception entry (R-CMP-3), its clocks, its owner (R-CMP-1)."""
    with write_transaction():
        contact = complaint.register(by, now)
        if contact is not None:
            audit("create", contact, now=now, user=by,
                  summary=f"投诉{complaint.number}的接待登记：{contact}")


@before_save(ComplaintPassOn)
def passed_on_from_their_department(pass_on, created, by, now, extra):
    if created and pass_on.department_id is None and by is not None:
        pass_on.department = by.department_id


@after_save(ComplaintPassOn)
def start_register_clock(pass_on, created, by, now, extra):
    """The desk's clock to register it runs from its receipt (R-CMP-3)."""
    if created:
        pass_on.pass_on(by, now)


@before_save(ComplaintReport)
def month_fixed(report, created, by, now, extra):
    if not created and report.month != ComplaintReport.get_by_id(report.id).month:
        raise ValidationError({"month": "月份不能修改，请为该月另行生成报告"})


def register_pass_on(pass_on, by, now, category, severity, requested_by=None):
    """登记为投诉: the desk registers a complaint passed on by staff as a reception entry turned
    into a complaint, routed and graded from the moment it was received (R-CMP-3)."""
    with write_transaction():
        contact = pass_on.enter_reception(by, now)
        audit("create", contact, now=now, user=by, summary=f"由{pass_on.number}转入：{contact}")
        complaint = flows.reception.open_complaint(contact, by, now, category, severity,
                                                   requested_by)
        pass_on.registered_as(contact, complaint, now)
    return complaint


def generate_report(month, by, now):
    """Compile (or refresh) the complaint analysis of `month`, with its audit row (R-CMP-9);
    a published report is not rewritten (DomainError)."""
    with write_transaction():
        report = reports.generate_complaint_report(month, now, by)
        audit("generate", report, now=now, user=by)
    return report


# The steps of this area's registers, each one function (flows.steps.take_step runs them);
# calls(Model, step, method, *fields): the model's method given (by, now, *those fields).

@runs(Complaint, "scope")
def _complaint_scope(record, by, now, fields):
    ids = [g.id for g in ComplaintGuideline.checklist()]
    return record.check_scope(by, now, fields["ticked"] or [], ids, fields["reason"])


calls(Complaint, "correct", "correct_intake", *INTAKE)
calls(Complaint, "start", "start", "content")


@runs(Complaint, "progress")
def _complaint_progress(record, by, now, fields):
    return record.add_update(by, now, "progress", fields["content"], fields["told"])


@runs(Complaint, "feedback")
def _complaint_feedback(record, by, now, fields):
    return record.add_update(by, now, "feedback", fields["content"], fields["told"])


@runs(Complaint, "follow_up")
def _complaint_follow_up(record, by, now, fields):
    return record.add_update(by, now, "follow_up", fields["content"], fields["told"])


calls(Complaint, "resolve", "resolve", "result")
calls(Complaint, "escalate", "escalate", "reason")


@runs(Complaint, "reroute")
def _complaint_reroute(record, by, now, fields):
    return record.reroute(by, now, Department.get_by_id(fields["department"]), fields["reason"])


@runs(ComplaintPassOn, "register")
def _complaint_pass_on_register(record, by, now, fields):
    return register_pass_on(record, by, now, *(fields[name] for name in INTAKE))


@runs(ComplaintReport, "regenerate")
def _complaint_report_regenerate(record, by, now, fields):
    return generate_report(record.month, by, now)


calls(ComplaintReport, "publish")
