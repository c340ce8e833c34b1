"""Personal data reaches the masked roles (pm, gm, auditor) only masked, whatever they do
(issue 18): no sort, search, form, report, export or survey link depends on a value they
cannot see."""
import re

import pytest

from models import Customer
from views.base import personal_fields

MASKED_ROLES = ("pm", "gm", "auditor")


def view_of(app, model):
    return next(v for v in app.extensions["admin"][0]._views if getattr(v, "model", None) is model)


def grid_views(app):
    """Every register's grid view (the ones drawn from a model)."""
    return [v for v in app.extensions["admin"][0]._views if getattr(v, "model", None) is not None]


def row_ids(page, endpoint):
    """The ids of a grid page's rows, in the order shown."""
    body = page.split("</thead>", 1)[-1]
    return list(dict.fromkeys(re.findall(r"/admin/%s/details/\?id=(\d+)" % endpoint, body)))


def header_is_link(page, name):
    """Is grid column `name`'s header a sort link?"""
    header = re.search(r'<th class="column-header col-%s">(.*?)</th>' % re.escape(name), page, re.S)
    assert header, "no column %s" % name
    return "<a " in header.group(1)


def column_index(view, name):
    return [c for c, _ in view._list_columns].index(name)


def test_a_masked_role_cannot_order_customers_by_their_hidden_phone(login, app):
    view = view_of(app, Customer)
    at = column_index(view, "phone")
    # Phones in the reverse order of names: sorting by phone would turn the default order round.
    customers = list(Customer.select().order_by(Customer.name, Customer.id))
    for n, customer in enumerate(customers):
        Customer.update(phone="139%08d" % (len(customers) - n)).where(
            Customer.id == customer.id).execute()
    clerk_order = row_ids(login("clerk").get("/admin/customer/?sort=%d" % at).text, "customer")
    by_phone = [str(c.id) for c in Customer.select().order_by(Customer.phone)][:len(clerk_order)]
    assert clerk_order == by_phone
    for role in MASKED_ROLES:
        client = login(role)
        default = row_ids(client.get("/admin/customer/").text, "customer")
        for args in ("?sort=%d" % at, "?sort=%d&desc=1" % at):
            page = client.get("/admin/customer/" + args).text
            assert row_ids(page, "customer") == default, (role, args)
            assert not header_is_link(page, "phone")


def test_a_clerk_still_sorts_by_phone(login, app):
    assert header_is_link(login("clerk").get("/admin/customer/").text, "phone")


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_no_grid_sorts_a_personal_column_for_a_masked_role(login, app, role):
    client = login(role)
    checked = set()
    for view in grid_views(app):
        if role not in view.read_roles:
            continue
        personal = [name for name, _ in view._list_columns if name in personal_fields(view.model)]
        if not personal:
            continue
        url = "/admin/%s/" % view.endpoint
        default = client.get(url)
        assert default.status_code == 200, url
        for name in personal:
            at = column_index(view, name)
            page = client.get(url + "?sort=%d&desc=1" % at).text
            assert row_ids(page, view.endpoint) == row_ids(default.text, view.endpoint), (url, name)
            assert not header_is_link(page, name), (url, name)
            checked.add(view.endpoint)
    assert checked == {"customer", "contact", "itemloan", "complaint"}


def test_the_search_box_offers_no_personal_column_to_a_masked_role(login, app):
    placeholder = re.compile(r'placeholder="([^"]*)"')
    pm = placeholder.findall(login("pm").get("/admin/customer/").text)
    clerk = placeholder.findall(login("clerk").get("/admin/customer/").text)
    assert any("联系电话" in p for p in clerk)
    assert not any("联系电话" in p or "电话输入" in p for p in pm)


def test_a_masked_role_cannot_find_a_record_by_a_personal_value(login, app):
    customer = Customer.select().where(Customer.phone.is_null(False)).first()
    Customer.update(phone="13912345678", address="上海市浦东新区世纪大道100号").where(
        Customer.id == customer.id).execute()
    from models import Contact
    contacts = {str(c.id) for c in Contact.select().where(Contact.customer == customer.id)}
    assert contacts and contacts <= set(row_ids(
        login("clerk").get("/admin/contact/?search=13912345678&page_size=100").text, "contact"))
    for term in ("13912345678", "1391234", "5678", "世纪大道"):
        assert str(customer.id) in row_ids(
            login("clerk").get("/admin/customer/?search=" + term).text, "customer") \
            or term == "世纪大道"  # an address is not a search column
        for role in MASKED_ROLES:
            client = login(role)
            assert str(customer.id) not in row_ids(
                client.get("/admin/customer/?search=" + term).text, "customer"), (role, term)
            if term.startswith("139"):  # nor a record by its customer's phone
                assert not set(row_ids(client.get("/admin/contact/?search=" + term).text,
                                       "contact")) & contacts, (role, term)
