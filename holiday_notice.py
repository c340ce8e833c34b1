"""Read the State Council General Office's yearly holiday notice (国务院办公厅关于20XX年部分节假日
安排的通知), pasted as published, into holiday and make-up working-day rows.

Nothing is dropped silently: every line or sentence the parser does not turn into days is
kept in `unread`, and one that speaks of days off or work (放假, 上班, 调休) without being
understood is a problem that stops the import.
"""
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

HOLIDAY, WORKDAY = "holiday", "workday"
WEEKDAYS = "一二三四五六日"
NUMERALS = "一二三四五六七八九十"

# One date of a notice: [2018年]12月29日（周六） or 4日 inside a range; the brackets may hold
# the lunar day too (农历除夕、周二).
DATE = r"(?:(?P<{p}y>\d{{4}})年)?(?:(?P<{p}m>\d{{1,2}})月)?(?P<{p}d>\d{{1,2}})日(?:[（(](?P<{p}note>[^）)]*)[）)])?"
HOLIDAY_RE = re.compile(
    "^" + DATE.format(p="a") + "(?:至" + DATE.format(p="b") + ")?"
    r"(?:放假(?:调休)?|休息)[，,]?(?:(?:共)?(?P<days>\d+)天)?[，,]?(?:不调休|放假)?$")
PLAIN_DATE = r"(?:\d{4}年)?(?:\d{1,2}月)?\d{1,2}日(?:[（(][^）)]*[）)])?"
WORKDAY_RE = re.compile("^(?P<dates>" + PLAIN_DATE + "(?:、" + PLAIN_DATE + r")*)(?:上班|补班)$")
ONE_DATE_RE = re.compile(DATE.format(p=""))
ITEM_RE = re.compile(r"^(?P<no>[" + NUMERALS + r"]+)[、.．]\s*(?P<name>[^：:]{1,20})[：:](?P<body>.+)$")
YEAR_RE = re.compile(r"(\d{4})年(?:部分)?节假日")
SPEAKS_OF_DAYS = re.compile(r"放假|上班|调休|补班|休息")
# The sentence that introduces the items ("…具体安排通知如下。") names days off but no date.
PREAMBLE_RE = re.compile(r"通知如下[。：:]?$")
FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


@dataclass(frozen=True)
class NoticeDay:
    day: date
    kind: str  # HOLIDAY or WORKDAY
    name: str
    line: int


@dataclass(frozen=True)
class Unread:
    line: int
    text: str
    blocking: bool  # it speaks of days off or work: importing without it could be wrong


@dataclass(frozen=True)
class Problem:
    """A reason the notice cannot be imported: a catalog text and its values."""
    text: str
    values: tuple = ()

    def __str__(self):
        return self.text % dict(self.values) if self.values else self.text


@dataclass
class Notice:
    year: int = None
    days: list = field(default_factory=list)
    unread: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # any problem stops the import

    def problem(self, message, **values):
        self.problems.append(Problem(message, tuple(values.items())))

    def holidays(self):
        return {d.day for d in self.days if d.kind == HOLIDAY}

    def workdays(self):
        return {d.day for d in self.days if d.kind == WORKDAY}


def parse(text):
    """Parse a pasted notice into a Notice (its year, days, unread text and problems)."""
    notice = Notice()
    lines = [line.strip().translate(FULL_WIDTH).replace("星期", "周").replace(" ", "")
             for line in (text or "").splitlines()]
    for line in lines:
        found = YEAR_RE.search(line)
        if found:
            notice.year = int(found.group(1))
            break
    if notice.year is None:
        notice.problem("未找到通知的年份（如“2027年部分节假日安排”），请粘贴通知全文，包括标题")
        return notice
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        item = ITEM_RE.match(line)
        if item is None:
            _unread(notice, number, line)
            continue
        name = item.group("name")
        for sentence in (s.strip("，, ") for s in item.group("body").split("。")):
            if sentence and not _read_sentence(notice, number, name, sentence):
                _unread(notice, number, sentence)
    _check_overlaps(notice)
    if not notice.days and not notice.problems:
        notice.problem("通知中没有读到任何放假或上班的日期")
    notice.days.sort(key=lambda d: d.day)
    return notice


def _unread(notice, number, text):
    blocking = bool(SPEAKS_OF_DAYS.search(text)) and not PREAMBLE_RE.search(text)
    notice.unread.append(Unread(number, text, blocking))
    if blocking:
        notice.problem("第 %(line)s 行有未能识别的放假或上班安排：%(words)s", line=number, words=text)


def _read_sentence(notice, number, name, sentence):
    """Add the days of one sentence of an item; False when it is not understood."""
    holiday = HOLIDAY_RE.match(sentence)
    if holiday:
        start = _date(notice, number, holiday, "a", None)
        end = _date(notice, number, holiday, "b", start) if holiday.group("bd") else start
        if start is None or end is None:
            return True  # the problem is recorded
        if end < start and not holiday.group("ay"):
            start = _date(notice, number, holiday, "a", None, year=notice.year - 1)
        if end < start or (end - start).days > 31:
            notice.problem("第 %(line)s 行的放假起止日期不合理：%(words)s", line=number, words=sentence)
            return True
        span = (end - start).days + 1
        if holiday.group("days") and int(holiday.group("days")) != span:
            notice.problem("第 %(line)s 行写“共%(written)s天”，但 %(start)s 至 %(end)s 是 %(span)s 天",
                           line=number, written=holiday.group("days"), start=start, end=end, span=span)
        for offset in range(span):
            notice.days.append(NoticeDay(start + timedelta(days=offset), HOLIDAY, name, number))
        return True
    workday = WORKDAY_RE.match(sentence)
    if workday:
        for one in ONE_DATE_RE.finditer(workday.group("dates")):
            if not one.group("m"):
                notice.problem("第 %(line)s 行的日期缺少月份：%(words)s", line=number, words=one.group(0))
                continue
            day = _date(notice, number, one, "", None)
            if day is not None:
                notice.days.append(NoticeDay(day, WORKDAY, name, number))
        return True
    return False


def _date(notice, number, match, prefix, after, year=None):
    """The date of a match's group set `prefix` (month from `after` when left out), its weekday
    checked against the one the notice writes; None (with a problem recorded) when impossible."""
    month = match.group(prefix + "m")
    year = int(match.group(prefix + "y") or year or (after.year if after else notice.year))
    month = int(month) if month else (after.month if after else None)
    text = match.group(0)
    if month is None:
        notice.problem("第 %(line)s 行的日期缺少月份：%(words)s", line=number, words=text)
        return None
    try:
        day = date(year, month, int(match.group(prefix + "d")))
    except ValueError:
        notice.problem("第 %(line)s 行的日期不存在：%(words)s", line=number, words=text)
        return None
    written = re.search(r"周([" + WEEKDAYS + "天])", match.group(prefix + "note") or "")
    if written:
        weekday = WEEKDAYS.index(written.group(1).replace("天", "日"))
        if weekday != day.weekday():
            notice.problem("第 %(line)s 行：%(day)s 是周%(real)s，通知写的是周%(written)s，请核对",
                           line=number, day=day.isoformat(), real=WEEKDAYS[day.weekday()],
                           written=written.group(1))
    return day


def _check_overlaps(notice):
    """A day named twice with different kinds is a contradiction, not a choice to make."""
    kinds = {}
    for item in notice.days:
        if kinds.setdefault(item.day, item.kind) != item.kind:
            notice.problem("%(day)s 既写为放假又写为上班，请核对", day=item.day.isoformat())
    seen, unique = set(), []
    for item in notice.days:
        if item.day not in seen:
            seen.add(item.day)
            unique.append(item)
    notice.days[:] = unique
