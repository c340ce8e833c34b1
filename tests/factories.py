"""Small records for one test, made at the test's `now` (conftest.DEMO_NOW unless given), each
with what it needs of its own: a test that needs a tenant makes one instead of taking the demo
data's first, so a change to the demo data does not move its figures.

Each factory writes the record as the console's own code does (number, steps), and returns
it read back from the database."""
import itertools
from datetime import date, timedelta
from decimal import Decimal

import flows.complaints
import flows.records
from database import write_transaction
from helpers import MON, dept, run, user
from models import (Charge, Complaint, Contact, Customer, Department, FeeItem, ItemLoan,
                    LendableItem, Notice, RepairOrder, ServiceRequest, Survey, SurveyQuestion)

_serial = itertools.count(1)


def make_customer(at=MON, kind=Customer.TENANT, name=None, **fields):
    """A new active customer (a tenant unless `kind`), with a shop and a phone of its own."""
    n = next(_serial)
    values = dict(name=name or f"测试商户{n:03d}", kind=kind, shop_no=f"T-{n:03d}",
                  phone="139%08d" % n, contact_person="测试联系人", status=Customer.ACTIVE,
                  created_at=at, updated_at=at)
    values.update(fields)
    return Customer.create(**values)


def make_repair_order(at=MON, customer=None, department="property", **fields):
    """A registered repair order of a new tenant (or `customer`)."""
    values = dict(customer=customer or make_customer(at), location="测试 3F 卫生间",
                  description="漏水", reported_at=at, department=dept(department), created_at=at,
                  updated_at=at)
    values.update(fields)
    order = RepairOrder.create(**values)
    order.assign_number(at)
    order.save()
    return order


def make_contact(at=MON, customer=True, **fields):
    """An open enquiry (来访登记) of a new tenant, of `customer`, or (customer=False or None)
    of a walk-in visitor."""
    if customer is True:
        customer = make_customer(at)
    elif not customer:
        customer = None
    values = dict(customer=customer, visitor_name="王先生", phone="13800138000", subject="咨询广告位",
                  content="想租用中庭广告位", received_at=at, created_at=at, updated_at=at)
    values.update(fields)
    contact = Contact.create(**values)
    contact.assign_number(at)
    contact.save()
    return contact


def make_service_request(at=MON, customer=None, kind="overtime", **fields):
    """A submitted service request (延时营业 unless `kind`) of a new tenant, registered by the
    clerk as the form does (flows.records: its number, its hand-back clock started)."""
    values = dict(customer=customer or make_customer(at), kind=kind, description="延时营业",
                  submitted_at=at, department=dept("operations"))
    values.update(fields)
    request = flows.records.create(ServiceRequest, values, user("clerk"), at)
    return ServiceRequest.get_by_id(request.id)


def make_charge(at=MON, quantity="2", override=None, reason=None, may_override=False,
                method="cash", fee_code="F02"):
    """A started charge of the fee item `fee_code` (F02: 200.00 a day), taken by the clerk, saved
    as the form does (flows.records: priced from the list, its finance clock started). An
    `override` amount is typed by the clerk, or with `may_override` by the admin (the desk's
    roles write charges; of them only the admin may override a price)."""
    fee = FeeItem.get(FeeItem.code == fee_code)
    values = dict(fee_item=fee, quantity=Decimal(quantity), charged_at=at, charged_by=user("clerk"),
                  payment_method=method, override_reason=reason)
    charge = flows.records.create(Charge, values, user("admin" if may_override else "clerk"), at,
                                  override_amount=override)
    return Charge.get_by_id(charge.id)


def make_lendable_item(at=MON, deposit="50.00", **fields):
    """A new item the desk lends (a ladder), available."""
    n = next(_serial)
    values = dict(code=f"T-ITEM-{n:03d}", name=f"测试梯子{n}", deposit=Decimal(deposit),
                  status=LendableItem.AVAILABLE, created_at=at, updated_at=at)
    values.update(fields)
    return LendableItem.create(**values)


def make_loan(at=MON, item=None, issued=True):
    """An item lent at `at` (an available one unless `item`) and, if `issued`, issued by the
    warehouse at once (the free hour runs from then)."""
    item = item or LendableItem.select().where(LendableItem.status == "available").first()
    loan = ItemLoan(item=item, borrower_name="李师傅", borrower_phone="13900001111", lent_at=at,
                    lent_by=user("clerk"), created_at=at, updated_at=at)
    with write_transaction():
        loan.take_item(at)
        loan.assign_number(at)
        loan.save(force_insert=True)
        if issued:
            loan.issue(user("warehouse"), at, loan.number)  # R-LOAN-2: the free hour runs from here
    return loan


def make_complaint(severity="general", category="property", at=MON, requested_by=None):
    """A complaint registered by the clerk at `at`, routed by its category."""
    complaint = Complaint.create(
        complainant_name="赵女士", complainant_phone="13700001111", channel="phone",
        category=category, subject="测试投诉", severity=severity, requested_by=requested_by,
        department=Complaint.route(category), received_at=at, created_at=at, updated_at=at)
    complaint.assign_number(at)
    complaint.save()
    run(flows.complaints.register, complaint, user("clerk"), at)
    return Complaint.get_by_id(complaint.id)


def make_notice(kind=Notice.IMPORTANT, at=MON):
    """A draft notice of the property department (important unless `kind`)."""
    return Notice.create(kind=kind, title="消防检查通知", body="周五检查", created_at=at,
                         updated_at=at, department=dept("property"))


def some_tenants(n=3):
    """The demo data's first `n` tenants (notices' receivers)."""
    return list(Customer.select().where(Customer.kind == "tenant").order_by(Customer.id).limit(n))


def make_survey_plan(start=date(2026, 12, 13), target="tenants",
                     questions=(("维修及时性", "property"), ("清洁", "property"),
                                ("服务态度", "service")), at=MON):
    """A survey planned by ops at `at`: one rating question per (text, department), then a
    free-text one; its clocks planned."""
    survey = Survey.create(title="测试调查", target=target, purpose="了解满意度", scope="全体商户",
                           method="上门发放", start_date=start, end_date=start + timedelta(days=14),
                           staff="客服中心", sample_size=10, analysis_method="平均分",
                           created_by=user("ops"), created_at=at, updated_at=at)
    for seq, (text, code) in enumerate(questions, 1):
        SurveyQuestion.create(survey=survey, seq=seq, text=text,
                              department=Department.by_code(code), created_at=at, updated_at=at)
    SurveyQuestion.create(survey=survey, seq=len(questions) + 1, text="意见建议", kind="text",
                          created_at=at, updated_at=at)
    run(survey.plan_clocks, at)
    return Survey.get_by_id(survey.id)


def make_running_survey(at=MON, **plan):
    """A survey planned (make_survey_plan(**plan)), submitted, approved, trained and begun on
    its start date."""
    from datetime import datetime
    survey = make_survey_plan(at=at, **plan)
    run(survey.submit, user("ops"), at)
    run(Survey.get_by_id(survey.id).approve, user("gm"), at)
    run(Survey.get_by_id(survey.id).record_training, user("ops"), at, at - timedelta(hours=1), "培训")
    run(Survey.get_by_id(survey.id).begin, user("ops"),
        datetime.combine(survey.start_date, datetime.min.time()))
    return Survey.get_by_id(survey.id)


def questions_of(survey):
    """A survey's questions by their text."""
    return {q.text: q for q in survey.questions}
