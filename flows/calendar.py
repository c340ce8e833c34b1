"""The working calendar (工作日历): days typed, imported or archived, years confirmed; every
change recomputes the running clocks it moves, with an audit row per record moved."""
from datetime import date

from audit import audit, snapshot
from database import write_transaction
from i18n import _l
from models import CalendarDay, CalendarYear, DomainError
from flows.records import MORE_TO_COME, after_save, archives, before_save, stored_copy

def calendar_changed(old, by, now):
    """Recompute every running clock the change from the `old` calendar moves; audit each
    record moved and remind its owners. Call inside the change's transaction. Returns how
    many deadlines moved."""
    moved = CalendarDay.move_deadlines(old, by, now)
    for record, before, summary, _ in moved:
        # The record's deadline columns carry old → new; the summary names each clock.
        audit("calendar_moved", record, before=snapshot(stored_copy(record, before)), now=now,
              user=by, summary=summary)
    return sum(len(clocks) for _, _, _, clocks in moved)


@before_save(CalendarDay)
def remember_calendar(day, created, by, now, extra):
    if "calendar_before" not in extra:  # else kept from the first day of several (an import)
        extra["calendar_before"] = CalendarDay.work_calendar()  # the stored days, before this one


@after_save(CalendarDay)
def move_clocks(day, created, by, now, extra):
    """Returns what to tell the user when the day moved running deadlines. Of several days
    written as one change (an import), the last moves the clocks, once for them all."""
    if extra.get(MORE_TO_COME):
        return None
    moved = calendar_changed(extra.pop("calendar_before"), by, now)
    if moved:
        return _l("工作日历已改变，%(n)s 项进行中的期限已重算并通知相关人员", n=moved)
    return None


@archives(CalendarDay)
def archive_day(day, by, now, reason, seen=None):
    """Archive the day; the running clocks it moves are recomputed with it."""
    old = CalendarDay.work_calendar()
    day.archive(by, now, reason, seen)
    calendar_changed(old, by, now)


def import_notice(notice, by, now):
    """Write a parsed State Council notice (holiday_notice.parse) as its year's days and confirm
    the year: days of that year the notice does not name are archived, moved clocks recomputed.
    Returns {"created", "updated", "archived", "moved"}."""
    if notice.problems or not notice.days:
        raise DomainError("通知未能完整解析，未导入：%s" % "；".join(map(str, notice.problems or ["没有日期"])))
    with write_transaction():
        old = CalendarDay.work_calendar()
        year = notice.year
        first, last = date(year, 1, 1), date(year, 12, 31)
        named = {d.day: d for d in notice.days}
        stored = {row.day: row for row in CalendarDay.select().where(
            CalendarDay.day.between(min(first, *named), max(last, *named)))}
        counts = {"created": 0, "updated": 0, "archived": 0}
        reason = "不在%d年国务院通知中" % year
        for day, row in stored.items():
            if day not in named and first <= day <= last and row.archived_at is None:
                before = snapshot(row)
                row.archived_at, row.archive_reason, row.updated_at = now, reason, now
                row.version = (row.version or 0) + 1
                row.save()
                audit("archive", row, before=before, now=now, user=by)
                counts["archived"] += 1
        for day, item in sorted(named.items()):
            row = stored.get(day)
            values = {"kind": item.kind, "name": item.name[:50], "source": "notice"}
            if row is None:
                row = CalendarDay.create(day=day, created_by=by, created_at=now, updated_at=now,
                                         **values)
                audit("create", row, now=now, user=by)
                counts["created"] += 1
            elif row.archived_at or row.kind != item.kind:  # a day already right stays as it is
                before = snapshot(row)
                for name, value in values.items():
                    setattr(row, name, value)
                row.archived_at = row.archive_reason = None
                row.updated_at, row.version = now, (row.version or 0) + 1
                row.save()
                audit("update", row, before=before, now=now, user=by)
                counts["updated"] += 1
        CalendarYear.confirm(year, "notice", by, now)
        counts["moved"] = calendar_changed(old, by, now)
        audit("import", None, now=now, user=by,
              summary="导入%d年国务院节假日安排通知：新增 %d，更新 %d，归档 %d；期限调整 %d 项" % (
                  year, counts["created"], counts["updated"], counts["archived"], counts["moved"]),
              extra={"year": year, "counts": counts})
    return counts


def confirm_year(year, by, now):
    """Confirm that the days entered for `year` are its whole arrangement: its deadlines stop
    being estimates and the clocks they move are recomputed. Returns how many moved."""
    with write_transaction():
        if not CalendarDay.select().where(
                (CalendarDay.kind == CalendarDay.HOLIDAY) & CalendarDay.archived_at.is_null()
                & CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))).exists():
            raise DomainError("%d 年还没有任何节假日，不能确认为完整；请先粘贴国务院通知或导入日历表格" % year)
        if year in CalendarYear.confirmed():
            raise DomainError("%d 年的日历已确认" % year)
        old = CalendarDay.work_calendar()
        CalendarYear.confirm(year, "admin", by, now)
        moved = calendar_changed(old, by, now)
        audit("calendar_confirm", None, now=now, user=by,
              summary="确认%d年工作日历完整；期限调整 %d 项" % (year, moved), extra={"year": year})
    return moved
