"""Time limits: the working-day calendar and deadline arithmetic, as pure functions.

Nothing else computes a deadline. Every function takes its times as arguments (naive local
time of the configured zone); none reads the clock.
"""
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from holidays.countries.china import China

CALENDAR, BUSINESS_HOURS, WORKING_DAYS = "calendar", "business_hours", "working_days"
MINUTES, HOURS, CALENDAR_DAYS, WORKING_DAY_UNITS = "minutes", "hours", "calendar_days", "working_days"

# The service center's default opening hours on a working day (Monday=0): morning and
# afternoon with a lunch break. Admins change them in the setting `opening_hours`.
DEFAULT_OPENING_HOURS = {wd: ((time(9, 0), time(12, 0)), (time(13, 0), time(18, 0)))
                         for wd in range(7)}
# Far enough for any limit in the rules; a loop never runs away on bad data.
MAX_DAYS_SEARCHED = 3660


# The dates a clerk can mean: the mall's records begin after 2000, and no lease, plan or
# deadline runs past 2100. Year 1 or 9999 is a slip of the keyboard.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def date_in_range(value):
    """Is a date or datetime one a clerk can mean (FIRST_DAY to LAST_DAY)?"""
    day = value.date() if isinstance(value, datetime) else value
    return FIRST_DAY <= day <= LAST_DAY


def shifted(moment, delta):
    """`moment + delta`, held at the calendar's ends instead of overflowing: a row typed
    before dates were checked (year 1, year 9999) still shows."""
    try:
        return moment + delta
    except OverflowError:
        later = delta > timedelta(0)
        if isinstance(moment, datetime):
            return datetime.max if later else datetime.min
        return date.max if later else date.min


def newest_first(moment):
    """A sort key putting later moments first, for any datetime (timestamp() fails before
    year 2 and after year 9998)."""
    return datetime.max - moment


class _StatutoryChina(China):
    """China's days off by law alone: the notices' swapped days (调休) left out."""

    def _populate_common_holidays(self):
        self.has_special_holidays = False  # the special days are each year's notice
        super()._populate_common_holidays()


@lru_cache(maxsize=None)
def statutory_holidays(year):
    """The days off that 《全国年节及纪念日放假办法》 fixes for `year` (a holiday on a weekend is
    made up on the next working day), without the make-up working days only the yearly notice
    sets. The fallback for a year whose arrangement is not confirmed."""
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        return frozenset()
    return frozenset(_StatutoryChina(years=year, observed=True).keys())


@dataclass(frozen=True)
class WorkCalendar:
    """Working days: Monday–Friday, corrected by holiday and make-up-day overrides; in a year
    whose arrangement is not confirmed, the statutory holidays are days off as well."""
    holidays: frozenset = frozenset()
    workdays: frozenset = frozenset()  # make-up working days (调休) on weekends
    known_years: frozenset = frozenset()  # years whose whole arrangement is confirmed
    opening_hours: dict = field(default_factory=lambda: DEFAULT_OPENING_HOURS)

    def is_working_day(self, day):
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        if day.year not in self.known_years and day in statutory_holidays(day.year):
            return False
        return day.weekday() < 5

    def knows(self, year):
        """True when the arrangement of `year` is confirmed complete (else its deadlines are
        estimates: statutory holidays, no make-up days)."""
        return year in self.known_years

    def days_changed(self, other, years=()):
        """The days on which `other` and this calendar disagree about working; `years`: the
        years whose confirmation may differ between them."""
        candidates = set(self.holidays ^ other.holidays) | set(self.workdays ^ other.workdays)
        for year in set(years) | (self.known_years ^ other.known_years):
            candidates |= statutory_holidays(year)
        return sorted(d for d in candidates if self.is_working_day(d) != other.is_working_day(d))

    def nth_working_day_after(self, day, n):
        """Return the n-th working day after `day` (n ≥ 1); `day` itself does not count."""
        found = 0
        for offset in range(1, MAX_DAYS_SEARCHED):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                found += 1
                if found == n:
                    return candidate
        raise ValueError("no %d working days within ten years after %s" % (n, day))

    def open_intervals(self, day):
        """Return the day's opening intervals as datetimes (none on a non-working day)."""
        if not self.is_working_day(day):
            return []
        return [(datetime.combine(day, start), datetime.combine(day, end))
                for start, end in self.opening_hours.get(day.weekday(), ())]


@dataclass(frozen=True)
class Limit:
    """The values of one time-limit rule, as stamped with a deadline."""
    code: str
    amount: int
    unit: str
    clock: str = CALENDAR

    def describe(self):
        unit = {MINUTES: "分钟", HOURS: "小时", CALENDAR_DAYS: "天", WORKING_DAY_UNITS: "个工作日"}
        clock = {CALENDAR: "自然时间", BUSINESS_HOURS: "营业时间", WORKING_DAYS: "工作日"}
        return "%s：%d%s（%s）" % (self.code, self.amount, unit[self.unit], clock[self.clock])


def duration(limit):
    """Return a limit in minutes/hours/calendar days as a timedelta."""
    if limit.unit == MINUTES:
        return timedelta(minutes=limit.amount)
    if limit.unit == HOURS:
        return timedelta(hours=limit.amount)
    if limit.unit == CALENDAR_DAYS:
        return timedelta(days=limit.amount)
    raise ValueError("working days are not a fixed duration")


@dataclass(frozen=True)
class DayRule:
    """A time-limit rule counted in whole days from a day, for countdowns kept as days (a
    survey's latest approval, training and filing days): working days on the calendar (needed
    for them only); minutes, hours and calendar days as whole days, rounded up."""
    limit: Limit
    calendar: "WorkCalendar" = None

    def before(self, day):
        return self._moved(day, -1)

    def after(self, day):
        return self._moved(day, 1)

    def _moved(self, day, sign):
        if self.limit.unit == WORKING_DAY_UNITS:
            left = self.limit.amount
            while left > 0:
                moved = shifted(day, timedelta(days=sign))
                if moved == day:  # held at the calendar's end
                    return day
                day = moved
                left -= self.calendar.is_working_day(day)
            return day
        days = math.ceil(duration(self.limit) / timedelta(days=1))
        return shifted(day, timedelta(days=sign * days))


# A survey's corrective action is due a month after the results that raised it (R-SUR-5): the
# rule SUR_CORRECTIVE's default, which the admin may change (its unit included).
CORRECTIVE_ACTION = Limit("SUR_CORRECTIVE", 30, CALENDAR_DAYS)


def corrective_action_due(raised_on, rule):
    """The day a corrective action raised on `raised_on` is due under `rule` (a DayRule of
    SUR_CORRECTIVE, counted in its own unit)."""
    return rule.after(raised_on)


def deadline(start, limit, calendar):
    """Return when a clock started at `start` under `limit` runs out."""
    if limit.unit == WORKING_DAY_UNITS:
        # The same clock time on the N-th working day after the start day.
        if limit.amount == 0:
            return start
        day = calendar.nth_working_day_after(start.date(), limit.amount)
        return datetime.combine(day, start.time())
    if limit.clock == BUSINESS_HOURS:
        return add_business_time(start, duration(limit), calendar)
    return start + duration(limit)


def add_business_time(start, amount, calendar):
    """Return the moment `amount` of opening hours after `start` (working days only)."""
    remaining = amount
    day = start.date()
    for _ in range(MAX_DAYS_SEARCHED):
        for opens, closes in calendar.open_intervals(day):
            begin = max(opens, start)
            if begin >= closes:
                continue
            available = closes - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        day += timedelta(days=1)
    raise ValueError("opening hours never add up to %s" % amount)


def business_time_between(a, b, calendar):
    """Return how much opening time lies between `a` and `b`."""
    total = timedelta(0)
    day = a.date()
    while day <= b.date():
        for opens, closes in calendar.open_intervals(day):
            begin, end = max(opens, a), min(closes, b)
            if end > begin:
                total += end - begin
        day += timedelta(days=1)
    return total


def working_time_between(a, b, calendar):
    """Return how much of [a, b) falls on working days (whole days count 24 hours)."""
    total = timedelta(0)
    day = a.date()
    while day <= b.date():
        if calendar.is_working_day(day):
            begin = max(a, datetime.combine(day, time.min))
            end = min(b, datetime.combine(day + timedelta(days=1), time.min))
            if end > begin:
                total += end - begin
        day += timedelta(days=1)
    return total


def add_working_time(start, amount, calendar):
    """Return the moment `amount` of working-day time after `start`."""
    remaining = amount
    moment = start
    for _ in range(MAX_DAYS_SEARCHED):
        day_end = datetime.combine(moment.date() + timedelta(days=1), time.min)
        if calendar.is_working_day(moment.date()):
            if remaining <= day_end - moment:
                return moment + remaining
            remaining -= day_end - moment
        moment = day_end
    raise ValueError("working days never add up to %s" % amount)


def extend_for_hold(due, hold_start, hold_end, limit, calendar):
    """Move a deadline out by the time spent on hold, measured on the rule's own clock."""
    if hold_end <= hold_start:
        return due
    if limit.clock == BUSINESS_HOURS:
        held = business_time_between(hold_start, hold_end, calendar)
        return add_business_time(due, held, calendar) if held else due
    if limit.clock == WORKING_DAYS or limit.unit == WORKING_DAY_UNITS:
        held = working_time_between(hold_start, hold_end, calendar)
        return add_working_time(due, held, calendar) if held else due
    return due + (hold_end - hold_start)


def depends_on_calendar(limit):
    """Does the deadline of `limit` itself move with the working-day calendar?"""
    return limit.clock in (BUSINESS_HOURS, WORKING_DAYS) or limit.unit == WORKING_DAY_UNITS


def recomputed_deadline(start, limit, calendar, holds=()):
    """The deadline of a clock started at `start` on `calendar`, moved out by each ended hold
    [(from, to)] as releasing it did (a clock is only credited from its own start)."""
    due = deadline(start, limit, calendar)
    for held_from, held_to in sorted(holds):
        due = extend_for_hold(due, max(held_from, start), held_to, limit, calendar)
    return due


def is_estimate(due, known_years):
    """A deadline falling in a year whose arrangement is not confirmed is an estimate."""
    return due is not None and due.year not in known_years


def due_soon_at(start, due, warn_percent):
    """Return when a clock enters its warning zone (warn_percent of the time allowed)."""
    return start + (due - start) * warn_percent / 100


def years_missing(calendar, today, ahead_days=60):
    """Return the years (this one, and next once within `ahead_days` of it) without data."""
    years = {today.year}
    if (date(today.year + 1, 1, 1) - today).days <= ahead_days:
        years.add(today.year + 1)
    return sorted(y for y in years if not calendar.knows(y))


ESCALATION_FLOOR = timedelta(minutes=30)


def escalation_times(due, limit, calendar, levels=3):
    """When a missed clock escalates a level (clerk → department head → project manager →
    general manager): each level after the time the rule allows runs out once more, counted on
    the rule's own clock, and never sooner than 30 minutes after the level before."""
    times = []
    moment = due
    for _ in range(levels):
        if limit.amount == 0:
            # "At once" or "by the end of the day": the next level on the next working day at
            # the same time, so nobody is woken at night for a cash box counted in the morning.
            following = datetime.combine(calendar.nth_working_day_after(moment.date(), 1),
                                         moment.time())
        else:
            following = max(deadline(moment, limit, calendar), moment + ESCALATION_FLOOR)
        times.append(following)
        moment = following
    return times


def time_left(due, now):
    """'剩余 1小时5分' before `due`, '已逾期 2天3小时' after it: the countdown a screen shows
    (minutes only within the day: a clerk reads it at a glance)."""
    seconds = int((due - now).total_seconds())
    minutes = abs(seconds) // 60
    if minutes >= 1440:
        span = f"{minutes // 1440}天" + (f"{minutes % 1440 // 60}小时" if minutes % 1440 >= 60 else "")
    else:
        span = (f"{minutes // 60}小时" if minutes >= 60 else "") + f"{minutes % 60}分"
    return ("剩余 " if seconds >= 0 else "已逾期 ") + span


def missed_follow_up_days(follow_up_from, now, calendar, feedback_days, holds, first_day=None):
    """The working days from `follow_up_from`'s day up to yesterday on which the complainant
    was given no feedback (R-CMP-6): the one decision the complaint's page and the daily job
    share. `feedback_days`: the dates with feedback recorded; `holds`: (start, end or None
    while still on hold) periods. A day on hold at any moment owes no follow-up (a complaint
    waiting on the customer or a manufacturer has nothing new to tell). `first_day`: only the
    days from then on (the job looks back a few days, not over a complaint's months)."""
    if follow_up_from is None or now <= follow_up_from:
        return []
    feedback_days = set(feedback_days)
    held = [(start, end or now) for start, end in holds]
    missed, day = [], follow_up_from.date()
    if first_day is not None and first_day > day:
        day = first_day
    while day < now.date():
        day_start = datetime.combine(day, time.min)
        day_end = day_start + timedelta(days=1)
        if (calendar.is_working_day(day) and day not in feedback_days
                and not any(start < day_end and end > day_start for start, end in held)):
            missed.append(day)
        day += timedelta(days=1)
    return missed


def end_of_day(moment):
    """The last second of `moment`'s day: money taken that day reaches finance by then."""
    return datetime.combine(moment.date(), time(23, 59, 59))


# The moment of its day a cadence counted in working days falls due (end_of_day's second).
CADENCE_DAY_END = time(23, 59, 59)


def cadence_due(last_contact, limit, calendar=None):
    """When the next contact of the cadence `limit` is due after the last one (R-COM-3), in the
    rule's own unit: minutes, hours and calendar days that long after it (the clock is the
    calendar's, whatever the rule says: a cadence is months, not opening hours); working days
    by the end (23:59:59) of the N-th working day after its day, on `calendar` (a contact on
    Friday and one on Saturday are due the same day: the due time never goes back as the last
    contact moves on, so one boundary, cadence_boundary, tells the overdue ones apart)."""
    if limit.unit == WORKING_DAY_UNITS:
        day = DayRule(limit, calendar).after(last_contact.date())
        return datetime.combine(day, CADENCE_DAY_END)
    return shifted(last_contact, duration(limit))


def cadence_boundary(moment, limit, calendar=None):
    """The last contact before which the cadence `limit` is due by `moment`: the same test as
    cadence_due(last, limit, calendar) < moment, for SQL (last < cadence_boundary(moment, …)),
    computed once in Python for a whole register's range scan."""
    if limit.unit == WORKING_DAY_UNITS:
        # Due before `moment` <=> the due day is before `moment`'s day (or is that day, once
        # its last second is past) <=> the last contact's day is before the N-th working day
        # before that day (DayRule.before: the first day whose due day is not before it).
        day = moment.date()
        if moment.time() > CADENCE_DAY_END:
            day = shifted(day, timedelta(days=1))
        return datetime.combine(DayRule(limit, calendar).before(day), time.min)
    return shifted(moment, -duration(limit))


# The customer grid's 「7 天内到期」 (R-COM-3): a contact falling due within this window of now.
CADENCE_DUE_SOON = timedelta(days=7)


def cadence_soon_until(now):
    """The end of the window in which a contact falling due counts as due soon: a customer is
    due soon when cadence_due(...) < cadence_soon_until(now)."""
    return shifted(now, CADENCE_DUE_SOON)
