"""The monthly complaint analysis (相关方投诉分析报告, R-CMP-9): figures from the registers."""
import json
from collections import Counter
from datetime import date, datetime
from decimal import Decimal

from peewee import Case, fn

from models import (AuditLog, Complaint, ComplaintReport, Customer, DomainError, Survey, SurveyAnswer,
                    SurveyDistribution, SurveyQuestion, SurveyResponse)
from privacy import mask

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
    handled = [r for r in rows if r.status not in Complaint.WORKFLOW.group("unhandled")]
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
    # One person: the same customer record, else the same phone (names are not unique). The
    # phone only tells people apart here: the stored report names them with it masked.
    keys = Counter(("c", r.customer_id) if r.customer_id else ("p", r.complainant_phone or r.complainant_name)
                   for r in rows)
    names = {}
    for r in rows:
        if r.customer_id:
            names[("c", r.customer_id)] = str(r.customer)
        elif r.complainant_phone:
            names.setdefault(("p", r.complainant_phone), "%s（%s）" % (
                r.complainant_name or "—", mask(r.complainant_phone, "phone")))
    repeat = figures["repeat_complainants"] = {}
    for key, n in keys.most_common():
        if n > 1:
            label = names.get(key) or key[1]
            repeat[label] = repeat.get(label, 0) + n
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
    created = report is None
    if created:
        report = ComplaintReport(month=month, created_by=by, created_at=now)
    report.figures = json.dumps(current, ensure_ascii=False)
    report.generated_at, report.updated_at = now, now
    if not report.summary or report.summary.startswith(month.strftime("%Y年%m月") + "共受理"):
        report.summary = summary
    with ComplaintReport._meta.database.atomic():
        if created:
            report.save(force_insert=True)
        else:  # only if not changed (published) since read, and only the refreshed columns
            report.claim()
            report.save(only=[ComplaintReport.figures, ComplaintReport.generated_at,
                              ComplaintReport.updated_at, ComplaintReport.summary])
    return report


def _percent(rate):
    return "—" if rate is None else f"{rate}%"


def report_rows(report, shown=None):
    """The report's figures as (section, item, value) rows for the page and the CSV;
    `shown(figures)` first prepares them for the reader (views mask personal data)."""
    figures = json.loads(report.figures or "{}")
    if shown is not None:
        figures = shown(figures)
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


# ---------------------------------------------------------------- satisfaction surveys (R-SUR-5)

def _average(total, count):
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.01")) if count else None


def _share(part, whole):
    return (Decimal(100) * part / whole).quantize(Decimal("0.1")) if whole else None


def survey_returns(surveys):
    """{survey id: (questionnaires handed out, returned)} of `surveys`, in two grouped queries."""
    ids = [survey.id for survey in surveys]
    returned = dict(SurveyResponse.select(SurveyResponse.survey, fn.COUNT(SurveyResponse.id))
                    .where(SurveyResponse.survey.in_(ids) & SurveyResponse.archived_at.is_null())
                    .group_by(SurveyResponse.survey).tuples())
    handed = {survey: (count, coded or 0) for survey, count, coded in SurveyDistribution.select(
        SurveyDistribution.survey, fn.COUNT(SurveyDistribution.id),
        fn.SUM(Case(None, [(SurveyDistribution.responded_at.is_null(False), 1)], 0)))
        .where(SurveyDistribution.survey.in_(ids) & SurveyDistribution.archived_at.is_null())
        .group_by(SurveyDistribution.survey).tuples()}
    counts = {}
    for survey in surveys:
        count, coded = handed.get(survey.id, (0, 0))
        back = returned.get(survey.id, 0)
        # Questionnaires returned without a code were handed out on paper: at least that many.
        counts[survey.id] = (count + max(survey.paper_copies or 0, back - coded), back)
    return counts


def survey_results(survey, compare=True):
    """The aggregate results of one survey. Nothing here names or identifies a respondent:
    groups (customer kind, area) with fewer than Survey.MIN_GROUP answers are pooled as 其他,
    and free-text answers come without who or when, in alphabetical order (R-SUR-3)."""
    questions = list(survey.questions.where(SurveyQuestion.archived_at.is_null())
                     .order_by(SurveyQuestion.seq, SurveyQuestion.id))
    live = SurveyResponse.archived_at.is_null() & (SurveyResponse.survey == survey.id)
    distributed, returned = survey_returns([survey])[survey.id]
    counts = {}
    for qid, rating, n in (SurveyAnswer.select(SurveyAnswer.question, SurveyAnswer.rating,
                                               fn.COUNT(SurveyAnswer.id))
                           .join(SurveyResponse).where(live & SurveyAnswer.rating.is_null(False))
                           .group_by(SurveyAnswer.question, SurveyAnswer.rating).tuples()):
        counts.setdefault(qid, {})[rating] = n
    items, texts = [], []
    for question in questions:
        if question.kind == SurveyQuestion.TEXT:
            texts.append((question, sorted(t for (t,) in SurveyAnswer.select(SurveyAnswer.text)
                                           .join(SurveyResponse)
                                           .where(live & (SurveyAnswer.question == question.id)
                                                  & SurveyAnswer.text.is_null(False)).tuples())))
            continue
        by_rating = counts.get(question.id, {})
        n = sum(by_rating.values())
        items.append({"question": question, "count": n,
                      "total": sum(r * c for r, c in by_rating.items()),
                      "average": _average(sum(r * c for r, c in by_rating.items()), n),
                      "distribution": [(r, by_rating.get(r, 0), _share(by_rating.get(r, 0), n))
                                       for r in (5, 4, 3, 2, 1)]})
    kinds = dict(Customer.KINDS)

    def groups(column, label):
        rows = (SurveyAnswer.select(column, fn.COUNT(fn.DISTINCT(SurveyResponse.id)),
                                    fn.SUM(SurveyAnswer.rating), fn.COUNT(SurveyAnswer.rating))
                .join(SurveyResponse).where(live & SurveyAnswer.rating.is_null(False))
                .group_by(column).tuples())
        shown, pooled = [], [0, 0, 0]
        for key, responses, total, n in rows:
            if responses < Survey.MIN_GROUP or key in (None, ""):
                pooled = [pooled[0] + responses, pooled[1] + (total or 0), pooled[2] + n]
            else:
                shown.append([key, responses, total or 0, n])
        # A pool of one or two would show those few answers (or, by subtraction, the group
        # beside it): fold in the smallest groups until it is large enough, or show nothing.
        shown.sort(key=lambda g: g[1])
        while 0 < pooled[0] < Survey.MIN_GROUP and shown:
            _, responses, total, n = shown.pop(0)
            pooled = [pooled[0] + responses, pooled[1] + total, pooled[2] + n]
        if 0 < pooled[0] < Survey.MIN_GROUP:
            return []
        result = sorted(((label(k), r, _average(t, n)) for k, r, t, n in shown),
                        key=lambda g: str(g[0]))
        if pooled[0]:
            result.append(("其他（样本不足 %d 份或未注明）" % Survey.MIN_GROUP, pooled[0],
                           _average(pooled[1], pooled[2])))
        return result

    overall = _average(sum(i["total"] for i in items), sum(i["count"] for i in items)) \
        if any(i["count"] for i in items) else None
    previous = survey.previous() if compare else None
    comparison = None
    if previous is not None:  # the same question texts, side by side
        earlier = survey_results(previous, compare=False)
        before = {i["question"].text: i["average"] for i in earlier["items"]}
        comparison = {"survey": previous, "overall": earlier["overall"],
                      "items": {i["question"].id: before.get(i["question"].text) for i in items}}
    return {
        # Too few answers to show anything without showing someone's (R-SUR-3).
        "too_few": returned < Survey.MIN_GROUP,
        "distributed": distributed, "returned": returned, "sample_size": survey.sample_size,
        "distribution_rate": _share(distributed, survey.sample_size) if survey.sample_size else None,
        "distribution_short": survey.distribution_short(distributed),
        "return_rate": _share(returned, distributed),
        "items": items, "overall": overall, "texts": texts,
        "by_kind": groups(SurveyResponse.respondent_kind, lambda k: kinds.get(k, k)),
        "by_area": groups(SurveyResponse.area, lambda a: a),
        "comparison": comparison,
    }
