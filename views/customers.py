"""Customer register (客户档案) with each customer's contact cadence (R-COM-3)."""
from datetime import timedelta

from flask import g
from flask_admin.contrib.peewee import filters as pf
from markupsafe import Markup
from peewee import fn

import clock
from i18n import _l
from models import Customer, Department
from views.base import A, C, M, KefuModelView


def cadence_condition(now, overdue=True):
    """Customers whose next contact is overdue (or due within 7 days), from the COM_* rules."""
    condition = None
    for kind, days in Customer.cadence_days().items():
        boundary = now - timedelta(days=days if overdue else days - 7)
        # As the cadence job counts: from the last contact, else from the registration.
        reference = fn.COALESCE(Customer.last_contact_at, Customer.created_at) < boundary
        one = (Customer.kind == kind) & reference & (Customer.status == Customer.ACTIVE) \
            & Customer.archived_at.is_null()
        condition = one if condition is None else (condition | one)
    return condition if condition is not None else (Customer.id < 0)


class CadenceFilter(pf.BasePeeweeFilter):
    """沟通逾期 / 30 天内... : computed live from the last contact and the kind's cadence."""
    url_name = "cadence"

    def __init__(self, column, name):
        super().__init__(column, name, options=(("overdue", _l("已逾期")), ("soon", _l("7 天内到期"))))

    def apply(self, query, value):
        return query.where(cadence_condition(clock.now(), overdue=(value != "soon")))

    def operation(self):
        return _l("沟通")


def _page_cache():
    """The cadence rules and department names, read once per page (not once per row)."""
    if "kefu_cadence" not in g:
        g.kefu_cadence = (Customer.cadence_days(),
                          {d.code: d.name for d in Department.select(Department.code, Department.name)})
    return g.kefu_cadence


def cadence_formatter(view, context, row, name):
    now = clock.now()
    days = _page_cache()[0]
    if row.kind not in days or row.status != Customer.ACTIVE:
        return ""
    due = row.contact_due(days)
    if due is None:
        return ""
    if due < now:
        return Markup('<span class="text-danger font-weight-bold">%s %s</span>') % (
            _l("逾期"), due.strftime("%Y-%m-%d"))
    return _l("下次 %(date)s", date=due.strftime("%Y-%m-%d"))


def owner_formatter(view, context, row, name):
    code = Customer.CADENCE.get(row.kind, (None, None))[1]
    return _page_cache()[1].get(code, "")


class CustomerView(KefuModelView):
    write_roles = frozenset({A, C, M})
    column_list = ("name", "kind", "shop_no", "floor", "category", "contact_person", "phone",
                   "lease_end", "status", "last_contact_at", "cadence", "cadence_owner")
    column_labels = {"cadence": "沟通频次", "cadence_owner": "沟通责任部门"}
    column_formatters = {"cadence": cadence_formatter, "cadence_owner": owner_formatter}
    column_default_sort = ("name", False)
    form_excluded_extra = ("last_contact_at",)

    def _default_filters(self, model):
        return [CadenceFilter(Customer.last_contact_at, _l("沟通频次"))] + super()._default_filters(model)


def register(admin, category):
    admin.add_view(CustomerView(Customer, category=category))
