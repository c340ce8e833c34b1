"""Paid services and loans (有偿服务): charges priced from the list, loans of lendable items."""
import access
from audit import audit
from database import write_transaction
from models import Charge, ItemLoan, ShiftHandover, ValidationError
from flows.steps import calls, runs
from flows.records import after_save, before_save, stamped_by

stamped_by(Charge, "charged_by")
stamped_by(ItemLoan, "lent_by")


@before_save(Charge)
def price_charge(charge, created, by, now, extra):
    """Price a new charge from the list (R-PAY-1); an edit keeps the price unless a manager
    overrides it with a reason; a charge counted into a handover no longer changes."""
    override = extra.get("override_amount")
    stored = None if created else Charge.get_by_id(charge.id)
    if stored is not None:
        stored.check_editable()
    if created or override is not None or charge.fee_item_id != stored.fee_item_id or \
            charge.quantity != stored.quantity:
        charge.price(override, charge.override_reason,
                     may_override=by is not None and access.may(by, "override_price"))


@after_save(Charge)
def start_finance_clock(charge, created, by, now, extra):
    if created:
        charge.start(by, now)


@before_save(ItemLoan)
def lend_item(loan, created, by, now, extra):
    """A new loan takes its item (never one already out); a loan keeps its item (R-LOAN-1)."""
    if created:
        loan.take_item(now)
    elif loan.item_id != ItemLoan.get_by_id(loan.id).item_id:
        raise ValidationError({"item": "借出后不能更换物品，请归还后重新借用"})


def hand_over(by, taker, period_from, period_to, cash_counted, reason, now, charge_ids=None):
    """交班 (R-PAY-2): the shift's charges counted against the cash, the difference explained;
    the record waits for the taker's signature. Returns the handover."""
    with write_transaction():
        record = ShiftHandover.hand_over(by, taker, period_from, period_to, cash_counted, reason,
                                         now, charge_ids)
        audit("create", record, now=now, user=by)
    return record


def refund_deposit(loan, by, now, receipt_no, certificate_no):
    """退押金 (R-LOAN-3): the deposit less the fee; a fee kept is a charge of the clerk's shift
    (R-LOAN-4, R-PAY-1). Returns that charge (None without a fee)."""
    with write_transaction():
        charge = loan.refund_deposit(by, now, receipt_no, certificate_no)
        if charge is not None:
            audit("create", charge, now=now, user=by)
    return charge


# The steps of this area's registers, each one function (flows.steps.take_step runs them);
# calls(Model, step, method, *fields): the model's method given (by, now, *those fields).

calls(Charge, "void", "void", "reason")
calls(ShiftHandover, "take_over")
calls(ShiftHandover, "finance", "hand_to_finance", "receiver", "amount")
calls(ItemLoan, "issue", "issue", "certificate_no", "issued_at")
calls(ItemLoan, "return_item")


@runs(ItemLoan, "refund")
def _item_loan_refund(record, by, now, fields):
    return refund_deposit(record, by, now, fields["receipt_no"], fields["certificate_no"])
