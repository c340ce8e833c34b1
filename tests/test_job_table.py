"""Every stamped-deadline overdue job (jobs.deadlines, built by _rule_job) in one table: the
boundary around the due time, idempotence, catch-up after downtime, and resolution once the
record is done through its own workflow. `now` is always injected; nothing reads the clock."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

import pytest

import flows.cash
import flows.complaints
import flows.reception
import flows.surveys
from database import write_transaction
from jobs import deadlines
from jobs.deadlines import resolve_done_alerts
from models import (Alert, Charge, Complaint, ComplaintPassOn, Contact, ItemLoan, Notice, NoticeReceipt, RepairOrder,
                    ServiceRequest, ShiftHandover, Survey, WorkLetter)
from helpers import MON, dept, run, user
from factories import make_charge, make_complaint, make_contact, make_loan, make_notice, make_repair_order, make_service_request, make_survey_plan, some_tenants

SECOND = timedelta(seconds=1)
END_OF_MON = datetime(2026, 11, 23, 23, 59, 59)


def fresh(record):
    return type(record).get_by_id(record.id)


# ---------------------------------------------------------------- factories: one record each,
# its clock started at a known time through the model's own workflow (MON = Mon 23 Nov 2026 10:00)

def dispatched_order():
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON)
    return order


def accepted_order():
    order = dispatched_order()
    run(order.accept, user("property"), MON + timedelta(minutes=5))  # category 其他
    return fresh(order)


def finished_order():
    order = dispatched_order()
    run(order.accept, user("property"), MON + timedelta(minutes=5))
    run(order.complete, user("property"), MON + timedelta(hours=1), "更换阀门")  # 11:00
    return fresh(order)


def enquiry_letter():
    contact = make_contact(MON)  # the one hour counts from the enquiry, not from the letter
    return run(flows.reception.open_work_letter, contact, user("clerk"), MON + timedelta(minutes=10),
               dept("operations"))


def replied_enquiry():
    letter = enquiry_letter()
    run(fresh(letter).send, user("clerk"), MON + timedelta(minutes=20))
    run(fresh(letter).answer, user("ops"), MON, "可以办理")  # replied Mon 10:00
    return fresh(letter).contact


def resolved_complaint():
    complaint = make_complaint("general")
    run(complaint.start, user("property"), MON + timedelta(minutes=30))
    run(fresh(complaint).resolve, user("property"), MON + timedelta(hours=1), "已增加巡查")  # 11h
    return fresh(complaint)


def submitted_plan():  # starts Sun 13 Dec 2026, ends Sun 27 Dec 2026
    survey = make_survey_plan()
    run(survey.submit, user("ops"), MON)
    return fresh(survey)


def approved_plan():
    survey = submitted_plan()
    run(survey.approve, user("gm"), MON)
    return fresh(survey)


def closed_survey():
    survey = approved_plan()
    run(survey.record_training, user("ops"), MON, MON - timedelta(hours=1), "培训")
    run(fresh(survey).begin, user("ops"), datetime(2026, 12, 13, 9, 0))
    run(flows.surveys.close, fresh(survey), user("ops"), datetime(2026, 12, 27, 18, 0))
    return fresh(survey)


def published_notice():
    notice = make_notice()  # department: property
    run(notice.publish, user("clerk"), MON, some_tenants(2), "2 户")
    return fresh(notice)


# ---------------------------------------------------------------- completions through the workflow

def accept_order(order, now):
    run(fresh(order).accept, user("property"), now)


def complete_order(order, now):
    run(fresh(order).complete, user("property"), now, "已修好")


def call_back_order(order, now):
    run(fresh(order).record_callback, user("clerk"), now, True, 5, "已修好", "店长")


def decide_and_hand_back(request, now):
    run(fresh(request).approve, user("ops"), now, "同意")
    run(fresh(request).hand_back, user("clerk"), now)


def send_letter(letter, now):
    run(fresh(letter).send, user("clerk"), now)


def passed_on_complaint():
    from models import ComplaintPassOn
    staff = user("property")
    record = ComplaintPassOn(complainant_name="赵女士", complainant_phone="13911112222",
                             subject="保洁不及时", received_at=MON, received_by=staff,
                             department=staff.department_id, created_at=MON, updated_at=MON)
    record.assign_number(MON)
    run(record.save, force_insert=True)
    run(record.pass_on, staff, MON)
    return fresh(record)


def register_passed_on(record, now):
    run(flows.complaints.register_pass_on, fresh(record), user("clerk"), now, "property",
        "general")


def answer_enquirer(contact, now):
    run(fresh(contact).answer_enquirer, user("clerk"), now, "phone", "已电话告知可以办理")


def hand_to_finance(charge, now):
    run(fresh(charge).hand_to_finance, user("clerk"), now)


def return_loan(loan, now):
    run(fresh(loan).return_item, user("warehouse"), now)


def shift_handed_over():
    """The clerk hands over the shift 08:30–09:50 Monday; the taker has not signed yet."""
    Charge.update(status=Charge.HANDED_OVER).where(Charge.status == Charge.RECORDED).execute()
    make_charge(datetime(2026, 11, 23, 9, 0))
    return run(flows.cash.hand_over, user("clerk"), user("clerk2"),
               datetime(2026, 11, 23, 8, 30), datetime(2026, 11, 23, 9, 50), "400.00", None, MON)


def sign_and_give_to_finance(handover, now):
    run(fresh(handover).take_over, user("clerk2"), now)
    run(fresh(handover).hand_to_finance, user("clerk2"), now, "财务部 吴会计", "400.00")


def start_complaint(complaint, now):
    # A major complaint is started by the project manager who leads it (R-CMP-1).
    starter = "pm" if complaint.severity == Complaint.MAJOR else "property"
    run(fresh(complaint).start, user(starter), now)


def start_and_resolve(complaint, now):
    start_complaint(complaint, now)
    run(fresh(complaint).resolve, user("property"), now, "已处理")


def call_back_complaint(complaint, now):
    run(fresh(complaint).record_callback, user("clerk"), now, True, 5, "满意")


def approve_plan(survey, now):
    run(fresh(survey).approve, user("gm"), now)


def train_staff(survey, now):
    run(fresh(survey).record_training, user("ops"), now, now, "培训")


def file_records(survey, now):
    run(fresh(survey).file_records, user("clerk"), now)


def confirm_all_receipts(notice, now):
    for receipt in NoticeReceipt.select().where(NoticeReceipt.notice == notice.id):
        run(receipt.confirm, user("clerk"), now, NoticeReceipt.SIGNED)


@dataclass
class Case:
    job: Callable
    factory: Callable
    due: datetime          # the stamped due time, computed by hand from RULES.md / SLA_RULES
    department: str        # code of the department that must act
    complete: Callable
    soon_before_due: int   # due-soon alerts raised at due - 1 s (0: the clock starts at its due)

    @property
    def model(self):
        return {"flag_unaccepted_repairs": RepairOrder,
                "flag_repairs_without_callback": RepairOrder,
                "flag_repairs_not_completed": RepairOrder,
                "flag_requests_not_handed_back": ServiceRequest,
                "flag_letters_not_forwarded": WorkLetter,
                "flag_enquirers_not_answered": Contact,
                "flag_charges_not_handed_to_finance": Charge, "flag_loans_out_too_long": ItemLoan,
                "flag_handovers_not_at_finance": ShiftHandover,
                "flag_survey_plans_not_approved": Survey, "flag_survey_staff_not_trained": Survey,
                "flag_surveys_not_filed": Survey, "flag_notices_not_confirmed": Notice,
                "flag_complaints_not_registered": ComplaintPassOn,
                }.get(self.job.__name__, Complaint)


CASES = [
    # R-REP-2: dispatched Mon 10:00, accepted within 30 minutes.
    Case(deadlines.flag_unaccepted_repairs, dispatched_order, datetime(2026, 11, 23, 10, 30),
         "property", accept_order, 1),
    # R-REP-5: accepted Mon 10:05, REP_COMPLETE_OTHER 2 working days -> Wed 10:05.
    Case(deadlines.flag_repairs_not_completed, accepted_order, datetime(2026, 11, 25, 10, 5),
         "property", complete_order, 1),
    # R-REP-3: done Mon 11:00; REP_CALLBACK 1 working day -> Tue 11:00; the service center calls.
    Case(deadlines.flag_repairs_without_callback, finished_order, datetime(2026, 11, 24, 11, 0),
         "service", call_back_order, 1),
    # R-SVC-2: submitted Mon 10:00, 1 working day -> Tue 10:00; the approving department.
    Case(deadlines.flag_requests_not_handed_back, lambda: make_service_request(MON),
         datetime(2026, 11, 24, 10, 0), "operations", decide_and_hand_back, 1),
    # R-ENQ-2: enquiry Mon 10:00 (letter opened 10:10), 1 hour -> 11:00; the sender forwards.
    Case(deadlines.flag_letters_not_forwarded, enquiry_letter, datetime(2026, 11, 23, 11, 0),
         "service", send_letter, 1),
    # R-ENQ-1/2: the department replied Mon 10:00; the desk answers within 1 working day.
    Case(deadlines.flag_enquirers_not_answered, replied_enquiry, datetime(2026, 11, 24, 10, 0),
         "service", answer_enquirer, 1),
    # R-PAY-1: charged Mon 10:00, to finance by the end of that day.
    Case(deadlines.flag_charges_not_handed_to_finance, lambda: make_charge(MON), END_OF_MON,
         "service", hand_to_finance, 0),
    # R-PAY-2: shift ended Mon 09:50, its money to finance by the end of that day.
    Case(deadlines.flag_handovers_not_at_finance, shift_handed_over, END_OF_MON,
         "service", sign_and_give_to_finance, 1),
    # R-LOAN-4/5: lent Mon 10:00, free for 1 hour -> 11:00.
    Case(deadlines.flag_loans_out_too_long, lambda: make_loan(MON), datetime(2026, 11, 23, 11, 0),
         "service", return_loan, 1),
    # R-CMP-1 major: reported at intake; the project manager starts it within 1 hour -> 11:00.
    Case(deadlines.flag_major_complaints_not_started, lambda: make_complaint("major"),
         datetime(2026, 11, 23, 11, 0), "property", start_complaint, 1),
    # R-CMP-1 important: started within 1 hour -> 11:00.
    Case(deadlines.flag_important_complaints_not_started, lambda: make_complaint("important"),
         datetime(2026, 11, 23, 11, 0), "property", start_complaint, 1),
    # R-CMP-1 general: resolved within 2 calendar days -> Wed 25 10:00.
    Case(deadlines.flag_general_complaints_not_resolved, lambda: make_complaint("general"),
         datetime(2026, 11, 25, 10, 0), "property", start_and_resolve, 1),
    # R-CMP-7: resolved Mon 11:00, 3 working days -> Thu 26 11:00; the service center calls.
    Case(deadlines.flag_complaint_callbacks_missed, resolved_complaint,
         datetime(2026, 11, 26, 11, 0), "service", call_back_complaint, 1),
    # R-CMP-3: passed on by property staff, received Mon 10:00; the desk registers it in 1 hour.
    Case(deadlines.flag_complaints_not_registered, passed_on_complaint,
         datetime(2026, 11, 23, 11, 0), "service", register_passed_on, 1),
    # R-SUR-1: start Sun 13 Dec, approved 20 days before -> end of Mon 23 Nov.
    Case(deadlines.flag_survey_plans_not_approved, submitted_plan, END_OF_MON, "service",
         approve_plan, 1),
    # R-SUR-4: trained 2 days before the start -> end of Fri 11 Dec.
    Case(deadlines.flag_survey_staff_not_trained, approved_plan, datetime(2026, 12, 11, 23, 59, 59),
         "service", train_staff, 1),
    # R-SUR-6: end Sun 27 Dec, filed within 5 days -> end of Fri 1 Jan 2027.
    Case(deadlines.flag_surveys_not_filed, closed_survey, datetime(2027, 1, 1, 23, 59, 59),
         "service", file_records, 1),
    # R-COM-1: published Mon 10:00, COM_NOTICE_CONFIRM 1 working day -> Tue 10:00.
    Case(deadlines.flag_notices_not_confirmed, published_notice, datetime(2026, 11, 24, 10, 0),
         "property", confirm_all_receipts, 1),
]
IDS = [case.job.__name__ for case in CASES]


def test_the_table_covers_every_rule_job():
    made_by_rule_job = deadlines._rule_job("x", "y", "").__code__
    rule_jobs = {name for name in dir(deadlines) if name.startswith("flag_")
                 and getattr(deadlines, name).__code__ is made_by_rule_job}
    # R-REP-5's job runs one rule per repair category (REP_COMPLETE_*).
    assert rule_jobs | {"flag_repairs_not_completed"} == set(IDS) and len(IDS) == 18


def flag(job, now):
    with write_transaction():
        return job(now)


def overdue(record):
    return list(Alert.select().where((Alert.record_type == type(record).__name__)
                                     & (Alert.record_id == record.id) & (Alert.kind == "overdue")))


@pytest.fixture
def built(app, request):
    """Clear alerts, archive the demo's records of the case's register (so job return values
    count only ours), then build the case's record."""
    case = request.param
    Alert.delete().execute()
    case.model.update(archived_at=MON - timedelta(days=30), archive_reason="测试排除演示数据"
                      ).where(case.model.archived_at.is_null()).execute()
    record = case.factory()
    assert record.deadlines(), "the factory started no clock"
    return case, record


def by_case(test):
    return pytest.mark.parametrize("built", CASES, ids=IDS, indirect=True)(test)


@by_case
def test_boundary_and_idempotence(built):
    case, record = built
    assert flag(case.job, case.due - SECOND) == case.soon_before_due   # due soon at most
    assert overdue(record) == []
    assert flag(case.job, case.due) == 1                              # at the due time: overdue
    [alert] = overdue(record)
    assert alert.since == case.due and alert.status == Alert.OPEN and alert.level == 1
    assert alert.department.code == case.department and alert.assignee is None
    assert flag(case.job, case.due + SECOND) == 0                     # still exactly one
    assert flag(case.job, case.due + SECOND) == 0                     # idempotent
    assert [a.id for a in overdue(record)] == [alert.id]


@by_case
def test_catch_up_after_three_days_down(built):
    case, record = built
    assert flag(case.job, case.due + timedelta(days=3)) == 1
    [alert] = overdue(record)
    assert alert.since == case.due and alert.department.code == case.department


@by_case
def test_done_through_the_workflow_resolves_the_alert(built):
    case, record = built
    assert flag(case.job, case.due) == 1
    done = case.due + timedelta(hours=1)
    with write_transaction():
        assert resolve_done_alerts(done) == 0                       # still running: stays open
    case.complete(record, done)
    with write_transaction():
        assert resolve_done_alerts(done) == 1
    [alert] = overdue(record)
    assert alert.status == Alert.RESOLVED and alert.resolved_at == done
    assert flag(case.job, done) == 0                                # a done clock is not re-flagged
