"""Customer segments (R-CRM-4): each active customer's metrics, one grouped query each, judged
by the admin-tunable SegmentRule rows; run nightly."""
import json
from datetime import timedelta

from peewee import Case, fn

from audit import audit_job
from crm import lease_months_left
from database import write_transaction
from models import (Callback, Charge, Complaint, Contact, Customer, Meeting, MeetingAttendee,
                    NoticeReceipt, RepairOrder, SegmentRule, Survey, SurveyAnswer, SurveyResponse,
                    db)


def _grouped(query):
    return {key: value for key, value in query.tuples() if key is not None}


def _within(model, column, since, now):
    """Rows of `model` dated in (since, now] and not archived (a duplicate or a mistake)."""
    return (column >= since) & (column <= now) & model.archived_at.is_null()


def segment_metrics(now):
    """{customer id: {metric: value}} for every active customer, each metric one grouped query."""
    year_ago, half_year_ago = now - timedelta(days=365), now - timedelta(days=182)
    customers = list(Customer.select(
        Customer.id, Customer.kind, Customer.floor, Customer.monthly_rent, Customer.area_sqm,
        Customer.lease_start, Customer.lease_end, Customer.last_contact_at, Customer.created_at)
        .where((Customer.status == Customer.ACTIVE) & Customer.archived_at.is_null()))
    paid = _grouped(Charge.select(Charge.customer, fn.COUNT(Charge.id)).where(
        (Charge.status != Charge.VOIDED) & _within(Charge, Charge.charged_at, year_ago, now))
        .group_by(Charge.customer))
    # Counted along the (customer, archived, received) index, the window in the sum: read by
    # date, each of a year's million contacts was a lookup in the table (10-19 s at scale 1).
    in_window = (Contact.received_at >= year_ago) & (Contact.received_at <= now)
    contacts = _grouped(Contact.select(Contact.customer, fn.SUM(Case(None, [(in_window, 1)], 0)))
                        .where(Contact.archived_at.is_null()).group_by(Contact.customer))
    meetings = _grouped(MeetingAttendee.select(MeetingAttendee.customer, fn.COUNT(Meeting.id))
                        .join(Meeting).where(_within(Meeting, Meeting.held_at, year_ago, now))
                        .group_by(MeetingAttendee.customer))
    receipts = _grouped(NoticeReceipt.select(NoticeReceipt.customer, fn.COUNT(NoticeReceipt.id))
                        .where(_within(NoticeReceipt, NoticeReceipt.confirmed_at, year_ago, now))
                        .group_by(NoticeReceipt.customer))
    complaints = {k: (n, esc) for k, n, esc in Complaint.select(
        Complaint.customer, fn.COUNT(Complaint.id), fn.SUM(Complaint.escalation_level)).where(
        (Complaint.status != Complaint.CANCELLED)
        & _within(Complaint, Complaint.received_at, year_ago, now))
        .group_by(Complaint.customer).tuples() if k}
    callbacks = _callback_figures(year_ago, half_year_ago, now)
    surveys = _floor_survey_scores(now)
    metrics = {}
    for c in customers:
        recent_sum, recent_n, earlier_sum, earlier_n, rejected = callbacks.get(c.id, (0, 0, 0, 0, 0))
        scored = recent_n + earlier_n
        complaint_count, escalations = complaints.get(c.id, (0, 0))
        reference = c.last_contact_at or c.created_at
        metrics[c.id] = {
            "kind": c.kind,
            "monthly_rent": c.monthly_rent, "area_sqm": c.area_sqm,
            "tenure_months": round((now.date() - c.lease_start).days / 30.44, 1) if c.lease_start else None,
            "paid_services_12m": paid.get(c.id, 0),
            "contacts_12m": contacts.get(c.id, 0) + meetings.get(c.id, 0) + receipts.get(c.id, 0),
            "days_since_contact": (now - reference).days if reference else None,
            "callback_satisfaction": round((recent_sum + earlier_sum) / scored, 2) if scored else None,
            "satisfaction_change": round(recent_sum / recent_n - earlier_sum / earlier_n, 2)
            if recent_n and earlier_n else None,
            "floor_survey_score": surveys.get((c.kind, c.floor)),
            "complaints_12m": complaint_count, "escalations_12m": int(escalations or 0),
            "rejected_results_12m": rejected,
            "lease_months_left": lease_months_left(c, now),
        }
    return metrics


def _callback_figures(year_ago, half_year_ago, now):
    """{customer: (recent score sum, recent count, earlier sum, earlier count, not accepted)} of
    the last 12 months' callbacks on the customer's repairs and complaints."""
    figures = {}
    recent = Callback.called_at >= half_year_ago
    scored = Callback.satisfaction.is_null(False)
    # A callback naming both a repair and a complaint counts once, with the repair.
    for parent, link, once in ((RepairOrder, Callback.repair_order, True),
                               (Complaint, Callback.complaint, Callback.repair_order.is_null())):
        query = (Callback.select(
            parent.customer,
            fn.SUM(Case(None, [(recent & scored, Callback.satisfaction)], 0)),
            fn.SUM(Case(None, [(recent & scored, 1)], 0)),
            fn.SUM(Case(None, [(~recent & scored, Callback.satisfaction)], 0)),
            fn.SUM(Case(None, [(~recent & scored, 1)], 0)),
            fn.SUM(Case(None, [(Callback.accepted == False, 1)], 0)))  # noqa: E712
            .join(parent, on=(link == parent.id))
            .where(_within(Callback, Callback.called_at, year_ago, now) & once
                   & parent.customer.is_null(False))
            .group_by(parent.customer))
        for customer, *values in query.tuples():
            old = figures.get(customer, (0, 0, 0, 0, 0))
            figures[customer] = tuple(a + int(b or 0) for a, b in zip(old, values))
    return figures


def _floor_survey_scores(now):
    """{(customer kind, floor): average rating} in the latest closed survey with at least
    Survey.MIN_GROUP answers from that group — a group score, so no answer is traced back."""
    rows = (SurveyAnswer.select(SurveyResponse.respondent_kind, SurveyResponse.area,
                                Survey.end_date, Survey.id,
                                fn.AVG(SurveyAnswer.rating),
                                fn.COUNT(fn.DISTINCT(SurveyResponse.id)))
            .join(SurveyResponse).join(Survey)
            .where(Survey.status.in_((Survey.CLOSED, Survey.ARCHIVED))
                   & SurveyAnswer.rating.is_null(False) & (Survey.end_date <= now.date())
                   & SurveyResponse.archived_at.is_null() & Survey.archived_at.is_null())
            .group_by(SurveyResponse.respondent_kind, SurveyResponse.area, Survey.end_date, Survey.id)
            .order_by(Survey.end_date, Survey.id).tuples())
    scores = {}
    for kind, area, _, _, average, answered in rows:  # later surveys overwrite earlier ones
        if kind and area and answered >= Survey.MIN_GROUP:
            scores[(kind, area)] = round(float(average), 2)
    return scores


def evaluate(rules, kind, metrics):
    """({dimension: level}, {dimension: [reason]}) of one customer under `rules`."""
    levels, reasons = {}, {}
    for dimension, _ in SegmentRule.DIMENSIONS:
        matched = [r for r in rules if r.dimension == dimension and r.matches(kind, metrics)]
        levels[dimension] = matched[0].level if matched else SegmentRule.DEFAULT_LEVELS[dimension]
        reasons[dimension] = [r.reason(metrics) for r in matched]
    return levels, reasons


def active_rules():
    return list(SegmentRule.select().where((SegmentRule.is_active == True)  # noqa: E712
                                           & SegmentRule.archived_at.is_null())
                .order_by(SegmentRule.dimension, SegmentRule.seq, SegmentRule.id))


SEGMENT_COLUMNS = ("value_segment", "engagement_segment", "satisfaction_segment", "risk_segment",
                   "segment_reasons")


WRITE_BATCH = 1000  # customers written per transaction


def segment_customers(now):
    """Recompute every active customer's segments; write only those that changed. The reading
    and judging (seconds on 100k customers) hold no lock; the writes go in short transactions
    of WRITE_BATCH rows, so the desk's own saves never wait long behind the nightly run."""
    rules = active_rules()
    current = {row[0]: row[1:] for row in Customer.select(
        Customer.id, *(getattr(Customer, c) for c in SEGMENT_COLUMNS)).tuples()}
    changed, judged = [], {}
    for customer_id, metrics in segment_metrics(now).items():
        # Customers with the same kind and figures are judged once (most consumers share theirs).
        key = tuple(metrics.values())
        values = judged.get(key)
        if values is None:
            levels, reasons = evaluate(rules, metrics["kind"], metrics)
            values = judged[key] = (levels["value"], levels["engagement"], levels["satisfaction"],
                                    levels["risk"], json.dumps(reasons, ensure_ascii=False))
        if current.get(customer_id) != values:
            changed.append(values + (now, customer_id))
    sql = 'UPDATE "customer" SET %s, "segmented_at" = %s WHERE "id" = %s' % (
        ", ".join('"%s" = %s' % (c, db.param) for c in SEGMENT_COLUMNS), db.param, db.param)
    for start in range(0, len(changed), WRITE_BATCH):
        with write_transaction():
            db.cursor().executemany(sql, changed[start:start + WRITE_BATCH])
    with write_transaction():  # customers no longer active lose their segments; the run's audit
        gone = Customer.update(**{c: None for c in SEGMENT_COLUMNS}, segmented_at=now).where(
            ((Customer.status != Customer.ACTIVE) | Customer.archived_at.is_null(False))
            & Customer.risk_segment.is_null(False)).execute()
        result = {"changed": len(changed), "cleared": gone}
        audit_job("segment_customers", result, now)
    return result


segment_customers.in_transaction = False  # its own short write transactions
