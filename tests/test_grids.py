"""Grids at scale (issue 8): the search box finds phones and numbers through their indexes, the
count is a plain COUNT(*), and a page loads its related names with one query per related model."""
from datetime import datetime

import pytest
from flask_login import login_user

import database
from conftest import statements_run
from models import Alert, Contact, Customer, Deadline, Department, User, db, next_number
from views.search import prefix_range, search_condition

AT = datetime(2026, 11, 20, 10, 0)


def rows(html):
    """The body of a grid page's table."""
    return html.split('model-list">', 1)[1].split("</thead>", 1)[1].split("</table>", 1)[0]


def view_of(app, model):
    return next(v for v in app.extensions["admin"][0]._views if getattr(v, "model", None) is model)


@pytest.fixture
def caller(app):
    """A contact from a caller with a known phone, name and subject, and one from a neighbour
    whose phone shares the first seven digits."""
    made = []
    for phone, name, subject in (("13912340001", "欧阳测试", "停车场照明坏了"),
                                 ("13912349999", "司马测试", "咨询营业时间")):
        made.append(Contact.create(number=next_number("JD", AT), visitor_name=name, phone=phone,
                                   subject=subject, received_at=AT, created_at=AT, updated_at=AT))
    return made


@pytest.mark.parametrize("term, finds_neighbour", [
    ("13912340001", False),             # the full number
    ("+86 139 1234 0001", False),       # as written on a business card
    ("0086-139-1234-0001", False),
    ("139-1234-0001", False),
    ("1391234", True),                  # its first seven digits
    ("+86 139 1234", True),             # the first digits after the country code
    ("欧阳测试", False),                 # the visitor's name
    ("照明", False),                     # a word of the subject
])
def test_search_finds_a_contact_as_clerks_type_it(as_clerk, caller, term, finds_neighbour):
    found = rows(as_clerk.get("/admin/contact/", query_string={"search": term}).text)
    assert caller[0].number in found
    assert (caller[1].number in found) == finds_neighbour


def test_search_finds_a_record_number_from_its_start(as_clerk, caller):
    number = caller[0].number  # JD-20261120-0001
    for term in (number, number.lower(), number[3:], number[:11]):
        found = rows(as_clerk.get("/admin/contact/", query_string={"search": term}).text)
        assert number in found, term
    found = rows(as_clerk.get("/admin/contact/", query_string={"search": number}).text)
    assert caller[1].number not in found


def test_a_phone_search_reads_indexes_not_every_row(app, caller):
    """No leading-wildcard LIKE for a phone number: every condition is a range on a column."""
    view = view_of(app, Contact)
    with app.test_request_context():
        login_user(User.get(User.username == "clerk"))
        condition = search_condition(Contact, view._search_fields, "+86 139 1234 0001", True)
        sql, params = Contact.select().where(condition).sql()
    assert "LIKE" not in sql.upper() and "%" not in "".join(str(p) for p in params)
    assert "13912340001" in params and "13912340002" in params


@pytest.mark.parametrize("prefix, inside, outside", [
    ("138", ["138", "13800138000"], ["137999", "139", "1390"]),
    ("1399", ["1399", "13990000000"], ["1398", "14", "140"]),
    ("999", ["999", "9990"], ["998"]),
    ("JD-2026", ["JD-20261120-0001"], ["JD-2025", "JE-2026"]),
])
def test_prefix_range_is_starts_with(prefix, inside, outside):
    class Probe:  # evaluates the range's two comparisons in Python, as the database would
        def __init__(self):
            self.bounds = []

        def __ge__(self, other):
            self.bounds.append((">=", other))
            return self

        def __lt__(self, other):
            self.bounds.append(("<", other))
            return self

        def __and__(self, other):
            return self
    probe = Probe()
    prefix_range(probe, prefix)
    checks = {">=": lambda v, b: v >= b, "<": lambda v, b: v < b}
    for value in inside:
        assert all(checks[op](value, bound) for op, bound in probe.bounds), value
    for value in outside:
        assert not all(checks[op](value, bound) for op, bound in probe.bounds), value


@pytest.mark.parametrize("search, filters", [
    (None, []), ("1391234", []), ("测试", []), ("JD-2026", []), (None, [("status", "open")])])
def test_count_is_the_number_of_matching_rows_as_a_plain_count(app, caller, search, filters):
    view = view_of(app, Contact)
    flts = [(next(i for i, f in enumerate(view._filters) if f.column.name == column
                  and type(f).__name__ == "FilterEqual"), column, value) for column, value in filters]
    with app.test_request_context():
        login_user(User.get(User.username == "clerk"))
        with statements_run() as statements:
            count, _ = view.get_list(0, None, False, search, flts)
        _, everything = view.get_list(0, None, False, search, flts, page_size=0)
    assert count == len(everything) and count > 0
    count_sql = [s for s in statements if "COUNT" in s.upper()]
    assert len(count_sql) == 1 and "_wrapped" not in count_sql[0]


def page_statements(client, url):
    with statements_run() as statements:
        assert client.get(url).status_code == 200
    return statements


def test_a_grid_page_loads_its_related_names_once_per_related_model(app, as_clerk, caller):
    """The contact grid shows a customer and a department per row: one query each for the
    whole page, whatever the page size; never the page query again per related column."""
    for contact in Contact.select():
        contact.customer = Customer.select().order_by(Customer.id.desc()).first()
        contact.department = Department.select().first()
        contact.save()
    small = page_statements(as_clerk, "/admin/contact/?page_size=5")
    large = page_statements(as_clerk, "/admin/contact/?page_size=50")
    assert len(small) == len(large)
    page = [s for s in large if s.lstrip().upper().startswith('SELECT') and 'FROM "contact"' in s]
    assert len(page) == 2  # the count and the page; no prefetch re-running the page query
    for table in ("customer", "department"):
        assert len([s for s in large if f'FROM "{table}"' in s and " IN (" in s]) == 1, table
    grid = rows(as_clerk.get("/admin/contact/?page_size=50").text)
    assert Customer.select().order_by(Customer.id.desc()).first().name in grid


def test_alert_grid_is_newest_first(as_admin):
    department = Department.select().first()
    for day in (3, 1, 2):
        Alert.create(kind="overdue", title="测试提醒%d" % day, record_type="Contact", record_id=1,
                     since=datetime(2030, 1, day), department=department, created_at=AT,
                     updated_at=AT)
    grid = rows(as_admin.get("/admin/alert/").text)
    assert grid.index("测试提醒3") < grid.index("测试提醒2") < grid.index("测试提醒1")


def test_grid_indexes_migration_upgrades_a_database_made_before_it(app):
    """A database from before issue 8 gets the grids' indexes, once."""
    version = next(v for v, name, _ in database.MIGRATIONS if name == "indexes for grids and search")
    wanted = {("alert", ("since",)), ("customer", ("phone2",)), ("customer", ("name",)),
              ("deadline", ("record_type", "status", "due_at", "kind", "warn_at", "rule_code",
                            "record_id")),
              ("repair_order", ("reporter_phone",))}
    for table, columns in wanted:
        for index in db.get_indexes(table):
            if tuple(index.columns) == columns:
                db.execute_sql('DROP INDEX "%s"' % index.name)
    database.SchemaMigration.delete().where(database.SchemaMigration.version == version).execute()
    assert database.migrate() == [version]
    for table, columns in wanted:
        assert columns in [tuple(i.columns) for i in db.get_indexes(table)], table
    assert database.migrate() == []
    assert Deadline.select().count() >= 0


def test_my_work_conditions_pick_the_same_clocks_as_the_acting_department_rule(app):
    """views.dashboard.acts_on is jobs.deadlines.acting_department_sql as plain conditions."""
    from peewee import JOIN
    from jobs.deadlines import ACTING_DEPARTMENT, acting_department_sql
    from views.dashboard import acts_on
    service = Department.by_code(Department.SERVICE).id
    compared = 0
    for model, _ in ACTING_DEPARTMENT.values():
        base = (Deadline.select(Deadline.id).join(model, JOIN.INNER, on=(model.id == Deadline.record_id))
                .where(Deadline.record_type == model.__name__))
        for department in Department.select():
            rule = {i for (i,) in base.where(acting_department_sql(model, service) == department.id).tuples()}
            acting = acts_on(model, department.id, service)
            plain = (set() if acting is False else
                     {i for (i,) in (base if acting is True else base.where(acting)).tuples()})
            assert plain == rule, (model.__name__, department.code)
            compared += len(rule)
    assert compared > 0


def test_row_step_links_carry_each_rows_own_id(as_clerk, caller):
    grid = rows(as_clerk.get("/admin/contact/").text)
    for contact in caller:
        assert f'href="/admin/contact/step/handled/?id={contact.id}&amp;url=/admin/contact/' in grid


def test_the_search_box_says_how_to_search_in_either_language(as_clerk):
    import html
    import re

    def placeholder():
        page = as_clerk.get("/admin/contact/").text
        return html.unescape(re.search(r'name="search"[^>]*placeholder="([^"]*)"', page).group(1))
    assert placeholder() == ("搜索：编号、来访人、联系电话、事由、客户"
                             "（电话输入前 7 位以上，编号输入开头）")
    as_clerk.get("/lang/en")
    assert placeholder() == ("Search: No., Visitor, Contact phone, Subject, Customer"
                             " (phones: the first 7 digits or more; numbers: from the start)")


@pytest.mark.slow
def test_every_grid_sorts_by_every_column(app, as_admin):
    """Sorting notices by department failed (the join started from the receipt counts)."""
    admin = app.extensions["admin"][0]
    for view in admin._views:
        if not hasattr(view, "_list_columns") or not getattr(view, "model", None):
            continue
        for at in range(len(view._list_columns)):
            for desc in ("", "&desc=1"):
                url = "/admin/%s/?sort=%d%s" % (view.endpoint, at, desc)
                assert as_admin.get(url).status_code == 200, url
