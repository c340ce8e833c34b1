"""Paid services and loans (有偿服务): price list, charges, shift handover, lendable items, loans."""
from datetime import datetime, time
from decimal import Decimal

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_login import current_user
from peewee import fn
from wtforms import DateTimeField, DecimalField, SelectField, StringField, TextAreaField, validators

import access
import clock
import flows.cash
from forms import KefuForm
from i18n import _l
from models import (PAYMENT_METHODS, Charge, DomainError, FeeItem, ItemLoan, LendableItem,
                    ShiftHandover, User, ValidationError)
from views.base import KefuModelView, PageLink, fits_column
from views.steps import Step, reason_field


class FeeItemView(KefuModelView):
    column_list = ("code", "name", "unit", "price", "effective_from", "is_active")
    column_default_sort = ("code", False)


class ChargeView(KefuModelView):
    # The key columns first (number, customer, status, deadline): on screen at 1366 px.
    column_list = ("number", "customer", "payer_name", "fee_item", "amount", "status",
                   "finance_deadline", "payment_method", "quantity", "charged_by", "charged_at",
                   "handover", "handed_to_finance_at")
    # The amount comes from the price list (R-PAY-1); a charge reaches finance in its shift's
    # handover (R-PAY-2), never on its own.
    form_excluded_extra = ("status", "handed_to_finance_at", "unit_price", "amount",
                           "finance_deadline", "handover")
    form_extra_fields = {"override_amount": DecimalField(
        "改价金额（元，仅经理；留空按收费标准）",
        validators=[validators.Optional(), validators.NumberRange(min=0, message="金额不能为负数"),
                    fits_column(Charge.amount)])}
    # States, clocks, labels and the states it is edited in: workflow.CHARGE.
    steps = (
        Step("void", fields={"reason": reason_field("作废原因")}, style="danger",
             show=lambda r: not r.handover_id),
    )


    @expose("/handover/")
    def handover_view(self):
        """The old address of 交接班对账: the shift handover page."""
        return redirect(self.get_url("shifthandover.handover_view"))


def _desk_users():
    """Who can take over a shift: active users of the desk's roles."""
    return [u for u in User.select().where(User.is_active == True).order_by(User.username)  # noqa: E712
            if u.role_set & access.DESK]


class HandoverForm(KefuForm):
    taken_by = SelectField(_l("接班人"), coerce=int, validators=[
        validators.InputRequired(message="请选择接班人")])
    period_from = DateTimeField(_l("当班开始"), format="%Y-%m-%d %H:%M", validators=[
        validators.InputRequired(message="请填写当班开始时间（例如 2026-11-23 08:30）")])
    period_to = DateTimeField(_l("当班结束"), format="%Y-%m-%d %H:%M", validators=[
        validators.InputRequired(message="请填写当班结束时间（例如 2026-11-23 17:30）")])
    cash_counted = DecimalField(_l("清点现金（元）"), places=2, validators=[
        validators.InputRequired(message="请填写清点的现金金额"),
        validators.NumberRange(min=0, message="金额不能为负数"), fits_column(Charge.amount)])
    difference_reason = TextAreaField(_l("差额原因（现金与系统不符时必填）"),
                                      validators=[validators.Length(max=2000)])


def _money(view, context, row, name):
    """An amount to the fen, as the handover sheet counts it."""
    return row.money(name)


class ShiftHandoverView(KefuModelView):
    """交接班对账 (R-PAY-2): a shift's money counted, signed by both clerks, given to finance."""
    column_list = ("number", "handed_by", "taken_by", "period_to", "status", "finance_deadline",
                   "system_cash", "cash_counted", "difference", "finance_receiver",
                   "finance_amount")
    column_default_sort = ("period_to", True)
    column_formatters = {**{name: _money for name in (
                             "system_total", "system_cash", "cash_counted", "difference",
                             "deposits_taken", "deposits_refunded", "loan_fees", "finance_amount")}}
    print_slips = (("handover_sheet", "打印交接班对账单"),)
    # States, clocks and labels: workflow.SHIFT_HANDOVER.
    steps = (
        Step("take_over", style="success",
             show=lambda r: r.taken_by_id == current_user.id,
             detail=lambda r: _l("确认已清点：现金%(cash)s元，系统收费合计%(total)s元。") % {
                 "cash": r.cash_counted, "total": r.system_total}),
        Step("finance", help="本班清点的现金交财务部；记录财务接收人和实收金额，本班各笔收费随之标记为已交财务。",
             initial=lambda r: {"amount": r.cash_counted},
             fields={"receiver": StringField(_l("财务接收人"), validators=[
                         validators.InputRequired(message="请填写财务接收人"),
                         validators.Length(max=50)]),
                     "amount": DecimalField(_l("财务实收（元）"), places=2, validators=[
                         validators.InputRequired(message="请填写财务实收金额"),
                         validators.NumberRange(min=0, message="金额不能为负数"),
                         fits_column(Charge.amount)])}),
    )

    @property
    def can_create(self):
        return False  # made by the handover page, from the shift's own figures

    @property
    def can_edit(self):
        return False  # signed figures do not change

    @expose("/handover/", methods=("GET", "POST"))
    def handover_view(self):
        """The clerk going off shift counts the cash and hands over (交接班对账, R-PAY-2)."""
        if not self.may_write():  # the desk hands over; the others read the handovers
            abort(403)
        now = clock.now()
        last = (ShiftHandover.select(fn.MAX(ShiftHandover.period_to))
                .where(ShiftHandover.handed_by == current_user.id).scalar())
        default_from = last or datetime.combine(now.date(), time(0, 0))
        form = HandoverForm(request.form if request.method == "POST" else None,
                            period_from=default_from, period_to=now.replace(second=0, microsecond=0))
        form.taken_by.choices = [(0, _l("— 请选择 —"))] + [
            (u.id, u.full_name or u.username) for u in _desk_users() if u.id != current_user.id]
        period_to = form.period_to.data or now
        period_from = form.period_from.data or default_from
        shown = None
        if request.method == "POST":
            shown = [int(i) for i in request.form.getlist("charge") if i.isdigit()]
        figures = ShiftHandover.shift_figures(current_user.id, period_from, period_to, shown)
        if request.method == "POST" and self.may_write() and form.validate():
            try:
                record = flows.cash.hand_over(
                    current_user._get_current_object(), User.get_or_none(
                        User.id == form.taken_by.data), period_from, period_to,
                    form.cash_counted.data, form.difference_reason.data, now,
                    charge_ids=shown)
            except ValidationError as err:
                for name, message in err.errors.items():
                    target = getattr(form, name, None)
                    if target is not None:
                        target.errors = list(target.errors or []) + [message]
                    else:
                        flash(message, "error")
            except DomainError as err:
                flash(str(err), "error")
            else:
                flash(_l("已交班：%(record)s，等待接班人签字。") % {"record": record}, "success")
                return redirect(self.get_url(".details_view", id=record.id))
        labels = dict(PAYMENT_METHODS)
        method_rows = [(labels[code], count, amount)
                       for code, (count, amount) in figures["totals"].items()]
        return self.render("kefu/handover.html", form=form, figures=figures, method_rows=method_rows,
                           charges=figures["charges"], period_from=period_from,
                           period_to=period_to,
                           grand_total=sum((c.amount for c in figures["charges"]), Decimal("0.00")))


class LendableItemView(KefuModelView):
    column_list = ("code", "name", "category", "deposit", "fee_item", "location", "status")
    column_default_sort = ("code", False)


def _paper_number(label, message):
    return StringField(_l(label), validators=[validators.InputRequired(message=message),
                                              validators.Length(max=20)])


class ItemLoanView(KefuModelView):
    # The key columns first (number, borrower, status, due back, deposit): on screen at 1366 px.
    column_list = ("number", "borrower_name", "item", "status", "due_back_at", "deposit",
                   "borrower_phone", "lent_at", "returned_at", "fee", "refund", "receipt_no")
    form_excluded_extra = ("status", "returned_at", "fee", "refund", "refunded_at", "deposit",
                           "due_back_at", "issued_by", "returned_to", "refunded_by", "fee_charge")
    # States, clocks, labels and the states it is edited in: workflow.ITEM_LOAN.
    print_slips = (("deposit_receipt", "打印押金收据"), ("loan_certificate", "打印借用物品证明"),
                   ("refund_slip", "打印退押金单"))
    steps = (
        Step("issue", style="success",
             help="仓库保管员凭《借用物品证明》发放物品：请核对并填写证明上的编号。免费借用时间从发放时起算。",
             fields={"certificate_no": _paper_number(
                         "《借用物品证明》编号", "请填写《借用物品证明》编号"),
                     "issued_at": DateTimeField(_l("发放时间（留空为现在）"), format="%Y-%m-%d %H:%M",
                                                validators=[validators.Optional()])}),
        Step("return_item", detail=lambda r: _l("归还时间记入《借用物品证明》；超时费按归还时间计算，从押金%(deposit)s元中扣除。") % {
                 "deposit": r.deposit}),
        Step("refund", style="success",
             help="凭押金收据和《借用物品证明》退还押金：请核对并填写两者的编号。超时费从押金中扣除，记入本班收费。",
             facts=lambda r: [(_l("押金（元）"), r.money("deposit")), (_l("超时费（元）"), r.money("fee")),
                              (_l("应退押金（元）"), r.money("refund_due"))]
             + ([(_l("借用人另付（元）"), r.money("fee_owed"))] if r.fee_owed else []),
             fields={"receipt_no": _paper_number("押金收据号", "请填写押金收据号"),
                     "certificate_no": _paper_number(
                         "《借用物品证明》编号", "请填写《借用物品证明》编号")}),
    )


def register(admin, category):
    admin.add_view(FeeItemView(FeeItem, category=category))
    admin.add_view(ChargeView(Charge, category=category))
    handovers = ShiftHandoverView(ShiftHandover, category=category)
    admin.add_view(handovers)
    admin.add_link(PageLink("交接班对账", handovers, "/handover/", category, may=handovers.may_write))
    admin.add_view(LendableItemView(LendableItem, category=category))
    admin.add_view(ItemLoanView(ItemLoan, category=category))
