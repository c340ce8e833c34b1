"""The supervisor's dashboard, "my work", and resolving an alert by hand."""
import re
from datetime import timedelta

import clock
from database import write_transaction
from jobs.deadlines import flag_unaccepted_repairs
from models import Alert, AuditLog, RepairOrder
from helpers import MON, rows, run, user
from factories import make_repair_order


def dashboard_links(page):
    """{(register, department, column): (count, url)} from the home page."""
    links, register = {}, None
    for row in re.findall(r"<tr class=\"[^\"]*\">(.*?)</tr>", page, re.S):
        first = re.search(r"<td>(?:<a href=\"[^\"]+\">([^<]+)</a>)?</td>\s*<td>([^<]+)</td>", row)
        if not first:
            continue
        register = first.group(1) or register
        for url, column, count in re.findall(
                r'<a (?:class="[^"]*" )?href="([^"]+)" data-count="(\w+)">(\d+)</a>', row):
            links[(register, first.group(2), column)] = (int(count), url.replace("&amp;", "&"))
    return links


def test_dashboard_counts_match_the_grids_they_link_to(as_clerk, at_monday):
    late, soon, fresh = make_repair_order(), make_repair_order(), make_repair_order()
    run(late.dispatch, user("clerk"), MON - timedelta(minutes=40))
    run(soon.dispatch, user("clerk"), MON - timedelta(minutes=25))
    run(fresh.dispatch, user("clerk"), MON - timedelta(minutes=1))
    links = dashboard_links(as_clerk.get("/admin/").text)
    opened, open_url = links[("维修工作单", "物业管理部", "open")]
    overdue, overdue_url = links[("维修工作单", "物业管理部", "overdue")]
    due_soon, soon_url = links[("维修工作单", "物业管理部", "due_soon")]
    assert (opened, overdue, due_soon) == (3, 1, 1)
    for count, url, expected in ((opened, open_url, {late, soon, fresh}),
                                 (overdue, overdue_url, {late}), (due_soon, soon_url, {soon})):
        listed = rows(as_clerk.get(url + "&page_size=100").text)
        assert {o.number for o in expected} == {n for n in (late.number, soon.number, fresh.number)
                                                if n in listed}
    # Accepting the late order clears it from the overdue count at once, without any job.
    run(RepairOrder.get_by_id(late.id).accept, user("property"), MON)
    links = dashboard_links(as_clerk.get("/admin/").text)
    assert ("维修工作单", "物业管理部", "overdue") not in links


def test_department_staff_see_only_their_department_on_the_dashboard(login, at_monday):
    run(make_repair_order().dispatch, user("clerk"), MON)
    everyone = {name for (_, name, _) in dashboard_links(login("clerk").get("/admin/").text)}
    assert len(everyone - {"客服中心"}) > 1  # the demo's complaints and requests of other departments
    mine = {name for (_, name, _) in dashboard_links(login("property").get("/admin/").text)}
    # Charges and loans are the service center's own registers, which staff may read.
    assert mine - {"客服中心"} == {"物业管理部"}


def test_my_work_lists_my_departments_clocks_oldest_first(login, at_monday):
    first, second = make_repair_order(), make_repair_order()
    run(second.dispatch, user("clerk"), MON - timedelta(minutes=5))
    run(first.dispatch, user("clerk"), MON - timedelta(minutes=50))
    page = login("property").get("/admin/mywork/").text
    table = page.split('id="my-work"')[1].split("</table>")[0]
    assert first.number in table and second.number in table
    assert table.index(first.number) < table.index(second.number)
    assert "逾期 20分" in table
    # The service center does not accept repairs: they are not on the clerk's list.
    clerk_table = login("clerk").get("/admin/mywork/").text.split('id="my-work"')[1]
    assert first.number not in clerk_table.split("</table>")[0]


def test_an_alert_is_resolved_by_hand_with_a_note_and_audited(login, at_monday):
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON - timedelta(minutes=40))
    with write_transaction():
        flag_unaccepted_repairs(MON)
    [alert] = Alert.select().where((Alert.record_type == "RepairOrder") & (Alert.record_id == order.id)
                                   & (Alert.kind == "overdue"))
    client = login("property")
    assert alert.title in client.get("/admin/").text  # the department's alert is on its home page
    step = "/admin/alert/step/resolve/?id=%s" % alert.id
    empty = client.submit(step, {"note": ""})
    assert "请填写处理说明" in empty.text
    assert Alert.get_by_id(alert.id).status == "open"
    client.submit(step, {"note": "已电话通知维修班长，10 分钟内到场"})
    alert = Alert.get_by_id(alert.id)
    assert alert.status == "resolved" and alert.resolved_by.username == "property"
    assert alert.resolution_note.startswith("已电话通知")
    assert AuditLog.select().where((AuditLog.action == "resolve_alert")
                                   & (AuditLog.record_id == alert.id)).exists()
    assert alert.title not in client.get("/admin/").text.split('id="my-alerts"')[1]


def test_the_auditor_cannot_resolve_an_alert(login, at_monday):
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON - timedelta(minutes=40))
    with write_transaction():
        flag_unaccepted_repairs(MON)
    alert = Alert.select().where(Alert.record_id == order.id).first()
    from conftest import csrf_token
    auditor = login("auditor")
    assert auditor.get("/admin/alert/step/resolve/?id=%s" % alert.id).status_code == 403
    token = csrf_token(auditor.get("/admin/alert/details/?id=%s" % alert.id).text)
    assert auditor.post("/admin/alert/step/resolve/?id=%s" % alert.id,
                        data={"note": "x", "csrf_token": token}).status_code == 403
    assert Alert.get_by_id(alert.id).status == "open"


def test_every_registers_counts_are_the_rows_they_count(app):
    """register_counts (grouped in SQL, due soon as a join) against each open row of every
    register with deadlines checked one by one in Python, on the demo data."""
    from flask_login import login_user

    from jobs.deadlines import ACTING_DEPARTMENT
    from models import Deadline, User
    from views.dashboard import deadline_views, register_counts
    now = clock.now()
    run(make_repair_order().dispatch, user("clerk"), now - timedelta(minutes=25))  # in its warning time
    seen = {"open": 0, "due_soon": 0, "overdue": 0}
    with app.test_request_context("/admin/"):
        login_user(User.get(User.username == "admin"))
        for view in deadline_views(app.extensions["admin"][0]):
            model = view.model
            _, column = ACTING_DEPARTMENT[model.__name__]
            soon_ids = {d.record_id for d in Deadline.select().where(
                (Deadline.record_type == model.__name__) & (Deadline.status == Deadline.RUNNING)
                & (Deadline.kind != "follow_up") & (Deadline.warn_at <= now) & (Deadline.due_at > now))}
            expected = {}
            for row in model.select():
                if row.status not in view.open_states or row.archived_at is not None:
                    continue
                held = getattr(row, "on_hold_since", None) is not None
                late = not held and any(
                    row.status in states and getattr(row, field) is not None
                    and getattr(row, field) < now for field, states in view.deadline_filters)
                key = row.__data__.get(column.name) if column is not None else None
                entry = expected.setdefault(key, [0, 0, 0])
                entry[0] += 1
                entry[1] += not held and row.id in soon_ids
                entry[2] += late
            got = register_counts(view, now)
            assert sorted((r["open"], r["due_soon"], r["overdue"]) for r in got) == \
                sorted(tuple(v) for v in expected.values()), model.__name__
            for r in got:
                for name in seen:
                    seen[name] += r[name]
    assert all(seen.values()), seen  # the demo data has rows of each kind
