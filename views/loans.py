"""Paid services and loans (有偿服务): price list, charges, shift handover, lendable items, loans."""
from collections import OrderedDict
from decimal import Decimal

from flask import redirect, request
from flask_admin import expose
from flask_login import current_user
from wtforms import DecimalField, validators

import access
from forms import KefuForm
from i18n import _l
from models import PAYMENT_METHODS, Charge, FeeItem, ItemLoan, LendableItem, ValidationError
from views.base import KefuModelView, PageLink, deadline_formatter, fits_column
from views.steps import MONEY, Step, bulk_action, reason_field


class FeeItemView(KefuModelView):
    column_list = ("code", "name", "unit", "price", "effective_from", "is_active")
    column_default_sort = ("code", False)


class ChargeView(KefuModelView):
    # The key columns first (number, customer, status, deadline): on screen at 1366 px.
    column_list = ("number", "customer", "payer_name", "fee_item", "amount", "status",
                   "finance_deadline", "payment_method", "quantity", "charged_by", "charged_at",
                   "handed_to_finance_at")
    # The amount comes from the price list (R-PAY-1); hand-over is a step.
    form_excluded_extra = ("status", "handed_to_finance_at", "unit_price", "amount",
                           "finance_deadline")
    form_extra_fields = {"override_amount": DecimalField(
        "改价金额（元，仅经理；留空按收费标准）",
        validators=[validators.Optional(), validators.NumberRange(min=0, message="金额不能为负数"),
                    fits_column(Charge.amount)])}
    stamp_user_fields = ("charged_by",)
    column_formatters = {"finance_deadline": deadline_formatter(Charge.RECORDED)}
    open_states = (Charge.RECORDED,)
    deadline_filters = (("finance_deadline", (Charge.RECORDED,)),)
    steps = (
        Step("hand_to_finance", "交财务", lambda r, by, now, f: r.hand_to_finance(by, now),
             when=(Charge.RECORDED,), bulk=True, does=(MONEY,),
             detail=lambda r: _l("%(amount)s元交财务部。") % {"amount": r.amount}),
        Step("void", "作废", lambda r, by, now, f: r.void(by, now, f["reason"]),
             when=(Charge.RECORDED,), fields={"reason": reason_field("作废原因")}, style="danger"),
    )
    action_hand_to_finance = bulk_action("hand_to_finance", "交财务")

    editable_states = (Charge.RECORDED,)  # handed over or voided: a closed book

    def before_save(self, form, model, created, now):
        """Price a new charge from the list; an edit keeps the price unless a manager changes it."""
        if created or form.override_amount.data is not None or \
                model.fee_item_id != Charge.get_by_id(model.id).fee_item_id or \
                model.quantity != Charge.get_by_id(model.id).quantity:
            model.price(form.override_amount.data, model.override_reason,
                        may_override=access.may(current_user, "override_price"))

    def after_save(self, form, model, created, now):
        if created:
            model.start(current_user, now)

    @expose("/handover/", methods=("GET", "POST"))
    def handover_view(self):
        """Shift handover (交接班对账): this clerk's charges not yet handed over, by method."""
        charges = list(Charge.select().where((Charge.charged_by == current_user.id)
                                             & (Charge.status == Charge.RECORDED))
                       .order_by(Charge.charged_at))
        totals = OrderedDict((code, [label, 0, Decimal("0.00")]) for code, label in PAYMENT_METHODS)
        for charge in charges:
            totals[charge.payment_method][1] += 1
            totals[charge.payment_method][2] += charge.amount
        form = KefuForm(request.form if request.method == "POST" else None)
        if request.method == "POST" and self.may_write() and form.validate():
            # Exactly the charges the clerk saw and counted, not one taken since.
            shown = set(request.form.getlist("charge"))
            self.run_bulk([c.id for c in charges if str(c.id) in shown], "hand_to_finance")
            return redirect(self.get_url(".handover_view"))
        return self.render("kefu/handover.html", charges=charges, totals=totals, form=form,
                           grand_total=sum((c.amount for c in charges), Decimal("0.00")))


class LendableItemView(KefuModelView):
    column_list = ("code", "name", "category", "deposit", "fee_item", "location", "status")
    column_default_sort = ("code", False)


class ItemLoanView(KefuModelView):
    # The key columns first (number, borrower, status, due back, deposit): on screen at 1366 px.
    column_list = ("number", "borrower_name", "item", "status", "due_back_at", "deposit",
                   "borrower_phone", "lent_at", "returned_at", "fee", "refund", "receipt_no")
    form_excluded_extra = ("status", "returned_at", "fee", "refund", "refunded_at", "deposit",
                           "due_back_at")
    stamp_user_fields = ("lent_by",)
    editable_states = (ItemLoan.OUT,)
    column_formatters = {"due_back_at": deadline_formatter(ItemLoan.OUT)}
    open_states = (ItemLoan.OUT, ItemLoan.RETURNED)  # returned: the deposit is still held
    deadline_filters = (("due_back_at", (ItemLoan.OUT,)),)
    print_slips = (("deposit_receipt", "打印押金收据"), ("loan_certificate", "打印借用物品证明"))
    steps = (
        Step("return_item", "归还", lambda r, by, now, f: r.return_item(by, now),
             when=(ItemLoan.OUT,), bulk=True, does=(MONEY,),
             detail=lambda r: _l("超时费按归还时间计算，从押金%(deposit)s元中扣除。") % {
                 "deposit": r.deposit}),
        Step("refund", "退押金", lambda r, by, now, f: r.refund_deposit(by, now),
             when=(ItemLoan.RETURNED,), bulk=True, style="success", does=(MONEY,),
             detail=lambda r: _l("退还押金%(refund)s元（押金%(deposit)s元，超时费%(fee)s元）。") % {
                 "refund": r.refund_due, "deposit": r.deposit, "fee": r.fee}),
    )
    action_return_item = bulk_action("return_item", "归还")
    action_refund = bulk_action("refund", "退押金")

    def before_save(self, form, model, created, now):
        if created:
            model.take_item(now)
        elif model.item_id != ItemLoan.get_by_id(model.id).item_id:
            raise ValidationError({"item": "借出后不能更换物品，请归还后重新借用"})

    def after_save(self, form, model, created, now):
        if created:
            model.start(current_user, now)


def register(admin, category):
    admin.add_view(FeeItemView(FeeItem, category=category))
    charges = ChargeView(Charge, category=category)
    admin.add_view(charges)
    admin.add_link(PageLink("交接班对账", charges, "/handover/", category))
    admin.add_view(LendableItemView(LendableItem, category=category))
    admin.add_view(ItemLoanView(ItemLoan, category=category))
