"""Escalation of repeated misses, missed daily follow-ups, meeting action items, and alert
e-mail through a real SMTP server (aiosmtpd) started by the test."""
from datetime import date, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from conftest import free_port

import jobs
from database import write_transaction
from jobs.deadlines import (escalate_repeated_misses, flag_missing_follow_ups,
                            flag_overdue_action_items, flag_unaccepted_repairs, resolve_done_alerts)
from jobs.mail import mail_alerts
from models import ActionItem, Alert, Complaint, ComplaintUpdate, Deadline, Meeting, User
from helpers import MON, alerts_for, dept, run, user
from factories import make_complaint, make_repair_order


@pytest.fixture
def clean_alerts(app):
    """A quiet mall: no alerts, and none of the demo's clocks left running to raise new ones
    (the demo's overdue repair orders would escalate beside the test's own)."""
    Alert.delete().execute()
    Deadline.update(status=Deadline.CANCELLED).where(Deadline.status == Deadline.RUNNING).execute()


def sweep(now):
    with write_transaction():
        flag_unaccepted_repairs(now)
        escalate_repeated_misses(now)


@pytest.mark.parametrize("minutes,level,assignee", [
    (30, 1, None),          # missed once: the property department
    (59, 1, None),          # one minute before the allowance runs out again
    (60, 2, "property"),    # missed again: the department head
    (89, 2, "property"),
    (90, 3, "pm"),          # and again: the project manager
    (120, 4, "gm"),         # and again: the general manager
    (600, 4, "gm"),         # never past the general manager
])
def test_a_repeated_miss_raises_the_level_and_alerts_the_next_person_up(
        clean_alerts, minutes, level, assignee):
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON)
    sweep(MON + timedelta(minutes=minutes))
    sweep(MON + timedelta(minutes=minutes))  # idempotent
    [alert] = alerts_for(order)
    assert alert.level == level
    assert (alert.assignee.username if alert.assignee else None) == assignee


@pytest.mark.parametrize("minutes,level,assignee", [
    (30, 1, None), (60, 2, "property"), (90, 3, "pm"), (600, 4, "gm")])
def test_a_miss_found_late_is_raised_at_the_level_it_has_reached(clean_alerts, minutes, level,
                                                                  assignee):
    """The first sweep after downtime (or over an imported history) raises each miss straight
    at its level and person, one write per alert: the escalation then has nothing to move."""
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON)
    at = MON + timedelta(minutes=minutes)
    with write_transaction():
        assert flag_unaccepted_repairs(at) == 1
        [alert] = alerts_for(order)
        assert (alert.level, alert.assignee.username if alert.assignee else None) == (level, assignee)
        assert escalate_repeated_misses(at) == 0


def test_escalation_catches_up_in_one_step_and_stops_when_done(clean_alerts):
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON)
    sweep(MON + timedelta(minutes=31))
    with write_transaction():  # the jobs were down for three hours
        assert escalate_repeated_misses(MON + timedelta(hours=3)) == 1
        assert escalate_repeated_misses(MON + timedelta(hours=3)) == 0
    assert alerts_for(order)[0].level == 4
    run(order.accept, user("property"), MON + timedelta(hours=3))
    with write_transaction():
        resolve_done_alerts(MON + timedelta(hours=3))
        assert escalate_repeated_misses(MON + timedelta(hours=9)) == 0
    assert alerts_for(order)[0].status == "resolved"


def test_a_hold_moves_the_escalation_times_too(clean_alerts):
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON)
    run(order.hold, user("clerk"), MON + timedelta(minutes=10), "等备件")
    run(order.release, user("clerk"), MON + timedelta(minutes=40))  # 30 minutes on hold
    [clock] = [d for d in order.deadlines() if d.kind == "accept"]
    assert clock.due_at == MON + timedelta(minutes=60)
    assert clock.level2_at == MON + timedelta(minutes=90)
    sweep(MON + timedelta(minutes=89))
    assert alerts_for(order)[0].level == 1


# ---------------------------------------------------------------- daily follow-ups (R-CMP-6)

# A general complaint received Monday 23 November 10:00: five working days later is Monday
# 30 November 10:00, so from that day on every working day needs a follow-up.
FOLLOW_UP_DAY = datetime(2026, 11, 30, 10, 0)


@pytest.fixture
def only_our_complaints(clean_alerts):
    Complaint.update(archived_at=MON, archive_reason="测试").execute()  # the demo's stay out


def follow_up_alerts(complaint):
    return sorted(alerts_for(complaint), key=lambda a: a.since)


def test_missed_follow_ups_raise_one_alert_per_day_each_a_level_higher(only_our_complaints):
    complaint = make_complaint("general")
    run(complaint.start, user("property"), MON + timedelta(hours=1))
    assert complaint.follow_up_from == FOLLOW_UP_DAY
    with write_transaction():  # Monday 30th is not over yet: nothing missed
        assert flag_missing_follow_ups(datetime(2026, 11, 30, 23, 59, 59)) == 0
    with write_transaction():
        assert flag_missing_follow_ups(datetime(2026, 12, 1, 0, 0)) == 1
        assert flag_missing_follow_ups(datetime(2026, 12, 1, 9, 0)) == 0  # idempotent
    # Tuesday logged, Wednesday and Thursday not: the jobs were down and catch up on Friday.
    ComplaintUpdate.create(complaint=complaint, kind="follow_up", content="已联系商户",
                           told_complainant="商户已同意退换", happened_at=datetime(2026, 12, 1, 15, 0),
                           created_at=MON, updated_at=MON)
    with write_transaction():
        assert flag_missing_follow_ups(datetime(2026, 12, 4, 8, 0)) == 2
    alerts = follow_up_alerts(complaint)
    assert [a.since.date() for a in alerts] == [date(2026, 12, 1), date(2026, 12, 3), date(2026, 12, 4)]
    assert [a.level for a in alerts] == [1, 2, 3]
    # The intake person's (none recorded here), then the service center's head (R-CMP-6).
    assert [a.assignee.username if a.assignee else None for a in alerts] == [None, "clerk", "pm"]
    assert {a.department.code for a in alerts} == {"service"}


def test_alerts_written_many_at_once_skip_one_open_already_and_take_the_models_defaults(
        clean_alerts):
    """Alert.insert_rows, the follow-ups' one write: one statement per batch, a row whose alert
    is open already left out (the open-alert key), the fields not given as the model sets them."""
    order = make_repair_order()
    fields = [Alert.title, Alert.record_type, Alert.record_id, Alert.since, Alert.created_at,
              Alert.updated_at]
    monday = ("报修未受理", "RepairOrder", order.id, MON, MON, MON)
    tuesday = ("报修未受理", "RepairOrder", order.id, MON + timedelta(days=1), MON, MON)
    with write_transaction():
        assert Alert.insert_rows(fields, [monday, tuesday, monday], batch=2) == 2
        assert Alert.insert_rows(fields, [tuesday], batch=2) == 0
    alerts = sorted(alerts_for(order), key=lambda a: a.since)
    assert [a.since for a in alerts] == [MON, MON + timedelta(days=1)]
    assert {(a.kind, a.status, a.level, a.version, a.mailed_level, a.title, a.created_at)
            for a in alerts} == {("overdue", Alert.OPEN, 1, 1, 0, "报修未受理", MON)}


def test_no_follow_up_alert_for_a_weekend_or_a_closed_complaint(only_our_complaints):
    complaint = make_complaint("general")
    run(complaint.start, user("property"), MON + timedelta(hours=1))
    ComplaintUpdate.create(complaint=complaint, kind="progress", content="维修中",
                           told_complainant="周五修好", happened_at=datetime(2026, 12, 4, 11, 0),
                           created_at=MON, updated_at=MON)
    for day in (datetime(2026, 11, 30), datetime(2026, 12, 1), datetime(2026, 12, 2),
                datetime(2026, 12, 3)):
        ComplaintUpdate.create(complaint=complaint, kind="follow_up", content="跟踪",
                               told_complainant="仍在维修", happened_at=day + timedelta(hours=16),
                               created_at=MON, updated_at=MON)
    with write_transaction():  # Saturday and Sunday are not working days
        assert flag_missing_follow_ups(datetime(2026, 12, 7, 9, 0)) == 0
    run(complaint.resolve, user("property"), datetime(2026, 12, 7, 9, 0), "已修复")
    with write_transaction():
        assert flag_missing_follow_ups(datetime(2026, 12, 9, 9, 0)) == 0


# ---------------------------------------------------------------- meeting action items (R-COM-4)

def test_overdue_action_items_alert_their_owner_once_and_resolve_when_done(clean_alerts):
    ActionItem.update(status=ActionItem.DONE).execute()  # only ours
    meeting = Meeting.create(kind="tenants", title="商户座谈会", held_at=MON, created_at=MON,
                             updated_at=MON)
    item = ActionItem.create(meeting=meeting, description="增加货梯调度", department=dept("operations"),
                             owner=user("ops"), due_date=date(2026, 11, 30), created_at=MON,
                             updated_at=MON)
    with write_transaction():
        assert flag_overdue_action_items(datetime(2026, 11, 30, 23, 59)) == 0  # due that day
        assert flag_overdue_action_items(datetime(2026, 12, 1, 0, 0)) == 1
        assert flag_overdue_action_items(datetime(2026, 12, 1, 0, 1)) == 0
    [alert] = alerts_for(item)
    assert alert.assignee.username == "ops" and alert.department.code == "operations"
    ActionItem.update(status=ActionItem.DONE).where(ActionItem.id == item.id).execute()
    with write_transaction():
        assert resolve_done_alerts(datetime(2026, 12, 2)) == 1
    assert alerts_for(item)[0].status == "resolved"


# ---------------------------------------------------------------- e-mail

class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server(app):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                      MAIL_DEFAULT_SENDER="kefu@mall.example", KEFU_BASE_URL="http://kefu.local")
    yield inbox
    controller.stop()


def test_alerts_are_mailed_once_per_level(clean_alerts, smtp_server, app):
    User.update(email="liqiang@mall.example").where(User.username == "property").execute()
    User.update(email="chengang@mall.example").where(User.username == "pm").execute()
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON)
    with app.app_context():
        sweep(MON + timedelta(minutes=31))
        assert mail_alerts(MON + timedelta(minutes=31)) == 1   # the property department
        assert mail_alerts(MON + timedelta(minutes=32)) == 0
        sweep(MON + timedelta(minutes=95))                     # level 3: the project manager
        assert mail_alerts(MON + timedelta(minutes=95)) == 1
    first, second = smtp_server.messages
    assert first.rcpt_tos == ["liqiang@mall.example"]
    assert second.rcpt_tos == ["chengang@mall.example"]
    from email import message_from_bytes, policy
    message = message_from_bytes(second.content, policy=policy.default)
    assert "维修工作单接单已逾期" in message["Subject"]
    text = message.get_content()
    assert "升级级别：3" in text and f"http://kefu.local/admin/repairorder/details/?id={order.id}" in text


def test_without_mail_server_nothing_is_sent_and_mail_waits(clean_alerts, app):
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON)
    with app.app_context():
        sweep(MON + timedelta(minutes=31))
        assert mail_alerts(MON + timedelta(minutes=31)) == 0
    assert alerts_for(order)[0].mailed_level == 0


def test_an_unreachable_mail_server_does_not_stop_the_other_jobs(clean_alerts, app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nobody listens there
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON)
    with app.app_context():
        results = jobs.run_due_jobs(MON + timedelta(minutes=31))
    assert results["mail_alerts"] == 0 and results["flag_unaccepted_repairs"] >= 1
    assert alerts_for(order)[0].mailed_level == 0


# ---------------------------------------------------------------- found in review

def test_an_alert_resolved_by_hand_stays_resolved(clean_alerts):
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON)
    sweep(MON + timedelta(minutes=95))
    [alert] = alerts_for(order)
    run(alert.resolve, user("pm"), MON + timedelta(minutes=96), "已电话督促维修班组")
    sweep(MON + timedelta(minutes=97))
    sweep(MON + timedelta(hours=5))
    assert [(a.status, a.level) for a in alerts_for(order)] == [("resolved", 3)]


def test_no_escalation_while_the_record_is_on_hold(clean_alerts):
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON)
    sweep(MON + timedelta(minutes=31))
    run(order.hold, user("clerk"), MON + timedelta(minutes=35), "等备件")
    sweep(MON + timedelta(minutes=200))
    assert alerts_for(order)[0].level == 1


def test_a_complainants_date_moves_the_escalation_times_too(clean_alerts):
    from factories import make_complaint as complaint_with
    complaint = complaint_with("general", requested_by=date(2026, 12, 10))
    [clock] = [d for d in complaint.deadlines() if d.kind == "resolve"]
    assert clock.due_at == datetime(2026, 12, 10, 23, 59, 59)
    assert clock.level2_at > clock.due_at


def test_escalation_without_a_general_manager_or_with_a_departed_head(clean_alerts):
    User.update(is_active=False).where(User.username.in_(("gm", "property"))).execute()
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON)
    sweep(MON + timedelta(minutes=61))   # head inactive: straight to the project manager
    assert alerts_for(order)[0].assignee.username == "pm"
    sweep(MON + timedelta(minutes=121))  # no general manager: stays with the project manager
    alert = alerts_for(order)[0]
    assert (alert.level, alert.assignee.username) == (4, "pm")


def test_follow_ups_are_not_missed_on_days_the_complaint_was_on_hold(only_our_complaints):
    complaint = make_complaint("general")
    run(complaint.start, user("property"), MON + timedelta(hours=1))
    run(complaint.hold, user("property"), datetime(2026, 11, 30, 8, 0), "等待厂家检测")
    run(Complaint.get_by_id(complaint.id).release, user("property"), datetime(2026, 12, 2, 17, 0))
    with write_transaction():
        flag_missing_follow_ups(datetime(2026, 12, 3, 8, 0))
    assert follow_up_alerts(complaint) == []  # 30 Nov – 2 Dec were all (partly) on hold


def test_who_may_resolve_an_escalated_alert(clean_alerts):
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON)
    sweep(MON + timedelta(minutes=31))
    alert = alerts_for(order)[0]
    assert alert.may_resolve(user("property")) and alert.may_resolve(user("clerk"))
    sweep(MON + timedelta(minutes=95))  # now the project manager's
    alert = alerts_for(order)[0]
    assert not alert.may_resolve(user("property")) and not alert.may_resolve(user("clerk"))
    assert alert.may_resolve(user("pm")) and alert.may_resolve(user("gm"))
    from models import DomainError
    with pytest.raises(DomainError):
        run(alert.resolve, user("property"), MON + timedelta(minutes=96), "已处理")


def test_a_title_with_a_line_break_is_mailed_on_one_line(clean_alerts, smtp_server, app):
    from email import message_from_bytes, policy
    User.update(email="ops@mall.example").where(User.username == "ops").execute()
    meeting = Meeting.create(kind="tenants", title="座谈会", held_at=MON, created_at=MON,
                             updated_at=MON)
    ActionItem.update(status=ActionItem.DONE).execute()
    ActionItem.create(meeting=meeting, description="第一行\r\nBcc: x@evil.example\n第二行",
                      department=dept("operations"), owner=user("ops"), due_date=date(2026, 11, 1),
                      created_at=MON, updated_at=MON)
    with app.app_context():
        with write_transaction():
            flag_overdue_action_items(MON)
        assert mail_alerts(MON) == 1
    [envelope] = smtp_server.messages
    assert envelope.rcpt_tos == ["ops@mall.example"]
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert "第一行 Bcc: x@evil.example 第二行" in message["Subject"] and message["Bcc"] is None


def test_overlapping_mail_runs_send_each_alert_once(clean_alerts, smtp_server, app):
    import threading
    User.update(email="liqiang@mall.example").where(User.username == "property").execute()
    for _ in range(6):
        run(make_repair_order().dispatch, user("clerk"), MON)
    with app.app_context():
        sweep(MON + timedelta(minutes=61))  # level 2: the head, who has an address
    results = []

    def send():
        with app.app_context():
            results.append(mail_alerts(MON + timedelta(minutes=62)))
    threads = [threading.Thread(target=send) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    level_2 = Alert.select().where((Alert.level == 2) & (Alert.status == "open")).count()
    assert level_2 >= 6 and sum(results) == len(smtp_server.messages) == level_2
