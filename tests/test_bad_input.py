"""Bad input: a Chinese message next to the field, and the database unchanged."""
import pytest
from peewee import IntegrityError

from models import (AuditLog, Charge, Complaint, Customer, FeeItem, RepairOrder, Survey,
                    ValidationError, WorkLetter, db)
from factories import make_customer
from helpers import field_errors, url, valid_form


CASES = [
    ("invalid phone", Customer, {"phone": "138001"}, "phone", "电话格式不正确"),
    ("letters in phone", RepairOrder, {"reporter_phone": "138abc"}, "reporter_phone", "电话格式不正确"),
    ("negative amount", FeeItem, {"price": "-5"}, "price", "不能为负数"),
    ("negative rent", Customer, {"monthly_rent": "-1"}, "monthly_rent", "不能为负数"),
    ("lease ends before it starts", Customer, {"lease_start": "2026-05-01", "lease_end": "2026-04-01"},
     "lease_end", "不能早于"),
    ("survey ends before it starts", Survey, {"start_date": "2027-03-15", "end_date": "2027-03-01"},
     "end_date", "不能早于"),
    ("unknown choice", Customer, {"kind": "alien"}, "kind", "不是有效的选择"),
    ("unknown severity", Complaint, {"severity": "catastrophic"}, "severity", "不是有效的选择"),
    ("over-long text", Customer, {"name": "商" * 101}, "name", "不能超过 100 个字符"),
    ("missing required", RepairOrder, {"location": ""}, "location", "必填"),
    ("letter to its own department", WorkLetter, {}, "to_department", "不能与发函部门相同"),
    ("zero quantity", Charge, {"quantity": "0"}, "quantity", "数量必须大于 0"),
    ("not a date", Customer, {"lease_start": "2026-13-45"}, "lease_start", "日期"),
]


@pytest.mark.parametrize("case,model,bad,field,message", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_next_to_the_field(as_admin, case, model, bad, field, message):
    data = valid_form(model) | bad
    if model is WorkLetter:
        data["to_department"] = data["from_department"]
    before = model.select().count()
    audits = AuditLog.select().count()
    response = as_admin.submit(url(model, "new/"), data)
    assert response.status_code == 200
    errors = field_errors(response.text, field)
    assert any(message in e for e in errors), (errors, response.text[-2000:])
    assert model.select().count() == before
    assert AuditLog.select().count() == audits


def test_edit_with_bad_input_changes_nothing(as_clerk):
    customer = Customer.select().where(Customer.kind == "tenant").first()
    data = valid_form(Customer) | {"name": customer.name, "phone": "not-a-phone"}
    response = as_clerk.submit(url(Customer, f"edit/?id={customer.id}"), data)
    assert "电话格式不正确" in response.text
    assert Customer.get_by_id(customer.id).phone == customer.phone


@pytest.mark.parametrize("path", [
    "/admin/customer/details/?id=abc",
    "/admin/customer/details/?id=999999",
    "/admin/customer/details/?id=99999999999999999999999",
    "/admin/customer/details/?id=-1",
    "/admin/customer/edit/?id=1%27%20OR%201=1",
    "/admin/customer/details/",
    "/admin/nosuchregister/",
    "/nowhere",
    "/admin/repairorder/?page=abc&sort=zz&desc=x",
    "/admin/repairorder/?flt0_status_equal=not-a-status",
    "/admin/repairorder/?flt0_reported_at_datetimebetween=garbage",
])
def test_malformed_urls_never_give_a_traceback(as_clerk, path):
    response = as_clerk.get(path)
    assert response.status_code in (200, 404)
    assert "Traceback" not in response.text
    if response.status_code == 404:
        assert "页面或记录不存在" in response.text


def test_database_refuses_unknown_choices_and_negative_money(app):
    """CHECK constraints hold even when code bypasses the form."""
    customer = make_customer()
    with pytest.raises(IntegrityError), db.atomic():
        Customer.update(kind="alien").where(Customer.id == customer.id).execute()
    fee = FeeItem.select().first()
    with pytest.raises(IntegrityError), db.atomic():
        FeeItem.update(price=-1).where(FeeItem.id == fee.id).execute()
    assert Customer.get_by_id(customer.id).kind == customer.kind


def test_model_validation_speaks_chinese():
    with pytest.raises(ValidationError) as err:
        Customer(name="", kind="tenant", phone="123").full_clean()
    assert err.value.errors["name"] == "客户名称不能为空"
    assert "电话格式不正确" in err.value.errors["phone"]


def test_failed_save_message_is_chinese(as_clerk):
    response = as_clerk.submit(url(Customer, "new/"), valid_form(Customer) | {"phone": "138001"})
    assert "创建记录失败" in response.text
    assert "Failed to create record" not in response.text
