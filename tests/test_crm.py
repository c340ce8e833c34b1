"""The customer at a glance (R-CRM-1 … R-CRM-4): the 360 timeline, the caller screen's lookup
and ranked reasons with their scripts, and the segment rules with their reasons."""
import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

import clock
import crm
from audit import audit
from database import write_transaction
from jobs.segments import segment_customers
from models import (REGISTERS, ActionItem, Callback, CallScript, Charge, Complaint,
                    ComplaintUpdate, Contact, Customer, Deadline, FeeItem, ItemLoan, LendableItem,
                    Meeting, MeetingAttendee, Notice, NoticeReceipt, RepairOrder, SegmentRule,
                    ServiceRequest, Survey, SurveyDistribution)
from helpers import dept, run, user

T0 = datetime(2026, 10, 1, 9, 0)
NOW = datetime(2026, 11, 23, 10, 0)
EVERYTHING = {m: None for m in REGISTERS}  # a hub role: every register, no row scope


def stamp(at, **kw):
    return dict(created_at=at, updated_at=at, **kw)


def new_customer(**kw):
    values = dict(name="测试客户甲", kind=Customer.TENANT, shop_no="T-901", floor="9F",
                  phone="13900000001", phone2="02112345678", contact_person="甲店长")
    values.update(kw)
    return Customer.create(**stamp(T0 - timedelta(days=400), **values))


def day(n, hours=0):
    return T0 + timedelta(days=n, hours=hours)


def build_history(customer):
    """One record of every kind, a day apart, oldest first: {timeline kind: event time}."""
    at = {}
    at["contact"] = day(0)
    Contact.create(**stamp(day(0), customer=customer, subject="咨询营业时间", received_at=day(0),
                           status=Contact.HANDLED))
    order = RepairOrder.create(**stamp(day(1), customer=customer, location="9F 后仓",
                                       description="照明灯不亮", reported_at=day(1),
                                       department=dept("property")))
    at["repair"] = day(1)
    run(order.dispatch, user("clerk"), day(1))
    run(order.accept, user("property"), day(1, 1))
    run(order.complete, user("property"), day(2), "已更换灯管")
    run(order.record_callback, user("clerk"), day(3), True, 2, "不太满意")
    at["callback"] = day(3)
    ServiceRequest.create(**stamp(day(4), customer=customer, description="延时营业到 23 点",
                                  submitted_at=day(4), department=dept("operations")))
    at["service"] = day(4)
    complaint = Complaint.create(**stamp(day(5), customer=customer, complainant_name="甲店长",
                                         subject="空调噪音", received_at=day(5),
                                         department=dept("operations")))
    at["complaint"] = day(5)
    ComplaintUpdate.create(**stamp(day(5, 2), complaint=complaint, content="已联系工程部",
                                   happened_at=day(5, 2)))
    at["complaint_update"] = day(5, 2)
    with write_transaction():
        audit("escalate_reason", complaint, now=day(6), user=user("clerk"), summary="客户不认可")
    at["escalation"] = day(6)
    item = LendableItem.create(**stamp(day(0), code="L-901", name="人字梯", deposit=Decimal("50")))
    ItemLoan.create(**stamp(day(7), item=item, customer=customer, borrower_name="甲店长",
                            borrower_phone="13900000001", lent_at=day(7)))
    at["loan"] = day(7)
    fee = FeeItem.create(**stamp(day(0), code="F-901", name="搬运", price=Decimal("20")))
    Charge.create(**stamp(day(8), customer=customer, fee_item=fee, amount=Decimal("20"),
                          charged_at=day(8)))
    at["charge"] = day(8)
    survey = Survey.create(**stamp(day(0), title="测试调查", target=Survey.TENANTS,
                                   start_date=date(2026, 10, 1), end_date=date(2026, 10, 31)))
    SurveyDistribution.create(**stamp(day(9), survey=survey, customer=customer, token="t-901",
                                      distributed_at=day(9)))
    at["survey"] = day(9)
    notice = Notice.create(**stamp(day(10), title="停水通知", body="周五停水",
                                   status=Notice.PUBLISHED, published_at=day(10)))
    NoticeReceipt.create(**stamp(day(10), notice=notice, customer=customer))
    at["notice"] = day(10)
    meeting = Meeting.create(**stamp(day(11), title="商户座谈会", held_at=day(11)))
    MeetingAttendee.create(**stamp(day(11), meeting=meeting, customer=customer))
    at["meeting"] = day(11)
    ActionItem.create(**stamp(day(11, 1), meeting=meeting, description="增加货梯调度",
                              department=dept("property"), due_date=date(2026, 10, 20)))
    at["action_item"] = day(11, 1)
    return at


def test_the_timeline_has_every_kind_of_record_newest_first(app):
    customer = new_customer()
    expected = build_history(customer)
    events, more = crm.timeline(customer.id, NOW, EVERYTHING, per_page=200)
    assert not more
    assert {e["kind"] for e in events} == {s.key for s in crm.SOURCES}  # none left out
    assert [e["at"] for e in events] == sorted((e["at"] for e in events), reverse=True)
    firsts = {}
    for event in reversed(events):  # each kind's first event is the one built above
        firsts.setdefault(event["kind"], event["at"])
    assert firsts == expected
    by_kind = {e["kind"]: e for e in events}
    assert by_kind["escalation"]["title"] == "投诉升级：客户不认可"
    assert (by_kind["escalation"]["model"], by_kind["complaint_update"]["model"]) == (Complaint, Complaint)
    assert "不认可" not in by_kind["callback"]["title"] and "满意度 2" in by_kind["callback"]["title"]
    # Another customer's records never appear.
    other = new_customer(name="测试客户乙", shop_no="T-902", phone="13900000002", phone2=None)
    assert crm.timeline(other.id, NOW, EVERYTHING)[0] == []


def test_the_timeline_filters_by_kind_and_pages(app):
    customer = new_customer()
    build_history(customer)
    events, _ = crm.timeline(customer.id, NOW, EVERYTHING, kinds=["repair", "callback"])
    assert [e["kind"] for e in events] == ["callback", "repair"]
    first, more = crm.timeline(customer.id, NOW, EVERYTHING, per_page=5)
    second, _ = crm.timeline(customer.id, NOW, EVERYTHING, page=2, per_page=5)
    whole, _ = crm.timeline(customer.id, NOW, EVERYTHING, per_page=200)
    assert more and [e["at"] for e in first + second] == [e["at"] for e in whole[:10]]


def test_open_items_put_the_overdue_first_and_respect_the_users_registers(app):
    customer = new_customer()
    build_history(customer)
    items = crm.open_items(customer.id, NOW, EVERYTHING)
    kinds = [i["kind"] for i in items]
    # The action item was due on 20 October: overdue, so first. The loan is out, the request
    # and the complaint still open, the notice unconfirmed; the closed repair is not open.
    assert kinds[0] == "action_item" and items[0]["overdue"]
    assert set(kinds) == {"action_item", "loan", "service", "complaint", "notice"}
    # A user who may not read complaints sees neither them nor their updates and escalations.
    partial = {m: None for m in REGISTERS if m not in (Complaint,)}
    assert "complaint" not in {i["kind"] for i in crm.open_items(customer.id, NOW, partial)}
    assert not {"complaint", "complaint_update", "escalation"} & {
        e["kind"] for e in crm.timeline(customer.id, NOW, partial, per_page=200)[0]}
    # Row scope: property staff see only property's complaints.
    scoped = {**EVERYTHING, Complaint: Complaint.department == dept("property").id}
    assert not {"complaint", "complaint_update", "escalation"} & {
        e["kind"] for e in crm.timeline(customer.id, NOW, scoped, per_page=200)[0]}


# ---------------------------------------------------------------- the caller screen

def test_callers_are_found_by_phone_earlier_contact_shop_number_and_name(app):
    customer = new_customer()
    assert crm.find_callers("139-0000-0001", EVERYTHING) == [(customer, "phone")]
    assert crm.find_callers("021 1234 5678", EVERYTHING) == [(customer, "phone")]
    Contact.create(**stamp(T0, customer=customer, phone="13712345678", subject="来电", received_at=T0))
    assert crm.find_callers("13712345678", EVERYTHING) == [(customer, "earlier_contact")]
    assert crm.find_callers("t-901", EVERYTHING) == [(customer, "shop_no")]
    assert (customer, "name") in crm.find_callers("客户甲", EVERYTHING)
    assert crm.find_callers("+86 139 0000 0001", EVERYTHING) == [(customer, "phone")]
    assert crm.find_callers("0086-13900000001", EVERYTHING) == [(customer, "phone")]
    assert crm.find_callers("13612345678", EVERYTHING) == []  # nobody: a new caller
    assert crm.find_callers("%%", EVERYTHING) == [] and crm.find_callers("__", EVERYTHING) == []
    # The earlier contact is only a clue for users who may read it.
    assert crm.find_callers("13712345678", {Customer: None}) == []
    run(customer.archive, user("admin"), NOW, "撤场")
    assert crm.find_callers("13900000001", EVERYTHING) == []


def open_repair(customer, at, dispatched=True):
    order = RepairOrder.create(**stamp(at, customer=customer, location="9F", description="漏水",
                                       reported_at=at, department=dept("property"),
                                       number="WX-T%d" % RepairOrder.select().count()))
    if dispatched:
        run(order.dispatch, user("clerk"), at)
    return order


@pytest.mark.parametrize("scenario, expected", [
    ("an overdue complaint beats a fresh repair", ["complaint_open", "repair_open"]),
    ("a finished repair awaits its callback before the lease question", ["repair_callback", "lease_ending"]),
    ("a lease ending is the reason when nothing is open", ["lease_ending", "general"]),
    ("two calls this week about the same thing", ["repeat_contact", "general"]),
    ("a contact left open for weeks is still a reason", ["repeat_contact", "general"]),
    ("a lease that ended years ago is no reason", ["general"]),
])
def test_the_likely_reasons_are_ranked(app, scenario, expected):
    customer = new_customer(lease_end=None)
    if scenario.startswith("an overdue complaint"):
        complaint = Complaint.create(**stamp(NOW - timedelta(days=5), customer=customer,
                                             complainant_name="甲", subject="噪音",
                                             received_at=NOW - timedelta(days=5),
                                             department=dept("operations")))
        run(complaint.start_clock, "resolve", "CMP_GENERAL_RESOLVE", NOW - timedelta(days=5), NOW)
        open_repair(customer, NOW - timedelta(minutes=5))
    elif scenario.startswith("a finished repair"):
        order = open_repair(customer, NOW - timedelta(days=2))
        run(order.accept, user("property"), NOW - timedelta(days=2))
        run(order.complete, user("property"), NOW - timedelta(days=1), "修好了")
        Customer.update(lease_end=NOW.date() + timedelta(days=60)).where(Customer.id == customer.id).execute()
    elif scenario.startswith("a lease ending"):
        Customer.update(lease_end=NOW.date() + timedelta(days=90)).where(Customer.id == customer.id).execute()
    elif scenario.startswith("a contact left open"):
        Contact.create(**stamp(NOW - timedelta(days=20), customer=customer, subject="门禁卡",
                               received_at=NOW - timedelta(days=20), status=Contact.OPEN))
    elif scenario.startswith("a lease that ended"):
        Customer.update(lease_end=date(2023, 1, 31)).where(Customer.id == customer.id).execute()
    else:
        for hours in (30, 2):
            Contact.create(**stamp(NOW - timedelta(hours=hours), customer=customer, subject="门禁卡",
                                   received_at=NOW - timedelta(hours=hours), status=Contact.HANDLED))
    reasons = crm.likely_reasons(Customer.get_by_id(customer.id), NOW, EVERYTHING)
    assert [r["trigger"] for r in reasons][:len(expected)] == expected, scenario
    assert all(r["script_text"] for r in reasons)  # every reason has its script


def test_the_script_is_filled_from_the_callers_record(app):
    customer = new_customer(lease_end=None)
    order = open_repair(customer, NOW - timedelta(minutes=10))
    [top, *_] = crm.likely_reasons(customer, NOW, EVERYTHING)
    assert top["trigger"] == "repair_open" and top["item"]["record_id"] == order.id
    assert "甲店长您好" in top["script_text"] and order.number in top["script_text"]
    assert "9F：漏水" in top["script_text"]
    assert "%s" % (order.accept_deadline.strftime("%m月%d日 %H:%M")) in top["script_text"]
    assert "{" not in top["script_text"]
    # The script library is data: a newer script of higher priority takes over.
    CallScript.create(**stamp(NOW, topic="报修（新）", trigger="repair_open", seq=0,
                              script="{客户}，{编号} 正在处理"))
    [top, *_] = crm.likely_reasons(customer, NOW, EVERYTHING)
    assert top["script_text"] == "甲店长，%s 正在处理" % order.number
    RepairOrder.update(description="写着{状态}的描述").where(RepairOrder.id == order.id).execute()
    [top, *_] = crm.likely_reasons(customer, NOW, EVERYTHING)
    assert "写着{状态}的描述" not in top["script_text"]  # the script has no {事项}: unchanged
    assert CallScript(script="{事项}/{状态}").render({"事项": "写着{状态}", "状态": "已派单"}) == "写着{状态}/已派单"
    new = crm.likely_reasons(None, NOW, {})
    assert [r["trigger"] for r in new] == ["new_caller"] and "请问怎么称呼您" in new[0]["script_text"]


# ---------------------------------------------------------------- segments

def segments_of(customer):
    row = Customer.get_by_id(customer.id)
    return ((row.value_segment, row.engagement_segment, row.satisfaction_segment,
             row.risk_segment), json.loads(row.segment_reasons))


def complain(customer, at, escalated=0):
    return Complaint.create(**stamp(at, customer=customer, complainant_name="甲", subject="投诉",
                                    received_at=at, department=dept("operations"),
                                    escalation_level=escalated))


def test_segments_follow_the_rules_and_say_why(app):
    big = new_customer(monthly_rent=Decimal("60000"), lease_start=date(2020, 1, 1),
                       lease_end=NOW.date() + timedelta(days=120))
    quiet = new_customer(name="安静客户", shop_no="T-903", phone="13900000003", phone2=None,
                         kind=Customer.CONSUMER, monthly_rent=Decimal("60000"))
    for days in (10, 40, 70):
        complain(big, NOW - timedelta(days=days))
    Customer.update(last_contact_at=NOW - timedelta(days=100)).where(Customer.id == quiet.id).execute()
    with write_transaction():
        result = segment_customers(NOW)
    assert result["changed"] >= 2  # the demo customers were segmented at start-up already
    (value, _, _, risk), why = segments_of(big)
    assert (value, risk) == ("高价值", "高")
    assert "月租金（元） 60000 ≥ 50000 → 高价值" in why["value"]
    assert "近12个月投诉次数 3 ≥ 3 → 高" in why["risk"]
    assert "租约剩余月数 3.9 ≤ 6 → 中" in why["risk"]  # every matching rule is a reason
    # Value rules apply to tenants and anchors: a consumer's rent (typed by mistake) is ignored.
    (value, engagement, satisfaction, risk), why = segments_of(quiet)
    assert (value, engagement, satisfaction, risk) == ("一般", "沉默", "无数据", "低")
    assert why["value"] == [] and why["engagement"] == ["距上次沟通天数 100 ≥ 90 → 沉默",
                                                        "近12个月沟通次数 0 ≤ 2 → 低频"]
    with write_transaction():  # nothing changed: nothing written
        assert segment_customers(NOW)["changed"] == 0


def test_an_admin_tunes_a_rule_and_the_next_run_follows(app):
    customer = new_customer()
    complain(customer, NOW - timedelta(days=3))
    with write_transaction():
        segment_customers(NOW)
    assert segments_of(customer)[0][3] == "中"
    SegmentRule.update(threshold=1).where(SegmentRule.code == "RISK_COMPLAINTS").execute()
    with write_transaction():
        segment_customers(NOW)
    assert segments_of(customer)[0][3] == "高"
    SegmentRule.update(is_active=False).where(SegmentRule.dimension == "risk").execute()
    with write_transaction():
        segment_customers(NOW)
    (_, _, _, risk), why = segments_of(customer)
    assert (risk, why["risk"]) == ("低", [])
    run(customer.archive, user("admin"), NOW, "撤场")
    with write_transaction():
        segment_customers(NOW)
    assert Customer.get_by_id(customer.id).risk_segment is None  # no longer segmented


def test_falling_satisfaction_and_rejected_results_raise_the_risk(app):
    customer = new_customer()
    for days, score, accepted in ((300, 5, True), (250, 5, True), (20, 2, True), (10, 2, False)):
        order = RepairOrder.create(**stamp(NOW - timedelta(days=days + 1), customer=customer,
                                           location="9F", description="修", department=dept("property"),
                                           reported_at=NOW - timedelta(days=days + 1)))
        Callback.create(**stamp(NOW - timedelta(days=days), repair_order=order,
                                satisfaction=score, accepted=accepted,
                                called_at=NOW - timedelta(days=days)))
    with write_transaction():
        segment_customers(NOW)
    (_, _, satisfaction, risk), why = segments_of(customer)
    assert satisfaction == "一般" and "近12个月回访满意度（1-5） 3.5 > 0 → 一般" in why["satisfaction"]
    assert risk == "高" and why["risk"][0] == "近12个月回访不认可处理结果次数 1 ≥ 1 → 高"
    assert "回访满意度变化（近6个月减前6个月） -3 ≤ -1 → 中" in why["risk"]


def test_archived_records_and_doubly_linked_callbacks_count_once_or_not_at_all(app):
    customer = new_customer()
    for days in (10, 20, 30):
        run(complain(customer, NOW - timedelta(days=days)).archive, user("admin"), NOW, "重复登记")
    order = open_repair(customer, NOW - timedelta(days=5), dispatched=False)
    complaint = complain(customer, NOW - timedelta(days=5))
    Callback.create(**stamp(NOW - timedelta(days=4), repair_order=order, complaint=complaint,
                            accepted=False, satisfaction=1, called_at=NOW - timedelta(days=4)))
    from jobs.segments import segment_metrics
    metrics = segment_metrics(NOW)[customer.id]
    assert metrics["complaints_12m"] == 1  # the archived three are mistakes, not complaints
    assert (metrics["rejected_results_12m"], metrics["callback_satisfaction"]) == (1, 1)


def test_a_rule_refuses_an_unknown_customer_kind(app):
    rule = SegmentRule(code="X", dimension="risk", metric="complaints_12m", operator=">=",
                       threshold=1, level="高", kinds="商户,火星人")
    assert "kinds" in rule.clean()
    rule.kinds = "商户, anchor"
    assert "kinds" not in rule.clean() and rule.kind_codes() == {"tenant", "anchor"}


# ---------------------------------------------------------------- the screens

def test_the_caller_screen_shows_who_calls_and_starts_a_prefilled_contact(app, as_clerk):
    customer = new_customer(lease_end=None)
    order = open_repair(customer, clock.now() - timedelta(minutes=5))
    page = as_clerk.get("/admin/caller/?phone=13900000001")
    assert page.status_code == 200
    assert 'id="caller"' in page.text and "测试客户甲" in page.text and order.number in page.text
    assert 'data-trigger="repair_open"' in page.text
    panel = as_clerk.get("/admin/caller/panel?q=T-901")  # the part fetched while typing
    assert "<html" not in panel.text and "测试客户甲" in panel.text
    start = page.text.split('id="start-contact"')[0].rsplit('href="', 1)[1].split('"')[0]
    form = as_clerk.get(start.replace("&amp;", "&"))
    assert form.status_code == 200
    assert 'value="13900000001"' in form.text and 'data-json="[%d,' % customer.id in form.text
    assert re.search(r'<option selected value="repair">', form.text)
    assert re.search(r'<option selected value="phone">', form.text)
    unknown = as_clerk.get("/admin/caller/?q=13612345678")
    assert 'id="new-caller"' in unknown.text


@pytest.mark.parametrize("who, status", [("clerk", 200), ("admin", 200), ("property", 403),
                                         ("pm", 403), ("auditor", 403)])
def test_the_caller_screen_is_for_the_desk(app, login, who, status):
    assert login(who).get("/admin/caller/?q=星巴克").status_code == status


def test_the_360_page_masks_personal_data_and_links_every_event(app, login):
    customer = new_customer(id_number="310101199001011234")
    build_history(customer)
    clerk, pm = login("clerk"), login("pm")
    page = clerk.get("/admin/customer/360/?id=%d" % customer.id)
    assert page.status_code == 200 and "13900000001" in page.text
    assert page.text.count('data-kind="') == len(crm.SOURCES)
    for link in set(part.split('"')[0] for part in page.text.split('id="timeline"')[1]
                    .split('href="')[1:]):
        if link.startswith("/admin/") and "details" in link:
            assert clerk.get(link.replace("&amp;", "&")).status_code == 200, link
    masked = pm.get("/admin/customer/360/?id=%d" % customer.id)
    assert "13900000001" not in masked.text and "139****0001" in masked.text
    assert "310101199001011234" not in masked.text
    only = clerk.get("/admin/customer/360/?id=%d&kind=loan" % customer.id)
    assert only.text.count('data-kind="') == 1
    assert clerk.get("/admin/customer/360/?id=999999").status_code == 404
