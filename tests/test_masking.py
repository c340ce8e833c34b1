"""Personal data reaches the masked roles (pm, gm, auditor) only masked, whatever they do
(issue 18): no sort, search, form, report, export or survey link depends on a value they
cannot see."""
import re

import pytest
from peewee import fn

from conftest import browser_form
from models import Customer
from privacy import personal_fields

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
    assert checked == {"customer", "contact", "itemloan", "complaint", "complaintpasson"}


def test_the_search_box_offers_no_personal_column_to_a_masked_role(login, app):
    placeholder = re.compile(r'placeholder="([^"]*)"')
    pm = placeholder.findall(login("pm").get("/admin/customer/").text)
    clerk = placeholder.findall(login("clerk").get("/admin/customer/").text)
    assert any("联系电话" in p for p in clerk)
    assert not any("联系电话" in p or "电话输入" in p for p in pm)


def test_a_masked_role_cannot_find_a_record_by_a_personal_value(login, app):
    from models import Contact
    customer = (Customer.select().where(Customer.phone.is_null(False) & fn.EXISTS(
        Contact.select().where(Contact.customer == Customer.id))).order_by(Customer.id).first())
    Customer.update(phone="13912345678", address="上海市浦东新区世纪大道100号").where(
        Customer.id == customer.id).execute()
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


# ---------------------------------------------------------------- forms

FULL_PHONE, MASKED_PHONE = "13700001111", "137****1111"


def field_tag(page, name):
    """The <input> tag of form field `name`."""
    tag = re.search(r'<input[^>]*\bname="%s"[^>]*>' % re.escape(name), page)
    assert tag, "no field %s" % name
    return tag.group(0)


@pytest.fixture
def complaint(app):
    from factories import make_complaint
    return make_complaint()


@pytest.mark.parametrize("role", ("pm", "gm"))
def test_the_complaint_edit_form_gives_a_masked_role_only_the_masked_phone(login, complaint, role):
    url = "/admin/complaint/edit/?id=%d" % complaint.id
    page = login(role).get(url)
    assert page.status_code == 200
    assert FULL_PHONE not in page.text
    tag = field_tag(page.text, "complainant_phone")
    assert 'value="%s"' % MASKED_PHONE in tag and "disabled" in tag
    clerk = field_tag(login("clerk").get(url).text, "complainant_phone")
    assert 'value="%s"' % FULL_PHONE in clerk and "disabled" not in clerk


@pytest.mark.parametrize("posted", (None, MASKED_PHONE, "", "13900000000"))
def test_saving_a_masked_form_never_overwrites_the_stored_phone(login, complaint, posted):
    from models import Complaint
    url = "/admin/complaint/edit/?id=%d" % complaint.id
    pm = login("pm")
    data = browser_form(pm.get(url).text, subject="改过的主题")
    if posted is not None:  # a crafted post: the disabled field sent anyway
        data["complainant_phone"] = posted
    response = pm.post(url, data=data)
    assert response.status_code == 302, response.text
    saved = Complaint.get_by_id(complaint.id)
    assert saved.subject == "改过的主题" and saved.complainant_phone == FULL_PHONE


def test_a_refused_masked_form_is_drawn_again_masked(login, complaint):
    url = "/admin/complaint/edit/?id=%d" % complaint.id
    pm = login("pm")
    response = pm.post(url, data=browser_form(pm.get(url).text, subject=""))
    assert response.status_code == 200 and FULL_PHONE not in response.text
    assert 'value="%s"' % MASKED_PHONE in field_tag(response.text, "complainant_phone")


def test_a_masked_role_creates_a_record_without_personal_data(login, app):
    from models import Complaint
    pm = login("pm")
    page = pm.get("/admin/complaint/new/?complainant_phone=13900000000").text
    tag = field_tag(page, "complainant_phone")
    assert "disabled" in tag and "13900000000" not in page
    data = browser_form(page, complainant_name="钱先生", subject="总经理登记的投诉",
                           channel="phone", category="property", severity="general",
                           received_at="2026-11-23 09:00:00", complainant_phone="13900000000")
    response = pm.post("/admin/complaint/new/", data=data)
    assert response.status_code == 302, response.text
    made = Complaint.get(Complaint.subject == "总经理登记的投诉")
    assert made.complainant_phone in (None, "")


def test_every_form_a_masked_role_opens_shows_personal_fields_masked_and_disabled(login, app):
    from models import Customer
    checked = set()
    for view in grid_views(app):
        personal = personal_fields(view.model)
        if not personal:
            continue
        record = view.model.select().order_by(view.model.id.desc()).first()
        for role in ("pm", "gm"):
            client = login(role)
            for url in ("/admin/%s/new/" % view.endpoint,
                        "/admin/%s/edit/?id=%d" % (view.endpoint, record.id) if record else None):
                page = client.get(url) if url else None
                if page is None or page.status_code != 200 or "<form" not in page.text:
                    continue
                for name in personal:
                    if 'name="%s"' % name in page.text:
                        assert "disabled" in field_tag(page.text, name), (url, name)
                        stored = getattr(record, name) if record and "edit" in url else None
                        if stored:
                            assert 'value="%s"' % stored not in page.text, (url, name)
                        checked.add(view.endpoint)
    assert "complaint" in checked


# ---------------------------------------------------------------- the monthly complaint analysis

def xlsx_text(data):
    """Every text of a workbook (its XML parts), to search for a value."""
    import io
    import zipfile
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return "".join(book.read(name).decode("utf-8") for name in book.namelist()
                       if name.endswith(".xml"))


def repeat_complaints(phone=FULL_PHONE):
    """Two complaints in May 2025 by one person known only by phone."""
    from datetime import datetime
    from models import Complaint
    for day in (5, 6):
        at = datetime(2025, 5, day, 10, 0)
        complaint = Complaint.create(
            complainant_name="孙女士", complainant_phone=phone, channel="phone",
            category="property", subject="重复投诉 %d" % day, severity="general",
            department=Complaint.route("property"), received_at=at, created_at=at, updated_at=at)
        complaint.assign_number(at)
        complaint.save()


def test_a_stored_complaint_report_keeps_no_phone(app):
    from datetime import date
    import reports
    from conftest import DEMO_NOW
    repeat_complaints()
    report = reports.generate_complaint_report(date(2025, 5, 1), DEMO_NOW)
    assert FULL_PHONE not in (report.figures or "") + (report.summary or "")
    assert "孙女士（%s）" % MASKED_PHONE in report.figures


def report_pages(client, report):
    """The report's page, its CSV, and the report grid's CSV and workbook, as one text."""
    return "".join((
        client.get("/admin/complaintreport/details/?id=%d" % report.id).text,
        client.get("/admin/complaintreport/report.csv?id=%d" % report.id).text,
        client.get("/admin/complaintreport/").text,
        client.get("/admin/complaintreport/export/csv/").text,
        xlsx_text(client.get("/admin/complaintreport/export/xlsx/").data)))


def test_a_report_stored_with_a_full_phone_shows_it_masked_to_masked_roles(login, app):
    """A report generated before issue 18 named repeat complainants by their full phone."""
    import json
    from datetime import date
    import reports
    from conftest import DEMO_NOW
    from models import ComplaintReport
    report = reports.generate_complaint_report(date(2025, 5, 1), DEMO_NOW)
    figures = json.loads(report.figures)
    figures["repeat_complainants"] = {FULL_PHONE: 3}
    ComplaintReport.update(figures=json.dumps(figures, ensure_ascii=False)).where(
        ComplaintReport.id == report.id).execute()
    assert FULL_PHONE in report_pages(login("clerk"), report)
    for role in MASKED_ROLES:
        text = report_pages(login(role), report)
        assert FULL_PHONE not in text, role
        assert MASKED_PHONE in text, role


# ---------------------------------------------------------------- survey answer links

def test_only_those_who_hand_out_questionnaires_see_the_answer_links(login, app):
    from models import SurveyDistribution
    tokens = [d.token for d in SurveyDistribution.select()]
    assert tokens
    view = view_of(app, SurveyDistribution)
    at = column_index(view, "token")
    for role in ("clerk", "admin", "ops"):
        client = login(role)
        grid = client.get("/admin/surveydistribution/?page_size=100").text
        assert "/s/" in grid and any(t in grid for t in tokens), role
    for role in MASKED_ROLES:
        client = login(role)
        texts = [client.get("/admin/surveydistribution/?page_size=100").text,
                 client.get("/admin/surveydistribution/?sort=%d" % at).text,
                 client.get("/admin/surveydistribution/details/?id=%d"
                            % SurveyDistribution.select().first().id).text,
                 client.get("/admin/surveydistribution/export/csv/").text,
                 xlsx_text(client.get("/admin/surveydistribution/export/xlsx/").data)]
        for text in texts:
            assert not any(token in text for token in tokens), role
        assert "仅发放人员可见" in texts[0] and not header_is_link(texts[1], "token")


# ---------------------------------------------------------------- the crawl

KNOWN = {"phone": "13812345678", "id_number": "110101199003071234",
         "address": "上海市浦东新区世纪大道100号"}


@pytest.mark.slow
def test_a_masked_role_finds_no_known_personal_value_anywhere(login, app, complaint):
    """As pm, gm and auditor: every grid sorted by every column, its CSV and workbook, the
    records' pages and forms, the complaint report's page and CSV; no full value anywhere."""
    import json
    from datetime import date
    import reports
    from conftest import DEMO_NOW
    from models import ComplaintReport
    customer = Customer.select().where(Customer.phone.is_null(False)).first()
    Customer.update(**KNOWN).where(Customer.id == customer.id).execute()
    repeat_complaints(KNOWN["phone"])
    report = reports.generate_complaint_report(date(2025, 5, 1), DEMO_NOW)
    legacy = json.loads(report.figures)
    legacy["repeat_complainants"][FULL_PHONE] = 2  # as stored before issue 18
    ComplaintReport.update(figures=json.dumps(legacy, ensure_ascii=False)).where(
        ComplaintReport.id == report.id).execute()
    secrets = (KNOWN["phone"], KNOWN["id_number"], "世纪大道", FULL_PHONE)
    records = {"customer": customer.id, "complaint": complaint.id, "complaintreport": report.id}
    for role in MASKED_ROLES:
        client = login(role)
        pages = ["/admin/customer/360/?id=%d" % customer.id,
                 "/admin/complaintreport/report.csv?id=%d" % report.id]
        for view in grid_views(app):
            if role not in view.read_roles:
                continue
            grid = "/admin/%s/" % view.endpoint
            pages += [grid, grid + "export/csv/", grid + "export/xlsx/",
                      grid + "new/", grid + "edit/?id=%d" % records.get(view.endpoint, 0)]
            pages += [grid + "?sort=%d" % at for at in range(len(view._list_columns))]
            if view.endpoint in records:
                pages.append(grid + "details/?id=%d" % records[view.endpoint])
        for url in pages:
            response = client.get(url)
            assert response.status_code in (200, 302, 403, 404), (role, url, response.status_code)
            text = xlsx_text(response.data) if "/xlsx/" in url and response.status_code == 200 \
                else response.get_data(as_text=True)
            for secret in secrets:
                assert secret not in text, (role, url, secret)
    clerk = login("clerk")
    assert KNOWN["phone"] in clerk.get("/admin/customer/details/?id=%d" % customer.id).text
    assert FULL_PHONE in clerk.get("/admin/complaint/edit/?id=%d" % complaint.id).text
