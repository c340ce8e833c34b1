"""Reception workflows per rule (R-REP, R-SVC, R-ENQ, R-PAY, R-LOAN) on fixed datetimes."""
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

import flows.cash
import flows.reception
from models import (AuditLog, Charge, Contact, Deadline, DomainError, FeeItem, Hold, ItemLoan,
                    LendableItem, RepairOrder, ServiceRequest, SlaRule, ValidationError, WorkLetter)
from helpers import MON, audit_actions, dept, run, url, user, valid_form
from factories import make_charge, make_contact, make_loan, make_repair_order, make_service_request

FRI_EVENING = datetime(2026, 11, 20, 19, 0)


# ---------------------------------------------------------------- R-REP

def test_rep_1_2_3_repair_happy_path_stamps_and_meets_both_clocks(app):
    order = make_repair_order()
    clerk, prop = user("clerk"), user("property")
    run(order.dispatch, clerk, MON)
    assert order.status == "dispatched"
    assert RepairOrder.get_by_id(order.id).accept_deadline == MON + timedelta(minutes=30)
    run(order.accept, prop, MON + timedelta(minutes=12))
    run(order.complete, prop, MON + timedelta(hours=2), "更换阀门")
    stored = RepairOrder.get_by_id(order.id)
    assert stored.status == "done" and stored.accepted_by_id == prop.id
    assert stored.callback_deadline == datetime(2026, 11, 24, 12, 0)  # 1 working day
    callback = run(order.record_callback, clerk, MON + timedelta(hours=5), True, 5, "已修好", "店长")
    assert RepairOrder.get_by_id(order.id).status == "closed"
    assert callback.number.startswith("HF-") and callback.satisfaction == 5
    clocks = {c.kind: c for c in order.deadlines()}
    assert clocks["accept"].status == "met" and clocks["accept"].met_at == MON + timedelta(minutes=12)
    assert clocks["accept"].rule_code == "REP_ACCEPT" and "30分钟" in clocks["accept"].explanation
    assert clocks["callback"].status == "met"
    assert audit_actions(order) == ["dispatch", "accept", "complete", "callback"]
    assert AuditLog.get((AuditLog.model == "RepairOrder") & (AuditLog.action == "accept")).username == "property"


def test_rep_2_overdue_acceptance_is_visible_on_the_deadline(app):
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON)
    run(order.accept, user("property"), MON + timedelta(minutes=45))
    clock = order.deadlines()[0]
    assert clock.overdue(MON + timedelta(hours=1))
    assert clock.met_at > clock.due_at


def test_rep_3_callback_not_fixed_reopens_the_order_with_a_new_clock(app):
    order = make_repair_order()
    clerk, prop = user("clerk"), user("property")
    run(order.dispatch, clerk, MON)
    run(order.accept, prop, MON + timedelta(minutes=5))
    run(order.complete, prop, MON + timedelta(hours=1), "已处理")
    run(order.record_callback, clerk, MON + timedelta(hours=3), False, 2, "仍漏水")
    stored = RepairOrder.get_by_id(order.id)
    assert stored.status == "dispatched" and stored.accepted_at is None
    assert stored.accept_deadline == MON + timedelta(hours=3, minutes=30)
    kinds = [(c.kind, c.status) for c in order.deadlines()]
    assert kinds == [("accept", "met"), ("resolve", "met"), ("callback", "met"),
                     ("accept", "running")]


def test_rep_4_refusal_needs_an_explanation(app):
    order = make_repair_order()
    with pytest.raises(ValidationError):
        run(order.refuse, user("clerk"), MON, "  ")
    run(order.refuse, user("clerk"), MON, "商户自有设备，不属物业维修范围，已解释")
    assert RepairOrder.get_by_id(order.id).status == "refused"


@pytest.mark.parametrize("step,args", [
    ("accept", ()), ("complete", ("x",)),
])
def test_rep_refused_transitions_change_nothing(app, step, args):
    order = make_repair_order()
    before = RepairOrder.get_by_id(order.id).__data__.copy()
    with pytest.raises(DomainError) as err:
        run(getattr(order, step), user("property"), MON, *args)
    assert "当前状态为“已登记”" in str(err.value)
    after = RepairOrder.get_by_id(order.id).__data__
    assert after == before
    assert audit_actions(order) == []


def test_rep_dispatch_twice_one_wins(app):
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON)
    stale = RepairOrder.get_by_id(order.id)
    stale.status = "registered"  # a second clerk's page, loaded before the first dispatch
    with pytest.raises(DomainError):
        run(stale.dispatch, user("admin"), MON + timedelta(minutes=1))
    assert Deadline.select().where((Deadline.record_id == order.id)
                                   & (Deadline.record_type == "RepairOrder")).count() == 1


def test_hold_moves_the_deadline_out_and_is_audited(app):
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON)
    run(order.hold, user("clerk"), MON + timedelta(minutes=10), "等待客户开门")
    with pytest.raises(DomainError):
        run(order.hold, user("clerk"), MON + timedelta(minutes=11), "again")
    run(order.release, user("clerk"), MON + timedelta(minutes=40))
    stored = RepairOrder.get_by_id(order.id)
    assert stored.accept_deadline == MON + timedelta(minutes=60)
    clock = order.deadlines()[0]
    assert clock.original_due_at == MON + timedelta(minutes=30) and clock.held_seconds == 1800
    hold = Hold.get(Hold.record_id == order.id)
    assert hold.reason == "等待客户开门" and hold.ended_at == MON + timedelta(minutes=40)
    assert audit_actions(order)[-2:] == ["hold", "release"]


def test_editing_a_rule_later_does_not_move_stamped_deadlines(app):
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON)
    SlaRule.update(amount=60).where(SlaRule.code == "REP_ACCEPT").execute()
    assert RepairOrder.get_by_id(order.id).accept_deadline == MON + timedelta(minutes=30)
    later = make_repair_order()
    run(later.dispatch, user("clerk"), MON)
    assert RepairOrder.get_by_id(later.id).accept_deadline == MON + timedelta(minutes=60)


# ---------------------------------------------------------------- R-SVC


def test_svc_2_friday_evening_request_is_due_monday_evening(app):
    request = make_service_request(FRI_EVENING)
    assert ServiceRequest.get_by_id(request.id).handback_deadline == datetime(2026, 11, 23, 19, 0)


def test_svc_1_2_3_approve_hand_back_and_notify_departments(app):
    request = make_service_request(MON)
    ops = user("ops")
    run(request.approve, ops, MON + timedelta(hours=2), "同意")
    with pytest.raises(DomainError):
        run(request.decline, ops, MON + timedelta(hours=3), "迟了")
    run(request.hand_back, user("clerk"), MON + timedelta(hours=4))
    assert request.deadlines()[0].status == "met"
    letters = run(flows.reception.notify_departments, request, user("clerk"), MON + timedelta(hours=5),
                  [dept("property"), dept("finance")])
    assert [l.to_department.code for l in letters] == ["property", "finance"]
    assert all(l.status == "sent" and l.number.startswith("LXH-") for l in letters)


def test_svc_4_refusal_needs_a_reason_and_is_handed_back_too(app):
    request = make_service_request(MON)
    with pytest.raises(ValidationError):
        run(request.decline, user("ops"), MON, "")
    run(request.decline, user("ops"), MON, "超出服务范围")
    run(request.hand_back, user("clerk"), MON + timedelta(hours=1))
    assert ServiceRequest.get_by_id(request.id).status == "handed_back"
    with pytest.raises(DomainError):
        run(flows.reception.notify_departments, request, user("clerk"), MON, [dept("property")])


# ---------------------------------------------------------------- R-ENQ


def test_enq_2_letter_from_an_enquiry_is_due_one_hour_after_the_enquiry(app):
    contact = make_contact(MON)
    letter = run(flows.reception.open_work_letter, contact, user("clerk"), MON + timedelta(minutes=10),
                 dept("operations"))
    assert letter.contact_id == contact.id and letter.status == "draft"
    assert WorkLetter.get_by_id(letter.id).forward_deadline == MON + timedelta(hours=1)
    assert Contact.get_by_id(contact.id).status == "transferred"
    run(letter.send, user("clerk"), MON + timedelta(minutes=50))
    assert letter.deadlines()[0].status == "met"
    run(letter.acknowledge, user("ops"), MON + timedelta(hours=2))
    run(letter.answer, user("ops"), MON + timedelta(hours=3), "已联系客户")
    run(letter.close, user("clerk"), MON + timedelta(hours=4))
    assert WorkLetter.get_by_id(letter.id).status == "closed"


def test_contact_becomes_a_repair_order_linked_back(app):
    contact = make_contact(MON)
    order = run(flows.reception.open_repair_order, contact, user("clerk"), MON)
    assert order.contact_id == contact.id and order.number.startswith("WX-")
    assert order.status == "registered" and order.department.code == "property"
    assert list(contact.repair_orders) == [order]
    complaint = run(flows.reception.open_complaint, make_contact(MON), user("clerk"), MON, "other", "general")
    assert complaint.number.startswith("TS-")


def test_contact_without_customer_cannot_become_a_repair_order(app):
    contact = make_contact(MON, customer=False)
    with pytest.raises(DomainError):
        run(flows.reception.open_repair_order, contact, user("clerk"), MON)
    assert Contact.get_by_id(contact.id).status == "open"


# ---------------------------------------------------------------- R-PAY


def test_pay_1_price_comes_from_the_list_and_is_due_at_day_end(app):
    charge = make_charge(MON, quantity="1.5")
    assert charge.unit_price == Decimal("200.00") and charge.amount == Decimal("300.00")
    assert Charge.get_by_id(charge.id).finance_deadline == datetime(2026, 11, 23, 23, 59, 59)
    run(charge.hand_to_finance, user("clerk"), MON + timedelta(hours=6))
    with pytest.raises(DomainError):
        run(charge.hand_to_finance, user("clerk"), MON + timedelta(hours=7))


def test_pay_1_only_a_manager_overrides_the_price_and_only_with_a_reason(app):
    with pytest.raises(ValidationError) as err:
        make_charge(MON, override="150", may_override=False)
    assert "override_amount" in err.value.errors
    with pytest.raises(ValidationError) as err:
        make_charge(MON, override="150", may_override=True)
    assert "override_reason" in err.value.errors
    charge = make_charge(MON, override="150", reason="老客户优惠", may_override=True)
    assert charge.amount == Decimal("150.00") and charge.override_reason == "老客户优惠"


# R-PAY-2 (the shift handover) and the loans' warehouse step: tests/test_cash_and_loans.py.


# ---------------------------------------------------------------- R-LOAN


@pytest.mark.parametrize("minutes,fee,refund", [
    (59, "0.00", "deposit"),      # within the free hour
    (60, "0.00", "deposit"),      # exactly one hour is still free
    (61, "10.00", "minus 10"),    # one started hour beyond: 10.00
    (150, "20.00", "minus 20"),   # 1 h 30 over: two started hours
])
def test_loan_4_fee_beyond_the_free_hour_and_refund(app, minutes, fee, refund):
    loan = make_loan(MON)
    deposit = Decimal(str(loan.deposit))
    assert deposit > 0 and loan.receipt_no.startswith("YJ-") and loan.number.startswith("JY-")
    assert ItemLoan.get_by_id(loan.id).due_back_at == MON + timedelta(hours=1)
    run(loan.return_item, user("clerk"), MON + timedelta(minutes=minutes))
    assert ItemLoan.get_by_id(loan.id).fee == Decimal(fee)
    run(flows.cash.refund_deposit, loan, user("clerk"), MON + timedelta(minutes=minutes + 5), loan.receipt_no,
        loan.number)
    stored = ItemLoan.get_by_id(loan.id)
    assert stored.refund == deposit - Decimal(fee)
    assert isinstance(stored.refund, Decimal)


def test_loan_item_already_out_cannot_be_lent_twice_and_refund_not_twice(app):
    loan = make_loan(MON)
    with pytest.raises(ValidationError):
        make_loan(MON + timedelta(minutes=5), item=loan.item)
    assert LendableItem.get_by_id(loan.item_id).status == "on_loan"
    run(loan.return_item, user("clerk"), MON + timedelta(minutes=30))
    assert LendableItem.get_by_id(loan.item_id).status == "available"
    run(flows.cash.refund_deposit, loan, user("clerk"), MON + timedelta(minutes=31), loan.receipt_no,
        loan.number)
    with pytest.raises(DomainError):
        run(flows.cash.refund_deposit, loan, user("clerk"), MON + timedelta(minutes=32), loan.receipt_no,
            loan.number)
    assert audit_actions(loan).count("refund") == 1


def test_loan_fee_larger_than_deposit_refunds_nothing_and_shows_what_is_owed(app):
    item = LendableItem.create(code="T50", name="测试推车", deposit=Decimal("50"),
                               fee_item=FeeItem.get(FeeItem.code == "F01"), created_at=MON,
                               updated_at=MON)  # 10.00 an hour beyond the free hour
    loan = make_loan(MON, item=item)
    run(loan.return_item, user("clerk"), MON + timedelta(hours=8))  # 7 hours over: 70.00
    run(flows.cash.refund_deposit, loan, user("clerk"), MON + timedelta(hours=8), loan.receipt_no, loan.number)
    stored = ItemLoan.get_by_id(loan.id)
    assert stored.refund == Decimal("0.00") and stored.fee_owed == Decimal("20.00")


# ---------------------------------------------------------------- over HTTP

def test_details_page_buttons_run_steps_with_csrf(as_clerk, as_property):
    from conftest import csrf_token
    order = make_repair_order()
    page = as_clerk.get(url(RepairOrder, f"details/?id={order.id}"))
    assert "派单" in page.text and "打印维修工作单" in page.text
    step = url(RepairOrder, f"step/dispatch/?id={order.id}")
    refused = as_clerk.post(step, data={})  # no token: back on the record, nothing done
    assert refused.status_code == 302 and "details/?id=%d" % order.id in refused.headers["Location"]
    assert RepairOrder.get_by_id(order.id).status == "registered"
    response = as_clerk.post(step, data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    assert RepairOrder.get_by_id(order.id).status == "dispatched"
    # A clerk may not accept; property staff may.
    assert as_clerk.get(url(RepairOrder, f"step/accept/?id={order.id}")).status_code == 403
    accept = as_property.submit(url(RepairOrder, f"step/accept/?id={order.id}"), {})
    assert accept.status_code == 302 and RepairOrder.get_by_id(order.id).status == "accepted"
    done = as_property.submit(url(RepairOrder, f"step/complete/?id={order.id}"), {"result": ""})
    assert "请填写维修结果" in done.text and RepairOrder.get_by_id(order.id).status == "accepted"
    details = as_clerk.get(url(RepairOrder, f"details/?id={order.id}")).text
    assert 'id="deadlines"' in details and "维修工作单接单" in details and "REP_ACCEPT" not in details


def test_bulk_action_reports_successes_and_failures(as_clerk):
    from conftest import csrf_token
    fresh = [make_repair_order(), make_repair_order()]
    taken = make_repair_order()
    run(taken.dispatch, user("clerk"), MON)
    page = as_clerk.get(url(RepairOrder))
    response = as_clerk.post(url(RepairOrder, "action/"), data={
        "action": "dispatch", "rowid": [str(o.id) for o in fresh + [taken]],
        "csrf_token": csrf_token(page.text)}, follow_redirects=True)
    assert "派单：成功 2 条" in response.text
    assert "不能派单" in response.text
    assert all(RepairOrder.get_by_id(o.id).status == "dispatched" for o in fresh)


def test_contact_step_lands_on_the_contact_with_a_link_to_the_linked_record(as_clerk):
    contact = make_contact(MON)
    response = as_clerk.submit(url(Contact, f"step/to_repair/?id={contact.id}"), {})
    assert response.status_code == 302
    order = RepairOrder.get(RepairOrder.contact == contact)
    assert response.headers["Location"].startswith(f"/admin/contact/details/?id={contact.id}")
    page = as_clerk.get(response.headers["Location"]).text
    assert f'href="/admin/repairorder/details/?id={order.id}"' in page and order.number in page


def test_lending_an_item_that_is_out_is_refused_on_the_form(as_clerk):
    out = LendableItem.get(LendableItem.status == "on_loan")
    before = ItemLoan.select().count()
    response = as_clerk.submit(url(ItemLoan, "new/"), valid_form(ItemLoan) | {"item": str(out.id)})
    assert "已借出或不可借用" in response.text
    assert ItemLoan.select().count() == before


@pytest.mark.parametrize("path,text", [
    ("repairorder", "维修工作单"), ("servicerequest", "服务申请单"), ("workletter", "内部工作联系函")])
def test_printable_slips_carry_their_numbers(as_clerk, path, text):
    from models import REGISTERS
    model = {m.__name__.lower(): m for m in REGISTERS}[path]
    record = model.select().first()
    slip = {"repairorder": "repair_order", "servicerequest": "service_request",
            "workletter": "work_letter"}[path]
    page = as_clerk.get(f"/admin/{path}/print/?id={record.id}&slip={slip}")
    assert page.status_code == 200 and text in page.text and record.number in page.text
    assert "@page { size: A5" in page.text


def test_loan_slips(as_clerk):
    loan = ItemLoan.select().first()
    receipt = as_clerk.get(f"/admin/itemloan/print/?id={loan.id}&slip=deposit_receipt").text
    assert "押金收据" in receipt and loan.receipt_no in receipt and str(loan.deposit) in receipt
    certificate = as_clerk.get(f"/admin/itemloan/print/?id={loan.id}&slip=loan_certificate").text
    assert "借用物品证明" in certificate and loan.number in certificate
    assert as_clerk.get(f"/admin/itemloan/print/?id={loan.id}&slip=nope").status_code == 404


def test_calendar_warning_for_a_year_without_data(as_admin, as_clerk, monkeypatch):
    import clock
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 22, 10, 0))
    home = as_admin.get("/admin/").text
    assert 'id="calendar-warning"' in home and "2027" in home
    assert 'id="calendar-warning"' in as_admin.get(url(__import__("models").CalendarDay)).text
    assert 'id="calendar-warning"' not in as_clerk.get("/admin/").text
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 6, 1, 10, 0))
    assert 'id="calendar-warning"' not in as_admin.get("/admin/").text


def test_overdue_deadline_stands_out_in_the_grid(as_clerk):
    order = make_repair_order(datetime(2026, 11, 1, 9, 0))
    run(order.dispatch, user("clerk"), datetime(2026, 11, 1, 9, 0))
    grid = as_clerk.get(url(RepairOrder, f"?search={order.number}")).text
    assert "text-danger" in grid and "已逾期" in grid


# ---------------------------------------------------------------- found in review

def test_a_contact_is_converted_once(app):
    contact = make_contact(MON)
    run(flows.reception.open_repair_order, contact, user("clerk"), MON)
    with pytest.raises(DomainError):
        run(flows.reception.open_repair_order, contact, user("admin"), MON)
    with pytest.raises(DomainError):
        run(flows.reception.open_complaint, contact, user("admin"), MON, "other", "general")
    assert RepairOrder.select().where(RepairOrder.contact == contact).count() == 1


def test_steps_refuse_archived_and_held_records(as_clerk):
    order = make_repair_order()
    run(order.archive, user("clerk"), MON, "重复登记")
    response = as_clerk.submit(url(RepairOrder, f"step/dispatch/?id={order.id}"), {})
    assert RepairOrder.get_by_id(order.id).status == "registered"
    held = make_repair_order()
    run(held.dispatch, user("clerk"), MON)
    run(held.hold, user("clerk"), MON + timedelta(minutes=5), "等零件")
    page = as_clerk.get(url(RepairOrder, f"details/?id={held.id}")).text
    assert "解除挂起" in page
    as_clerk.submit(url(RepairOrder, f"step/release/?id={held.id}"), {})
    assert RepairOrder.get_by_id(held.id).on_hold_since is None


def test_work_letters_are_signed_by_the_receiving_department(login):
    prop, ops = dept("property"), dept("operations")
    to_us = WorkLetter.create(from_department=dept("service"), to_department=prop, subject="请维修",
                              body="x", status="sent", sent_at=MON, created_at=MON, updated_at=MON)
    ours = WorkLetter.create(from_department=prop, to_department=ops, subject="请协助", body="y",
                             status="sent", sent_at=MON, created_at=MON, updated_at=MON)
    prop_user = login("property")
    assert prop_user.submit(url(WorkLetter, f"step/acknowledge/?id={to_us.id}"), {}).status_code == 302
    assert WorkLetter.get_by_id(to_us.id).status == "acknowledged"
    assert prop_user.get(url(WorkLetter, f"step/acknowledge/?id={ours.id}")).status_code == 403
    assert WorkLetter.get_by_id(ours.id).status == "sent"


def test_editing_a_charge_keeps_its_price_and_closed_charges_are_read_only(as_clerk):
    charge = make_charge(MON, override="150", reason="老客户优惠", may_override=True)
    FeeItem.update(price=Decimal("250")).where(FeeItem.code == "F02").execute()
    data = {"fee_item": str(charge.fee_item_id), "quantity": "2.00", "payment_method": "cash",
            "charged_at": "2026-11-23 10:00:00", "payer_name": "改了名字"}
    as_clerk.submit(url(Charge, f"edit/?id={charge.id}"), data)
    stored = Charge.get_by_id(charge.id)
    assert stored.payer_name == "改了名字" and stored.amount == Decimal("150.00")
    run(stored.hand_to_finance, user("clerk"), MON + timedelta(hours=1))
    response = as_clerk.get(url(Charge, f"edit/?id={charge.id}"))
    assert response.status_code == 302 and "details" in response.headers["Location"]


def test_a_clock_started_during_a_hold_is_credited_only_from_its_start(app):
    order = make_repair_order()
    clerk, prop = user("clerk"), user("property")
    run(order.dispatch, clerk, MON)
    run(order.accept, prop, MON + timedelta(minutes=5))
    run(order.hold, prop, MON + timedelta(minutes=10), "等零件")
    run(order.complete, prop, MON + timedelta(hours=2), "已修好")  # the model allows it; steps do not
    run(order.release, prop, MON + timedelta(hours=3))
    callback = [c for c in order.deadlines() if c.kind == "callback"][0]
    # Tuesday 12:00 plus the one working hour the callback clock spent on hold.
    assert callback.due_at == datetime(2026, 11, 24, 13, 0)
    assert callback.held_seconds == 3600


def test_loan_fee_follows_the_stamped_free_period_and_the_fee_unit(app):
    daily = FeeItem.create(code="FD", name="按天收费", unit="day", price=Decimal("30.00"),
                           created_at=MON, updated_at=MON)
    item = LendableItem.create(code="TD", name="测试叉车", deposit=Decimal("500"), fee_item=daily,
                               created_at=MON, updated_at=MON)
    loan = make_loan(MON, item=item)
    run(loan.return_item, user("clerk"), MON + timedelta(hours=30))  # 29 h over: two started days
    assert ItemLoan.get_by_id(loan.id).fee == Decimal("60.00")


def test_a_missing_or_disabled_rule(app):
    SlaRule.update(code="RENAMED").where(SlaRule.code == "REP_ACCEPT").execute()
    order = make_repair_order()
    with pytest.raises(DomainError) as err:
        run(order.dispatch, user("clerk"), MON)
    assert "REP_ACCEPT" in str(err.value)
    assert RepairOrder.get_by_id(order.id).status == "registered"
    SlaRule.update(code="REP_ACCEPT", is_active=False).where(SlaRule.code == "RENAMED").execute()
    run(order.dispatch, user("clerk"), MON)
    assert RepairOrder.get_by_id(order.id).accept_deadline is None


def test_bulk_action_ignores_bad_ids(as_clerk):
    from conftest import csrf_token
    page = as_clerk.get(url(RepairOrder))
    response = as_clerk.post(url(RepairOrder, "action/"), data={
        "action": "dispatch", "rowid": ["abc", str(10 ** 25), "-3"],
        "csrf_token": csrf_token(page.text)})
    assert response.status_code == 302


def test_departments_are_notified_once_and_quantities_are_rounded(app):
    request = make_service_request(MON)
    run(request.approve, user("ops"), MON, "同意")
    run(flows.reception.notify_departments, request, user("clerk"), MON, [dept("property")])
    with pytest.raises(DomainError):
        run(flows.reception.notify_departments, request, user("clerk"), MON, [dept("property")])
    charge = make_charge(MON, quantity="1.004")
    assert charge.quantity == Decimal("1.00") and charge.amount == Decimal("200.00")


def test_sla_rule_code_cannot_be_renamed(as_admin):
    rule = SlaRule.get(SlaRule.code == "REP_ACCEPT")
    data = {"code": "OTHER", "name": rule.name, "applies_to": rule.applies_to, "clock": rule.clock,
            "amount": "30", "unit": rule.unit, "warn_percent": "75", "is_active": "y"}
    response = as_admin.submit(url(SlaRule, f"edit/?id={rule.id}"), data)
    assert "规则代码不能修改" in response.text
    assert SlaRule.get_by_id(rule.id).code == "REP_ACCEPT"
