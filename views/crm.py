"""The caller screen (R-CRM-2, R-CRM-3), the script library and the segment rules (R-CRM-4);
the customer 360 page itself is on the customer register (views/customers.py)."""
from flask import abort, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

import access
import clock
import crm
from i18n import _l
from models import CallScript, Contact, Customer, SegmentRule
from views.base import CONTROL_CHARS, KefuModelView, parse_id

# What a reason of the call becomes when the clerk registers the call (Contact.kind).
CONTACT_KIND = {"repair_open": "repair", "repair_callback": "repair",
                "complaint_open": "complaint", "complaint_callback": "complaint",
                "service_pending": "service", "loan_out": "loan"}


def readable_registers(admin):
    """{model: row scope or None} of every register the logged-in user may read."""
    return {view.model: view.scope_condition() for view in admin._views
            if getattr(view, "model", None) is not None and view.is_accessible()}


def may_take_calls(admin, customer):
    """Does the logged-in user have the caller screen, and is the customer one to call?"""
    return not customer.archived_at and any(
        view.endpoint == "caller" and view.is_accessible() for view in admin._views)


def event_url(event):
    return url_for(event["model"].__name__.lower() + ".details_view", id=event["record_id"])


def new_contact_url(customer, phone, reason=None):
    """The contact form, pre-filled with the caller and the reason of the call."""
    args = {"channel": "phone", "phone": phone or (customer.phone if customer else None)}
    if customer is not None:
        args.update(customer=customer.id, visitor_name=customer.contact_person)
    if reason is not None:
        args["kind"] = CONTACT_KIND.get(reason["trigger"], "enquiry")
        item = reason.get("item")
        args["subject"] = (item["title"] if item else reason["label"])[:200]
    return url_for("contact.create_view", url=url_for("caller.index"),
                   **{k: v for k, v in args.items() if v})


class CallerView(BaseView):
    """来电弹屏: who is calling, what is open for them, why they probably call, what to say."""

    def is_accessible(self):
        # The hotline and the desk: who see callers' numbers in full and register contacts.
        return (access.may(current_user, "caller_screen")
                and any(getattr(v, "model", None) is Contact and v.may_write()
                        for v in self.admin._views))

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.url))
        abort(403)

    def _panel(self):
        """Everything the screen shows for ?q= (or ?phone=) and an optionally chosen ?customer=."""
        term = CONTROL_CHARS.sub("", request.args.get("q") or request.args.get("phone") or "").strip()[:50]
        chosen = parse_id(request.args.get("customer"))
        now = clock.now()
        visible = readable_registers(self.admin)
        candidates = crm.find_callers(term, visible) if term and not chosen else []
        customer = None
        if chosen:
            customer = Customer.get_or_none((Customer.id == chosen) & Customer.archived_at.is_null())
            if customer is None:
                abort(404)
        elif len(candidates) == 1:
            customer = candidates[0][0]
        context = {"term": term, "candidates": candidates, "customer": customer,
                   "searched": bool(term) or bool(chosen), "event_url": event_url}
        phone = crm.phone_digits(term)
        if customer is not None:
            reasons = crm.likely_reasons(customer, now, visible)
            context.update(
                open_items=crm.open_items(customer.id, now, visible),
                recent=crm.timeline(customer.id, now, visible, per_page=8)[0],
                reasons=reasons, segments=crm.reasons_of(customer),
                lease_months=crm.lease_months_left(customer, now))
        elif term and not candidates:
            context.update(reasons=crm.likely_reasons(None, now, {}),
                           earlier=crm.earlier_contacts_by_phone(term, visible))
        for reason in context.get("reasons", ()):
            reason["contact_url"] = new_contact_url(customer, phone, reason)
        context["contact_url"] = new_contact_url(customer, phone, (context.get("reasons") or [None])[0])
        return context

    @expose("/")
    def index(self):
        return self.render("kefu/caller.html", **self._panel())

    @expose("/panel")
    def panel(self):
        """Only the result part of the screen, fetched while the clerk types."""
        return self.render("kefu/caller_panel.html", **self._panel())


class CallScriptView(KefuModelView):
    column_list = ("trigger", "topic", "seq", "department", "owner", "is_active")
    column_default_sort = ("trigger", False)
    column_descriptions = {"script": _l("可用占位符：%(names)s，来电弹屏按来电客户的记录填入",
                                        names="、".join(CallScript.PLACEHOLDERS))}


class SegmentRuleView(KefuModelView):
    column_list = ("dimension", "seq", "metric", "operator", "threshold", "level", "kinds",
                   "is_active")
    column_default_sort = ("dimension", False)
    column_descriptions = {
        "seq": _l("同一维度中顺序靠前的规则先匹配，决定分层结果；所有匹配的规则都作为依据显示"),
        "kinds": _l("客户类别代码或中文名称，逗号分隔，例如：商户,主力店")}


def register(admin, category):
    admin.add_view(CallScriptView(CallScript, category=category))


def register_segments(admin, category):
    admin.add_view(SegmentRuleView(SegmentRule, category=category))
