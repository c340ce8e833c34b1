"""What a page draws once and reuses (row links, labels, the menu, the alert count) stays right
for every row, language and role."""
import re

import i18n
from database import write_transaction
from models import Alert, Contact, Customer, User
from helpers import MON, run, user
from factories import make_contact


def grid_rows(page):
    """[(row id, {link kind: [ids in its URLs]})] for each row of a grid page."""
    found = []
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        links = {}
        for kind, record_id in re.findall(r'href="/admin/contact/(details|edit|step/\w+)/\?id=(\d+)', row):
            links.setdefault(kind, []).append(int(record_id))
        if links:
            found.append((links["details"][0], links))
    return found


def test_each_grid_row_links_to_its_own_record_and_steps(as_admin):
    waiting, answered = make_contact(MON), make_contact(MON)
    run(answered.mark_handled, user("clerk"), MON, "已电话答复")
    rows = grid_rows(as_admin.get("/admin/contact/?page_size=100").text)
    assert {waiting.id, answered.id} <= {record_id for record_id, _ in rows}
    assert len(rows) > 2
    for record_id, links in rows:
        assert all(ids == [record_id] for ids in links.values()), links
        contact = Contact.get_by_id(record_id)
        offered = contact.status == Contact.OPEN and not contact.archived_at
        assert ("step/handled" in links) == offered, (record_id, contact.status)
    assert "step/handled" in dict(rows)[waiting.id]
    assert set(dict(rows)[answered.id]) == {"details", "edit"}


def test_a_label_follows_each_requests_language(as_admin):
    label = i18n._l("登录名")
    as_admin.get("/lang/en")
    english = as_admin.get("/admin/contact/").text
    as_admin.get("/lang/zh_Hans_CN")
    chinese = as_admin.get("/admin/contact/").text
    assert "List (" in english and "列表 (" in chinese
    assert "Subject" in english and "事由" in chinese and "事由" not in english
    assert str(label) == "登录名"  # outside any request: the source text
    assert str(i18n._l("工作日历缺少 %(years)s 年", years="2027")) == "工作日历缺少 2027 年"


def test_the_menu_is_drawn_for_each_role_set(as_admin, as_clerk, login):
    settings = 'href="/admin/settings/"'
    assert settings in as_admin.get("/admin/contact/").text
    assert settings not in as_clerk.get("/admin/contact/").text
    # The same page, the active item moved with the view.
    assert re.search(r'class="dropdown-item active\s*"\s+href="/admin/contact/"',
                     as_clerk.get("/admin/contact/").text)
    assert not re.search(r'class="dropdown-item active\s*"\s+href="/admin/contact/"',
                         as_clerk.get("/admin/repairorder/").text)


def test_my_alerts_are_mine_and_my_departments_each_once(as_clerk):
    clerk = user("clerk")
    other = User.select().where((User.id != clerk.id)
                                & (User.department != clerk.department_id)).first()
    Alert.delete().execute()

    # Each about a customer of its own (an open alert is once per record and clock; a record
    # listed on 我的待办, a contact owing an answer, would show its alert on its row as well).
    customers = [c.id for c in Customer.select(Customer.id).order_by(Customer.id).limit(5)]

    def alert(title, **kw):
        with write_transaction():
            Alert.create(title=title, record_type="Customer", since=MON,
                         record_id=customers[Alert.select().count()], **kw)
    alert("提醒甲", assignee=clerk.id)                                          # mine
    alert("提醒乙", department=clerk.department_id, level=2)                    # my department's
    alert("提醒丙", assignee=clerk.id, department=clerk.department_id)          # both: once
    alert("提醒丁", assignee=other.id, department=other.department_id)          # not mine
    alert("提醒戊", assignee=clerk.id, status=Alert.RESOLVED)                   # resolved
    for page in (as_clerk.get("/admin/").text, as_clerk.get("/admin/mywork/").text):
        shown = re.findall(r"提醒[甲乙丙丁戊]", page)
        assert shown == ["提醒乙", "提醒甲", "提醒丙"]  # highest level first, then oldest
    assert re.search(r'id="alert-count">3<', as_clerk.get("/admin/").text)


def test_my_first_alerts_are_the_first_of_both_searches_merged(app):
    """More than a page of mine and of my department's, in mixed levels and times: the first
    20 are those of the union sorted by level (highest first), then time, then id."""
    from datetime import timedelta

    from views.dashboard import my_alerts, my_alerts_count
    clerk = user("clerk")
    Alert.delete().execute()
    with write_transaction():
        for i in range(60):
            Alert.create(title="提醒%d" % i, record_type="Contact", record_id=i,
                         since=MON - timedelta(minutes=(i * 37) % 50), level=1 + i % 3,
                         assignee=clerk.id if i % 2 else None,
                         department=clerk.department_id if i % 3 else None)
    expected = sorted((a for a in Alert.select() if a.assignee_id == clerk.id
                       or a.department_id == clerk.department_id),
                      key=lambda a: (-a.level, a.since, a.id))
    assert [a.id for a in my_alerts(clerk)] == [a.id for a in expected[:20]]
    assert my_alerts_count(clerk) == len(expected) == 50
