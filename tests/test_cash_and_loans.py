"""The desk's money (issue 22): the shift handover (R-PAY-2) and the loan's warehouse step,
refund and fee (R-LOAN-2/3/4), on fixed datetimes."""
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

import flows.cash
from jobs import deadlines
from models import (Alert, Charge, Deadline, DomainError, FeeItem, ItemLoan, LendableItem,
                    ShiftHandover, SlaRule, ValidationError, amount_in_words)
from factories import make_loan
from helpers import MON, run, user

SHIFT_FROM, SHIFT_TO = datetime(2026, 11, 23, 8, 30), datetime(2026, 11, 23, 9, 50)


def clean_desk():
    """No charge of the demo data is waiting: each test counts only its own."""
    Charge.update(status=Charge.HANDED_OVER).where(Charge.status == Charge.RECORDED).execute()


def new_charge(at, method="cash", quantity="1", by="clerk"):
    fee = FeeItem.get(FeeItem.code == "F02")  # 200.00 a day
    charge = Charge(fee_item=fee, quantity=Decimal(quantity), charged_at=at, charged_by=user(by),
                    payment_method=method, created_at=at, updated_at=at)
    charge.price()
    charge.assign_number(at)
    charge.save(force_insert=True)
    run(charge.start, user(by), at)
    return charge


def hand_over(counted, reason=None, taker="clerk2", now=MON, **kw):
    return run(flows.cash.hand_over, user("clerk"), user(taker), SHIFT_FROM, SHIFT_TO,
               counted, reason, now, **kw)


def clock_of(record, kind):
    return Deadline.get((Deadline.record_type == type(record).__name__)
                        & (Deadline.record_id == record.id) & (Deadline.kind == kind))


# ---------------------------------------------------------------- R-PAY-2

def test_R_PAY_2_handover_sums_the_shifts_charges_by_method_against_the_counted_cash(app):
    clean_desk()
    cash = [new_charge(SHIFT_FROM + timedelta(minutes=10)),
            new_charge(SHIFT_FROM + timedelta(minutes=20), quantity="2")]
    wechat = new_charge(SHIFT_FROM + timedelta(minutes=30), method="wechat")
    someone_elses = new_charge(SHIFT_FROM + timedelta(minutes=40), by="admin")
    record = hand_over("600.00")
    stored = ShiftHandover.get_by_id(record.id)
    assert (stored.status, stored.charge_count) == (ShiftHandover.SIGNING, 3)
    assert stored.system_cash == Decimal("600.00") and stored.system_total == Decimal("800.00")
    assert stored.cash_counted == Decimal("600.00") and stored.difference == Decimal("0.00")
    assert stored.handed_signed_at == MON and stored.taken_signed_at is None
    assert ("现金", 2, Decimal("600.00")) in stored.method_totals()
    assert ("微信", 1, Decimal("200.00")) in stored.method_totals()
    assert {c.id for c in stored.charges()} == {c.id for c in cash + [wechat]}
    assert Charge.get_by_id(someone_elses.id).handover_id is None
    # The shift's money reaches finance by the end of the shift's day (an editable rule).
    assert stored.finance_deadline == datetime(2026, 11, 23, 23, 59, 59)
    assert clock_of(stored, "finance").rule_code == "PAY_HANDOVER"


@pytest.mark.parametrize("counted,reason,error,difference", [
    ("590.00", None, "difference_reason", None),     # short 10 yuan, unexplained: refused
    ("590.00", "  ", "difference_reason", None),
    ("590.00", "找零少了 10 元", None, Decimal("-10.00")),
    ("605.50", "多收未退", None, Decimal("5.50")),
    ("-1", "x", "cash_counted", None),
])
def test_R_PAY_2_a_difference_between_cash_and_system_needs_a_reason(app, counted, reason, error,
                                                                    difference):
    clean_desk()
    new_charge(SHIFT_FROM, quantity="3")  # 600.00 cash
    if error:
        with pytest.raises(ValidationError) as err:
            hand_over(counted, reason)
        assert error in err.value.errors
        assert ShiftHandover.select().where(ShiftHandover.handed_by == user("clerk"),
                                            ShiftHandover.period_to == SHIFT_TO).count() == 0
        assert Charge.select().where(Charge.handover.is_null(False),
                                     Charge.charged_at == SHIFT_FROM).count() == 0
    else:
        record = hand_over(counted, reason)
        assert record.difference == difference and record.difference_reason == reason


@pytest.mark.parametrize("taker,period_to,field", [
    ("clerk", SHIFT_TO, "taken_by"),                       # nobody takes over from themselves
    ("clerk2", SHIFT_FROM - timedelta(minutes=1), "period_to"),
    ("clerk2", MON + timedelta(minutes=1), "period_to"),   # a shift not yet over
])
def test_R_PAY_2_a_shift_record_needs_another_taker_and_a_shift_that_is_over(app, taker,
                                                                            period_to, field):
    with pytest.raises(ValidationError) as err:
        run(flows.cash.hand_over, user("clerk"), user(taker), SHIFT_FROM, period_to, "0",
            None, MON)
    assert field in err.value.errors


def test_R_PAY_2_both_sign_the_taker_in_person_then_finance_receives_the_counted_cash(app):
    clean_desk()
    charges = [new_charge(SHIFT_FROM), new_charge(SHIFT_FROM, method="alipay")]
    record = hand_over("200.00")
    with pytest.raises(DomainError):  # not signed by the taker yet
        run(record.hand_to_finance, user("clerk"), MON, "财务部 吴会计", "200.00")
    with pytest.raises(DomainError):  # the hander cannot sign for the taker
        run(ShiftHandover.get_by_id(record.id).take_over, user("clerk"), MON)
    record = ShiftHandover.get_by_id(record.id)
    run(record.take_over, user("clerk2"), MON + timedelta(minutes=5))
    assert record.status == ShiftHandover.SIGNED
    with pytest.raises(ValidationError) as err:
        run(record.hand_to_finance, user("clerk2"), MON + timedelta(hours=1), "", "150.00")
    assert set(err.value.errors) == {"receiver", "amount"}
    run(record.hand_to_finance, user("clerk2"), MON + timedelta(hours=1), "财务部 吴会计", "200")
    stored = ShiftHandover.get_by_id(record.id)
    assert stored.status == ShiftHandover.FINANCE
    assert (stored.finance_receiver, stored.finance_amount) == ("财务部 吴会计", Decimal("200.00"))
    assert stored.finance_received_at == MON + timedelta(hours=1)
    assert clock_of(stored, "finance").status == Deadline.MET
    for charge in charges:  # every charge of the shift reached finance with it (R-PAY-1)
        charge = Charge.get_by_id(charge.id)
        assert charge.status == Charge.HANDED_OVER
        assert charge.handed_to_finance_at == MON + timedelta(hours=1)
        assert clock_of(charge, "finance").status == Deadline.MET


def test_R_PAY_2_a_charge_in_a_handover_is_counted_once_and_no_longer_voided_or_edited(app):
    clean_desk()
    charge = new_charge(SHIFT_FROM)
    hand_over("200.00")
    again = hand_over("0")  # the next handover finds nothing left to count
    assert again.charge_count == 0 and again.system_total == Decimal("0.00")
    with pytest.raises(DomainError):
        run(Charge.get_by_id(charge.id).void, user("clerk"), MON, "收错了")
    with pytest.raises(DomainError):
        Charge.get_by_id(charge.id).check_editable()


def test_R_PAY_2_the_handover_page_hands_over_exactly_the_charges_shown(app, as_clerk):
    clean_desk()
    shown = [new_charge(SHIFT_FROM), new_charge(SHIFT_FROM, method="wechat")]
    page = as_clerk.get("/admin/shifthandover/handover/").text
    totals = page.split('id="handover-totals"')[1].split("</table>")[0]
    assert re.search(r"现金</td><td[^>]*>1</td><td[^>]*>200.00", totals)
    late = new_charge(SHIFT_FROM + timedelta(minutes=1))  # taken after the page was shown
    response = as_clerk.submit("/admin/shifthandover/handover/", {
        "charge": [str(c.id) for c in shown], "taken_by": str(user("clerk2").id),
        "period_from": "2026-11-23 08:30", "period_to": "2026-11-23 09:50",
        "cash_counted": "200", "difference_reason": ""})
    assert response.status_code == 302
    record = ShiftHandover.select().order_by(ShiftHandover.id.desc()).first()
    assert {c.id for c in record.charges()} == {c.id for c in shown}
    assert Charge.get_by_id(late.id).handover_id is None
    # A wrong count without a reason stays on the page with the message next to the field.
    response = as_clerk.submit("/admin/shifthandover/handover/", {
        "charge": [str(late.id)], "taken_by": str(user("clerk2").id),
        "period_from": "2026-11-23 08:30", "period_to": "2026-11-23 09:50",
        "cash_counted": "150", "difference_reason": ""})
    assert response.status_code == 200 and "请填写差额原因" in response.text
    assert Charge.get_by_id(late.id).handover_id is None
    sheet = as_clerk.get(f"/admin/shifthandover/print/?id={record.id}&slip=handover_sheet").text
    assert "交接班对账单" in sheet and "贰佰元整" in sheet and "客服专员 孙丽" in sheet


def test_R_PAY_2_only_the_taker_sees_the_sign_button(app, login):
    clean_desk()
    new_charge(SHIFT_FROM)
    record = hand_over("200.00")
    url = f"/admin/shifthandover/details/?id={record.id}"
    assert "接班签字" not in login("clerk").get(url).text
    assert "接班签字" in login("clerk2").get(url).text


def test_R_PAY_2_deposits_taken_and_refunded_and_loan_fees_of_the_shift(app):
    clean_desk()
    earlier = ShiftHandover.shift_figures(user("clerk").id, SHIFT_FROM, SHIFT_TO)
    loan = registered_loan(SHIFT_FROM)
    run(loan.issue, user("warehouse"), SHIFT_FROM, loan.number)
    run(loan.return_item, user("warehouse"), SHIFT_FROM + timedelta(minutes=65))  # 5 min over
    run(flows.cash.refund_deposit, loan, user("clerk"), SHIFT_FROM + timedelta(minutes=70), loan.receipt_no,
        loan.number)
    record = hand_over("10.00")
    assert record.deposits_taken == earlier["deposits_taken"] + loan.deposit
    assert record.deposits_refunded == loan.deposit - Decimal("10.00")
    assert record.loan_fees == Decimal("10.00")
    assert [c.id for c in record.charges()] == [loan.fee_charge_id]
    assert record.system_cash == Decimal("10.00") and record.difference == Decimal("0.00")


def test_R_PAY_2_a_day_not_handed_to_finance_raises_an_alert_by_an_editable_rule(app):
    clean_desk()
    new_charge(SHIFT_FROM)
    record = hand_over("200.00")
    rule = SlaRule.get(SlaRule.code == "PAY_HANDOVER")
    assert rule.applies_to == "ShiftHandover"
    run(deadlines.flag_handovers_not_at_finance, datetime(2026, 11, 23, 23, 59))
    assert not Alert.select().where((Alert.record_type == "ShiftHandover")
                                    & (Alert.record_id == record.id)
                                    & (Alert.kind == "overdue")).exists()
    run(deadlines.flag_handovers_not_at_finance, datetime(2026, 11, 24, 0, 1))
    assert Alert.select().where((Alert.record_type == "ShiftHandover")
                                & (Alert.record_id == record.id)
                                & (Alert.kind == "overdue")).count() == 1


# ---------------------------------------------------------------- R-LOAN-2/3/4

def registered_loan(at, item=None):
    return make_loan(at, item, issued=False)


@pytest.mark.parametrize("shown,error", [("", "请填写"), ("JY-20261123-9999", "不符")])
def test_R_LOAN_2_the_warehouse_issues_only_against_the_certificates_number(app, shown, error):
    loan = registered_loan(MON - timedelta(minutes=20))
    assert loan.status == ItemLoan.ISSUING
    with pytest.raises(ValidationError) as err:
        run(loan.issue, user("warehouse"), MON, shown)
    assert error in err.value.errors["certificate_no"]
    assert ItemLoan.get_by_id(loan.id).status == ItemLoan.ISSUING
    run(loan.issue, user("warehouse"), MON, " %s " % loan.number.lower())
    stored = ItemLoan.get_by_id(loan.id)
    assert (stored.status, stored.issued_by_id, stored.lent_at) == (
        ItemLoan.OUT, user("warehouse").id, MON)
    assert stored.due_back_at == MON + timedelta(hours=1)  # the free hour runs from the issue


def test_R_LOAN_2_the_return_time_is_written_on_the_certificate(app, login):
    loan = registered_loan(MON)
    run(loan.issue, user("warehouse"), MON, loan.number)
    run(loan.return_item, user("warehouse"), MON + timedelta(minutes=40))
    stored = ItemLoan.get_by_id(loan.id)
    assert stored.returned_at == MON + timedelta(minutes=40)
    assert stored.returned_to_id == user("warehouse").id
    certificate = login("clerk").get(
        f"/admin/itemloan/print/?id={loan.id}&slip=loan_certificate").text
    assert "2026-11-23 10:40:00" in certificate and "仓库保管员 周伟" in certificate


@pytest.mark.parametrize("who,status", [("warehouse", 200), ("property", 403), ("clerk", 403),
                                        ("admin", 200)])
def test_R_LOAN_2_only_the_warehouse_keeper_issues_the_item(app, login, who, status):
    loan = registered_loan(MON)
    page = login(who).get(f"/admin/itemloan/step/issue/?id={loan.id}")
    assert page.status_code == status


@pytest.mark.parametrize("receipt,certificate,fields", [
    ("", "", {"receipt_no", "certificate_no"}),
    ("YJ-20261123-9999", None, {"receipt_no"}),
    (None, "JY-20261123-9999", {"certificate_no"}),
])
def test_R_LOAN_3_the_refund_checks_the_receipt_and_certificate_numbers(app, receipt,
                                                                      certificate, fields):
    loan = registered_loan(MON)
    run(loan.issue, user("warehouse"), MON, loan.number)
    run(loan.return_item, user("warehouse"), MON + timedelta(minutes=30))
    with pytest.raises(ValidationError) as err:
        run(flows.cash.refund_deposit, loan, user("clerk"), MON + timedelta(minutes=31),
            loan.receipt_no if receipt is None else receipt,
            loan.number if certificate is None else certificate)
    assert set(err.value.errors) == fields
    assert ItemLoan.get_by_id(loan.id).status == ItemLoan.RETURNED


def test_R_LOAN_3_a_refund_is_never_taken_in_bulk(app, as_clerk):
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", "") == "itemloan")
    assert not view.step("refund").bulk
    assert "refund" not in dict(view._actions)
    loans = [registered_loan(MON), registered_loan(MON)]
    for loan in loans:
        run(loan.issue, user("warehouse"), MON, loan.number)
        run(loan.return_item, user("warehouse"), MON + timedelta(minutes=30))
    page = as_clerk.get("/admin/itemloan/")
    response = as_clerk.post("/admin/itemloan/action/", data={
        "action": "refund", "rowid": [str(l.id) for l in loans],
        "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                page.text).group(1)})
    assert response.status_code in (302, 400, 403, 404)
    assert all(ItemLoan.get_by_id(l.id).status == ItemLoan.RETURNED for l in loans)


@pytest.mark.parametrize("minutes,fee,refund,owed", [
    (50, "0.00", "deposit", "0.00"),
    (61, "10.00", "deposit-10", "0.00"),
    (150, "20.00", "deposit-20", "0.00"),
])
def test_R_LOAN_4_the_fee_kept_from_the_deposit_becomes_a_charge_of_the_shift(app, minutes, fee,
                                                                             refund, owed):
    clean_desk()
    loan = registered_loan(MON)
    run(loan.issue, user("warehouse"), MON, loan.number)
    run(loan.return_item, user("warehouse"), MON + timedelta(minutes=minutes))
    charge = run(flows.cash.refund_deposit, loan, user("clerk"), MON + timedelta(minutes=minutes + 5),
                 loan.receipt_no, loan.number)
    stored = ItemLoan.get_by_id(loan.id)
    assert stored.fee == Decimal(fee)
    expected_refund = loan.deposit - Decimal(fee)
    assert stored.refund == expected_refund and stored.refunded_by_id == user("clerk").id
    if fee == "0.00":
        assert charge is None and stored.fee_charge_id is None
        return
    charge = Charge.get_by_id(stored.fee_charge_id)
    assert charge.amount == Decimal(fee) and charge.fee_item.code == "F01"
    assert (charge.status, charge.charged_by_id, charge.payment_method) == (
        Charge.RECORDED, user("clerk").id, "cash")
    assert charge.finance_deadline == datetime(2026, 11, 23, 23, 59, 59)  # same day (R-PAY-1)


def test_R_LOAN_4_a_fee_beyond_the_deposit_is_charged_in_full_and_owed(app):
    cart = LendableItem.create(code="T50", name="小推车", deposit=Decimal("50.00"),
                               fee_item=FeeItem.get(FeeItem.code == "F01"))  # 10.00 an hour
    loan = registered_loan(MON, cart)
    run(loan.issue, user("warehouse"), MON, loan.number)
    run(loan.return_item, user("warehouse"), MON + timedelta(hours=8))  # 7 hours over: 70.00
    run(flows.cash.refund_deposit, loan, user("clerk"), MON + timedelta(hours=8), loan.receipt_no, loan.number)
    stored = ItemLoan.get_by_id(loan.id)
    assert stored.refund == Decimal("0.00") and stored.fee_owed == Decimal("20.00")
    assert Charge.get_by_id(stored.fee_charge_id).amount == Decimal("70.00")


@pytest.mark.parametrize("amount,words", [
    ("0", "零元整"), ("0.50", "伍角整"), ("10", "壹拾元整"), ("100", "壹佰元整"),
    ("120", "壹佰贰拾元整"), ("105", "壹佰零伍元整"), ("1001.05", "壹仟零壹元零伍分"),
    ("10000", "壹万元整"), ("100010", "壹拾万零壹拾元整"), ("20.30", "贰拾元叁角整"),
    ("12345678.90", "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角整"),
])
def test_R_LOAN_1_receipts_write_amounts_in_capital_numerals(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_R_LOAN_3_receipt_and_refund_slip_show_the_amounts_in_capitals(app, as_clerk):
    loan = registered_loan(MON, LendableItem.get(LendableItem.code == "JY01"))  # 100.00 deposit
    receipt = as_clerk.get(f"/admin/itemloan/print/?id={loan.id}&slip=deposit_receipt").text
    assert "人民币壹佰元整" in receipt
    run(loan.issue, user("warehouse"), MON, loan.number)
    run(loan.return_item, user("warehouse"), MON + timedelta(minutes=90))
    run(flows.cash.refund_deposit, loan, user("clerk"), MON + timedelta(minutes=95), loan.receipt_no,
        loan.number)
    slip = as_clerk.get(f"/admin/itemloan/print/?id={loan.id}&slip=refund_slip").text
    assert "人民币玖拾元整" in slip and "人民币壹拾元整" in slip
    assert Charge.get_by_id(ItemLoan.get_by_id(loan.id).fee_charge_id).number in slip


def test_R_PAY_2_a_shift_typed_to_the_minute_includes_what_was_taken_in_that_minute(app):
    clean_desk()
    last_minute = new_charge(SHIFT_TO + timedelta(seconds=30))
    next_minute = new_charge(SHIFT_TO + timedelta(minutes=1))
    record = hand_over("200.00")
    assert [c.id for c in record.charges()] == [last_minute.id]
    assert Charge.get_by_id(next_minute.id).handover_id is None


def test_R_PAY_2_a_handover_late_for_finance_is_on_the_desks_work_list(app, as_clerk):
    clean_desk()
    new_charge(SHIFT_FROM)
    record = hand_over("200.00")
    run(deadlines.flag_handovers_not_at_finance, datetime(2026, 11, 24, 0, 1))
    assert record.number in as_clerk.get("/admin/mywork/").text


def test_R_PAY_2_an_unsigned_handover_withdrawn_gives_its_charges_back_a_signed_one_stays(app):
    clean_desk()
    charge = new_charge(SHIFT_FROM)
    wrong = hand_over("200.00")
    run(wrong.archive, user("clerk"), MON, "清点有误，重新交班")
    assert Charge.get_by_id(charge.id).handover_id is None
    assert clock_of(wrong, "finance").status == Deadline.CANCELLED
    again = hand_over("200.00")
    assert [c.id for c in again.charges()] == [charge.id]
    run(again.take_over, user("clerk2"), MON)
    with pytest.raises(DomainError):
        run(ShiftHandover.get_by_id(again.id).archive, user("clerk"), MON, "想作废")
    assert Charge.get_by_id(charge.id).handover_id == again.id
