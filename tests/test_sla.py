"""Deadline arithmetic on fixed datetimes (R-REP-2, R-SVC-2, R-ENQ-2, R-CMP-1/6/7)."""
from datetime import date, datetime, time, timedelta

import chinese_calendar
import pytest

import sla
from sla import Limit, WorkCalendar

CAL = WorkCalendar(holidays=frozenset(chinese_calendar.holidays),
                   workdays=frozenset(chinese_calendar.workdays),
                   known_years=frozenset(range(2004, 2027)))

REP_ACCEPT = Limit("REP_ACCEPT", 30, sla.MINUTES)
ENQ_LETTER = Limit("ENQ_LETTER", 1, sla.HOURS)
SVC_HANDBACK = Limit("SVC_HANDBACK", 1, sla.WORKING_DAY_UNITS, sla.WORKING_DAYS)
CMP_CALLBACK = Limit("CMP_CALLBACK", 3, sla.WORKING_DAY_UNITS, sla.WORKING_DAYS)
CMP_GENERAL = Limit("CMP_GENERAL_RESOLVE", 2, sla.CALENDAR_DAYS)
CMP_FOLLOWUP = Limit("CMP_DAILY_FOLLOWUP", 5, sla.WORKING_DAY_UNITS, sla.WORKING_DAYS)
BUSINESS_30 = Limit("B30", 30, sla.MINUTES, sla.BUSINESS_HOURS)
BUSINESS_4H = Limit("B4H", 4, sla.HOURS, sla.BUSINESS_HOURS)


def at(text):
    return datetime.strptime(text, "%Y-%m-%d %H:%M")


DEADLINES = [
    # (scenario, start, limit, expected deadline)
    ("repair dispatched on a Friday evening: 30 minutes of calendar time",
     "2026-11-20 19:40", REP_ACCEPT, "2026-11-20 20:10"),
    ("letter from an enquiry at 23:30 crosses midnight", "2026-11-20 23:30", ENQ_LETTER, "2026-11-21 00:30"),
    ("service request on a Friday evening: next working day is Monday",
     "2026-11-20 19:00", SVC_HANDBACK, "2026-11-23 19:00"),
    ("Friday evening in business hours: counts from Monday's opening",
     "2026-11-20 19:00", BUSINESS_30, "2026-11-23 09:30"),
    ("business hours skip the lunch break", "2026-11-23 11:00", BUSINESS_4H, "2026-11-23 16:00"),
    ("Spring Festival: Friday before, the make-up Saturday 14 Feb works",
     "2026-02-13 10:00", SVC_HANDBACK, "2026-02-14 10:00"),
    ("Spring Festival: from the make-up Saturday, next working day is 24 Feb",
     "2026-02-14 10:00", SVC_HANDBACK, "2026-02-24 10:00"),
    ("Spring Festival: 3 working days from 13 Feb are 14, 24, 25 Feb",
     "2026-02-13 16:00", CMP_CALLBACK, "2026-02-25 16:00"),
    ("Spring Festival: the make-up Saturday 28 Feb counts", "2026-02-26 09:00", CMP_CALLBACK,
     "2026-03-02 09:00"),
    ("National Day: 30 Sep plus one working day is 8 Oct", "2026-09-30 15:00", SVC_HANDBACK,
     "2026-10-08 15:00"),
    ("National Day: the make-up Saturday 10 Oct is the third working day",
     "2026-09-30 15:00", CMP_CALLBACK, "2026-10-10 15:00"),
    ("National Day: the make-up Sunday 20 Sep is a working day", "2026-09-19 10:00", SVC_HANDBACK,
     "2026-09-20 10:00"),
    ("start on a holiday: 1 Oct plus one working day is 8 Oct", "2026-10-01 10:00", SVC_HANDBACK,
     "2026-10-08 10:00"),
    ("general complaint over National Day: 2 calendar days", "2026-10-01 10:00", CMP_GENERAL,
     "2026-10-03 10:00"),
    ("long complaint: 5 working days across National Day are 30 Sep, 8, 9, 10 (Sat), 12 Oct",
     "2026-09-29 09:00", CMP_FOLLOWUP, "2026-10-12 09:00"),
    ("business hours on a holiday wait for the first working day", "2026-10-03 10:00", BUSINESS_30,
     "2026-10-08 09:30"),
    ("year end into 2027, which the package does not know: statutory New Year's Day is off",
     "2026-12-31 10:00", CMP_CALLBACK, "2027-01-06 10:00"),
]


@pytest.mark.parametrize("scenario,start,limit,expected", DEADLINES, ids=[d[0] for d in DEADLINES])
def test_deadline(scenario, start, limit, expected):
    assert sla.deadline(at(start), limit, CAL) == at(expected)


@pytest.mark.parametrize("day", [date(1990, 1, 1), date(2003, 12, 31), date(2099, 12, 31),
                                 date(2026, 12, 31), date(9990, 6, 1)])
def test_no_date_raises(day):
    start = datetime.combine(day, time(12, 0))
    for limit in (REP_ACCEPT, SVC_HANDBACK, BUSINESS_4H, CMP_FOLLOWUP):
        assert sla.deadline(start, limit, CAL) > start


def test_calendar_warns_about_next_year_ahead_of_time():
    assert sla.years_missing(CAL, date(2026, 6, 1)) == []
    assert sla.years_missing(CAL, date(2026, 11, 22)) == [2027]
    assert sla.years_missing(CAL, date(2030, 3, 1)) == [2030]


HOLDS = [
    ("calendar clock: 15 minutes on hold move the deadline 15 minutes",
     REP_ACCEPT, "2026-11-23 10:30", "2026-11-23 10:10", "2026-11-23 10:25", "2026-11-23 10:45"),
    ("working-day clock: a hold over a weekend costs only Friday evening and Monday morning",
     SVC_HANDBACK, "2026-11-23 17:00", "2026-11-20 17:00", "2026-11-23 09:00", "2026-11-24 09:00"),
    ("working-day clock: a hold inside the Spring Festival costs nothing",
     SVC_HANDBACK, "2026-02-24 10:00", "2026-02-16 09:00", "2026-02-20 18:00", "2026-02-24 10:00"),
    ("business hours: a hold over lunch costs only the open minutes",
     BUSINESS_4H, "2026-11-23 16:00", "2026-11-23 11:30", "2026-11-23 13:30", "2026-11-23 17:00"),
    ("a hold that ends before it starts changes nothing",
     REP_ACCEPT, "2026-11-23 10:30", "2026-11-23 10:25", "2026-11-23 10:10", "2026-11-23 10:30"),
]


@pytest.mark.parametrize("scenario,limit,due,hold_start,hold_end,expected", HOLDS,
                         ids=[h[0] for h in HOLDS])
def test_hold_extends_deadline(scenario, limit, due, hold_start, hold_end, expected):
    assert sla.extend_for_hold(at(due), at(hold_start), at(hold_end), limit, CAL) == at(expected)


def test_due_soon_at_is_the_warning_share_of_the_time_allowed():
    start, due = at("2026-11-23 10:00"), at("2026-11-23 10:40")
    assert sla.due_soon_at(start, due, 75) == at("2026-11-23 10:30")


def test_limit_describes_itself_in_chinese():
    assert SVC_HANDBACK.describe() == "SVC_HANDBACK：1个工作日（工作日）"


def test_zero_minutes_is_immediately():
    major = Limit("CMP_MAJOR_REPORT", 0, sla.MINUTES)
    assert sla.deadline(at("2026-10-01 10:00"), major, CAL) == at("2026-10-01 10:00")


def test_opening_hours_are_configurable():
    late = WorkCalendar(opening_hours={wd: ((time(10, 0), time(22, 0)),) for wd in range(7)})
    assert sla.deadline(at("2026-11-23 21:50"), BUSINESS_30, late) == at("2026-11-24 10:20")
    assert sla.business_time_between(at("2026-11-23 09:00"), at("2026-11-23 11:00"), late) \
        == timedelta(hours=1)


def test_a_hold_outside_opening_hours_does_not_move_a_deadline_at_closing_time():
    due = at("2026-11-23 18:00")
    assert sla.extend_for_hold(due, at("2026-11-23 19:00"), at("2026-11-24 08:00"),
                               BUSINESS_4H, CAL) == due


def test_a_day_rule_counts_its_own_unit():
    """Issue 21: a survey countdown read a rule's amount as days whatever its unit. 2026-10-09
    is the Friday after the National Day week (1–7 October off, Saturday 10 October worked)."""
    friday = date(2026, 10, 9)
    calendar_days = sla.DayRule(Limit("SUR_TRAINING", 2, sla.CALENDAR_DAYS))
    assert calendar_days.before(friday) == date(2026, 10, 7)
    assert calendar_days.after(friday) == date(2026, 10, 11)
    working_days = sla.DayRule(Limit("SUR_TRAINING", 2, sla.WORKING_DAY_UNITS, sla.WORKING_DAYS), CAL)
    # Back over the holiday week to the last working day before it; on over the make-up
    # Saturday and the Sunday off.
    assert working_days.before(friday) == date(2026, 9, 30)
    assert working_days.after(friday) == date(2026, 10, 12)
    # Hours and minutes count whole days, rounded up: a countdown never allows less than its rule.
    assert sla.DayRule(Limit("X", 36, sla.HOURS)).before(friday) == date(2026, 10, 7)
    assert sla.DayRule(Limit("X", 1, sla.MINUTES)).after(friday) == date(2026, 10, 10)
    assert sla.DayRule(Limit("X", 0, sla.CALENDAR_DAYS)).after(friday) == friday


def test_a_corrective_action_is_due_under_its_rule_in_the_rules_own_unit():
    """Issue 21: the due date was a fixed 30 days in the code; it is the rule SUR_CORRECTIVE,
    a month by default, in whatever unit the admin sets."""
    assert sla.corrective_action_due(date(2026, 11, 23), sla.DayRule(sla.CORRECTIVE_ACTION)) \
        == date(2026, 12, 23)
    ten_working_days = sla.DayRule(Limit("SUR_CORRECTIVE", 10, sla.WORKING_DAY_UNITS,
                                         sla.WORKING_DAYS), CAL)
    # Raised on Monday 28 September 2026: 29, 30 September, the National Day week off, then
    # 8, 9, 10 (the make-up Saturday), 12, 13, 14, 15 and 16 October.
    assert sla.corrective_action_due(date(2026, 9, 28), ten_working_days) == date(2026, 10, 16)


# (scenario, cadence rule, last contact, its due time)
CADENCES = [
    ("monthly in calendar days, to the minute", Limit("COM_TENANT", 31, sla.CALENDAR_DAYS),
     at("2026-10-23 10:00"), at("2026-10-23 10:00") + timedelta(days=31)),
    ("36 hours, not 36 days", Limit("COM_ANCHOR", 36, sla.HOURS), at("2026-11-20 09:00"),
     at("2026-11-21 21:00")),
    ("90 minutes", Limit("COM_ANCHOR", 90, sla.MINUTES), at("2026-11-20 09:00"),
     at("2026-11-20 10:30")),
    # Monday 28 September: 29, 30 September, the National Day week off, 8, 9 October and the
    # make-up Saturday 10 October; due by the end of that day.
    ("5 working days over the National Day week",
     Limit("COM_TENANT", 5, sla.WORKING_DAY_UNITS, sla.WORKING_DAYS), at("2026-09-28 15:00"),
     datetime(2026, 10, 10, 23, 59, 59)),
    # Friday evening and Saturday morning: both due by the end of the next working day.
    ("1 working day from a Friday", Limit("COM_TENANT", 1, sla.WORKING_DAY_UNITS, sla.WORKING_DAYS),
     at("2026-11-20 18:00"), datetime(2026, 11, 23, 23, 59, 59)),
    ("1 working day from a Saturday", Limit("COM_TENANT", 1, sla.WORKING_DAY_UNITS, sla.WORKING_DAYS),
     at("2026-11-21 09:00"), datetime(2026, 11, 23, 23, 59, 59)),
    ("0 working days: by the end of the contact's own day",
     Limit("COM_TENANT", 0, sla.WORKING_DAY_UNITS, sla.WORKING_DAYS), at("2026-11-21 09:00"),
     datetime(2026, 11, 21, 23, 59, 59)),
]


@pytest.mark.parametrize("scenario,limit,last,due", CADENCES, ids=[c[0] for c in CADENCES])
def test_a_cadence_counts_its_rules_own_unit(scenario, limit, last, due):
    """Issue 21: a cadence rule's amount was read as days whatever its unit."""
    assert sla.cadence_due(last, limit, CAL) == due


@pytest.mark.parametrize("limit", sorted({c[1] for c in CADENCES}, key=repr))
def test_the_cadence_boundary_is_exactly_the_due_test(limit):
    """last < cadence_boundary(now) <=> cadence_due(last) < now, for every last contact and
    every now around a holiday week and a weekend (the job's one range scan and the page's
    due date can never disagree)."""
    start = at("2026-09-24 00:00")
    lasts = [start + timedelta(minutes=37 * i) for i in range(0, 1100)]          # ~4 weeks
    lasts += [datetime(2026, 10, 2, 23, 59, 59), datetime(2026, 10, 9, 23, 59, 59)]
    for now in [start + timedelta(hours=13 * i, minutes=i) for i in range(40, 95)] + [
            datetime(2026, 10, 10, 23, 59, 59), datetime(2026, 10, 11, 0, 0),
            datetime(2026, 10, 10, 23, 59, 59, 500000)]:
        boundary = sla.cadence_boundary(now, limit, CAL)
        for last in lasts:
            assert (last < boundary) == (sla.cadence_due(last, limit, CAL) < now), (last, now)


def test_due_soon_is_a_week_ahead():
    now = at("2026-11-23 10:00")
    assert sla.cadence_soon_until(now) == at("2026-11-30 10:00")
