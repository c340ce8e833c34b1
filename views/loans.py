"""Paid services and loans (有偿服务): price list, charges, lendable items, loans."""
from decimal import Decimal

from models import Charge, FeeItem, ItemLoan, LendableItem
from views.base import A, AU, C, GM, PM, S, KefuModelView


class FeeItemView(KefuModelView):
    column_list = ("code", "name", "unit", "price", "effective_from", "is_active")
    column_default_sort = ("code", False)


class ChargeView(KefuModelView):
    read_roles = frozenset({A, C, PM, GM, AU})
    write_roles = frozenset({A, C})
    column_list = ("number", "charged_at", "customer", "payer_name", "fee_item", "quantity",
                   "amount", "payment_method", "status", "charged_by", "handed_to_finance_at")
    # The amount comes from the price list (issue 3); hand-over is an action.
    form_excluded_extra = ("status", "handed_to_finance_at", "unit_price", "amount")
    stamp_user_fields = ("charged_by",)

    def before_save(self, form, model, created, now):
        model.unit_price = model.fee_item.price if model.fee_item_id else None
        if model.unit_price is not None and model.quantity is not None:
            model.amount = (model.unit_price * model.quantity).quantize(Decimal("0.01"))


class LendableItemView(KefuModelView):
    write_roles = frozenset({A, C})
    column_list = ("code", "name", "category", "deposit", "fee_item", "free_minutes", "location",
                   "status")
    column_default_sort = ("code", False)


class ItemLoanView(KefuModelView):
    write_roles = frozenset({A, C, S})
    column_list = ("number", "receipt_no", "item", "borrower_name", "borrower_phone", "lent_at",
                   "due_back_at", "returned_at", "deposit", "fee", "status")
    form_excluded_extra = ("status", "returned_at", "fee", "refund", "refunded_at", "deposit")
    stamp_user_fields = ("lent_by",)

    def before_save(self, form, model, created, now):
        if created and model.item_id:
            model.deposit = model.item.deposit


def register(admin, category):
    admin.add_view(FeeItemView(FeeItem, category=category))
    admin.add_view(ChargeView(Charge, category=category))
    admin.add_view(LendableItemView(LendableItem, category=category))
    admin.add_view(ItemLoanView(ItemLoan, category=category))
