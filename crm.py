"""The customer at a glance (R-CRM-1 … R-CRM-4): one timeline of everything, what is open,
who is calling and why, and the reasons of the nightly segments (jobs/segments.py).

Pure functions of the database and `now`. Which registers a user may read is passed in as
`visible` ({model: extra condition or None}); a register missing from it is left out."""
import json
import re
from collections import namedtuple
from datetime import datetime, time, timedelta

from peewee import fn

import sla
from models import (ActionItem, AuditLog, Callback, CallScript, Charge, Complaint,
                    ComplaintUpdate, Contact, Customer, Deadline, ItemLoan, LendableItem, Meeting,
                    MeetingAttendee, Notice, NoticeReceipt, RepairOrder, SegmentRule,
                    ServiceRequest, Survey, SurveyDistribution)

# One kind of event on a customer's timeline. `rows(customer_id)` selects the customer's rows;
# `at` is the event time; `open_states` are the states in which the customer still waits;
# `link` is the register whose details page the event opens (its view decides visibility).
Source = namedtuple("Source", "key label model at rows open_states link")

TIMELINE_PAGE = 50


def _complaints_of(customer_id, visible):
    """Ids of the customer's complaints this user may read."""
    query = Complaint.select(Complaint.id).where(Complaint.customer == customer_id)
    scope = visible.get(Complaint)
    return query.where(scope) if scope is not None else query


def _callbacks_of(customer_id, visible):
    repairs = RepairOrder.select(RepairOrder.id).where(RepairOrder.customer == customer_id)
    return Callback.select().where(Callback.repair_order.in_(repairs)
                                   | Callback.complaint.in_(_complaints_of(customer_id, visible)))


def _attended(customer_id):
    return Meeting.select(Meeting.id).join(MeetingAttendee).where(
        MeetingAttendee.customer == customer_id)


def _customer_rows(model):
    return lambda c, visible: model.select().where(model.customer == c)


SOURCES = (
    Source("contact", "接待登记", Contact, Contact.received_at, _customer_rows(Contact),
           Contact.WORKFLOW.open, Contact),
    Source("repair", "报修", RepairOrder, RepairOrder.reported_at, _customer_rows(RepairOrder),
           RepairOrder.WORKFLOW.open, RepairOrder),
    Source("service", "服务申请", ServiceRequest, ServiceRequest.submitted_at,
           _customer_rows(ServiceRequest),
           ServiceRequest.WORKFLOW.open, ServiceRequest),
    Source("complaint", "投诉", Complaint, Complaint.received_at, _customer_rows(Complaint),
           Complaint.WORKFLOW.open, Complaint),
    Source("complaint_update", "投诉进展", ComplaintUpdate, ComplaintUpdate.happened_at,
           lambda c, visible: ComplaintUpdate.select().where(
               ComplaintUpdate.complaint.in_(_complaints_of(c, visible))), (), Complaint),
    Source("escalation", "投诉升级", AuditLog, AuditLog.created_at,
           lambda c, visible: AuditLog.select().where(
               (AuditLog.model == "Complaint") & (AuditLog.action == "escalate_reason")
               & AuditLog.record_id.in_([str(i) for (i,) in _complaints_of(c, visible).tuples()])),
           (), Complaint),
    Source("callback", "回访", Callback, Callback.called_at, _callbacks_of, (), Callback),
    Source("loan", "物品借用", ItemLoan, ItemLoan.lent_at,
           lambda c, visible: ItemLoan.select(ItemLoan, LendableItem).join(LendableItem).where(
               ItemLoan.customer == c),
           ItemLoan.WORKFLOW.open, ItemLoan),
    Source("charge", "有偿服务", Charge, Charge.charged_at, _customer_rows(Charge), (), Charge),
    Source("survey", "满意度调查", SurveyDistribution, SurveyDistribution.distributed_at,
           lambda c, visible: SurveyDistribution.select(SurveyDistribution, Survey).join(Survey)
           .where(SurveyDistribution.customer == c), (), SurveyDistribution),
    Source("notice", "通知", NoticeReceipt, NoticeReceipt.created_at,
           lambda c, visible: NoticeReceipt.select(NoticeReceipt, Notice).join(Notice).where(
               NoticeReceipt.customer == c), NoticeReceipt.WORKFLOW.open, NoticeReceipt),
    Source("meeting", "座谈会", Meeting, Meeting.held_at,
           lambda c, visible: Meeting.select().where(Meeting.id.in_(_attended(c))), (), Meeting),
    Source("action_item", "议定事项", ActionItem, ActionItem.created_at,
           lambda c, visible: ActionItem.select().where(ActionItem.meeting.in_(_attended(c))),
           ActionItem.WORKFLOW.open, ActionItem),
)
SOURCE_BY_KEY = {s.key: s for s in SOURCES}


def _matter(source, row):
    """What the event is about, in a few words (no document number)."""
    key = source.key
    if key == "repair":
        return "%s：%s" % (row.location, (row.description or "")[:40])
    if key in ("complaint", "contact"):
        return row.subject or ""
    if key == "service":
        return "%s：%s" % (row.choice_label("kind"), (row.description or "")[:40])
    if key == "loan":
        return "借用 %s" % row.item
    if key == "survey":
        return row.survey.title
    if key == "notice":
        return row.notice.title
    if key in ("action_item",):
        return (row.description or "")[:60]
    if key == "complaint_update":
        return "%s：%s" % (row.choice_label("kind"), (row.content or "")[:60])
    if key == "escalation":
        return "投诉升级：%s" % (row.summary or "")
    return str(row)


def _title(source, row):
    """The one line the timeline shows for a row."""
    matter = _matter(source, row)
    if source.key == "callback":
        verdict = "认可" if row.accepted else "不认可"
        score = "，满意度 %s" % row.satisfaction if row.satisfaction else ""
        return "%s %s处理结果%s" % (row.number or "回访", verdict, score)
    if source.key == "survey":
        return "%s（%s）" % (matter, "已回收" if row.responded_at else "未回收")
    if source.key == "notice":
        return "%s（%s）" % (matter, row.choice_label("status"))
    if source.key == "complaint":
        return "%s %s（%s）" % (row.number or "投诉", matter, row.choice_label("severity"))
    if getattr(row, "number", None) and source.model is not AuditLog:
        return "%s %s" % (row.number, matter)
    return matter


def _link(source, row):
    """(register, id) of the details page the event opens."""
    if source.key == "complaint_update":
        return Complaint, row.complaint_id
    if source.key == "escalation":
        return Complaint, int(row.record_id)
    return source.link, row.id


def readable(source, visible):
    """Shown only when the user may read both the rows and the register they open."""
    return source.link in visible and (source.model is AuditLog or source.model in visible)


def _rows(source, customer_id, visible):
    """The customer's rows of one source, limited to the user's rows of that register."""
    query = source.rows(customer_id, visible)
    scope = visible.get(source.model)
    return query.where(scope) if scope is not None else query


def running_clocks(model, ids):
    """{record id: the earliest running Deadline} of `model`'s records `ids`."""
    clocks = {}
    if not ids:
        return clocks
    for row in (Deadline.select().where((Deadline.record_type == model.__name__)
                                        & Deadline.record_id.in_(list(ids))
                                        & (Deadline.status == Deadline.RUNNING)
                                        & (Deadline.kind != "follow_up"))
                .order_by(Deadline.due_at)):
        clocks.setdefault(row.record_id, row)
    return clocks


def _event(source, row, now, clock=None):
    at = getattr(row, source.at.name)
    is_open = bool(source.open_states) and row.status in source.open_states \
        and not getattr(row, "archived_at", None)
    if source.key == "notice":
        is_open = is_open and row.notice.status == Notice.PUBLISHED
    if source.key == "survey":
        is_open = row.responded_at is None and row.survey.status == Survey.RUNNING
    model, record_id = _link(source, row)
    status = row.choice_label("status") if "status" in type(row)._meta.fields else ""
    due = clock.due_at if clock else None
    if source.key == "action_item" and row.due_date:  # a due date, not a stamped clock
        due = datetime.combine(row.due_date, time(23, 59, 59))
    on_hold = bool(getattr(row, "on_hold_since", None))
    return {"at": at, "kind": source.key, "kind_label": source.label, "title": _title(source, row),
            "matter": _matter(source, row),
            "status": status, "open": is_open, "model": model, "record_id": record_id,
            "due_at": due if is_open else None,
            "time_left": clock.time_left(now) if clock else "",
            "limit": clock.limit() if clock else None,  # its 估算 badge
            "overdue": bool(is_open and due and due <= now and not on_hold),
            "on_hold": on_hold,
            "row": row, "trigger": trigger_of(source.key, row)}


def trigger_of(key, row):
    """The caller-screen reason (CallScript trigger) an open record of this kind stands for."""
    if key == "repair":
        return "repair_callback" if row.status == RepairOrder.DONE else "repair_open"
    if key == "complaint":
        return "complaint_callback" if row.status == Complaint.RESOLVED else "complaint_open"
    return {"service": "service_pending", "loan": "loan_out", "notice": "notice_pending",
            "survey": "survey_pending", "action_item": "action_item",
            "contact": "repeat_contact"}.get(key)


def timeline(customer_id, now, visible, kinds=None, page=1, per_page=TIMELINE_PAGE):
    """The customer's events newest first: ([event], has_more). `kinds` narrows to some keys."""
    wanted = [s for s in SOURCES if (not kinds or s.key in kinds) and readable(s, visible)]
    limit = page * per_page + 1
    events = []
    for source in wanted:
        query = _rows(source, customer_id, visible)
        rows = list(query.order_by(source.at.desc(), source.model.id.desc()).limit(limit))
        clocks = running_clocks(source.model, [r.id for r in rows if source.open_states
                                               and r.status in source.open_states]) \
            if source.model is not AuditLog else {}
        events.extend(_event(source, row, now, clocks.get(row.id)) for row in rows
                      if getattr(row, source.at.name) is not None)
    events.sort(key=lambda e: (e["at"], e["kind"] != "contact"), reverse=True)
    start = (page - 1) * per_page
    return events[start:start + per_page], len(events) > start + per_page


def open_items(customer_id, now, visible):
    """What the customer still waits for, overdue first, then by deadline."""
    items = []
    for source in SOURCES:
        if not source.open_states or not readable(source, visible):
            continue
        query = _rows(source, customer_id, visible).where(
            source.model.status.in_(source.open_states))
        if "archived_at" in source.model._meta.fields:
            query = query.where(source.model.archived_at.is_null())
        rows = list(query.order_by(source.at.desc()).limit(100))
        clocks = running_clocks(source.model, [r.id for r in rows])
        for row in rows:
            event = _event(source, row, now, clocks.get(row.id))
            if event["open"]:
                items.append(event)
    far = now + timedelta(days=36500)
    return sorted(items, key=lambda e: (not e["overdue"], e["due_at"] or far,
                                        sla.newest_first(e["at"])))


# ---------------------------------------------------------------- the caller screen

PHONE_CHARS = re.compile(r"[\s\-()（）+]")


def phone_digits(text):
    """The digits of a phone number as stored: separators and a +86 / 0086 prefix removed."""
    text = (text or "").strip()
    digits = PHONE_CHARS.sub("", text)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and (text.startswith("+") or len(digits) == 13):
        digits = digits[2:]  # +86 and a number or its first digits; 86 and a mobile number
    return digits if digits.isdigit() and len(digits) >= 7 else None


def _scoped(model, visible):
    """`model`'s rows this user may read, or None when they may not read the register."""
    if model not in visible:
        return None
    query = model.select()
    return query.where(visible[model]) if visible[model] is not None else query


def find_callers(term, visible, limit=10):
    """Customers matching a phone number, a shop number or a name: [(customer, matched by)]."""
    term = (term or "").strip()[:50]
    if not term:
        return []
    active = Customer.archived_at.is_null()
    digits = phone_digits(term)
    found = []
    if digits:
        by_phone = list(Customer.select().where(active & ((Customer.phone == digits)
                                                          | (Customer.phone2 == digits))).limit(limit))
        found += [(c, "phone") for c in by_phone]
        if not by_phone:  # a contact person calling again: their earlier contacts name the customer
            for model, phone in ((Contact, Contact.phone), (Complaint, Complaint.complainant_phone),
                                 (RepairOrder, RepairOrder.reporter_phone)):
                rows = _scoped(model, visible)
                if rows is None:
                    continue
                ids = [i for (i,) in rows.select(model.customer).where(
                    (phone == digits) & model.customer.is_null(False))
                    .order_by(model.id.desc()).limit(limit).tuples()]
                found += [(c, "earlier_contact") for c in
                          Customer.select().where(active & Customer.id.in_(ids)).limit(limit)]
                if found:
                    break
    if not found:
        found += [(c, "shop_no") for c in Customer.select().where(
            active & (fn.UPPER(Customer.shop_no) == term.upper())).limit(limit)]
    if not found and len(term) >= 2 and not digits:
        found += [(c, "name") for c in Customer.select().where(  # contains(): wildcards escaped
            active & (Customer.name.contains(term) | Customer.contact_person.contains(term)))
            .order_by(Customer.status, Customer.name).limit(limit)]
    seen, unique = set(), []
    for customer, how in found:
        if customer.id not in seen:
            seen.add(customer.id)
            unique.append((customer, how))
    return unique[:limit]


def earlier_contacts_by_phone(phone, visible, limit=5):
    """Contacts from a phone no customer has: a caller the desk spoke to before."""
    digits, rows = phone_digits(phone), _scoped(Contact, visible)
    if not digits or rows is None:
        return []
    return list(rows.where(Contact.phone == digits).order_by(Contact.received_at.desc()).limit(limit))


# How likely each open matter is the reason of a call, before urgency and recency.
REASON_WEIGHTS = {"complaint_open": 90, "repair_open": 80, "complaint_callback": 65,
                  "repair_callback": 60, "service_pending": 60, "repeat_contact": 55,
                  "loan_out": 50, "action_item": 40, "lease_ending": 35, "notice_pending": 30,
                  "survey_pending": 20, "general": 5}
REASON_LIMIT = 5


def likely_reasons(customer, now, visible):
    """The most likely reasons of this customer's call, ranked: [{trigger, score, why, item,
    script}]. Open matters count most, more when overdue or recent; then calls about the same
    matter this week, a lease about to end, and a general enquiry as the fallback."""
    if customer is None:
        return _with_scripts([{"trigger": "new_caller", "score": 100, "why": "系统中没有该来电",
                               "item": None}], customer, now)
    reasons = []
    week_ago = now - timedelta(days=7)
    for item in open_items(customer.id, now, visible):
        if item["kind"] == "contact" and item["at"] >= week_ago:
            continue  # counted with the week's calls below
        score = REASON_WEIGHTS.get(item["trigger"], 10)
        why = [item["kind_label"] + "未办结"]
        if item["overdue"]:
            score += 30
            why.append("已逾期")
        elif item["due_at"] and item["due_at"] - now <= timedelta(hours=24):
            score += 10
            why.append("即将到期")
        if now - item["at"] <= timedelta(days=3):
            score += 10
            why.append("3 天内发生")
        reasons.append({"trigger": item["trigger"], "score": score, "why": "，".join(why),
                        "item": item})
    contacts = _scoped(Contact, visible)
    if contacts is not None:
        week = list(contacts.where((Contact.customer == customer.id) & Contact.archived_at.is_null()
                                   & (Contact.received_at >= week_ago) & (Contact.received_at <= now))
                    .order_by(Contact.received_at.desc()).limit(20))
        if week:
            reasons.append({"trigger": "repeat_contact",
                            "score": REASON_WEIGHTS["repeat_contact"] + 5 * min(len(week), 5),
                            "why": "近 7 天来电/来访 %d 次，最近一次：%s" % (len(week), week[0].subject),
                            "item": _event(SOURCE_BY_KEY["contact"], week[0], now)})
    months = lease_months_left(customer, now)
    # Ending within 6 months, or ended this last month (a lease ended long ago is no reason).
    if months is not None and -1 <= months <= 6 and customer.kind in (Customer.TENANT, Customer.ANCHOR):
        reasons.append({"trigger": "lease_ending",
                        "score": REASON_WEIGHTS["lease_ending"] + (10 if months <= 2 else 0),
                        "why": "租约 %s 到期（剩余约 %s 个月）" % (customer.lease_end, months),
                        "item": None})
    reasons.append({"trigger": "general", "score": REASON_WEIGHTS["general"],
                    "why": "一般咨询", "item": None})
    reasons.sort(key=lambda r: (-r["score"],
                                sla.newest_first(r["item"]["at"] if r["item"] else datetime.min)))
    return _with_scripts(reasons[:REASON_LIMIT], customer, now)


def when_text(moment):
    """A deadline as said on the phone: 12月02日 12:48, or 12月02日 for a whole day."""
    if not isinstance(moment, datetime) or moment.time() == time(23, 59, 59):
        return moment.strftime("%m月%d日")
    return moment.strftime("%m月%d日 %H:%M")


# What is happening now with an open matter, by (kind, status): (while its deadline is ahead,
# once it has passed, when it has no running deadline). {due} is the deadline, {at} the time
# the record reached its state (STATE_TIMES), {status} its state.
PROGRESS = {
    ("repair", RepairOrder.REGISTERED): (None, None, "已登记，正在安排派单维修"),
    ("repair", RepairOrder.DISPATCHED): ("已派单给物业管理部，维修人员将在{due}前接单",
                                         "已超过承诺的接单时间，我们马上催办物业管理部尽快接单",
                                         "已派单给物业管理部，正在等待维修人员接单"),
    ("repair", RepairOrder.ACCEPTED): (None, None, "物业维修人员已于{at}接单，正在维修"),
    ("repair", RepairOrder.DONE): (None, None, "已于{at}完工"),
    ("service", ServiceRequest.SUBMITTED): ("正在审批，审批结果将于{due}前书面交回给您",
                                            "已超过承诺的答复时间，我们马上催办审批，有结果第一时间交回给您",
                                            "正在审批，有结果第一时间交回给您"),
    ("service", ServiceRequest.APPROVED): ("已批准，批准文件将于{due}前交回给您",
                                           "已批准，已超过承诺的交回时间，我们马上把批准文件交给您",
                                           "已批准，我们尽快把批准文件交给您"),
    ("service", ServiceRequest.REFUSED): ("审批未通过，书面答复将于{due}前交回给您",
                                          "审批未通过，已超过承诺的答复时间，我们马上把书面答复交给您",
                                          "审批未通过，我们尽快把书面答复交给您"),
    ("complaint", Complaint.RECEIVED): ("已受理，责任部门将在{due}前开始处理",
                                        "已超过承诺的处理时间，我们马上催办责任部门",
                                        "已受理，正在安排责任部门处理"),
    ("complaint", Complaint.IN_PROGRESS): ("正在处理，将在{due}前处理完毕",
                                           "已超过承诺的解决时间，我们马上催办责任部门，并每天向您反馈进展",
                                           "正在处理，我们会及时向您反馈进展"),
    ("complaint", Complaint.RESOLVED): (None, None, "已于{at}处理完毕"),
    ("loan", ItemLoan.OUT): ("可免费借用到{due}",
                             "已超过免费借用时长，请尽快归还，超出的时间按收费标准收费",
                             "正在借用中"),
    ("loan", ItemLoan.RETURNED): (None, None, "已归还，可凭押金收据和借用证明办理退押金"),
    ("loan", ItemLoan.ISSUING): (None, None, "已登记，请凭《借用物品证明》到仓库领取物品"),
    ("action_item", ActionItem.OPEN): ("正在落实，完成期限为{due}",
                                       "已超过议定的完成期限，我们马上催办落实", "正在落实"),
}
ANY_STATE = ("当前进度为“{status}”，须在{due}前办理完毕", "已超过承诺时间，我们马上催办",
             "当前进度为“{status}”")
STATE_TIMES = {("repair", RepairOrder.ACCEPTED): "accepted_at",
               ("repair", RepairOrder.DONE): "completed_at",
               ("complaint", Complaint.RESOLVED): "resolved_at"}


def progress(item):
    """What is happening now with an open matter, as the clerk says it: its deadline only while
    that is ahead; once passed, that it is late and what we do about it now."""
    if item.get("on_hold"):
        return "目前暂缓办理，恢复办理时我们会第一时间通知您"
    key = (item["kind"], getattr(item["row"], "status", None))
    ahead, passed, standing = PROGRESS.get(key, ANY_STATE)
    due = item.get("due_at")
    if due is not None and ahead and item.get("overdue"):
        text = passed
    elif due is not None and ahead:
        text = ahead
    else:
        text = standing
    at = getattr(item["row"], STATE_TIMES.get(key, ""), None)
    return text.format(due=when_text(due) if due else "", status=item.get("status", ""),
                       at=when_text(at) if at else "")


# Said instead of a library script that names a deadline ({时限}) which has passed or which
# the record does not have: a script never promises a time that is gone.
STATE_SCRIPT = "{客户}您好，您的 {事项}（{编号}）{进展}。"


def _with_scripts(reasons, customer, now):
    scripts = CallScript.for_triggers({r["trigger"] for r in reasons})
    labels = dict(CallScript.TRIGGERS)
    for reason in reasons:
        reason["label"] = labels.get(reason["trigger"], reason["trigger"])
        script = scripts.get(reason["trigger"])
        item = reason["item"] or {}
        reason["script"] = script
        if not script:
            reason["script_text"] = ""
            continue
        ahead = bool(item.get("due_at")) and not item.get("overdue") and not item.get("on_hold")
        values = {
            "客户": (customer.contact_person or customer.name) if customer else "",
            "编号": getattr(item.get("row"), "number", "") or "",
            "事项": item.get("matter", ""),
            "时限": when_text(item["due_at"]) if ahead else "",
            "状态": item.get("status", ""),
            "进展": progress(item) if item else "",
        }
        text = script.script or ""
        if "{时限}" in text and item and not ahead:
            text = STATE_SCRIPT
        reason["script_text"] = CallScript.render_text(text, values)
    return reasons


def lease_months_left(customer, now):
    """Months (one decimal) until the lease ends; negative once ended; None without a lease."""
    if not customer.lease_end:
        return None
    return round((customer.lease_end - now.date()).days / 30.44, 1)


def reasons_of(customer):
    """{dimension label: (level, [reason])} stored by the last segment run."""
    try:
        stored = json.loads(customer.segment_reasons or "{}")
    except ValueError:
        stored = {}
    levels = {"value": customer.value_segment, "engagement": customer.engagement_segment,
              "satisfaction": customer.satisfaction_segment, "risk": customer.risk_segment}
    return [(label, levels[key], stored.get(key, [])) for key, label in SegmentRule.DIMENSIONS
            if levels[key]]

