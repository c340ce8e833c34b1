"""Customer register (客户档案) with each customer's contact cadence (R-COM-3)."""
from flask import abort, g, request
from flask_admin import expose
from flask_admin.contrib.peewee import filters as pf
from markupsafe import Markup

import clock
from i18n import _l
import crm
import sla
from jobs.segments import SEGMENT_COLUMNS
from models import Customer, Department
from views import crm as crm_views
from privacy import personal_fields
from views.base import KefuModelView, masked


def cadence_condition(now, overdue=True):
    """Customers whose next contact is overdue (or due soon: within sla.CADENCE_DUE_SOON),
    from the COM_* rules."""
    moment = now if overdue else sla.cadence_soon_until(now)
    rules = Customer.cadence_rules()
    calendar = Customer.cadence_calendar(rules.values())
    condition = None
    for kind, limit in rules.items():
        one = Customer.cadence_due_before(kind, limit, moment, calendar)  # as the cadence job counts
        condition = one if condition is None else (condition | one)
    return condition if condition is not None else (Customer.id < 0)


class CadenceFilter(pf.BasePeeweeFilter):
    """沟通逾期 / 7 天内到期 (sla.CADENCE_DUE_SOON): computed live from the last contact and
    the kind's cadence."""
    url_name = "cadence"

    def __init__(self, column, name):
        super().__init__(column, name, options=(("overdue", _l("已逾期")), ("soon", _l("7 天内到期"))))

    def apply(self, query, value):
        return query.where(cadence_condition(clock.now(), overdue=(value != "soon")))

    def operation(self):
        return _l("沟通")


def _page_cache():
    """The cadence rules, their calendar and the department names, read once per page (not
    once per row)."""
    if "kefu_cadence" not in g:
        rules = Customer.cadence_rules()
        g.kefu_cadence = (rules, Customer.cadence_calendar(rules.values()),
                          {d.code: d.name for d in Department.select(Department.code, Department.name)})
    return g.kefu_cadence


def cadence_formatter(view, context, row, name):
    now = clock.now()
    rules, calendar, _ = _page_cache()
    if row.kind not in rules or row.status != Customer.ACTIVE:
        return ""
    due = row.contact_due(rules, calendar)
    if due is None:
        return ""
    if due < now:
        return Markup('<span class="text-danger font-weight-bold">%s %s</span>') % (
            _l("逾期"), due.strftime("%Y-%m-%d"))
    return _l("下次 %(date)s", date=due.strftime("%Y-%m-%d"))


def owner_formatter(view, context, row, name):
    code = Customer.CADENCE.get(row.kind, (None, None))[1]
    return _page_cache()[2].get(code, "")


def name_formatter(view, context, row, name):
    """The name opens the customer's 360 page."""
    return Markup('<a href="%s" title="%s">%s</a>') % (
        view.get_url(".customer_360_view", id=row.id), _l("客户全景"), row.name)


class CustomerView(KefuModelView):
    column_list = ("name", "kind", "shop_no", "floor", "category", "contact_person", "phone",
                   "lease_end", "status", "last_contact_at", "cadence", "cadence_owner",
                   "value_segment", "risk_segment")
    column_labels = {"cadence": "沟通频次", "cadence_owner": "沟通责任部门"}
    column_formatters = {"cadence": cadence_formatter, "cadence_owner": owner_formatter,
                         "name": name_formatter}
    column_default_sort = ("name", False)
    # Kept by the cadence and segment jobs, never typed.
    form_excluded_extra = ("last_contact_at", "cadence_contact_at", "segmented_at") + SEGMENT_COLUMNS
    column_details_exclude_list = ("segment_reasons",)

    def _default_filters(self, model):
        return [CadenceFilter(Customer.last_contact_at, _l("沟通频次"))] + super()._default_filters(model)

    def extra_links(self, record):
        links = [("客户全景", self.get_url(".customer_360_view", id=record.id))]
        if crm_views.may_take_calls(self.admin, record):
            links.append(("来电弹屏", self.get_url("caller.index", customer=record.id)))
        return links

    @expose("/360/")
    def customer_360_view(self):
        """客户全景 (R-CRM-1): identity, lease, segments, what is open, and one timeline."""
        customer = self.get_one(request.args.get("id"))
        if customer is None:
            abort(404)
        now = clock.now()
        visible = crm_views.readable_registers(self.admin)
        kinds = [k for k in request.args.getlist("kind") if k in crm.SOURCE_BY_KEY]
        try:
            page = max(1, min(int(request.args.get("page", 1)), 1000))
        except ValueError:
            page = 1
        events, more = crm.timeline(customer.id, now, visible, kinds=kinds, page=page)
        shown = {name: masked(kind)(self, None, customer, name) or ""
                 for name, kind in personal_fields(Customer).items()}
        return self.render("kefu/customer_360.html", customer=customer, shown=shown,
                           open_items=crm.open_items(customer.id, now, visible),
                           events=events, more=more, page=page, kinds=kinds,
                           sources=[s for s in crm.SOURCES if crm.readable(s, visible)],
                           segments=crm.reasons_of(customer), event_url=crm_views.event_url,
                           lease_months=crm.lease_months_left(customer, now),
                           take_calls=crm_views.may_take_calls(self.admin, customer))


def register(admin, category):
    admin.add_view(CustomerView(Customer, category=category))
    crm_views.register_segments(admin, category)
