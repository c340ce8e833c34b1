"""Survey periods without an approved plan (R-SUR-2): consumers every May, tenants every quarter.

A period with no plan at all has no record of its own to hang an alert on, so its alert is
keyed by the plan-ahead rule (SlaRule SUR_PLAN, which every user may read) and the period's
latest date as `since`: one open alert per period under database.OPEN_ALERT_KEY, the same key
whether or not a plan is drafted later, and a link to the rule that sets the 20 days."""
from datetime import datetime, time

from models import Alert, Department, SlaRule, Survey

TITLE = "调查方案未按期批准：%s%s满意度调查（最迟 %s 批准）"


def flag_survey_plans_missing(now):
    """Alert operations (营运部) once per required survey period whose plan is not approved by
    the latest date that leaves 20 days before its start; resolve the alert once one is."""
    rule = SlaRule.get_or_none(SlaRule.code == "SUR_PLAN")
    if rule is None:
        return 0
    today, lead = now.date(), Survey.plan_lead()
    periods = Survey.required_periods((today.year - 1, today.year, today.year + 1))
    since = {}  # the alert's `since` (end of the latest day) -> the period it stands for
    for target, label, start, end in periods:
        latest = Survey.latest_submission_for(start, lead)
        since[datetime.combine(latest, time(23, 59, 59))] = (target, label, start, end, latest)
    mine = ((Alert.record_type == "SlaRule") & (Alert.record_id == rule.id)
            & (Alert.rule == rule.id) & (Alert.kind == "overdue") & (Alert.status == Alert.OPEN))
    resolved = []
    for alert in Alert.select(Alert.id, Alert.since).where(mine):
        period = since.get(alert.since)
        if period is not None and Survey.approved_plan_in(period[0], period[2], period[3]):
            resolved.append(alert.id)
    if resolved:
        Alert.update(status=Alert.WORKFLOW.target("resolve"), resolved_at=now, updated_at=now,
                     resolution_note="调查方案已批准，系统自动解除").where(
            Alert.id.in_(resolved)).execute()
    if not rule.is_active or rule.archived_at:
        return {"解除": len(resolved)} if resolved else 0
    operations = Department.get_or_none(Department.code == "operations")
    raised = 0
    for at, (target, label, start, end, latest) in sorted(since.items()):
        # Past its latest day and not yet over: a period that ended before the job first ran
        # is history (the grid shows it as 未进行调查), not a fresh alert.
        if not at < now or end < today or Survey.approved_plan_in(target, start, end):
            continue
        raised += Alert.insert(
            kind="overdue", title=(TITLE % (label, dict(Survey.TARGETS)[target], latest))[:200],
            record_type="SlaRule", record_id=rule.id, rule=rule.id, since=at,
            department=operations, level=1, status=Alert.OPEN, created_at=now,
            updated_at=now).on_conflict_ignore().as_rowcount().execute()
    return {"提醒": raised, "解除": len(resolved)} if raised or resolved else 0
