"""Service KPIs (R-CRM-4): figures of a hand-built month, the 12-month span, page and CSV.

The month is June 2021, long before the demo data (which lives around the day the suite runs
and whose tenants' leases start in later years), so every figure below is ours alone."""
import csv
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

import kpi
from models import (AuditLog, Callback, Complaint, Customer, Deadline, Department, RepairOrder,
                    Survey, SurveyDistribution, SurveyResponse, db)
from conftest import statements_run
from views.kpi import chosen_month

JUNE = date(2021, 6, 1)
NOW = datetime(2021, 7, 5, 12, 0)  # a week after the month: everything due in June is decided
MET, RUNNING, CANCELLED = Deadline.MET, Deadline.RUNNING, Deadline.CANCELLED


def at(day, hour=10, month=6):
    return datetime(2021, month, day, hour)


# kind, lease start, lease end, status, archived, counted at the end of June 2021
TENANTS = (
    [("tenant", date(2020, 1, 1), date(2023, 1, 1), "active", False, True)] * 8 + [
        ("anchor", None, None, "active", False, True),           # no lease dates: registered 2021-01-01
        ("tenant", date(2019, 1, 1), date(2021, 7, 31), "inactive", False, True),   # left in July
        ("tenant", date(2019, 1, 1), date(2021, 5, 31), "inactive", False, False),  # left in May
        ("tenant", date(2019, 1, 1), None, "inactive", False, False),  # left, date unknown
        ("tenant", date(2021, 7, 1), None, "active", False, False),   # opens in July
        ("tenant", date(2020, 1, 1), None, "active", True, False),    # archived record
        ("consumer", None, None, "active", False, False),             # not a tenant
    ])

# rule, kind, register, due, met at, status, record state, verdict in June
CLOCKS = (
    ("REP_ACCEPT", "accept", "repair", at(2), at(2, 9), MET, "", "on time"),
    ("REP_ACCEPT", "accept", "repair", at(8), at(8), MET, "", "on time"),  # met at the very minute
    ("REP_ACCEPT", "accept", "repair", at(15), at(14), MET, "", "on time"),
    ("REP_ACCEPT", "accept", "repair", at(20), at(21), MET, "", "late"),
    ("REP_ACCEPT", "accept", "repair", at(30, 23), None, RUNNING, "", "late"),  # still not accepted
    ("REP_ACCEPT", "accept", "repair", at(11), None, CANCELLED, "", None),
    ("REP_ACCEPT", "accept", "repair", at(1, 0, month=7), None, RUNNING, "", None),  # July's
    ("REP_ACCEPT", "accept", "repair", at(12), at(12, 9), MET, "archived", None),
    ("REP_ACCEPT", "accept", "repair", at(13), None, RUNNING, "on hold", None),
    ("REP_CALLBACK", "callback", "repair", at(5), at(5, 9), MET, "", "on time"),
    ("REP_CALLBACK", "callback", "repair", at(9), at(10), MET, "", "late"),
    ("CMP_CALLBACK", "callback", "complaint", at(26), None, RUNNING, "", "late"),
    ("CMP_DAILY_FOLLOWUP", "follow_up", "complaint", at(7), None, RUNNING, "", None),  # no promise
)

PHONE = "13800001111"


@pytest.fixture
def june(app):
    """Build the month; return {name: record} of what the tests look at."""
    dept = {d.code: d for d in Department.select()}
    prop, ops = dept[Department.PROPERTY], dept[Department.OPERATIONS]
    made = {}
    with db.atomic():
        tenants = []
        for i, (kind, start, end, status, archived, _) in enumerate(TENANTS):
            tenants.append(Customer.create(
                name="KPI 测试商户 %d" % i, kind=kind, lease_start=start, lease_end=end,
                status=status, archived_at=at(1) if archived else None,
                created_at=datetime(2021, 1, 1), updated_at=datetime(2021, 1, 1)))

        def complaint(received, department, customer=None, phone=None, archived=False):
            return Complaint.create(
                customer=customer, complainant_name="投诉人", complainant_phone=phone,
                subject="KPI 测试投诉", department=department, received_at=received,
                archived_at=received if archived else None, created_at=received, updated_at=received)

        a, b, c = tenants[0], tenants[1], tenants[2]
        complaint(at(20, month=4), prop, a)               # April: A's first
        complaint(at(1, month=3), ops, b)                 # March: B's first, 101 days before June 10
        made["a_again"] = complaint(at(3), prop, a)       # repeat: A complained 44 days before
        made["b_again"] = complaint(at(10), ops, b)       # not a repeat: more than 90 days
        complaint(at(12), ops, phone=PHONE)               # no customer record: first from this phone
        complaint(at(20), prop, phone=PHONE)              # repeat: same phone, same month
        complaint(at(25), prop, c, phone=PHONE)           # not a repeat: a customer record of its own
        complaint(at(4), prop, a, archived=True)          # archived: neither counted nor earlier

        for rule, kind, register, due, met_at, status, state, _ in CLOCKS:
            if register == "repair":
                record = RepairOrder.create(
                    customer=a, location="A-101", description="KPI 测试", department=prop,
                    reported_at=due - timedelta(hours=1), archived_at=due if state == "archived" else None,
                    on_hold_since=due if state == "on hold" else None, created_at=due, updated_at=due)
                made.setdefault("order", record)
            else:
                record = made["b_again"]
            Deadline.create(
                record_type=type(record).__name__, record_id=record.id, kind=kind, rule_code=rule,
                limit_amount=30, limit_unit="minutes", limit_clock="calendar", explanation="测试",
                started_at=due - timedelta(minutes=30), original_due_at=due, due_at=due,
                met_at=met_at, status=status, created_at=due, updated_at=due)

        for called, target, satisfaction, accepted, archived in (
                (at(6), {"repair_order": made["order"]}, 5, True, False),
                (at(10), {"repair_order": made["order"]}, 4, True, False),
                (at(27), {"complaint": made["b_again"]}, None, False, False),
                (at(28), {"repair_order": made["order"]}, 1, False, True)):
            Callback.create(called_at=called, satisfaction=satisfaction, accepted=accepted,
                            archived_at=called if archived else None, created_at=called,
                            updated_at=called, **target)

        survey = Survey.create(title="2021 年二季度商户调查", target="tenants", start_date=date(2021, 6, 1),
                               end_date=date(2021, 6, 20), status=Survey.CLOSED, paper_copies=2,
                               created_at=at(1), updated_at=at(1))
        Survey.create(title="未实施的调查", target="tenants", start_date=date(2021, 6, 1),
                      end_date=date(2021, 6, 20), status=Survey.DRAFT, created_at=at(1), updated_at=at(1))
        for i, customer in enumerate(tenants[:10]):
            handed = SurveyDistribution.create(
                survey=survey, customer=customer, token="kpi-test-%d" % i, distributed_at=at(2),
                responded_at=at(5) if i < 7 else None, created_at=at(2), updated_at=at(2))
            if i < 7:
                SurveyResponse.create(survey=survey, customer=customer, distribution=handed,
                                      returned_at=at(5), created_at=at(5), updated_at=at(5))
        # A paper questionnaire returned without a code: 2 paper copies were handed out.
        SurveyResponse.create(survey=survey, returned_at=at(6), created_at=at(6), updated_at=at(6))
        made["survey"] = survey
    made["prop"], made["ops"] = prop.id, ops.id
    made["service"] = dept[Department.SERVICE].id
    return made


def test_kpi_figures_of_a_hand_built_month(june):
    kpis = kpi.service_kpis(JUNE, NOW)
    figures = kpis["figures"][JUNE]
    whole, prop, ops, service = (figures[None], figures[june["prop"]], figures[june["ops"]],
                                 figures[june["service"]])
    # Time limits: 8 came due (5 acceptances, 3 callbacks), 4 on time.
    assert (whole["due"], whole["on_time"], whole["on_time_rate"]) == (8, 4, 50.0)
    assert (prop["due"], prop["on_time"], prop["on_time_rate"]) == (5, 3, 60.0)
    assert (service["due"], service["on_time"], service["on_time_rate"]) == (3, 1, 33.3)
    rules = kpis["rules"][JUNE]
    accept = rules[("REP_ACCEPT", june["prop"])]
    assert (accept["due"], accept["on_time"], accept["on_time_rate"]) == (5, 3, 60.0)
    assert set(rules) == {("REP_ACCEPT", june["prop"]), ("REP_CALLBACK", june["service"]),
                          ("CMP_CALLBACK", june["service"])}
    # Callbacks: 3 due, 2 made (1 on time); made in June: ratings 5 and 4, 2 of 3 accepted.
    assert (whole["callbacks_due"], whole["callbacks_done"], whole["callbacks_on_time"]) == (3, 2, 1)
    assert (whole["callback_completion"], whole["callback_on_time_rate"]) == (66.7, 33.3)
    assert (whole["callbacks"], whole["satisfaction"], whole["accepted_rate"]) == (3, Decimal("4.50"), 66.7)
    assert (prop["callbacks"], prop["satisfaction"], prop["accepted_rate"]) == (2, Decimal("4.50"), 100.0)
    assert (ops["callbacks"], ops["satisfaction"], ops["accepted_rate"]) == (1, None, 0.0)
    repairs, complaints = kpis["callbacks"][JUNE]["RepairOrder"], kpis["callbacks"][JUNE]["Complaint"]
    assert (repairs["callback_completion"], repairs["callback_on_time_rate"]) == (100.0, 50.0)
    assert (complaints["callback_completion"], complaints["callback_on_time_rate"]) == (0.0, 0.0)
    # Complaints: 5 in June among 10 tenants in business at its end; 2 repeats.
    assert (whole["complaints"], whole["tenants"], whole["complaint_rate"], whole["repeats"]) == (5, 10, 50.0, 2)
    assert (prop["complaints"], prop["complaint_rate"], prop["repeats"]) == (3, 30.0, 2)
    assert (ops["complaints"], ops["complaint_rate"], ops["repeats"]) == (2, 20.0, 0)
    # Surveys: 10 coded + 2 paper copies handed out, 8 returned; the draft plan never ran.
    assert kpis["surveys"][JUNE] == [(june["survey"], 12, 8, 66.7)]
    assert (whole["distributed"], whole["returned"], whole["return_rate"]) == (12, 8, 66.7)
    assert prop["return_rate"] is None and prop["distributed"] is None


def test_twelve_months_count_each_month_on_its_own(june):
    kpis = kpi.service_kpis(JUNE, NOW)
    assert kpis["months"][0] == date(2020, 7, 1) and len(kpis["months"]) == 12
    figures = kpis["figures"]
    assert [figures[date(2021, m, 1)][None]["complaints"] for m in (3, 4, 5)] == [1, 1, 0]
    # Tenants at each month's end: the May leaver still counts in May, the anchor from January.
    assert [figures[m][None]["tenants"] for m in (date(2020, 12, 1), date(2021, 5, 1), JUNE)] == [10, 11, 10]
    # The clock due at midnight on 1 July belongs to July.
    july = kpi.service_kpis(date(2021, 7, 1), NOW, count=1)["figures"][date(2021, 7, 1)]
    assert (july[None]["due"], july[None]["on_time_rate"]) == (1, 0.0)
    # Before it is due, a running clock is not counted at all.
    early = kpi.service_kpis(date(2021, 7, 1), at(30, 12), count=1)
    assert early["figures"][date(2021, 7, 1)][None]["due"] == 0


def test_queries_do_not_grow_with_the_number_of_months(june):
    with statements_run() as one:
        kpi.service_kpis(JUNE, NOW, count=1)
    with statements_run() as twelve:
        kpi.service_kpis(JUNE, NOW, count=12)
    assert len(twelve) == len(one) <= 10


@pytest.mark.parametrize("text, expected", [
    ("", date(2026, 10, 1)),            # the last full month
    ("2021-06", JUNE), (" 2021-06 ", JUNE),
    ("2999-01", date(2026, 11, 1)),     # no later than this month
    ("2021-13", None), ("21-06", None), ("1999-12", None), ("<script>", None),
])
def test_month_picker_reads_yyyy_mm(text, expected):
    assert chosen_month(text, date(2026, 11, 22)) == expected


def department_cells(page):
    """{department id or 'all': {measure: text}} from the page's department table."""
    rows = re.findall(r'<tr[^>]*data-department="(\w+)">(.*?)</tr>', page, re.S)
    return {dept: dict(re.findall(r'data-measure="(\w+)">([^<]*)<', row)) for dept, row in rows}


def test_page_shows_the_month_to_supervisors(june, login):
    page = login("gm").get("/admin/kpi/?month=2021-06")
    assert page.status_code == 200
    cells = department_cells(page.text)
    assert cells["all"]["on_time_rate"] == "50.0%"
    assert cells[str(june["prop"])]["on_time_rate"] == "60.0%"
    assert (cells["all"]["complaint_rate"], cells["all"]["repeats"]) == ("50.0", "2")
    assert (cells["all"]["satisfaction"], cells["all"]["accepted_rate"]) == ("4.50", "66.7%")
    assert "2021 年二季度商户调查" in page.text and "66.7%" in page.text
    assert page.text.count("<svg class=\"kpi-chart\"") == 6
    assert 'data-month="2021-06">50.0<' in page.text  # the on-time chart's last bar
    assert "指标口径" in page.text and "export.csv?month=2021-06" in page.text
    assert login("ops").get("/admin/kpi/?month=2021-06").status_code == 200  # a department manager


@pytest.mark.parametrize("username", ["clerk", "property"])
def test_page_and_export_are_refused_to_clerks_and_staff(login, username):
    user = login(username)
    assert user.get("/admin/kpi/").status_code == 403
    assert user.get("/admin/kpi/export.csv").status_code == 403
    assert "/admin/kpi/" not in user.get("/admin/").text  # no menu entry either


def test_page_needs_a_login(client):
    assert client.get("/admin/kpi/").status_code == 302


def test_a_bad_month_shows_last_month_with_a_message(login):
    page = login("gm").get("/admin/kpi/?month=2021-13", follow_redirects=True)
    assert page.status_code == 200 and "月份格式应为 YYYY-MM" in page.text


def test_csv_has_twelve_months_with_the_same_figures(june, login):
    response = login("auditor").get("/admin/kpi/export.csv?month=2021-06")
    assert response.status_code == 200
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff月份,部门,到期时限数,按时完成数,时限按时率（%）")
    assert "kpi-2021-06.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert [r["月份"] for r in rows if r["部门"] == "全部"] == ["2020-%02d" % m for m in range(7, 13)] + \
        ["2021-%02d" % m for m in range(1, 7)]
    june_all = next(r for r in rows if (r["月份"], r["部门"]) == ("2021-06", "全部"))
    assert (june_all["时限按时率（%）"], june_all["回访完成率（%）"], june_all["回访平均满意度（1-5）"],
            june_all["每百户投诉率"], june_all["重复投诉件数"], june_all["问卷回收率（%）"]) == \
        ("50.0", "66.7", "4.50", "50.0", "2", "66.7")
    june_property = next(r for r in rows if (r["月份"], r["部门"]) == ("2021-06", "物业管理部"))
    assert (june_property["时限按时率（%）"], june_property["问卷回收率（%）"]) == ("60.0", "")
    assert AuditLog.select().where((AuditLog.action == "export")
                                   & AuditLog.summary.contains("服务质量指标")).count() == 1
