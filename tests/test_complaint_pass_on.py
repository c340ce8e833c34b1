"""R-CMP-3: every complaint is in the reception register whoever received it; staff outside
the service center pass it on at once, and the desk registers it on a clock."""
from datetime import datetime, timedelta

import pytest

import flows.complaints
import flows.reception
from database import write_transaction
from jobs.deadlines import escalate_repeated_misses, flag_complaints_not_registered, resolve_done_alerts
from models import (Alert, AuditLog, Complaint, ComplaintPassOn, Contact, Deadline, DomainError,
                    SlaRule)
from helpers import MON, run, url, user


@pytest.fixture
def quiet(app):
    """No alerts and no running clocks but the test's own."""
    Alert.delete().execute()
    Deadline.update(status=Deadline.CANCELLED).where(Deadline.status == Deadline.RUNNING).execute()


def pass_on(by="property", received_at=MON - timedelta(minutes=20), now=MON):
    staff = user(by)
    record = ComplaintPassOn(complainant_name="赵女士", complainant_phone="13911112222",
                             channel="visit", subject="三楼卫生间无纸巾", content="顾客在巡场时向保安反映",
                             received_at=received_at, received_by=staff,
                             department=staff.department_id, created_by=staff, created_at=now,
                             updated_at=now)

    def save():
        record.full_clean()
        record.assign_number(now)
        record.save(force_insert=True)
        record.pass_on(staff, now)
    run(save)
    return ComplaintPassOn.get_by_id(record.id)


def sweep(now):
    with write_transaction():
        flag_complaints_not_registered(now)
        escalate_repeated_misses(now)
        resolve_done_alerts(now)


def alerts(record, kind="overdue"):
    return list(Alert.select().where((Alert.record_type == "ComplaintPassOn")
                                     & (Alert.record_id == record.id) & (Alert.kind == kind)
                                     & (Alert.status == Alert.OPEN)))


def test_R_CMP_3_a_complaint_entered_directly_gets_its_reception_entry(as_clerk):
    before = Contact.select().count()
    response = as_clerk.submit(url(Complaint, "new/"), {
        "complainant_name": "钱先生", "complainant_phone": "13700001111", "channel": "phone",
        "category": "property", "subject": "直接登记的投诉电梯停运", "severity": "general",
        "received_at": "2026-11-23 09:30:00"})
    assert response.status_code == 302
    complaint = Complaint.get(Complaint.subject == "直接登记的投诉电梯停运")
    contact = complaint.contact
    assert Contact.select().count() == before + 1
    assert (contact.kind, contact.status, contact.subject) == ("complaint", Contact.TRANSFERRED,
                                                               "直接登记的投诉电梯停运")
    assert (contact.visitor_name, contact.phone, contact.channel) == ("钱先生", "13700001111", "phone")
    assert contact.received_at == datetime(2026, 11, 23, 9, 30)
    assert contact.received_by.username == "clerk" and contact.department_id == complaint.department_id
    assert list(contact.complaints) == [complaint]          # linked both ways, as 转投诉
    assert contact.number.startswith("JD")
    assert AuditLog.select().where((AuditLog.model == "Contact")
                                   & (AuditLog.record_id == str(contact.id))
                                   & (AuditLog.action == "create")).count() == 1


def test_R_CMP_3_a_refused_direct_complaint_leaves_no_reception_entry(as_clerk):
    before = Contact.select().count()
    response = as_clerk.submit(url(Complaint, "new/"), {
        "complainant_name": "钱先生", "complainant_phone": "13700001111", "channel": "phone",
        "category": "property", "subject": "日期有误的投诉", "severity": "general",
        "received_at": "2026-11-23 09:30:00", "requested_by": "2026-11-01"})
    assert response.status_code == 200 and "要求解决日期不能早于受理日期" in response.text
    assert Contact.select().count() == before
    assert not Complaint.select().where(Complaint.subject == "日期有误的投诉").exists()


def test_R_CMP_3_converting_a_contact_makes_no_second_entry(quiet):
    contact = Contact.create(visitor_name="孙女士", phone="13600002222", channel="visit",
                             kind="complaint", subject="转投诉的接待", received_at=MON,
                             created_at=MON, updated_at=MON)
    before = Contact.select().count()
    complaint = run(flows.reception.open_complaint, contact, user("clerk"), MON, "property", "general")
    assert complaint.contact_id == contact.id and Contact.select().count() == before


@pytest.mark.parametrize("by", ["property", "warehouse", "ops", "pm", "gm", "clerk", "admin"])
def test_R_CMP_3_every_staff_role_may_pass_a_complaint_on(login, by):
    response = login(by).submit(url(ComplaintPassOn, "new/"), {
        "complainant_name": "周先生", "complainant_phone": "13500003333", "channel": "visit",
        "subject": "转告：停车收费多收", "content": "在停车场向我反映",
        "received_at": "2026-11-23 09:50:00"})
    assert response.status_code == 302, response.text[:2000]
    record = ComplaintPassOn.get(ComplaintPassOn.subject == "转告：停车收费多收")
    assert record.status == ComplaintPassOn.WAITING and record.received_by.username == by
    assert record.department_id == user(by).department_id
    # The desk's clock runs from the receipt: 09:50 + 1 hour.
    assert record.register_deadline == datetime(2026, 11, 23, 10, 50)


def test_R_CMP_3_the_auditor_may_not_pass_on(as_auditor):
    assert as_auditor.get(url(ComplaintPassOn, "new/")).status_code in (302, 403)


def test_R_CMP_3_a_receipt_in_the_future_is_refused(login):
    response = login("property").submit(url(ComplaintPassOn, "new/"), {
        "complainant_name": "周先生", "complainant_phone": "13500003333", "channel": "visit",
        "subject": "未来的转告", "received_at": "2026-11-23 12:00:00"})
    assert response.status_code == 200 and "收到时间不能晚于现在" in response.text
    assert not ComplaintPassOn.select().where(ComplaintPassOn.subject == "未来的转告").exists()


def test_R_CMP_3_the_desk_registers_it_as_a_routed_complaint_from_its_receipt(quiet, as_clerk):
    record = pass_on(received_at=datetime(2026, 11, 23, 9, 40), now=datetime(2026, 11, 23, 9, 45))
    response = as_clerk.submit(url(ComplaintPassOn, "step/register/?id=%d" % record.id),
                               {"category": "property", "severity": "important"})
    assert response.status_code == 302, response.text[:3000]
    record = ComplaintPassOn.get_by_id(record.id)
    complaint, contact = record.complaint, record.contact
    assert record.status == ComplaintPassOn.REGISTERED and record.registered_by.username == "clerk"
    assert record.registered_at == MON
    # Routed and graded as usual, its clocks counted from when the staff member received it.
    assert complaint.department.code == "property" and complaint.severity == "important"
    assert complaint.received_at == datetime(2026, 11, 23, 9, 40)
    assert complaint.start_deadline == datetime(2026, 11, 23, 10, 40)
    assert (complaint.complainant_name, complaint.complainant_phone) == ("赵女士", "13911112222")
    # Its reception entry, kind complaint, linked both ways.
    assert contact.kind == "complaint" and contact.status == Contact.TRANSFERRED
    assert complaint.contact_id == contact.id and list(contact.complaints) == [complaint]
    assert "李强" in contact.content  # who passed it on
    clock_row = Deadline.get((Deadline.record_type == "ComplaintPassOn")
                             & (Deadline.record_id == record.id))
    assert clock_row.status == Deadline.MET and clock_row.met_at == MON


def test_R_CMP_3_registered_once_of_two_clicks(quiet):
    record = pass_on()
    run(flows.complaints.register_pass_on, record, user("clerk"), MON, "property", "general")
    with pytest.raises(DomainError):
        run(flows.complaints.register_pass_on, ComplaintPassOn.get_by_id(record.id),
            user("clerk"), MON, "property", "general")
    assert Complaint.select().where(Complaint.subject == "三楼卫生间无纸巾").count() == 1


def test_R_CMP_3_only_the_desk_registers(login, quiet):
    record = pass_on()
    page = url(ComplaintPassOn, "details/?id=%d" % record.id)
    assert "step/register/" not in login("property").get(page).text
    assert "step/register/" in login("clerk").get(page).text
    login("property").post(url(ComplaintPassOn, "step/register/?id=%d" % record.id),
                           data={"category": "property", "severity": "general"})
    assert ComplaintPassOn.get_by_id(record.id).status == ComplaintPassOn.WAITING


@pytest.mark.parametrize("now,overdue,due_soon", [
    (datetime(2026, 11, 23, 10, 24), 0, 0),   # received 09:40, due 10:40, warned at 75 %
    (datetime(2026, 11, 23, 10, 25), 0, 1),
    (datetime(2026, 11, 23, 10, 40), 1, 0),   # the overdue alert takes over
])
def test_R_CMP_3_the_desk_is_alerted_before_and_after_the_hour(quiet, now, overdue, due_soon):
    record = pass_on(received_at=datetime(2026, 11, 23, 9, 40), now=datetime(2026, 11, 23, 9, 45))
    sweep(now)
    assert len(alerts(record)) == overdue and len(alerts(record, "due_soon")) == due_soon
    for alert in alerts(record) + alerts(record, "due_soon"):
        assert alert.department.code == "service"


def test_R_CMP_3_registering_ends_the_alerts(quiet):
    record = pass_on(received_at=datetime(2026, 11, 23, 9, 0), now=datetime(2026, 11, 23, 9, 5))
    sweep(MON)
    assert len(alerts(record)) == 1
    run(flows.complaints.register_pass_on, record, user("clerk"), MON, "property", "general")
    sweep(MON + timedelta(minutes=1))
    assert alerts(record) == []


def test_R_CMP_3_the_hour_is_an_editable_rule(quiet):
    SlaRule.update(amount=30, unit="minutes").where(SlaRule.code == "CMP_PASS_ON").execute()
    record = pass_on(received_at=datetime(2026, 11, 23, 9, 40), now=datetime(2026, 11, 23, 9, 45))
    assert record.register_deadline == datetime(2026, 11, 23, 10, 10)

