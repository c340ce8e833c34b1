"""Customer communication (R-COM-1 … R-COM-4): notices and their receipts, meetings, action
items, and the contact cadence at month and year boundaries."""
from datetime import datetime, timedelta

import pytest

from database import write_transaction
from jobs.communication import flag_contact_cadence, refresh_last_contacts
from models import (ActionItem, Alert, Contact, Customer, Meeting, MeetingAttendee, Notice,
                    NoticeReceipt, ValidationError)
from helpers import dept, rows, run, url, user
from factories import make_notice, some_tenants

NOW = datetime(2026, 11, 23, 10, 0)


def test_an_important_notice_is_done_only_when_every_receipt_is_confirmed(app):
    notice = make_notice()
    tenants = some_tenants(3)
    assert run(notice.publish, user("clerk"), NOW, tenants, "3 户") == 3
    receipts = list(NoticeReceipt.select().where(NoticeReceipt.notice == notice.id)
                    .order_by(NoticeReceipt.id))
    run(receipts[0].confirm, user("clerk"), NOW + timedelta(hours=1), NoticeReceipt.SIGNED)
    run(receipts[1].confirm, user("clerk"), NOW + timedelta(hours=2), NoticeReceipt.READ)
    assert Notice.get_by_id(notice.id).status == Notice.PUBLISHED  # one still unconfirmed
    [clock] = [d for d in Notice.get_by_id(notice.id).deadlines() if d.kind == "confirm"]
    assert clock.status == "running" and clock.due_at == datetime(2026, 11, 24, 10, 0)
    with pytest.raises(ValidationError) as err:  # by phone: who answered must be recorded
        run(NoticeReceipt.get_by_id(receipts[2].id).confirm, user("clerk"), NOW, NoticeReceipt.PHONE)
    assert "person" in err.value.errors
    run(NoticeReceipt.get_by_id(receipts[2].id).confirm, user("clerk"), NOW + timedelta(hours=3),
        NoticeReceipt.PHONE, "王店长", NOW + timedelta(hours=2, minutes=30))
    notice = Notice.get_by_id(notice.id)
    assert notice.status == Notice.DONE
    assert [d.status for d in notice.deadlines() if d.kind == "confirm"] == ["met"]
    phone = NoticeReceipt.get_by_id(receipts[2].id)
    assert (phone.confirmed_person, phone.confirmed_at) == ("王店长", NOW + timedelta(hours=2, minutes=30))
    assert Customer.get_by_id(tenants[2].id).last_contact_at >= phone.confirmed_at


def test_the_unconfirmed_notice_is_flagged_when_its_day_runs_out(app):
    from jobs.deadlines import flag_notices_not_confirmed
    Alert.delete().execute()
    notice = make_notice()
    run(notice.publish, user("clerk"), NOW, some_tenants(2), "2 户")
    with write_transaction():
        assert flag_notices_not_confirmed(datetime(2026, 11, 24, 9, 59)) == 1   # due soon only
        assert flag_notices_not_confirmed(datetime(2026, 11, 24, 10, 0)) == 1   # overdue
    alert = Alert.get((Alert.record_type == "Notice") & (Alert.kind == "overdue"))
    assert alert.department.code == "property"


def test_a_general_notice_has_no_confirmation_clock(app):
    notice = make_notice(Notice.GENERAL)
    run(notice.publish, user("clerk"), NOW, some_tenants(2), "2 户")
    assert Notice.get_by_id(notice.id).deadlines() == []


def test_publishing_by_kind_floor_and_shop_number_in_the_console(as_clerk, app):
    notice = make_notice()
    anchors = list(Customer.select().where(Customer.kind == "anchor"))
    tenant = some_tenants(1)[0]
    step = url(Notice, "step/publish/?id=%d" % notice.id)
    bad = as_clerk.submit(step, {"shop_nos": "ZZ-999"})
    assert "铺位号不存在：ZZ-999" in bad.text
    assert Notice.get_by_id(notice.id).status == Notice.DRAFT
    empty = as_clerk.submit(step, {})
    assert "请选择通知对象" in empty.text or "没有符合条件" in empty.text
    as_clerk.submit(step, {"kinds": "anchor", "shop_nos": tenant.shop_no})
    notice = Notice.get_by_id(notice.id)
    assert notice.status == Notice.PUBLISHED and "主力店" in notice.audience
    got = {r.customer_id for r in notice.receipts}
    assert got == {c.id for c in anchors} | {tenant.id}
    grid = as_clerk.get(url(Notice, "?search=消防检查")).text
    assert "0 / %d" % len(got) in grid


def test_bulk_signing_of_receipts(as_clerk, app, monkeypatch):
    import clock
    from conftest import csrf_token
    monkeypatch.setattr(clock, "now", lambda: NOW + timedelta(hours=1))
    notice = make_notice()
    run(notice.publish, user("clerk"), NOW, some_tenants(3), "3 户")
    ids = [str(r.id) for r in notice.receipts]
    page = as_clerk.get(url(NoticeReceipt))
    as_clerk.post(url(NoticeReceipt, "action/"), data={
        "action": "sign", "rowid": ids, "csrf_token": csrf_token(page.text)})
    assert Notice.get_by_id(notice.id).status == Notice.DONE


def test_committee_meetings_need_the_general_manager(as_clerk, app):
    """R-COM-3: not a box anyone ticks; the general manager among the staff who attended."""
    response = as_clerk.submit(url(Meeting, "new/"), {
        "kind": "owners_committee", "title": "业委会年度座谈", "held_at": "2026-11-20 15:00:00",
        "staff": [str(user("clerk").id)]})
    assert "须由总经理参加" in response.text
    assert not Meeting.select().where(Meeting.title == "业委会年度座谈").exists()
    as_clerk.submit(url(Meeting, "new/"), {
        "kind": "owners_committee", "title": "业委会年度座谈", "held_at": "2026-11-20 15:00:00",
        "staff": [str(user("clerk").id), str(user("gm").id)]})
    meeting = Meeting.get(Meeting.title == "业委会年度座谈")
    assert meeting.gm_attended and sorted(meeting.staff_ids()) == sorted([user("clerk").id, user("gm").id])


def test_attendance_counts_as_contact_and_action_items_are_tracked_to_done(as_clerk, app,
                                                                          monkeypatch):
    import clock
    monkeypatch.setattr(clock, "now", lambda: NOW + timedelta(hours=1))
    meeting = Meeting.create(kind="tenants", title="商户座谈", held_at=NOW, created_at=NOW,
                             updated_at=NOW)
    tenant = some_tenants(1)[0]
    Customer.update(last_contact_at=None).where(Customer.id == tenant.id).execute()
    as_clerk.submit(url(Meeting, "step/attendance/?id=%d" % meeting.id), {"shop_nos": tenant.shop_no})
    assert MeetingAttendee.select().where(MeetingAttendee.meeting == meeting.id).count() == 1
    assert Customer.get_by_id(tenant.id).last_contact_at == NOW
    item = ActionItem.create(meeting=meeting, description="增加货梯", department=dept("property"),
                             due_date=NOW.date(), created_at=NOW, updated_at=NOW)
    empty = as_clerk.submit(url(ActionItem, "step/complete_item/?id=%d" % item.id), {"outcome": ""})
    assert "请填写落实情况" in empty.text
    as_clerk.submit(url(ActionItem, "step/complete_item/?id=%d" % item.id), {"outcome": "已安排专人"})
    item = ActionItem.get_by_id(item.id)
    assert item.status == ActionItem.DONE and item.outcome == "已安排专人"


# ---------------------------------------------------------------- cadence (R-COM-3)

@pytest.fixture
def one_of_each(app):
    """An anchor store, a tenant, a consumer and a committee, nothing else counted."""
    Customer.update(status=Customer.INACTIVE).execute()
    Alert.delete().execute()
    made = {}
    for kind in ("anchor", "tenant", "consumer", "owners_committee"):
        made[kind] = Customer.create(name="测试" + kind, kind=kind, created_at=datetime(2025, 1, 1),
                                     updated_at=datetime(2025, 1, 1))
    return made


# Whose own visit keeps each kind's cadence (R-COM-3: only the responsible department's).
KEEPER = {"anchor": "property", "tenant": "ops", "consumer": "clerk", "owners_committee": "gm",
          "merchants_committee": "gm"}


def contact(customer, at):
    Contact.create(customer=customer, subject="拜访", received_at=at, created_at=at, updated_at=at,
                   received_by=user(KEEPER[customer.kind]))


def cadence_alerts():
    return {Customer.get_by_id(a.record_id).kind: a for a in
            Alert.select().where((Alert.record_type == "Customer") & (Alert.status == "open"))}


@pytest.mark.parametrize("last,now,overdue", [
    # Monthly (31 days) across a month end: contacted 31 January, due by 3 March.
    (datetime(2026, 1, 31, 10, 0), datetime(2026, 3, 3, 9, 59), False),
    (datetime(2026, 1, 31, 10, 0), datetime(2026, 3, 3, 10, 1), True),
    # Across the year end: contacted 15 December, due 15 January.
    (datetime(2025, 12, 15, 10, 0), datetime(2026, 1, 15, 9, 0), False),
    (datetime(2025, 12, 15, 10, 0), datetime(2026, 1, 15, 11, 0), True),
])
def test_monthly_cadence_for_anchor_stores_and_tenants(one_of_each, last, now, overdue):
    for kind in ("anchor", "tenant"):
        contact(one_of_each[kind], last)
    contact(one_of_each["consumer"], last)
    contact(one_of_each["owners_committee"], last)
    with write_transaction():
        flag_contact_cadence(now)
    flagged = cadence_alerts()
    assert ("anchor" in flagged, "tenant" in flagged) == (overdue, overdue)
    assert "consumer" not in flagged and "owners_committee" not in flagged  # yearly
    if overdue:
        assert flagged["anchor"].department.code == "property"
        assert flagged["tenant"].department.code == "operations"
        assert flagged["tenant"].since == last + timedelta(days=31)


def test_yearly_cadence_across_a_leap_year_and_resolution_by_a_new_contact(one_of_each):
    contact(one_of_each["consumer"], datetime(2027, 2, 1, 9, 0))
    contact(one_of_each["owners_committee"], datetime(2027, 2, 1, 9, 0))
    for kind in ("anchor", "tenant"):
        contact(one_of_each[kind], datetime(2028, 2, 1, 9, 0))
    with write_transaction():
        flag_contact_cadence(datetime(2028, 2, 2, 9, 0))    # 366 days: the day is still allowed
    assert cadence_alerts() == {}
    with write_transaction():
        flag_contact_cadence(datetime(2028, 2, 2, 9, 1))
        flag_contact_cadence(datetime(2028, 2, 2, 9, 2))    # once
    flagged = cadence_alerts()
    assert set(flagged) == {"consumer", "owners_committee"}
    assert flagged["owners_committee"].department.code == "general"
    contact(one_of_each["consumer"], datetime(2028, 2, 3, 9, 0))
    with write_transaction():
        flag_contact_cadence(datetime(2028, 2, 3, 10, 0))
    assert set(cadence_alerts()) == {"owners_committee"}


def test_a_customer_never_contacted_counts_from_registration(one_of_each):
    with write_transaction():
        flag_contact_cadence(datetime(2025, 2, 1, 0, 0))   # registered 1 January 2025: 31 days
    assert cadence_alerts() == {}
    with write_transaction():
        flag_contact_cadence(datetime(2025, 2, 1, 0, 1))
    assert set(cadence_alerts()) == {"anchor", "tenant"}


def test_last_contact_is_derived_from_every_source(one_of_each):
    tenant = one_of_each["tenant"]
    contact(tenant, datetime(2026, 10, 1, 9, 0))
    meeting = Meeting.create(kind="tenants", title="座谈", held_at=datetime(2026, 10, 20, 15, 0),
                             created_at=NOW, updated_at=NOW)
    MeetingAttendee.create(meeting=meeting, customer=tenant)
    notice = make_notice()
    run(notice.publish, user("clerk"), NOW, [tenant], "1 户")
    Customer.update(last_contact_at=None).where(Customer.id == tenant.id).execute()
    with write_transaction():
        refresh_last_contacts(NOW)
    assert Customer.get_by_id(tenant.id).last_contact_at == datetime(2026, 10, 20, 15, 0)
    receipt = NoticeReceipt.get(NoticeReceipt.customer == tenant.id)
    run(receipt.confirm, user("clerk"), NOW, NoticeReceipt.SIGNED)
    with write_transaction():
        refresh_last_contacts(NOW)
    assert Customer.get_by_id(tenant.id).last_contact_at == NOW


def test_the_customer_grid_shows_who_is_overdue_for_contact(as_clerk, one_of_each, monkeypatch):
    import clock
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 3, 10, 9, 0))
    Customer.update(status=Customer.ACTIVE).where(Customer.id.in_(
        [c.id for c in one_of_each.values()])).execute()
    contact(one_of_each["anchor"], datetime(2026, 1, 31, 10, 0))   # overdue since 3 March
    contact(one_of_each["tenant"], datetime(2026, 3, 1, 10, 0))    # fine until 1 April
    contact(one_of_each["consumer"], datetime(2026, 3, 1, 10, 0))
    contact(one_of_each["owners_committee"], datetime(2026, 3, 1, 10, 0))
    grid = rows(as_clerk.get(url(Customer, "?flt0_last_contact_at_cadence=overdue&page_size=100")).text)
    assert "测试anchor" in grid and "测试tenant" not in grid
    assert "2026-03-03" in grid and "物业管理部" in grid


def test_a_publicly_posted_important_notice_is_confirmed_by_phone(app):
    notice = make_notice()
    Notice.update(posted_publicly=True).where(Notice.id == notice.id).execute()
    run(Notice.get_by_id(notice.id).publish, user("clerk"), NOW, some_tenants(1), "1 户")
    receipt = NoticeReceipt.get(NoticeReceipt.notice == notice.id)
    with pytest.raises(ValidationError) as err:
        run(receipt.confirm, user("clerk"), NOW + timedelta(hours=1), NoticeReceipt.SIGNED)
    assert "电话确认" in err.value.errors["method"]
    with pytest.raises(ValidationError):  # before the notice went out
        run(receipt.confirm, user("clerk"), NOW + timedelta(hours=1), NoticeReceipt.PHONE, "王",
            NOW - timedelta(days=1))
    run(receipt.confirm, user("clerk"), NOW + timedelta(hours=1), NoticeReceipt.PHONE, "王店长")
    assert Notice.get_by_id(notice.id).status == Notice.DONE


def test_a_meeting_not_yet_held_is_not_a_contact(app):
    tenant = some_tenants(1)[0]
    Customer.update(last_contact_at=None).where(Customer.id == tenant.id).execute()
    meeting = Meeting.create(kind="tenants", title="下月座谈", held_at=NOW + timedelta(days=20),
                             created_at=NOW, updated_at=NOW)
    MeetingAttendee.create(meeting=meeting, customer=tenant)
    run(meeting.record_attendance, NOW)
    assert Customer.get_by_id(tenant.id).last_contact_at is None
    run(meeting.record_attendance, NOW + timedelta(days=21))
    assert Customer.get_by_id(tenant.id).last_contact_at == NOW + timedelta(days=20)
