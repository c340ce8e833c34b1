"""Customer communication (顾客沟通): notices, meetings and who attended them (R-COM-1 … 4)."""
from audit import audit
from database import write_transaction
from models import Meeting, MeetingAttendee, Notice, User
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
