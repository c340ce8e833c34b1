"""Issue 20: the working-day calendar in a year whose arrangement is not confirmed yet (2027 at
the demo's 2026-11-23), the State Council notice pasted in, and clocks moved when days change."""
import os
import re
from datetime import date, datetime, timedelta

import chinese_calendar
import pytest

import flows.calendar
import holiday_notice
import sla
from models import (Alert, AuditLog, CalendarDay, CalendarYear, Complaint, Deadline,
                    ServiceRequest)
from helpers import run, url, user
from factories import make_complaint, make_service_request

NOTICES = os.path.join(os.path.dirname(__file__), "data", "holiday-notices")
ESTIMATE = "估算：未含当年调休安排"

# An invented 2027 arrangement (the real notice is not in the repository): New Year's Day off
# Friday to Monday, with Saturday 9 January worked instead, and the Spring Festival week.
NOTICE_2027 = """国务院办公厅关于2027年部分节假日安排的通知

经国务院批准，现将2027年元旦、春节放假调休日期的具体安排通知如下。

一、元旦：1月1日（周五）至4日（周一）放假调休，共4天。1月9日（周六）上班。
二、春节：2月5日（农历除夕、周五）至12日（周五）放假调休，共8天。2月20日（周六）上班。

节假日期间，各地区、各部门要妥善安排好值班和安全、保卫等工作。"""


def notice_text(year):
    with open(os.path.join(NOTICES, "%d.txt" % year), encoding="utf-8") as fh:
        return fh.read()


def paste_notice(client, text):
    """Paste a notice on the calendar page: the preview page's HTML."""
    return client.post(url(CalendarDay, "notice/"), data={"text": text, "csrf_token": _token(client)})


def _token(client):
    from conftest import csrf_token
    return csrf_token(client.get(url(CalendarDay)).text)


# ---------------------------------------------------------------- the statutory fallback

def test_new_years_day_2027_is_off_while_2027_is_unconfirmed(app, as_clerk):
    request = make_service_request(datetime(2026, 12, 31, 16, 0))  # Thursday afternoon
    assert ServiceRequest.get_by_id(request.id).handback_deadline == datetime(2027, 1, 4, 16, 0)
    complaint = make_complaint(at=datetime(2026, 12, 28, 10, 0))
    # 12-29, 12-30, 12-31, (New Year's Day off), 01-04, 01-05: five working days.
    assert complaint.follow_up_from == datetime(2027, 1, 5, 10, 0)
    # Every screen that shows the deadline says it is an estimate: the grid, the record, my work.
    grid = as_clerk.get(url(ServiceRequest, "?search=%s" % request.number)).text
    assert "2027-01-04 16:00" in grid and ESTIMATE in grid
    details = as_clerk.get(url(ServiceRequest, "details/?id=%d" % request.id)).text
    assert ESTIMATE in details
    # A deadline in a confirmed year is not marked.
    earlier = make_service_request(datetime(2026, 11, 23, 10, 0))
    assert ESTIMATE not in as_clerk.get(url(ServiceRequest, "?search=%s" % earlier.number)).text


def test_spring_festival_week_of_an_unconfirmed_year_under_the_statutory_fallback(app):
    calendar = CalendarDay.work_calendar()
    assert not calendar.knows(2027)
    week = {date(2027, 2, 4) + timedelta(days=n): calendar.is_working_day(date(2027, 2, 4) + timedelta(days=n))
            for n in range(8)}
    # Eve (Fri 5), days one to three (Sat 6 – Mon 8), Sat/Sun holidays made up Tue 9 and Wed 10.
    assert week == {date(2027, 2, 4): True, date(2027, 2, 5): False, date(2027, 2, 6): False,
                    date(2027, 2, 7): False, date(2027, 2, 8): False, date(2027, 2, 9): False,
                    date(2027, 2, 10): False, date(2027, 2, 11): True}
    request = make_service_request(datetime(2027, 2, 4, 10, 0))
    assert ServiceRequest.get_by_id(request.id).handback_deadline == datetime(2027, 2, 11, 10, 0)


def test_the_fallback_leaves_make_up_days_to_the_notice():
    # 2025 by law alone: 26 January (a make-up Sunday) stays a day off, 3 February (a day off
    # swapped by the notice) a working day.
    calendar = sla.WorkCalendar()
    assert not calendar.is_working_day(date(2025, 1, 26))
    assert calendar.is_working_day(date(2025, 2, 3))
    assert not calendar.is_working_day(date(2025, 1, 29))


# ---------------------------------------------------------------- known only when confirmed

def test_one_hand_entered_holiday_does_not_make_the_year_known(app, as_admin, login):
    request = make_service_request(datetime(2027, 2, 11, 10, 0))  # due Friday 12 February
    assert ServiceRequest.get_by_id(request.id).handback_deadline == datetime(2027, 2, 12, 10, 0)
    response = as_admin.submit(url(CalendarDay, "new/"), {"day": "2027-02-12", "kind": "holiday",
                                                          "name": "春节"})
    assert response.status_code == 302
    assert CalendarDay.known_years((2027,)) == frozenset()
    calendar = CalendarDay.work_calendar()
    assert not calendar.is_working_day(date(2027, 2, 12))
    assert not calendar.is_working_day(date(2027, 2, 8))  # the statutory days still count
    # The day entered moved the running clock at once, audited, its owner told.
    assert ServiceRequest.get_by_id(request.id).handback_deadline == datetime(2027, 2, 15, 10, 0)
    assert "calendar_moved" in [a.action for a in AuditLog.select().where(
        (AuditLog.model == "ServiceRequest") & (AuditLog.record_id == str(request.id)))]
    # The warning stays, for every supervisor, not only the admin.
    for name in ("admin", "pm", "gm", "ops"):
        home = login(name).get("/admin/").text
        assert 'id="calendar-warning"' in home and "2027" in home, name
    assert 'id="calendar-warning"' not in login("clerk").get("/admin/").text


def test_a_year_confirmed_after_clocks_started_moves_them_audits_and_tells_owners(app, as_admin, as_clerk):
    started = datetime(2026, 12, 31, 16, 0)
    request = make_service_request(started)
    complaint = make_complaint(at=datetime(2026, 12, 28, 10, 0))
    assert ServiceRequest.get_by_id(request.id).handback_deadline == datetime(2027, 1, 4, 16, 0)

    preview = paste_notice(as_admin, NOTICE_2027).text
    assert 'id="notice-problems"' not in preview and 'id="notice-import"' in preview
    assert 'data-day="2027-01-04"' in preview and 'data-day="2027-01-09"' in preview
    assert "节假日期间" in preview  # the closing text is shown, not silently dropped
    assert CalendarYear.confirmed() & {2027} == frozenset()  # a preview writes nothing

    response = as_admin.http.post(url(CalendarDay, "notice/import/"), data={
        "text": NOTICE_2027, "csrf_token": _token(as_admin)})
    assert response.status_code == 302
    assert 2027 in CalendarYear.confirmed()

    moved = ServiceRequest.get_by_id(request.id)
    assert moved.handback_deadline == datetime(2027, 1, 5, 16, 0)
    clock = Deadline.get((Deadline.record_type == "ServiceRequest") & (Deadline.record_id == request.id))
    assert (clock.started_at, clock.original_due_at, clock.due_at) == (
        started, datetime(2027, 1, 4, 16, 0), datetime(2027, 1, 5, 16, 0))
    assert Complaint.get_by_id(complaint.id).follow_up_from == datetime(2027, 1, 6, 10, 0)

    audited = AuditLog.get((AuditLog.model == "ServiceRequest") & (AuditLog.record_id == str(request.id))
                           & (AuditLog.action == "calendar_moved"))
    assert "01-04 16:00 → 01-05 16:00" in audited.summary and audited.username == "admin"
    told = Alert.get((Alert.record_type == "ServiceRequest") & (Alert.record_id == request.id)
                     & (Alert.kind == "reminder"))
    assert told.department_id == moved.department_id and told.status == Alert.OPEN
    assert Alert.select().where((Alert.record_type == "Complaint") & (Alert.record_id == complaint.id)
                                & (Alert.kind == "reminder")).exists()
    # Known now: no estimate on the record, no warning.
    details = as_clerk.get(url(ServiceRequest, "details/?id=%d" % request.id)).text
    assert "2027-01-05 16:00" in details and ESTIMATE not in details
    assert 'id="calendar-warning"' not in as_admin.get("/admin/").text


def test_confirming_a_year_entered_by_hand_recomputes_its_clocks(app, as_admin):
    request = make_service_request(datetime(2027, 2, 4, 10, 0))
    assert ServiceRequest.get_by_id(request.id).handback_deadline == datetime(2027, 2, 11, 10, 0)
    for day in range(5, 13):
        CalendarDay.create(day=date(2027, 2, day), kind="holiday", name="春节")
    CalendarDay.create(day=date(2027, 2, 20), kind="workday", name="春节调休")
    response = as_admin.http.post(url(CalendarDay, "confirm/"), data={
        "year": "2027", "csrf_token": _token(as_admin)})
    assert response.status_code == 302
    assert CalendarYear.get(CalendarYear.year == 2027).source == "admin"
    assert ServiceRequest.get_by_id(request.id).handback_deadline == datetime(2027, 2, 15, 10, 0)
    assert AuditLog.select().where(AuditLog.action == "calendar_confirm").exists()


def test_a_year_without_holidays_cannot_be_confirmed(app, as_admin):
    page = as_admin.http.post(url(CalendarDay, "confirm/"), data={
        "year": "2028", "csrf_token": _token(as_admin)}, follow_redirects=True).text
    assert "2028 年还没有任何节假日" in page
    assert 2028 not in CalendarYear.confirmed()


# ---------------------------------------------------------------- the notice parser

@pytest.mark.parametrize("year", [2025, 2026])
def test_notice_parses_to_exactly_the_package_days(year):
    notice = holiday_notice.parse(notice_text(year))
    assert notice.year == year and notice.problems == []
    assert notice.holidays() == {d for d in chinese_calendar.holidays if d.year == year}
    assert notice.workdays() == {d for d in chinese_calendar.workdays if d.year == year}
    # The title, the introduction and the closing paragraph are kept, not dropped.
    assert len(notice.unread) == 3 and not any(u.blocking for u in notice.unread)


def test_importing_a_package_year_notice_changes_no_day(app, as_admin):
    before = {(d.day, d.kind) for d in CalendarDay.select().where(
        CalendarDay.day.between(date(2026, 1, 1), date(2026, 12, 31)) & CalendarDay.archived_at.is_null())}
    with_notice = holiday_notice.parse(notice_text(2026))
    counts = run(flows.calendar.import_notice, with_notice, user("admin"), datetime(2026, 11, 23, 10, 0))
    assert counts == {"created": 0, "updated": 0, "archived": 0, "moved": 0}
    after = {(d.day, d.kind) for d in CalendarDay.select().where(
        CalendarDay.day.between(date(2026, 1, 1), date(2026, 12, 31)) & CalendarDay.archived_at.is_null())}
    assert after == before


def test_text_the_parser_does_not_understand_is_shown_and_stops_the_import(app, as_admin):
    text = NOTICE_2027.replace("2月20日（周六）上班。", "2月20日（周六）上班。2月3日起视情况另行放假。")
    notice = holiday_notice.parse(text)
    assert [u.text for u in notice.unread if u.blocking] == ["2月3日起视情况另行放假"]
    preview = paste_notice(as_admin, text).text
    assert 'id="notice-problems"' in preview and "2月3日起视情况另行放假" in preview
    assert 'id="notice-import"' not in preview
    with pytest.raises(Exception):
        run(flows.calendar.import_notice, notice, user("admin"), datetime(2026, 11, 23, 10, 0))
    assert 2027 not in CalendarYear.confirmed()


NOTICE_CHECKS = [
    # (scenario, item line, problem expected)
    ("weekday that does not match the date", "一、元旦：1月1日（周四）放假1天。", "是周五，通知写的是周四"),
    ("day count that does not match the range", "一、元旦：1月1日（周五）至3日（周日）放假，共4天。", "共4天"),
    ("a date that does not exist", "一、元旦：2月30日放假1天。", "日期不存在"),
]


@pytest.mark.parametrize("scenario,line,problem", NOTICE_CHECKS, ids=[c[0] for c in NOTICE_CHECKS])
def test_notice_checks_what_it_reads(scenario, line, problem):
    notice = holiday_notice.parse("国务院办公厅关于2027年部分节假日安排的通知\n" + line)
    assert any(problem in str(p) for p in notice.problems)


def test_notice_preview_in_english(app, as_admin):
    as_admin.get("/lang/en")
    preview = paste_notice(as_admin, NOTICE_2027.replace("（周五）至4日", "（周四）至4日")).text
    assert "does not fall on the weekday the notice writes" in preview
    assert "Holiday notice preview" in preview and "Text not turned into days" in preview


def test_only_the_admin_imports_a_notice_and_an_empty_paste_is_refused(app, as_admin, as_clerk):
    from conftest import csrf_token
    token = csrf_token(as_clerk.get(url(ServiceRequest, "new/")).text)
    assert as_clerk.post(url(CalendarDay, "notice/import/"), data={
        "text": NOTICE_2027, "csrf_token": token}).status_code == 403
    assert 2027 not in CalendarYear.confirmed()
    page = paste_notice(as_admin, "   ").text
    assert "请粘贴通知全文" in page and 'id="notice-import"' not in page


def test_a_calendar_time_deadline_in_an_unconfirmed_year_is_exact(app, as_clerk):
    from factories import make_repair_order
    order = make_repair_order(datetime(2027, 1, 5, 9, 0))
    run(order.dispatch, user("clerk"), datetime(2027, 1, 5, 9, 0))  # accept within 30 minutes
    order = type(order).get_by_id(order.id)
    run(order.accept, user("property"), datetime(2027, 1, 5, 9, 10))
    run(order.complete, user("property"), datetime(2027, 1, 5, 11, 0), "已修")  # callback: 1 working day
    grid = as_clerk.get(url(type(order), "?search=%s" % order.number)).text
    # The callback (1 working day) and the completion (working days by category, R-REP-5) are
    # estimates; the 30-minute accept is not.
    assert "2027-01-06 11:00" in grid and grid.count(ESTIMATE) == 2
    fresh = make_repair_order(datetime(2027, 1, 5, 9, 0))
    run(fresh.dispatch, user("clerk"), datetime(2027, 1, 5, 9, 0))
    grid = as_clerk.get(url(type(fresh), "?search=%s" % fresh.number)).text
    assert "2027-01-05 09:30" in grid and ESTIMATE not in grid
    export = as_clerk.get(url(type(fresh), "export/csv/?search=%s" % fresh.number))
    assert export.status_code == 200 and ESTIMATE not in export.get_data(as_text=True)


def test_an_overdue_alert_on_a_deadline_the_calendar_moves_later_is_resolved(app, as_admin):
    from jobs.deadlines import flag_requests_not_handed_back
    request = make_service_request(datetime(2027, 2, 11, 10, 0))  # due Friday 12 February 10:00
    run(flag_requests_not_handed_back, datetime(2027, 2, 12, 11, 0))
    overdue = Alert.get((Alert.record_type == "ServiceRequest") & (Alert.record_id == request.id)
                        & (Alert.kind == "overdue"))
    # Friday 12 February made a day off at 11:30: the deadline moves to Monday, not missed.
    run(CalendarDay.create, day=date(2027, 2, 12), kind="holiday", name="春节")
    old = sla.WorkCalendar(CalendarDay.work_calendar().holidays - {date(2027, 2, 12)},
                           known_years=CalendarYear.confirmed())
    run(flows.calendar.calendar_changed, old, user("admin"), datetime(2027, 2, 12, 11, 30))
    assert ServiceRequest.get_by_id(request.id).handback_deadline == datetime(2027, 2, 15, 10, 0)
    overdue = Alert.get_by_id(overdue.id)
    assert overdue.status == Alert.RESOLVED and "2027-02-15 10:00" in overdue.resolution_note


def test_archiving_a_day_moves_the_clocks_back_and_a_hold_stays_credited(app, as_admin):
    request = make_service_request(datetime(2027, 3, 10, 10, 0))  # Wednesday: due Thursday 11 March
    run(request.hold, user("clerk"), datetime(2027, 3, 10, 12, 0), "等客户资料")
    run(request.release, user("clerk"), datetime(2027, 3, 11, 12, 0))  # a day on hold
    assert ServiceRequest.get_by_id(request.id).handback_deadline == datetime(2027, 3, 12, 10, 0)
    as_admin.submit(url(CalendarDay, "new/"), {"day": "2027-03-12", "kind": "holiday", "name": "测试"})
    assert ServiceRequest.get_by_id(request.id).handback_deadline == datetime(2027, 3, 15, 10, 0)
    day = CalendarDay.get(CalendarDay.day == date(2027, 3, 12))
    response = as_admin.submit(url(CalendarDay, "archive/?id=%d" % day.id), {"reason": "录错了"})
    assert response.status_code == 302
    assert ServiceRequest.get_by_id(request.id).handback_deadline == datetime(2027, 3, 12, 10, 0)


def test_the_printed_service_request_says_its_deadline_is_an_estimate(app, as_clerk):
    request = make_service_request(datetime(2026, 12, 31, 16, 0))
    slip = as_clerk.get(url(ServiceRequest, "print/?id=%d&slip=service_request" % request.id)).text
    assert "2027-01-04 16:00" in slip and ESTIMATE in slip


def test_a_newer_calendar_package_moves_the_running_clocks_at_start_audited(app, monkeypatch):
    """A package upgrade that brings a day off moves the clocks running over it when the console
    starts, each record moved with the system's audit row (written by flows.calendar, since the
    models write none of their own)."""
    import app as kefu
    request = make_service_request()  # Monday 10:00, handed back within 1 working day
    running = Deadline.get((Deadline.record_type == "ServiceRequest")
                           & (Deadline.record_id == request.id) & (Deadline.status == Deadline.RUNNING))
    assert running.due_at == datetime(2026, 11, 24, 10, 0)
    monkeypatch.setitem(chinese_calendar.holidays, date(2026, 11, 24), "临时放假")  # the new release
    kefu.prepare_database(demo=False)
    assert Deadline.get_by_id(running.id).due_at == datetime(2026, 11, 25, 10, 0)
    moved = AuditLog.select().where((AuditLog.action == "calendar_moved")
                                    & (AuditLog.model == "ServiceRequest")
                                    & (AuditLog.record_id == str(request.id)))
    assert [row.user_id for row in moved] == [None]
    assert CalendarDay.get(CalendarDay.day == date(2026, 11, 24)).source == "package"


def test_a_day_typed_in_tells_the_admin_how_many_running_clocks_it_moved(app, as_admin):
    """The flow says what the change did; the console shows it (no view hook computes it)."""
    request = make_service_request()  # Monday 10:00, handed back within 1 working day
    response = as_admin.submit(url(CalendarDay, "new/"),
                               {"day": "2026-11-24", "kind": "holiday", "name": "临时放假"})
    assert response.status_code == 302
    page = as_admin.get(response.headers["Location"]).text
    told = re.search(r"工作日历已改变，(\d+) 项进行中的期限已重算并通知相关人员", page)
    assert told and int(told.group(1)) >= 1, page[-3000:]
    running = Deadline.get((Deadline.record_type == "ServiceRequest")
                           & (Deadline.record_id == request.id) & (Deadline.status == Deadline.RUNNING))
    assert running.due_at == datetime(2026, 11, 25, 10, 0)
