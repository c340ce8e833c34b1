"""Customer communication (顾客沟通): notices, meetings and who attended them (R-COM-1 … 4)."""
from audit import audit
from database import write_transaction
from models import ActionItem, Meeting, MeetingAttendee, Notice, NoticeReceipt, User
from flows.audience import chosen_customers
from flows.steps import calls, runs
from flows.records import after_save, before_save


@before_save(Notice)
def published_by_their_department(notice, created, by, now, extra):
    """The publishing department answers for the notice."""
    if notice.department_id is None and by is not None:
        notice.department = by.department_id


@after_save(Meeting)
def record_staff(meeting, created, by, now, extra):
    """The staff who attended (a committee meeting held needs the GM, R-COM-3); once held, its
    customers were in contact that day."""
    if "staff" in extra:
        meeting.record_staff(User.select().where(User.id.in_(extra["staff"] or [])), now)
    meeting.record_attendance(now)


def record_attendance(meeting, customers, description, by, now):
    """Add customers who attended a meeting; once held, each was in contact that day (R-COM-3).
    Returns how many were named."""
    rows = [dict(meeting=meeting.id, customer=c.id) for c in customers]
    with write_transaction():
        if rows:
            MeetingAttendee.insert_many(rows).on_conflict_ignore().execute()
        meeting.record_attendance(now)
        audit("attendance", meeting, now=now, user=by, summary="参会客户：" + description)
    return len(rows)


# The steps of this area's registers, each one function (flows.steps.take_step runs them);
# calls(Model, step, method, *fields): the model's method given (by, now, *those fields).

@runs(Notice, "publish")
def _notice_publish(record, by, now, fields):
    customers, audience = chosen_customers(fields)
    return record.publish(by, now, customers, audience)


@runs(NoticeReceipt, "confirm")
def _notice_receipt_confirm(record, by, now, fields):
    return record.confirm(by, now, fields.get("method") or NoticeReceipt.SIGNED,
                          fields.get("person"), fields.get("confirmed_at"))


@runs(NoticeReceipt, "sign")
def _notice_receipt_sign(record, by, now, fields):
    return record.confirm(by, now, NoticeReceipt.SIGNED, transition="sign")


@runs(Meeting, "attendance")
def _meeting_attendance(record, by, now, fields):
    customers, description = chosen_customers(fields)
    return record_attendance(record, customers, description, by, now)


calls(ActionItem, "complete_item", "complete", "outcome")
calls(ActionItem, "cancel_item", "cancel", "reason")
