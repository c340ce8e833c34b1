"""Cash: fee items, charges, shift handovers, lendable items and loans."""

import math
from datetime import timedelta
from decimal import Decimal

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
    fn,
)

import clock
import sla
import workflow
from domain.base import (
    ChoiceField,
    DomainError,
    MoneyField,
    PhoneField,
    ValidationError,
    db,
    next_number,
)
from domain.organisation import User
from domain.register import Register, number_field
from domain.time import Deadline
from domain.customers import Customer


# ---------------------------------------------------------------- paid services and loans

PAYMENT_METHODS = (("cash", "现金"), ("wechat", "微信"), ("alipay", "支付宝"),
                   ("card", "银行卡"), ("transfer", "转账"))


class FeeItem(Register):
    UNITS = (("time", "次"), ("hour", "小时"), ("day", "天"), ("piece", "件"), ("sqm", "平方米"))

    code = CharField(max_length=20, unique=True, verbose_name="收费代码")
    name = CharField(max_length=100, verbose_name="服务项目")
    unit = ChoiceField(UNITS, default="time", verbose_name="计价单位")
    price = MoneyField(verbose_name="单价（元）")
    effective_from = DateField(null=True, verbose_name="执行日期")
    is_active = BooleanField(default=True, verbose_name="有效")
    notes = TextField(null=True, verbose_name="说明")

    class Meta:
        verbose_name = "收费标准"

    def __str__(self):
        return f"{self.name}（{self.price}元/{self.choice_label('unit')}）" if self.name else "收费项目"


DIGITS_UPPER = "零壹贰叁肆伍陆柒捌玖"


def amount_in_words(amount):
    """An amount in yuan in Chinese capital numerals, as receipts write it (壹佰贰拾元整)."""
    amount = Decimal(str(amount or 0)).quantize(Decimal("0.01"))
    if amount < 0:
        return "负" + amount_in_words(-amount)
    fen_total = int(amount * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10

    def group(n):  # 0..9999 -> words, with 零 for inner gaps
        out, zero = "", False
        for unit, div in (("仟", 1000), ("佰", 100), ("拾", 10), ("", 1)):
            d = n // div % 10
            if d:
                if zero and out:
                    out += "零"
                out, zero = out + DIGITS_UPPER[d] + unit, False
            else:
                zero = True
        return out

    words, pending_zero = "", False
    for unit, div in (("亿", 10 ** 8), ("万", 10 ** 4), ("", 1)):
        part = yuan // div % 10000 if div != 10 ** 8 else yuan // div
        if part:
            if words and (pending_zero or part < 1000):
                words += "零"
            words += group(part) + unit
            pending_zero = False
        elif words:
            pending_zero = True
    text = (words + "元") if words else ""
    if not jiao and not fen:
        return (text or "零元") + "整"
    if jiao:
        text += DIGITS_UPPER[jiao] + "角"
    elif text:
        text += "零"
    if fen:
        text += DIGITS_UPPER[fen] + "分"
    else:
        text += "整"
    return text


class PrintedAmounts:
    """How a printed slip writes a register's amounts: to the fen, and in capitals."""

    def money(self, name):
        value = getattr(self, name)
        return "" if value is None else str(Decimal(str(value)).quantize(Decimal("0.01")))

    def in_words(self, name):
        return amount_in_words(getattr(self, name))


class ShiftHandover(PrintedAmounts, Register):
    """交接班对账 (R-PAY-2): one shift's money, counted, signed by both clerks, given to finance."""
    WORKFLOW = workflow.SHIFT_HANDOVER
    SIGNING, SIGNED, FINANCE = WORKFLOW.values
    STATUSES = WORKFLOW.choices

    number_prefix = "JB"
    number = number_field()
    handed_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT", verbose_name="交班人")
    taken_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT", verbose_name="接班人")
    period_from = DateTimeField(verbose_name="当班开始")
    period_to = DateTimeField(verbose_name="当班结束")
    charge_count = IntegerField(default=0, verbose_name="收费笔数")
    totals = TextField(null=True, verbose_name="按支付方式汇总")  # as the sheet reads, frozen
    system_total = MoneyField(default=Decimal("0"), verbose_name="系统收费合计（元）")
    system_cash = MoneyField(default=Decimal("0"), verbose_name="系统现金收费（元）")
    cash_counted = MoneyField(default=Decimal("0"), verbose_name="清点现金（元）")
    difference = DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"),
                              auto_round=True, verbose_name="差额（元）")
    difference_reason = TextField(null=True, verbose_name="差额原因")
    deposits_taken = MoneyField(default=Decimal("0"), verbose_name="本班收取押金（元）")
    deposits_refunded = MoneyField(default=Decimal("0"), verbose_name="本班退还押金（元）")
    loan_fees = MoneyField(default=Decimal("0"), verbose_name="押金转超时费（元）")
    handed_signed_at = DateTimeField(null=True, verbose_name="交班人签字时间")
    taken_signed_at = DateTimeField(null=True, verbose_name="接班人签字时间")
    finance_receiver = CharField(max_length=50, null=True, verbose_name="财务接收人")
    finance_amount = MoneyField(null=True, verbose_name="财务实收（元）")
    finance_received_at = DateTimeField(null=True, verbose_name="交财务时间")
    finance_deadline = DateTimeField(null=True, verbose_name="交财务时限")
    status = ChoiceField(STATUSES, default=SIGNING, verbose_name="状态")

    date_ranges = (("period_from", "period_to"),)
    deadline_columns = {"finance": "finance_deadline"}

    class Meta:
        verbose_name = "交接班记录"
        indexes = ((("status", "finance_deadline"), False),)

    def __str__(self):
        return self.number or "交接班"

    def method_totals(self):
        """[(method label, count, amount)] of the shift's charges for every payment method."""
        sums = {code: (count, amount) for code, count, amount in Charge.select(
            Charge.payment_method, fn.COUNT(Charge.id), fn.SUM(Charge.amount)).where(
            Charge.handover == self.id).group_by(Charge.payment_method).tuples()}
        return [(label, sums.get(code, (0, 0))[0],
                 Decimal(str(sums.get(code, (0, 0))[1] or 0)).quantize(Decimal("0.01")))
                for code, label in PAYMENT_METHODS]

    @staticmethod
    def describe_totals(totals):
        """The per-method sums as one line a person reads (现金 2 笔 600.00 元；…)."""
        return "；".join("%s %d 笔 %s 元" % (label, totals[code][0], totals[code][1])
                        for code, label in PAYMENT_METHODS if totals[code][0]) or "无收费"

    @classmethod
    def shift_figures(cls, clerk_id, period_from, period_to, charge_ids=None):
        """What the system says the clerk took in the shift: charges not yet in a handover
        (up to the shift's end; an older one still in the drawer comes along), and the deposits
        the clerk took and refunded in the shift."""
        # A shift typed to the minute ("to 17:30") includes what was taken during 17:30.
        until = period_to.replace(second=59, microsecond=999999) if not period_to.second \
            and not period_to.microsecond else period_to
        charges = list(Charge.select().where(
            (Charge.charged_by == clerk_id) & (Charge.status == Charge.RECORDED)
            & Charge.handover.is_null() & Charge.archived_at.is_null()
            & (Charge.charged_at <= until)).order_by(Charge.charged_at, Charge.id))
        if charge_ids is not None:  # exactly the charges the clerk saw and counted
            charges = [c for c in charges if c.id in set(charge_ids)]
        totals = {code: [0, Decimal("0.00")] for code, _ in PAYMENT_METHODS}
        for charge in charges:
            totals[charge.payment_method][0] += 1
            totals[charge.payment_method][1] += charge.amount
        in_shift = lambda column: (column >= period_from) & (column <= until)  # noqa: E731
        taken = (ItemLoan.select(fn.COALESCE(fn.SUM(ItemLoan.deposit), 0))
                 .where((ItemLoan.lent_by == clerk_id) & in_shift(ItemLoan.created_at)
                        & (ItemLoan.status != ItemLoan.CANCELLED)).scalar())
        refunded = ItemLoan.select(fn.COALESCE(fn.SUM(ItemLoan.refund), 0),
                                   fn.COALESCE(fn.SUM(ItemLoan.deposit - ItemLoan.refund), 0)).where(
            (ItemLoan.refunded_by == clerk_id) & in_shift(ItemLoan.refunded_at)).tuples().first()
        money = lambda v: Decimal(str(v or 0)).quantize(Decimal("0.01"))  # noqa: E731
        return {"charges": charges, "totals": totals, "deposits_taken": money(taken),
                "deposits_refunded": money(refunded[0]), "loan_fees": money(refunded[1])}

    @classmethod
    def hand_over(cls, by, taker, period_from, period_to, cash_counted, reason, now,
                  charge_ids=None):
        """The clerk going off shift hands over (R-PAY-2): the shift's charges are counted
        against the cash, the difference explained, and the record waits for the taker's
        signature; the charges join this handover (its audit row: flows.cash.hand_over)."""
        errors = {}
        if taker is None:
            errors["taken_by"] = "请选择接班人"
        elif taker.id == by.id:
            errors["taken_by"] = "接班人不能是交班人本人"
        if period_from is None or period_to is None:
            errors["period_to"] = "请填写当班起止时间"
        elif period_to < period_from:
            errors["period_to"] = "当班结束不能早于当班开始"
        elif period_to > now:
            errors["period_to"] = "当班结束不能晚于现在"
        counted = None
        try:
            counted = Decimal(str(cash_counted)).quantize(Decimal("0.01"))
            if not counted.is_finite() or counted < 0:
                errors["cash_counted"] = "清点现金不能为负数"
        except Exception:
            errors["cash_counted"] = "清点现金必须是数字"
        if errors:
            raise ValidationError(errors)
        with db.atomic():
            figures = cls.shift_figures(by.id, period_from, period_to, charge_ids)
            system_cash = figures["totals"]["cash"][1]
            difference = counted - system_cash
            reason = (reason or "").strip()
            if difference and not reason:
                raise ValidationError({"difference_reason": "清点现金与系统现金收费相差 %s 元，请填写差额原因"
                                       % difference})
            record = cls(handed_by=by, taken_by=taker, period_from=period_from,
                         period_to=period_to, charge_count=len(figures["charges"]),
                         totals=cls.describe_totals(figures["totals"]),
                         system_total=sum((c.amount for c in figures["charges"]), Decimal("0.00")),
                         system_cash=system_cash, cash_counted=counted, difference=difference,
                         difference_reason=reason or None,
                         deposits_taken=figures["deposits_taken"],
                         deposits_refunded=figures["deposits_refunded"],
                         loan_fees=figures["loan_fees"], handed_signed_at=now,
                         created_by=by, created_at=now, updated_at=now)
            record.assign_number(now)
            record.full_clean()
            record.save()
            ids = [c.id for c in figures["charges"]]
            if ids and Charge.update(handover=record, updated_at=now).where(
                    Charge.id.in_(ids) & Charge.handover.is_null()).execute() != len(ids):
                raise DomainError("有收费已被另一份交接班记录列入，请刷新后重新清点")
            # The shift's money reaches finance by the end of the shift's day.
            record.start_clock("finance", "PAY_HANDOVER", period_to, now,
                               due=sla.end_of_day(period_to))
        return record

    def take_over(self, by, now):
        """The clerk coming on shift signs that the handover is right (both signatures)."""
        if by.id != self.taken_by_id:
            raise DomainError("只有接班人%s本人可以签字" % self.taken_by.full_name)
        self.transition("take_over", by, now, taken_signed_at=now)

    def archive(self, by, now, reason, seen=None):
        """Withdraw a handover the taker has not signed (a wrong count): its charges wait for
        the next one. A signed handover is the shift's record and stays."""
        if self.status != self.SIGNING:
            raise DomainError("%s已由接班人签字，不能作废" % self)
        super().archive(by, now, reason, seen)
        Charge.update(handover=None, updated_at=now).where(Charge.handover == self.id).execute()
        Deadline.update(status=Deadline.CANCELLED, updated_at=now).where(
            (Deadline.record_type == "ShiftHandover") & (Deadline.record_id == self.id)
            & (Deadline.status == Deadline.RUNNING)).execute()

    def charges(self):
        return list(Charge.select().where(Charge.handover == self.id)
                    .order_by(Charge.charged_at, Charge.id))

    def hand_to_finance(self, by, now, receiver, amount):
        """交财务: finance's receiver takes the counted cash; every charge of the shift is
        handed over with it (R-PAY-1, 2). Refused when the amount is not the counted cash."""
        receiver = (receiver or "").strip()
        errors = {}
        if not receiver:
            errors["receiver"] = "请填写财务接收人"
        try:
            amount = Decimal(str(amount)).quantize(Decimal("0.01"))
            if amount != Decimal(str(self.cash_counted)).quantize(Decimal("0.01")):
                errors["amount"] = "财务实收%s元与交班清点现金%s元不符，请核对" % (
                    amount, self.cash_counted)
        except Exception:
            errors["amount"] = "请填写财务实收金额"
        if errors:
            raise ValidationError(errors)
        with db.atomic():
            self.transition("finance", by, now, finance_receiver=receiver, finance_amount=amount,
                            finance_received_at=now)
            for charge in self.charges():
                if charge.status == Charge.RECORDED:
                    charge.hand_to_finance(by, now)
            self.stop_clock("finance", now)



class Charge(Register):
    WORKFLOW = workflow.CHARGE
    RECORDED, HANDED_OVER, VOIDED = WORKFLOW.values
    STATUSES = WORKFLOW.choices

    number_prefix = "SF"
    number = number_field()
    customer = ForeignKeyField(Customer, null=True, backref="charges", on_delete="RESTRICT",
                               verbose_name="客户")
    payer_name = CharField(max_length=50, null=True, verbose_name="付款人")
    fee_item = ForeignKeyField(FeeItem, backref="charges", on_delete="RESTRICT",
                               verbose_name="收费项目")
    quantity = DecimalField(max_digits=10, decimal_places=2, default=Decimal("1"),
                            verbose_name="数量")
    unit_price = MoneyField(null=True, verbose_name="单价（元）")
    amount = MoneyField(null=True, verbose_name="金额（元）")
    payment_method = ChoiceField(PAYMENT_METHODS, default="cash", verbose_name="支付方式")
    charged_at = DateTimeField(default=clock.now, verbose_name="收费时间")
    charged_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                 verbose_name="收费人")
    handed_to_finance_at = DateTimeField(null=True, verbose_name="交财务时间")
    status = ChoiceField(STATUSES, default=RECORDED, verbose_name="状态")
    override_reason = TextField(null=True, verbose_name="改价原因")
    finance_deadline = DateTimeField(null=True, verbose_name="交财务时限")
    void_reason = TextField(null=True, verbose_name="作废原因")
    handover = ForeignKeyField(ShiftHandover, null=True, backref="+", on_delete="RESTRICT",
                               verbose_name="交接班记录")

    deadline_columns = {"finance": "finance_deadline"}

    class Meta:
        verbose_name = "有偿服务收费"
        indexes = ((("status", "charged_at"), False), (("status", "finance_deadline"), False),
                   (("status", "archived_at", "finance_deadline"), False))  # the dashboard's count

    def __str__(self):
        return f"{self.number or '收费'} {self.amount or ''}".strip()

    def price(self, override_amount=None, reason=None, may_override=False):
        """Take the price from the published list (R-PAY-1); a manager may override with a reason."""
        self.unit_price = self.fee_item.price
        self.quantity = Decimal(str(self.quantity)).quantize(Decimal("0.01"))
        if self.quantity <= 0:
            raise ValidationError({"quantity": "数量必须大于 0"})
        listed = (self.unit_price * self.quantity).quantize(Decimal("0.01"))
        if override_amount is None or Decimal(str(override_amount)) == listed:
            self.amount = listed
            return
        if not may_override:
            raise ValidationError({"override_amount": "只有经理可以改价"})
        if not (reason or "").strip():
            raise ValidationError({"override_reason": "改价必须填写原因"})
        self.amount = Decimal(str(override_amount)).quantize(Decimal("0.01"))
        self.override_reason = reason.strip()

    def start(self, by, now):
        """The cash goes to finance the same day: the clock runs out at the day's end (R-PAY-1)."""
        self.start_clock("finance", "PAY_FINANCE", sla.end_of_day(self.charged_at), now)

    def hand_to_finance(self, by, now):
        self.transition("hand_to_finance", by, now, handed_to_finance_at=now)
        self.stop_clock("finance", now)

    def check_editable(self):
        """A charge counted into a shift handover is the shift's: it no longer changes."""
        if self.handover_id:
            raise DomainError("%s已列入交接班记录%s，不能再修改" % (self, self.handover))

    def void(self, by, now, reason):
        if not (reason or "").strip():
            raise ValidationError({"reason": "请填写作废原因"})
        if self.handover_id:
            raise DomainError("%s已列入交接班记录，不能作废" % self)
        self.transition("void", by, now, void_reason=reason.strip())
        self.stop_clock("finance", now)

    def clean_extra(self):
        if self.quantity is not None and Decimal(str(self.quantity)).is_finite() \
                and Decimal(str(self.quantity)) <= 0:
            return {"quantity": "数量必须大于 0"}
        return {}


class LendableItem(Register):
    AVAILABLE, ON_LOAN, REPAIR, RETIRED = "available", "on_loan", "repair", "retired"
    STATUSES = ((AVAILABLE, "在库"), (ON_LOAN, "借出"), (REPAIR, "维修中"), (RETIRED, "已报废"))

    code = CharField(max_length=20, unique=True, verbose_name="物品编号")
    name = CharField(max_length=100, verbose_name="物品名称")
    category = CharField(max_length=50, null=True, verbose_name="类别")
    deposit = MoneyField(default=Decimal("0"), verbose_name="押金（元）")
    fee_item = ForeignKeyField(FeeItem, null=True, backref="+", on_delete="RESTRICT",
                               verbose_name="超时收费项目")
    location = CharField(max_length=100, null=True, verbose_name="存放位置")
    status = ChoiceField(STATUSES, default=AVAILABLE, verbose_name="状态")

    class Meta:
        verbose_name = "借用物品"

    def __str__(self):
        return f"{self.code} {self.name}" if self.code else (self.name or "物品")


class ItemLoan(PrintedAmounts, Register):
    # Registered at the desk (deposit taken, receipt and certificate printed), then the
    # warehouse keeper issues the item against the certificate (R-LOAN-1, 2).
    WORKFLOW = workflow.ITEM_LOAN
    ISSUING, OUT, RETURNED, REFUNDED, CANCELLED = WORKFLOW.values
    STATUSES = WORKFLOW.choices

    number_prefix = "JY"
    number = number_field()
    receipt_no = CharField(max_length=20, unique=True, null=True, verbose_name="押金收据号")
    item = ForeignKeyField(LendableItem, backref="loans", on_delete="RESTRICT",
                           verbose_name="借用物品")
    customer = ForeignKeyField(Customer, null=True, backref="loans", on_delete="RESTRICT",
                               verbose_name="客户")
    borrower_name = CharField(max_length=50, verbose_name="借用人")
    borrower_phone = PhoneField(index=True, verbose_name="借用人电话")
    lent_at = DateTimeField(default=clock.now, verbose_name="借出时间")
    due_back_at = DateTimeField(null=True, verbose_name="应还时间")
    returned_at = DateTimeField(null=True, verbose_name="归还时间")
    deposit = MoneyField(default=Decimal("0"), verbose_name="押金（元）")
    fee = MoneyField(default=Decimal("0"), verbose_name="超时费（元）")
    refund = MoneyField(null=True, verbose_name="退还押金（元）")
    refunded_at = DateTimeField(null=True, verbose_name="退押金时间")
    lent_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                              verbose_name="经办人")
    issued_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                verbose_name="发放人（仓库保管员）")
    returned_to = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                  verbose_name="收回人（仓库保管员）")
    refunded_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                  verbose_name="退押金经办人")
    fee_charge = ForeignKeyField(Charge, null=True, backref="+", on_delete="RESTRICT",
                                 verbose_name="超时费收费单")
    status = ChoiceField(STATUSES, default=ISSUING, verbose_name="状态")

    date_ranges = (("lent_at", "returned_at"), ("lent_at", "due_back_at"),
                   ("returned_at", "refunded_at"))
    deadline_columns = {"free": "due_back_at"}

    class Meta:
        verbose_name = "借用物品登记"
        indexes = ((("status", "due_back_at"), False),
                   (("status", "archived_at", "due_back_at"), False))  # the dashboard's count

    def __str__(self):
        return f"{self.number or '借用'} {self.borrower_name or ''}".strip()

    def assign_number(self, now):
        super().assign_number(now)
        if not self.receipt_no:
            self.receipt_no = next_number("YJ", now)

    def take_item(self, now):
        """Reserve the item for this loan: an item already out cannot be lent twice."""
        if LendableItem.update(status=LendableItem.ON_LOAN, updated_at=now).where(
                (LendableItem.id == self.item_id)
                & (LendableItem.status == LendableItem.AVAILABLE)).execute() != 1:
            raise ValidationError({"item": "%s已借出或不可借用" % self.item})
        self.deposit = self.item.deposit

    def start(self, by, now):
        """Borrowing is free for the item's free time (default 1 hour, R-LOAN-4), counted from
        the moment the item leaves the warehouse (or from registration for an issued loan)."""
        self.start_clock("free", "LOAN_FREE", self.lent_at, now)

    def check_numbers(self, receipt_no=None, certificate_no=None, receipt=True):
        """Refuse unless the papers shown are this loan's: the certificate (借用物品证明) and,
        for a refund, the deposit receipt (R-LOAN-2, 3)."""
        same = lambda a, b: (a or "").strip().upper() == (b or "").strip().upper()  # noqa: E731
        errors = {}
        if not same(certificate_no, self.number):
            errors["certificate_no"] = ("请填写《借用物品证明》编号" if not (certificate_no or "").strip()
                                        else "证明编号与本借用登记（%s）不符" % self.number)
        if receipt and not same(receipt_no, self.receipt_no):
            errors["receipt_no"] = ("请填写押金收据号" if not (receipt_no or "").strip()
                                    else "押金收据号与本借用登记不符")
        if errors:
            raise ValidationError(errors)

    def issue(self, by, now, certificate_no, issued_at=None):
        """The warehouse keeper issues the item against the certificate's number (R-LOAN-2):
        the free time runs from the issue (`issued_at`, when recorded after the fact; else now)."""
        self.check_numbers(certificate_no=certificate_no, receipt=False)
        issued_at = issued_at or now
        if issued_at > now:
            raise ValidationError({"issued_at": "发放时间不能晚于现在"})
        if self.lent_at and issued_at < self.lent_at:
            raise ValidationError({"issued_at": "发放时间不能早于借用登记的借出时间 %s"
                                   % self.lent_at.strftime("%Y-%m-%d %H:%M")})
        with db.atomic():
            self.transition("issue", by, now, lent_at=issued_at, issued_by=by)
            self.start(by, now)

    def fee_units(self, returned_at):
        """How many of the fee item's units the loan ran past its free time (0: none)."""
        free_until = self.due_back_at or self.lent_at
        over = returned_at - free_until
        fee_item = self.item.fee_item
        if over <= timedelta(0) or fee_item is None:
            return 0
        span = {"hour": 3600, "day": 86400}.get(fee_item.unit)
        return math.ceil(over.total_seconds() / span) if span else 1

    def fee_for(self, returned_at):
        """The fee for keeping the item past the stamped free period (R-LOAN-4): every started
        hour (or day) at the item's listed price, or the listed price once for a flat fee."""
        units = self.fee_units(returned_at)
        if not units:
            return Decimal("0.00")
        return (self.item.fee_item.price * units).quantize(Decimal("0.01"))

    def return_item(self, by, now):
        """The warehouse takes the item back and writes the time on the certificate (R-LOAN-2)."""
        with db.atomic():
            self.transition("return_item", by, now, returned_at=now, returned_to=by, fee=self.fee_for(now))
            LendableItem.update(status=LendableItem.AVAILABLE, updated_at=now).where(
                LendableItem.id == self.item_id).execute()
            self.stop_clock("free", now)

    def refund_deposit(self, by, now, receipt_no, certificate_no):
        """Refund the deposit less the fee, against this loan's receipt and certificate, one
        loan at a time (R-LOAN-3). A fee kept becomes a paid-service charge of the clerk's
        shift, handed to finance like any other (R-LOAN-4, R-PAY-1)."""
        self.check_numbers(receipt_no, certificate_no)
        with db.atomic():
            charge = None
            if Decimal(str(self.fee or 0)) > 0:
                charge = Charge(fee_item=self.item.fee_item, customer=self.customer_id,
                                payer_name=self.borrower_name,
                                quantity=Decimal(self.fee_units(self.returned_at)),
                                payment_method="cash", charged_at=now, charged_by=by,
                                created_by=by, created_at=now, updated_at=now)
                charge.price(self.fee, "借用物品%s超时费（从押金中扣除）" % self.number,
                             may_override=True)
                charge.assign_number(now)
                charge.full_clean()
                charge.save()
                charge.start(by, now)
            self.transition("refund", by, now, refund=self.refund_due, refunded_at=now, refunded_by=by,
                            fee_charge=charge)
        return charge

    @property
    def refund_due(self):
        """The deposit less the fee kept from it (R-LOAN-3)."""
        return max(Decimal(str(self.deposit or 0)) - Decimal(str(self.fee or 0)), Decimal("0.00"))

    @property
    def fee_owed(self):
        """What the borrower still owes when the fee exceeds the deposit."""
        return max(Decimal(str(self.fee or 0)) - Decimal(str(self.deposit or 0)), Decimal("0.00"))
