"""Odd input never gives an error page: labels and data holding %, {} and the like, dates out of
any sane range, endless numbers, huge paging numbers, broken files and NUL characters. Each is
a page that works, or a Chinese message next to the field with the database unchanged.

`-k nul` runs only the NUL cases (KEFU_TEST_POSTGRES=1 for PostgreSQL, which refuses NUL)."""
import io
import json
import re
from datetime import date, datetime

import pytest
from peewee import DateField, DateTimeField

from conftest import csrf_token
from i18n import _l, formatted, template_gettext
from models import (REGISTERS, ActionItem, Alert, AuditLog, CalendarDay, CallScript, Charge,
                    ComplaintGuideline, ComplaintPassOn, ComplaintReport, Complaint, Contact, CorrectiveAction,
                    Customer, FeeItem, ItemLoan, LendableItem, Meeting, RepairOrder, SegmentRule,
                    ServiceRequest, SlaRule, Survey, SurveyDistribution, SurveyQuestion,
                    SurveyResponse, db)
from helpers import WRITABLE, field_errors, url, valid_form

DATE_MESSAGE = "日期须在 2000-01-01 至 2100-12-31 之间"
NUMBER_MESSAGE = "请输入有效的数字"
NUL_MESSAGE = "含有无效的空字符"
HUGE = "1" + "0" * 40  # a 40-digit number
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def inputs(html, kind):
    """The names of a form page's inputs of one kind: 'date', 'number' or 'text'."""
    names = []
    for tag in re.findall(r"<(?:input|textarea)\b[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if name is None or name.group(1) in ("csrf_token", "kefu_version"):
            continue
        picker = re.search(r'data-role="date(?:time)?picker"', tag)
        if kind == "date" and picker \
                or kind == "number" and 'type="number"' in tag \
                or kind == "text" and not picker and (tag.startswith("<textarea")
                                                      or re.search(r'type="(text|email|tel)"', tag)):
            names.append(name.group(1))
    return names


def refused(client, model, form_url, data, field, message=None):
    """POST a form with one bad field: the page answers 200 with a Chinese message next to
    that field and nothing is written."""
    before, audits = model.select().count(), AuditLog.select().count()
    response = client.submit(form_url, data)
    assert response.status_code == 200, (model.__name__, field, response.status_code)
    errors = field_errors(response.text, field)
    assert errors and all(CHINESE.search(e) for e in errors), (model.__name__, field, errors)
    if message:
        assert any(message in e for e in errors), (model.__name__, field, errors)
    assert model.select().count() == before
    assert AuditLog.select().count() == audits
    return response


# ---------------------------------------------------------------- labels and data with %, {}

def test_a_survey_made_in_the_console_shows_its_details(as_admin):
    assert as_admin.submit(url(Survey, "new/"), valid_form(Survey)).status_code == 302
    survey = Survey.select().order_by(Survey.id.desc()).first()
    page = as_admin.get(url(Survey, f"details/?id={survey.id}"))
    assert page.status_code == 200 and "目标回收率（%）" in page.text


def test_a_demo_survey_shows_its_details_after_it_is_distributed(as_admin):
    survey = Survey.select().where(Survey.status.in_((Survey.APPROVED, Survey.RUNNING))).first()
    tenant = Customer.select().where((Customer.kind == "tenant") & Customer.shop_no.is_null(False)
                                     & Customer.archived_at.is_null()).first()
    step = url(Survey, f"step/distribute/?id={survey.id}")
    assert as_admin.submit(step, {"shop_nos": tenant.shop_no}).status_code == 302
    page = as_admin.get(url(Survey, f"details/?id={survey.id}"))
    assert page.status_code == 200 and "发放问卷" in page.text


@pytest.mark.parametrize("language", ["zh_Hans_CN", "en"])
def test_a_time_limit_rule_shows_its_details_after_its_warning_share_is_edited(as_admin, language):
    rule = SlaRule.select().where(SlaRule.archived_at.is_null()).first()
    data = {"code": rule.code, "name": rule.name, "applies_to": rule.applies_to or "",
            "clock": rule.clock, "amount": str(rule.amount), "unit": rule.unit,
            "warn_percent": "80", "is_active": "y"}
    assert as_admin.submit(url(SlaRule, f"edit/?id={rule.id}"), data).status_code == 302
    as_admin.get(f"/lang/{language}")
    page = as_admin.get(url(SlaRule, f"details/?id={rule.id}"))
    assert page.status_code == 200
    assert SlaRule.get_by_id(rule.id).warn_percent == 80


def test_labels_and_data_keep_their_percent_signs_and_braces(app):
    with app.test_request_context("/"):
        assert str(_l("预警比例（%）")) == "预警比例（%）"
        assert template_gettext("100% {0} %s %(x)s") == "100% {0} %s %(x)s"
        assert template_gettext("剩余约 %(n)s 个月", n=3) == "剩余约 3 个月"
        assert str(_l("下次 %(date)s", date="%s{0}")) == "下次 %s{0}"
    # A translation whose placeholder does not match falls back to the filled source text.
    assert formatted("Next %(day)s", "下次 %(date)s", {"date": "5/1"}) == "下次 5/1"
    assert formatted("50%（", "50%（", {"x": 1}) == "50%（"


@pytest.mark.parametrize("text", ["100%", "%s", "%(name)s", "{0}", "{}", "%d%%（%）", "{{ 1 }}"])
def test_data_with_format_characters_shows_on_every_page(as_clerk, text):
    data = valid_form(Contact) | {"subject": f"测试{text}", "visitor_name": f"王{text}",
                                  "phone": "13812345670"}
    assert as_clerk.submit(url(Contact, "new/"), data).status_code == 302
    contact = Contact.select().order_by(Contact.id.desc()).first()
    assert contact.subject == f"测试{text}"
    customer = contact.customer_id
    for page in (url(Contact, "?search=测试"), url(Contact, f"details/?id={contact.id}"),
                 url(Customer, f"360/?id={customer}"), f"/admin/caller/?customer={customer}",
                 f"/admin/caller/panel?q=13812345670", url(Contact, "export/csv/")):
        response = as_clerk.get(page)
        assert response.status_code == 200, page
        if "export" not in page:
            assert "Traceback" not in response.text


# ---------------------------------------------------------------- dates a clerk can mean

# Every date and datetime input of every form a person fills in (checked against the pages).
DATE_FIELDS = {
    Customer: ("lease_start", "lease_end"), Contact: ("received_at",),
    RepairOrder: ("reported_at",), ServiceRequest: ("submitted_at", "wanted_from", "wanted_to"),
    FeeItem: ("effective_from",), Charge: ("charged_at",), ItemLoan: ("lent_at",),
    Complaint: ("requested_by", "received_at"), Survey: ("start_date", "end_date"),
    CorrectiveAction: ("due_date",), Meeting: ("held_at",), ActionItem: ("due_date",),
    CalendarDay: ("day",), ComplaintPassOn: ("received_at",),
}
BAD_DAYS = ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"]


def typed(model, name, day):
    """`day` as the form's field expects it (a datetime field takes a time too)."""
    field = model._meta.fields[name]
    return f"{day} 10:00:00" if isinstance(field, DateTimeField) else day


@pytest.mark.parametrize("day", BAD_DAYS)
@pytest.mark.parametrize("model", list(DATE_FIELDS), ids=lambda m: m.__name__)
def test_a_date_outside_2000_to_2100_is_refused_next_to_the_field(as_admin, model, day):
    for name in DATE_FIELDS[model]:
        data = valid_form(model) | {name: typed(model, name, day)}
        refused(as_admin, model, url(model, "new/"), data, name, DATE_MESSAGE)


def test_the_first_and_last_day_of_the_range_are_accepted(as_admin):
    data = valid_form(Customer) | {"lease_start": "2000-01-01", "lease_end": "2100-12-31"}
    assert as_admin.submit(url(Customer, "new/"), data).status_code == 302


def test_an_edit_with_a_far_date_changes_nothing(as_clerk):
    contact = Contact.select().order_by(Contact.id).first()
    data = valid_form(Contact) | {"received_at": "0001-01-01 00:00:00"}
    refused(as_clerk, Contact, url(Contact, f"edit/?id={contact.id}"), data, "received_at",
            DATE_MESSAGE)
    assert Contact.get_by_id(contact.id).received_at == contact.received_at


def test_a_step_form_refuses_a_far_date(as_admin):
    assert as_admin.submit(url(Survey, "new/"), valid_form(Survey)).status_code == 302
    survey = Survey.select().order_by(Survey.id.desc()).first()
    Survey.update(status=Survey.SUBMITTED).where(Survey.id == survey.id).execute()  # submitted
    step = url(Survey, f"step/train/?id={survey.id}")
    response = as_admin.submit(step, {"trained_at": "9999-12-31T10:00", "note": "培训"})
    assert response.status_code == 200 and DATE_MESSAGE in response.text
    assert Survey.get_by_id(survey.id).trained_at is None
    report = as_admin.submit("/admin/complaintreport/generate/", {"month": "1999-12-01"})
    assert report.status_code == 200 and DATE_MESSAGE in report.text


def test_an_import_refuses_a_far_date_on_its_row(login, app, tmp_path):
    from helpers import CUSTOMER_HEADER, sheet, upload
    app.config["KEFU_IMPORT_FOLDER"] = str(tmp_path / "imports")
    data = sheet(CUSTOMER_HEADER, "远日期客户,商户,2F-950,13912345678,2026-01-01,9999-12-31,")
    preview = upload(login("admin"), "customer", data, "far.csv")
    assert preview.status_code == 200 and "须在 2000-01-01 至 2100-12-31 之间" in preview.text


ODD_DAYS = [date(1, 1, 1), date(9999, 12, 31)]


@pytest.mark.parametrize("day", ODD_DAYS, ids=str)
def test_odd_dates_already_stored_never_break_a_page(as_admin, day):
    """Rows saved before dates were checked (year 1, year 9999) still show everywhere."""
    moment = datetime.combine(day, datetime.min.time())
    for model in REGISTERS:
        fields = [f for f in model._meta.sorted_fields if isinstance(f, (DateField, DateTimeField))
                  and f.name not in ("archived_at", "on_hold_since")]
        if model is AuditLog or not fields:
            continue  # the audit log is append-only: written by the console's clock
        query = model.update({f: moment if isinstance(f, DateTimeField) else day for f in fields})
        if model in (ComplaintReport, CalendarDay):  # one row per month / day
            query = query.where(model.id == model.select(model.id).order_by(model.id).first().id)
        with db.atomic():
            query.execute()
    customers = list(Customer.select().where(Customer.archived_at.is_null()).limit(4))
    contact = Contact.select().where(Contact.phone.is_null(False)).first()
    pages = [f"/admin/customer/360/?id={c.id}" for c in customers]
    pages += [f"/admin/caller/?customer={c.id}" for c in customers]
    pages += [f"/admin/caller/panel?customer={c.id}" for c in customers]
    pages += [f"/admin/caller/?q={contact.phone}", f"/admin/caller/panel?q={customers[0].name}",
              "/admin/", "/admin/mywork/", "/admin/kpi/", "/admin/shifthandover/handover/",
              f"/admin/survey/report/?id={Survey.select().first().id}"]
    for model in REGISTERS:
        pages += [url(model), url(model, f"details/?id={model.select().first().id}"),
                  url(model, "export/csv/"), url(model, "export/xlsx/")]
    for page in pages:
        response = as_admin.get(page)
        assert response.status_code == 200, page
        response.get_data()  # an export streams: read it to its end


# ---------------------------------------------------------------- numbers

NUMBER_FIELDS = {
    Customer: ("area_sqm", "monthly_rent"), FeeItem: ("price",), Charge: ("quantity", "override_amount"),
    LendableItem: ("deposit",), ComplaintGuideline: ("seq",),
    Survey: ("sample_size", "paper_copies", "target_distribution_rate", "target_return_rate"),
    SurveyQuestion: ("seq",), CallScript: ("seq",), SegmentRule: ("seq", "threshold"),
    SlaRule: ("amount", "warn_percent"),
}
BAD_NUMBERS = ["1e309", "-1e309", "inf", "-inf", "nan", HUGE, "-" + HUGE, "99999999999"]


@pytest.mark.parametrize("kind,table", [("date", DATE_FIELDS), ("number", NUMBER_FIELDS)],
                         ids=["date", "number"])
def test_the_tables_list_every_date_and_number_input_of_every_form(as_admin, kind, table):
    for model in WRITABLE:
        found = set(inputs(as_admin.get(url(model, "new/")).text, kind))
        assert found == set(table.get(model, ())), (kind, model.__name__)


@pytest.mark.parametrize("number", BAD_NUMBERS)
@pytest.mark.parametrize("model", list(NUMBER_FIELDS), ids=lambda m: m.__name__)
def test_an_endless_number_is_refused_next_to_the_field(as_admin, model, number):
    for name in NUMBER_FIELDS[model]:
        refused(as_admin, model, url(model, "new/"), valid_form(model) | {name: number}, name)


@pytest.mark.parametrize("number", ["1e309", "-1e309", "inf", "nan"])
def test_a_charge_quantity_of_1e309_gets_a_clear_message(as_clerk, number):
    refused(as_clerk, Charge, url(Charge, "new/"), valid_form(Charge) | {"quantity": number},
            "quantity", NUMBER_MESSAGE)


def test_a_quantity_past_the_column_says_its_limit(as_clerk):
    refused(as_clerk, Charge, url(Charge, "new/"), valid_form(Charge) | {"quantity": "123456789"},
            "quantity", "不能超过 99999999.99")


# ---------------------------------------------------------------- paging numbers

def ajax_refs(app):
    """(endpoint, field name) of every type-to-search field of the console's forms."""
    admin = app.extensions["admin"][0]
    return [(view.endpoint, name) for view in admin._views
            for name in (getattr(view, "_form_ajax_refs", None) or {})]


@pytest.mark.parametrize("offset,limit", [(HUGE, HUGE), ("-" + HUGE, "-" + HUGE), (HUGE, "10")])
def test_a_lookup_with_a_40_digit_offset_or_limit_answers_an_empty_page(as_admin, app, offset,
                                                                      limit):
    refs = ajax_refs(app)
    assert refs
    for endpoint, name in refs:
        response = as_admin.get(f"/admin/{endpoint}/ajax/lookup/?name={name}&query="
                                f"&offset={offset}&limit={limit}")
        assert response.status_code == 200, (endpoint, name)
        found = json.loads(response.text)
        assert found == [] if not offset.startswith("-") else len(found) <= 50


@pytest.mark.parametrize("page", [
    f"/admin/repairorder/?page={HUGE}&page_size={HUGE}",
    f"/admin/customer/360/?id=1&page={HUGE}",
    f"/admin/caller/panel?customer={HUGE}",
    f"/admin/caller/?q={HUGE}",
    f"/admin/contact/details/?id={HUGE}",
    f"/admin/contact/?flt0_department_equal={HUGE}&search={HUGE}&sort={HUGE}",
    "/admin/contact/?flt0_received_at_datetimebetween=0001-01-01+00:00:00+to+9999-12-31+23:59:59",
    "/admin/customer/?flt0_lease_end_dategreater=9999-12-31",
    "/admin/contact/export/csv/?flt0_received_at_datetimegreater=0001-01-01+00:00:00",
])
def test_a_40_digit_page_or_id_or_a_far_filter_never_gives_an_error_page(as_admin, page):
    response = as_admin.get(page)
    assert response.status_code in (200, 404) and "Traceback" not in response.text


# ---------------------------------------------------------------- broken files

@pytest.mark.parametrize("data", [
    b"\xff\xfe" + "客户名称".encode("utf-16-le") + b"\x00\xd8",  # a lone surrogate
    b"\xff\xfe" + "客户名称".encode("utf-16-le") + b"\x41",       # cut off mid-character
    b"\xfe\xff\xdc\x00\x00\x41",                                   # big-endian, bad pair
])
def test_an_import_with_broken_utf16_is_refused_with_a_chinese_message(login, app, tmp_path, data):
    from helpers import upload
    app.config["KEFU_IMPORT_FOLDER"] = str(tmp_path / "imports")
    before = Customer.select().count()
    response = upload(login("admin"), "customer", data, "broken.csv")
    assert response.status_code == 200 and "无法识别文件编码" in response.text
    assert Customer.select().count() == before


# ---------------------------------------------------------------- NUL characters

@pytest.mark.parametrize("model", WRITABLE, ids=lambda m: m.__name__)
def test_nul_in_any_text_field_is_refused_next_to_the_field(as_admin, model):
    names = inputs(as_admin.get(url(model, "new/")).text, "text")
    for name in names:
        refused(as_admin, model, url(model, "new/"), valid_form(model) | {name: "测试\x00值"}, name,
                NUL_MESSAGE)


def test_nul_in_an_edit_changes_nothing(as_clerk):
    contact = Contact.select().order_by(Contact.id).first()
    data = valid_form(Contact) | {"subject": "改\x00"}
    refused(as_clerk, Contact, url(Contact, f"edit/?id={contact.id}"), data, "subject", NUL_MESSAGE)
    assert Contact.get_by_id(contact.id).subject == contact.subject


def test_nul_in_a_step_form_is_refused(as_admin):
    alert = Alert.select().where(Alert.status == Alert.OPEN).first()
    step = url(Alert, f"step/resolve/?id={alert.id}")
    response = as_admin.submit(step, {"note": "已处理\x00"})
    assert response.status_code == 200 and NUL_MESSAGE in response.text
    assert Alert.get_by_id(alert.id).status == Alert.OPEN


@pytest.mark.parametrize("field", ["username", "password"])
def test_nul_in_the_login_is_refused_without_a_query(client, field):
    page = client.get("/login")
    data = {"username": "admin", "password": "demo", "csrf_token": csrf_token(page.text)}
    data[field] = data[field][:2] + "\x00" + data[field][2:]
    audits = AuditLog.select().count()
    response = client.post("/login", data=data)
    assert response.status_code == 200 and NUL_MESSAGE in response.text
    assert AuditLog.select().count() == audits  # not even a failed login is written


@pytest.mark.parametrize("address", [
    "/admin/contact/?search=%E7%8E%8B%00",
    "/admin/customer/?search=%00",
    "/admin/repairorder/?flt0_status_equal=open%00",
    "/admin/contact/?flt0_received_at_datetimegreater=2026-01-01%00",
    "/admin/contact/ajax/lookup/?name=customer&query=%00",
    "/admin/caller/?q=138%00",
    "/admin/caller/panel?q=%00",
    "/admin/customer/360/?id=1%00",
    "/s/abc%00def",
    "/login?next=%00",
    "/admin/%00/",
])
def test_nul_in_an_address_is_refused_with_a_chinese_page(as_admin, address):
    response = as_admin.get(address)
    assert response.status_code == 400 and NUL_MESSAGE in response.text


def test_nul_in_the_public_questionnaire_is_refused(client):
    distribution = (SurveyDistribution.select().join(Survey, on=SurveyDistribution.survey == Survey.id)
                    .where((Survey.status == Survey.RUNNING) & SurveyDistribution.responded_at.is_null()
                           & SurveyDistribution.archived_at.is_null()).first())
    page = client.get(f"/s/{distribution.token}")
    questions = re.findall(r'name="(q\d+)"', page.text)
    data = {name: "5" for name in questions} | {"csrf_token": csrf_token(page.text)}
    data[questions[-1]] = "很好\x00"
    before = SurveyResponse.select().count()
    response = client.post(f"/s/{distribution.token}", data=data)
    assert response.status_code == 200 and NUL_MESSAGE in response.text
    assert SurveyResponse.select().count() == before


def test_nul_in_the_survey_entry_screen_is_refused(as_clerk):
    survey = Survey.select().where(Survey.status == Survey.RUNNING).first()
    entry = f"/admin/survey/entry/?id={survey.id}"
    before = SurveyResponse.select().count()
    response = as_clerk.submit(entry, {"code": "abc\x00", "respondent_kind": "tenant"})
    assert response.status_code == 200 and NUL_MESSAGE in response.text
    assert SurveyResponse.select().count() == before


def test_nul_in_an_imported_cell_is_left_out(login, app, tmp_path):
    from helpers import CUSTOMER_HEADER, confirm, sheet, upload
    app.config["KEFU_IMPORT_FOLDER"] = str(tmp_path / "imports")
    admin = login("admin")
    data = sheet(CUSTOMER_HEADER, "空字符\x00客户,商户,2F-951,13912345678,,,")
    preview = upload(admin, "customer", data, "nul.csv")
    assert preview.status_code == 200
    assert confirm(admin, preview, "valid").status_code == 302
    assert Customer.get(Customer.shop_no == "2F-951").name == "空字符客户"


@pytest.mark.parametrize("choice", ["abc", "1.5", "-1", "99999999999999999999"])
def test_a_related_record_choice_that_is_no_id_is_refused_next_to_the_field(as_clerk, choice):
    """PostgreSQL failed the whole request on `department.id = 'abc'` (an error page)."""
    before = Complaint.select().count()
    response = as_clerk.submit(url(Complaint, "new/"), valid_form(Complaint) | {"department": choice})
    assert response.status_code == 200 and field_errors(response.text, "department")
    assert Complaint.select().count() == before
