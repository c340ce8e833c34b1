"""The monthly complaint analysis (相关方投诉分析报告, R-CMP-9): figures from the registers."""
import json
from collections import Counter
from datetime import date, datetime

from models import AuditLog, Complaint, ComplaintReport, DomainError

DIMENSIONS = (("category", "投诉类别"), ("severity", "投诉性质"), ("channel", "投诉方式"))


def month_bounds(month):
    """The first moment of `month` and of the month after it."""
    start = datetime(month.year, month.month, 1)
    end = datetime(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return start, end


def previous_month(month):
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def _rate(hits, total):
    return round(100.0 * hits / total, 1) if total else None


def complaint_figures(month):
    """Count a month's complaints by category, department, severity and channel; on-time rates;
    escalations; repeat complainants; top subjects."""
    start, end = month_bounds(month)
    rows = list(Complaint.select().where((Complaint.received_at >= start)
                                         & (Complaint.received_at < end)
                                         & Complaint.archived_at.is_null()))
    figures = {"month": month.strftime("%Y-%m"), "total": len(rows)}
    # Refused and cancelled complaints were never handled: they count, but not in the rates.
    handled = [r for r in rows if r.status not in (Complaint.REFUSED, Complaint.CANCELLED)]
    for name, _ in DIMENSIONS:
        field = Complaint._meta.fields[name]
        counts = Counter(getattr(r, name) for r in rows)
        figures["by_" + name] = {field.label(k): v for k, v in counts.most_common()}
    figures["by_department"] = dict(Counter(r.department.name for r in rows).most_common())
    timed = [r for r in handled if r.start_deadline]
    figures["start_on_time"] = {"due": len(timed), "on_time": sum(
        1 for r in timed if r.started_at and r.started_at <= r.start_deadline)}
    figures["start_on_time"]["rate"] = _rate(figures["start_on_time"]["on_time"], len(timed))
    resolvable = [r for r in handled if r.resolve_deadline]
    figures["resolved_on_time"] = {"due": len(resolvable), "on_time": sum(
        1 for r in resolvable if r.resolved_at and r.resolved_at <= r.resolve_deadline)}
    figures["resolved_on_time"]["rate"] = _rate(figures["resolved_on_time"]["on_time"],
                                                len(resolvable))
    live = Complaint.select(Complaint.id.cast("TEXT")).where(Complaint.archived_at.is_null())
    figures["escalations"] = AuditLog.select().where(
        (AuditLog.model == "Complaint") & (AuditLog.action == "escalate")
        & (AuditLog.created_at >= start) & (AuditLog.created_at < end)
        & AuditLog.record_id.in_(live)).count()
    # One person: the same customer record, else the same phone (names are not unique).
    keys = Counter(("c", r.customer_id) if r.customer_id else ("p", r.complainant_phone or r.complainant_name)
                   for r in rows)
    phones = {("p", r.complainant_phone): r.complainant_phone for r in rows}
    names = {("c", r.customer_id): str(r.customer) for r in rows if r.customer_id}
    figures["repeat_complainants"] = {names.get(k) or phones.get(k) or k[1]: n
                                      for k, n in keys.most_common() if n > 1}
    figures["top_subjects"] = dict(Counter(r.subject for r in rows).most_common(5))
    return figures


def compare(current, previous):
    """Change against the previous month, per total and per category."""
    change = {"total": current["total"] - previous["total"]}
    for key in current["by_category"].keys() | previous["by_category"].keys():
        change[key] = current["by_category"].get(key, 0) - previous["by_category"].get(key, 0)
    return change


def generate_complaint_report(month, now, by=None):
    """Create or refresh the report of `month`; a published report is never rewritten."""
    month = date(month.year, month.month, 1)
    current = complaint_figures(month)
    previous = complaint_figures(previous_month(month))
    current["previous_total"] = previous["total"]
    current["change"] = compare(current, previous)
    report = ComplaintReport.get_or_none(ComplaintReport.month == month)
    if report is not None and report.status == ComplaintReport.PUBLISHED:
        raise DomainError("%s已报送，不能重新生成" % report)
    summary = ("%s共受理投诉 %d 件（上月 %d 件）；启动按时率 %s；解决按时率 %s；升级 %d 次。" % (
        month.strftime("%Y年%m月"), current["total"], previous["total"],
        _percent(current["start_on_time"]["rate"]), _percent(current["resolved_on_time"]["rate"]),
        current["escalations"]))
    if report is None:
        report = ComplaintReport(month=month, created_by=by, created_at=now)
    report.figures = json.dumps(current, ensure_ascii=False)
    report.generated_at, report.updated_at = now, now
    if not report.summary or report.summary.startswith(month.strftime("%Y年%m月") + "共受理"):
        report.summary = summary
    report.save()
    return report


def _percent(rate):
    return "—" if rate is None else f"{rate}%"


def report_rows(report):
    """The report's figures as (section, item, value) rows for the page and the CSV."""
    figures = json.loads(report.figures or "{}")
    rows = [("合计", "本月投诉", figures.get("total", 0)),
            ("合计", "上月投诉", figures.get("previous_total", 0))]
    for name, label in DIMENSIONS + (("department", "责任部门"),):
        for item, count in figures.get("by_" + name, {}).items():
            rows.append((label, item, count))
    for key, label in (("start_on_time", "启动按时"), ("resolved_on_time", "解决按时")):
        part = figures.get(key, {})
        rows.append(("时效", label, "%s/%s（%s）" % (part.get("on_time", 0), part.get("due", 0),
                                                    _percent(part.get("rate")))))
    rows.append(("升级", "升级次数", figures.get("escalations", 0)))
    for who, count in figures.get("repeat_complainants", {}).items():
        rows.append(("重复投诉", who, count))
    for subject, count in figures.get("top_subjects", {}).items():
        rows.append(("主要事由", subject, count))
    for item, delta in figures.get("change", {}).items():
        rows.append(("环比变化", "合计" if item == "total" else item, f"{delta:+d}"))
    return rows
