"""服务质量指标: the supervisors' monthly service KPIs, 12-month trends and CSV (R-CRM-4)."""
import csv
import io
import re
from datetime import date

from flask import Response, abort, flash, request
from flask_admin import BaseView, expose
from flask_login import current_user

import access
import clock
import kpi
from audit import audit
from database import write_transaction
from i18n import _l
from models import Survey
from reports import previous_month
from views.dashboard import LoginRequired
from views.base import excel_safe

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
CHART_HEIGHT = 110  # pixels of the tallest bar
# The charts under the month's tables: (measure, title, unit shown untranslated, top of the
# scale — None: the span's largest value —, target line or None).
TRENDS = (
    ("on_time_rate", "时限按时率", "%", 100, None),
    ("callback_on_time_rate", "回访按时率", "%", 100, None),
    ("satisfaction", "回访平均满意度", "1-5", 5, None),
    ("return_rate", "问卷回收率", "%", 100, float(Survey.target_return_rate.default)),
    ("complaint_rate", "每百户投诉率", "", None, None),
    ("repeats", "重复投诉件数", "", None, None),
)
# Colours of the on-time table: at least GOOD % green, at least FAIR % yellow, below red.
GOOD, FAIR = 90, 70


def chosen_month(text, today):
    """The month named 'YYYY-MM' (None if malformed), by default the last full month; a month
    after this one becomes this one."""
    if not text:
        return previous_month(today)
    match = MONTH_RE.match(text.strip())
    if match is None or int(match.group(1)) < 2000:
        return None
    return min(date(int(match.group(1)), int(match.group(2)), 1), today.replace(day=1))


def chart(kpis, key, top, target):
    """One trend chart: [(month, value, bar height in px)], its scale's top and target height."""
    values = [kpis["figures"][m][None][key] for m in kpis["months"]]
    top = top or max([float(v) for v in values if v] or [1])

    def height(value):
        return round(CHART_HEIGHT * min(float(value), top) / top)
    return {"bars": [(m, v, 0 if v is None else height(v)) for m, v in zip(kpis["months"], values)],
            "top": top, "target": None if target is None else height(target)}


def rule_trends(kpis):
    """[(rule name, department name, [figures or None per month])] of every clock in the span."""
    names = dict(kpis["departments"])
    keys = {key for m in kpis["months"] for key in kpis["rules"][m]}
    rows = [(kpis["rule_names"].get(rule, rule), names.get(department, "—"),
             [kpis["rules"][m].get((rule, department)) for m in kpis["months"]])
            for rule, department in keys]
    return sorted(rows, key=lambda row: (row[0], row[1]))


class KpiView(LoginRequired, BaseView):
    """服务质量指标: for supervisors only (admin, department managers, PM, GM, auditor)."""

    def is_accessible(self):
        return super().is_accessible() and access.may(current_user, "kpi")

    def inaccessible_callback(self, name, **kwargs):
        if current_user.is_authenticated:
            abort(403)
        return super().inaccessible_callback(name, **kwargs)

    def _month(self):
        month = chosen_month(request.args.get("month"), clock.now().date())
        if month is None:
            flash(_l("月份格式应为 YYYY-MM，已显示上月"), "error")
            month = previous_month(clock.now().date())
        return month

    @expose("/")
    def index(self):
        month = self._month()
        kpis = kpi.service_kpis(month, clock.now())
        figures = kpis["figures"][month]
        departments = [(None, _l("全部"))] + [d for d in kpis["departments"] if d[0] in figures]
        trends = rule_trends(kpis)
        return self.render(
            "kefu/kpi.html", month=month, this_month=clock.now().date().replace(day=1),
            kpis=kpis, figures=figures, departments=departments,
            rules=[(rule, dept, cells[-1]) for rule, dept, cells in trends if cells[-1]],
            callbacks=[(label, kpis["callbacks"][month][register])
                       for register, _, label in kpi.CALLBACK_REGISTERS],
            surveys=kpis["surveys"][month], target=Survey.target_return_rate.default,
            charts=[(title, unit, chart(kpis, key, top, target))
                    for key, title, unit, top, target in TRENDS],
            rule_trends=trends, good=GOOD, fair=FAIR, chart_height=CHART_HEIGHT,
            definitions=kpi.DEFINITIONS)

    @expose("/export.csv")
    def export_view(self):
        """The 12 months ending with the chosen one as CSV (UTF-8 with BOM, for Excel)."""
        month = self._month()
        kpis = kpi.service_kpis(month, clock.now())
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        for row in kpi.csv_rows(kpis):
            writer.writerow([excel_safe(cell) for cell in row])
        first, last = kpis["months"][0].strftime("%Y-%m"), month.strftime("%Y-%m")
        with write_transaction():
            audit("export", None, summary="服务质量指标 CSV %s 至 %s" % (first, last))
        return Response(out.getvalue(), mimetype="text/csv; charset=utf-8", headers={
            "Content-Disposition": "attachment; filename=kpi-%s.csv" % last})


def register(admin, category):
    admin.add_view(KpiView(name=_l("服务质量指标"), endpoint="kpi", url="/admin/kpi",
                           category=_l(category)))
