"""Service KPIs for supervisors (R-CRM-4): on-time rates per time limit, callbacks, survey
returns, complaints per 100 tenants and repeat complaints, per month and department.

Each measure is one grouped query over the whole span of months, never one per month or per
record. What each figure counts is spelt out in DEFINITIONS, which the page prints."""
import operator
from collections import Counter, defaultdict
from datetime import date, timedelta
from functools import reduce

from peewee import JOIN, SQL, Case, fn

from database import is_sqlite
from jobs.deadlines import ACTING_DEPARTMENT, SERVICE_RULES, acting_department_sql
from models import Callback, Complaint, Customer, Deadline, Department, RepairOrder, SlaRule, Survey
from reports import _average, _rate, month_bounds, previous_month, survey_returns

TREND_MONTHS = 12
REPEAT_DAYS = 90
# Clocks that are no promise to a customer: the fifth working day only starts the daily
# follow-ups (checked by their own job), and the free loan hour is the borrower's to keep.
NOT_PROMISES = ("follow_up", "free")
TENANT_KINDS = (Customer.TENANT, Customer.ANCHOR)
# A survey that never started has nothing to return.
SURVEYS_RUN = Survey.WORKFLOW.group("answered")
CALLBACK_REGISTERS = (("RepairOrder", "REP_CALLBACK", "维修回访"),
                      ("Complaint", "CMP_CALLBACK", "投诉回访"))

# What the queries count; MEASURES adds the rates and averages derived from them.
COUNTS = ("due", "met", "on_time", "callbacks_due", "callbacks_done", "callbacks_on_time",
          "callbacks", "rated", "rating_sum", "accepted", "complaints", "repeats", "tenants",
          "distributed", "returned")
# Every figure of a month and department, in the order of the CSV columns: (key, label).
MEASURES = (
    ("due", "到期时限数"), ("on_time", "按时完成数"), ("on_time_rate", "时限按时率（%）"),
    ("callbacks_due", "应回访数"), ("callbacks_done", "已回访数"),
    ("callbacks_on_time", "按时回访数"), ("callback_completion", "回访完成率（%）"),
    ("callback_on_time_rate", "回访按时率（%）"), ("callbacks", "回访次数"),
    ("satisfaction", "回访平均满意度（1-5）"), ("accepted_rate", "认可处理结果比例（%）"),
    ("complaints", "投诉件数"), ("tenants", "月末在营商户数"),
    ("complaint_rate", "每百户投诉率"), ("repeats", "重复投诉件数"),
    ("distributed", "问卷发放份数"), ("returned", "问卷回收份数"),
    ("return_rate", "问卷回收率（%）"),
)

# Printed through gettext, which formats with %: percent signs are written full-width (％).
DEFINITIONS = (
    ("时限按时率", "当月到期的时限（按当前时限，挂起时间已顺延）中按时完成的比例：完成时间不晚于时限为按时；"
                   "逾期完成或到期仍未完成均为逾期。已撤销的时限、尚未到期或挂起中的时限、已归档记录的时限不计；"
                   "投诉“每日跟踪”起算点和借用免费时长不是对客户的承诺，不计。"),
    ("责任部门", "须办理该时限的部门，按记录当前的责任部门（与首页、我的待办一致）；回访一律由客服中心负责。"),
    ("回访完成率 / 回访按时率", "当月到期的维修完工回访和投诉处理完毕回访中，已回访（无论早晚）/ 按时回访的比例。"),
    ("回访满意度 / 认可比例", "当月所做回访（按回访时间）的平均满意度（1-5 分，未打分的不计）和认可处理结果的比例，"
                              "按被回访工作的责任部门归类。"),
    ("每百户投诉率", "当月受理的投诉件数（含不予受理，不含已归档）÷ 月末在营商户和主力店数 × 100。"
                     "各部门一栏为该部门负责的投诉 ÷ 全场商户数 × 100。"),
    ("月末在营商户数", "商户和主力店：在营的自租约开始日（未填则按建档日）起计入；已撤场的计至租约结束日"
                       "（未填结束日的不计）；已归档的档案不计。"),
    ("重复投诉", "当月投诉中，同一客户（无客户档案时按同一投诉人电话）在此前 %d 天内已投诉过的件数；"
                 "同月第二次投诉也算。" % REPEAT_DAYS),
    ("问卷回收率", "按调查结束日期归月：回收答卷 ÷ 发放份数（发放登记的份数，加现场发放份数，"
                   "与满意度调查报告口径相同）；目标 %s％（R-SUR-3）。" % Survey.target_return_rate.default),
)


def months_ending(month, count=TREND_MONTHS):
    """The first days of the `count` months up to and including `month`, oldest first."""
    months = [date(month.year, month.month, 1)]
    while len(months) < count:
        months.insert(0, previous_month(months[0]))
    return months


def month_key(column):
    """SQL naming the month of a date or time column as 'YYYY-MM', on SQLite and PostgreSQL."""
    return fn.strftime("%Y-%m", column) if is_sqlite() else fn.to_char(column, "YYYY-MM")


def _days_before(column, days):
    """SQL for the moment `days` days before a time column."""
    if is_sqlite():
        return fn.datetime(column, "-%d days" % days)
    return column - SQL("INTERVAL '%d days'" % days)


def _grouped(query, count):
    """Group `query` by its first `count` columns, by position: PostgreSQL does not match a
    SELECT expression with bound parameters to the same expression in GROUP BY."""
    return query.group_by(*[SQL(str(n)) for n in range(1, count + 1)])


def clock_counts(start, end, now):
    """[(month, rule code, acting department id, came due, met, met on time)] of the clocks due
    in [start, end) that are decided by `now`: met, or running past due and not on hold.

    One pass over Deadline, joined to each register on its record type (a UNION of one query
    per register read them once per register: 3.3 s against 1.2 s for 100,000 on SQLite)."""
    service = Department.by_code(Department.SERVICE).id
    met = Deadline.status == Deadline.MET
    overdue = (Deadline.status == Deadline.RUNNING) & (Deadline.due_at <= now)
    query, department, decided = Deadline.select(), [], []
    for name, (model, _) in ACTING_DEPARTMENT.items():
        query = query.join_from(Deadline, model, JOIN.LEFT_OUTER, on=(
            (model.id == Deadline.record_id) & (Deadline.record_type == name)))
        found = model.id.is_null(False) & model.archived_at.is_null()
        department.append((found, acting_department_sql(model, service)))
        if "on_hold_since" in model._meta.fields:
            decided.append(found & (met | (overdue & model.on_hold_since.is_null())))  # stopped
        else:
            decided.append(found & (met | overdue))
    query = (query
             .select(month_key(Deadline.due_at), Deadline.rule_code, Case(None, department),
                     fn.COUNT(Deadline.id), fn.SUM(Case(None, [(met, 1)], 0)),
                     fn.SUM(Case(None, [(met & (Deadline.met_at <= Deadline.due_at), 1)], 0)))
             .where((Deadline.due_at >= start) & (Deadline.due_at < end)
                    & Deadline.kind.not_in(NOT_PROMISES) & reduce(operator.or_, decided)))
    return list(_grouped(query, 3).tuples())


def callback_counts(start, end):
    """[(month, register, department id of the work, callbacks, rated, sum of ratings,
    accepted)] of the callbacks made in [start, end)."""
    register = Case(None, [(Callback.repair_order.is_null(False), "RepairOrder")], "Complaint")
    query = (Callback
             .select(month_key(Callback.called_at), register,
                     fn.COALESCE(RepairOrder.department, Complaint.department),
                     fn.COUNT(Callback.id), fn.COUNT(Callback.satisfaction),
                     fn.SUM(Callback.satisfaction),
                     fn.SUM(Case(None, [(Callback.accepted == True, 1)], 0)))  # noqa: E712
             .join(RepairOrder, JOIN.LEFT_OUTER, on=(RepairOrder.id == Callback.repair_order))
             .switch(Callback)
             .join(Complaint, JOIN.LEFT_OUTER, on=(Complaint.id == Callback.complaint))
             .where((Callback.called_at >= start) & (Callback.called_at < end)
                    & Callback.archived_at.is_null()))
    return list(_grouped(query, 3).tuples())


def complaint_counts(start, end):
    """[(month, department id, complaints received, repeat complaints)] in [start, end): a
    repeat is a complaint whose customer (without a customer record: whose phone) complained
    before it within REPEAT_DAYS days."""
    earlier = Complaint.alias("earlier")
    same_party = ((Complaint.customer.is_null(False) & (earlier.customer == Complaint.customer))
                  | (Complaint.customer.is_null() & earlier.customer.is_null()
                     & (earlier.complainant_phone == Complaint.complainant_phone)))
    before = ((earlier.received_at < Complaint.received_at)
              | ((earlier.received_at == Complaint.received_at) & (earlier.id < Complaint.id)))
    repeat = fn.EXISTS(earlier.select(earlier.id).where(
        same_party & before & earlier.archived_at.is_null()
        & (earlier.received_at >= _days_before(Complaint.received_at, REPEAT_DAYS))))
    query = (Complaint
             .select(month_key(Complaint.received_at), Complaint.department,
                     fn.COUNT(Complaint.id), fn.SUM(Case(None, [(repeat, 1)], 0)))
             .where((Complaint.received_at >= start) & (Complaint.received_at < end)
                    & Complaint.archived_at.is_null()))
    return list(_grouped(query, 2).tuples())


def tenant_counts(months):
    """{month: tenants and anchor stores in business at its end}, in one query: an active one
    from its lease start (else its registration), one that has left until its lease end."""
    columns = []
    for month in months:
        end = month_bounds(month)[1]
        last_day = (end - timedelta(days=1)).date()
        begun = (Customer.lease_start <= last_day) | (
            Customer.lease_start.is_null() & (Customer.created_at < end))
        staying = (Customer.status == Customer.ACTIVE) | (Customer.lease_end >= last_day)
        columns.append(fn.SUM(Case(None, [(begun & staying, 1)], 0)))
    row = (Customer.select(*columns)
           .where(Customer.kind.in_(TENANT_KINDS) & Customer.archived_at.is_null()).tuples().get())
    return {month: count or 0 for month, count in zip(months, row)}


def survey_counts(start, end):
    """[(survey, handed out, returned)] of the surveys run that end in [start, end)."""
    surveys = list(Survey.select().where(
        (Survey.end_date >= start.date()) & (Survey.end_date < end.date())
        & Survey.status.in_(SURVEYS_RUN) & Survey.archived_at.is_null()).order_by(Survey.end_date))
    counts = survey_returns(surveys)
    return [(survey,) + counts[survey.id] for survey in surveys]


def derive(counts, surveys=True):
    """The figures of MEASURES from one set of counts; a rate is None where nothing counted.
    Surveys are the service center's whole-mall figure: `surveys` False leaves them empty."""
    c = {key: counts.get(key, 0) for key in COUNTS}
    if not surveys:
        c.update(distributed=None, returned=None)
    return dict(
        c, on_time_rate=_rate(c["on_time"], c["due"]),
        callback_completion=_rate(c["callbacks_done"], c["callbacks_due"]),
        callback_on_time_rate=_rate(c["callbacks_on_time"], c["callbacks_due"]),
        satisfaction=_average(c["rating_sum"], c["rated"]),
        accepted_rate=_rate(c["accepted"], c["callbacks"]),
        complaint_rate=_rate(c["complaints"], c["tenants"]),  # per 100 tenants
        return_rate=_rate(c["returned"], c["distributed"]))


def service_kpis(month, now, count=TREND_MONTHS):
    """Every KPI of the `count` months ending with `month`, as decided by `now`.

    Returns {"months": [first days], "departments": [(id, name)] with figures in the span,
    "rule_names": {code: name}, and per month: "figures" {department id, None for all:
    figures}, "rules" {(rule code, department id): figures}, "callbacks" {register: figures},
    "surveys" [(survey, handed out, returned, return rate)]}."""
    months = months_ending(month, count)
    start, end = month_bounds(months[0])[0], month_bounds(months[-1])[1]
    month_of = {m.strftime("%Y-%m"): m for m in months}
    counts = {m: defaultdict(Counter) for m in months}
    rules = {m: defaultdict(Counter) for m in months}
    callbacks = {m: defaultdict(Counter) for m in months}
    rule_register = {code: register for register, code, _ in CALLBACK_REGISTERS}

    def add(m, department, **values):
        for scope in {None, department}:  # a row without a department counts once, in all
            counts[m][scope].update(values)

    for key, rule, department, due, met, on_time in clock_counts(start, end, now):
        m = month_of[key]
        rules[m][(rule, department)].update(due=due, met=met, on_time=on_time)
        add(m, department, due=due, met=met, on_time=on_time)
        if rule in SERVICE_RULES:
            done = dict(callbacks_due=due, callbacks_done=met, callbacks_on_time=on_time)
            add(m, department, **done)
            callbacks[m][rule_register[rule]].update(done)
    for key, register, department, number, rated, total, accepted in callback_counts(start, end):
        made = dict(callbacks=number, rated=rated, rating_sum=total or 0, accepted=accepted)
        add(month_of[key], department, **made)
        callbacks[month_of[key]][register].update(made)
    for key, department, received, repeats in complaint_counts(start, end):
        add(month_of[key], department, complaints=received, repeats=repeats)
    surveys = defaultdict(list)
    for survey, handed, returned in survey_counts(start, end):
        m = date(survey.end_date.year, survey.end_date.month, 1)
        counts[m][None].update(distributed=handed, returned=returned)
        surveys[m].append((survey, handed, returned, _rate(returned, handed)))
    tenants = tenant_counts(months)
    for m in months:
        counts[m].setdefault(None, Counter())  # every month has its all-departments row
        for scope in counts[m].values():
            scope["tenants"] = tenants[m]
    present = {d for m in months for d in counts[m] if d is not None}
    return {
        "months": months,
        "departments": [(d.id, d.name) for d in Department.select().where(
            Department.id.in_(list(present))).order_by(Department.id)],
        "rule_names": dict(SlaRule.select(SlaRule.code, SlaRule.name).tuples()),
        "figures": {m: {d: derive(c, surveys=d is None) for d, c in counts[m].items()}
                    for m in months},
        "rules": {m: {k: derive(c) for k, c in rules[m].items()} for m in months},
        "callbacks": {m: {r: derive(callbacks[m][r]) for r, _, _ in CALLBACK_REGISTERS}
                      for m in months},
        "surveys": {m: surveys[m] for m in months},
    }


def csv_rows(kpis):
    """The CSV of `kpis`: a header, then per month the all-departments row and each department's."""
    yield ["月份", "部门"] + [label for _, label in MEASURES]
    scopes = [(None, "全部")] + kpis["departments"]
    for m in kpis["months"]:
        for department, name in scopes:
            figures = kpis["figures"][m].get(department)
            if figures is None:
                continue
            yield [m.strftime("%Y-%m"), name] + [
                "" if figures.get(key) is None else figures.get(key) for key, _ in MEASURES]
