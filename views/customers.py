"""Customer register (客户档案)."""
from models import Customer
from views.base import A, C, M, KefuModelView


class CustomerView(KefuModelView):
    write_roles = frozenset({A, C, M})
    column_list = ("name", "kind", "shop_no", "floor", "category", "contact_person", "phone",
                   "lease_end", "status")
    column_default_sort = ("name", False)


def register(admin, category):
    admin.add_view(CustomerView(Customer, category=category))
