"""Complaint handling (投诉处理): complaints, progress entries, the guideline, monthly analyses."""
import csv
import io
import json

from flask import Response, abort, flash, redirect, request
from flask_admin import expose
from flask_login import current_user
from wtforms import DateField, SelectMultipleField, TextAreaField, validators

import clock
import flows.complaints
import history
import reports
from audit import audit, snapshot
from database import write_transaction
from forms import KefuForm
from wtforms.widgets import CheckboxInput, ListWidget

from i18n import _l, gettext
from models import (Complaint, ComplaintGuideline, ComplaintPassOn, ComplaintReport,
                    ComplaintUpdate, DomainError)
from privacy import mask_text, sees_personal_data
from views.base import KefuModelView, PageLink, excel_safe, mask
from views.reception import DepartmentField, hold_steps
from views.steps import INTAKE_HELP, Step, callback_step, intake_fields, reason_field


class GuidelineField(SelectMultipleField):
    """The product-complaint guideline as a checklist, read when the form is drawn."""
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label, **kw):
        super().__init__(label, coerce=int, validate_choice=False, **kw)

    @property
    def choices(self):
        return [(g.id, g.text) for g in ComplaintGuideline.checklist()]

    @choices.setter
    def choices(self, value):
        pass


def update_fields(content_label):
    return {"content": reason_field(content_label),
            "told": TextAreaField(_l("告知投诉人内容"), validators=[validators.Length(max=2000)])}


class ComplaintView(KefuModelView):
    # The key columns first (number, customer, status, deadlines): on screen at 1366 px.
    column_list = ("number", "customer", "complainant_name", "subject", "status",
                   "start_deadline", "resolve_deadline", "callback_deadline", "severity",
                   "category", "department", "owner", "complainant_phone", "received_at")
    form_excluded_extra = ("status", "start_deadline", "started_at", "resolve_deadline",
                           "resolved_at", "escalation_level", "result", "refusal_reason",
                           "on_hold_since", "callback_deadline", "follow_up_from", "scope_checked",
                           "owner")
    form_args = {"department": {"allow_blank": True, "blank_text": "（按投诉类别自动分派）",
                                "validators": [validators.Optional()]}}
    details_template = "kefu/complaint_details.html"
    # States, clocks and labels: workflow.COMPLAINT.
    steps = (
        Step("scope", fields={"ticked": GuidelineField(_l("符合以下全部条件方可受理")),
                     "reason": TextAreaField(_l("不予受理原因及解释（不符合时必填）"),
                                             validators=[validators.Length(max=2000)])},
             show=lambda r: r.category == "product" and not r.scope_checked),
        Step("correct", fields=intake_fields(), style="outline-secondary",
             show=lambda r: r.may_correct_intake(), help=INTAKE_HELP, initial=lambda r: {
                 "category": r.category, "severity": r.severity, "requested_by": r.requested_by}),
        # A major complaint's handling is started by the project manager who leads it (R-CMP-1).
        Step("start", fields={"content": reason_field("启动说明")},
             show=lambda r: r.may_start(current_user)),
        Step("progress", fields=update_fields("处理情况"), style="secondary"),
        Step("feedback", fields=update_fields("反馈内容"), style="secondary"),
        Step("follow_up", fields=update_fields("跟踪情况"), style="secondary",
             show=lambda r: r.follow_up_from is not None),
        Step("resolve", fields={"result": reason_field("处理结果")}, style="success"),
        callback_step(verdicts=(_l("认可处理结果"), _l("不认可，投诉升级一级重新处理"))),
        Step("escalate", fields={"reason": reason_field("升级原因")}, style="danger"),
        Step("reroute", fields={"department": DepartmentField(_l("改派至")), "reason": reason_field("改派原因")},
             style="warning"),
    ) + hold_steps()

    def record_timeline(self, record):
        """The 处理经过: its audit rows in words with the progress entries and callbacks."""
        return history.timeline(record, record.progress_entries())

    def scaffold_form(self):
        form_class = super().scaffold_form()
        # Blank means "route by category": the converter made the field required.
        form_class.department.kwargs["validators"] = [validators.Optional()]
        return form_class


def passed_on(record):
    """What the member of staff passed on, for the desk registering it."""
    phone = record.complainant_phone if sees_personal_data(record) else \
        mask(record.complainant_phone, "phone")
    return [(_l("投诉人"), record.complainant_name), (_l("联系方式"), phone or "—"),
            (_l("投诉事由"), record.subject), (_l("投诉内容"), record.content or "—"),
            (_l("收到时间"), record.received_at.strftime("%Y-%m-%d %H:%M")),
            (_l("收到人"), str(record.received_by or "—"))]


class ComplaintPassOnView(KefuModelView):
    """Staff outside the desk pass a complaint on at once (R-CMP-3); the desk registers it."""
    column_list = ("number", "received_at", "status", "register_deadline", "complainant_name",
                   "complainant_phone", "subject", "received_by", "department", "complaint")
    form_columns = ("complainant_name", "complainant_phone", "customer", "channel", "subject",
                    "content", "received_at")
    # States, clocks and labels: workflow.COMPLAINT_PASS_ON.
    steps = (
        # Category and severity decide routing and clocks: asked as in 转投诉.
        Step("register", fields=intake_fields(), style="danger", help=INTAKE_HELP, facts=passed_on),
    )

    def extra_links(self, record):
        from flask import url_for
        return [("%s %s" % (type(made).verbose_name(), made.number),
                 url_for(f"{type(made).__name__.lower()}.details_view", id=made.id))
                for made in (record.contact, record.complaint) if made is not None]


class ComplaintUpdateView(KefuModelView):
    """Written by the complaint's steps (start, progress, feedback, follow-up, result) only."""
    column_list = ("complaint", "kind", "happened_at", "content", "told_complainant", "by_user")


class ComplaintGuidelineView(KefuModelView):
    column_list = ("seq", "text", "is_active")
    column_default_sort = ("seq", False)


class MonthForm(KefuForm):
    # KefuForm refuses a day outside 2000-2100, as in every form.
    month = DateField(_l("月份（任一天）"), validators=[validators.InputRequired(message="请选择月份")])


def readable_figures(figures):
    """A report's figures as the user may read them: for a masked role, every phone or ID
    number in a named item masked (reports stored before issue 18 named people by phone)."""
    if sees_personal_data():
        return figures
    for key in ("repeat_complainants", "top_subjects"):
        if isinstance(figures.get(key), dict):
            figures[key] = {mask_text(item): n for item, n in figures[key].items()}
    return figures


def figures_text(view, context, report, name):
    """The figures column (its page and the grid's exports): the report's rows, masked."""
    return "\n".join("%s·%s：%s" % (gettext(section), item, value)
                     for section, item, value in reports.report_rows(report, readable_figures))


class ComplaintReportView(KefuModelView):
    """Monthly analyses: generated by a job on the 1st or on demand, shown with charts."""
    column_list = ("month", "status", "generated_at", "summary")
    column_default_sort = ("month", True)
    form_excluded_extra = ("generated_at", "figures", "status")
    can_create = False  # reports are compiled (生成投诉分析报告), not typed
    details_template = "kefu/complaint_report.html"
    column_formatters = {"figures": figures_text}
    steps = (
        # States and labels: workflow.COMPLAINT_REPORT.
        Step("regenerate", style="secondary"),
        Step("publish", style="success"),
    )

    @expose("/generate/", methods=("GET", "POST"))
    def generate_view(self):
        """Compile (or refresh) the analysis of a chosen month now."""
        if not self.may_write():
            abort(403)
        form = MonthForm(request.form if request.method == "POST" else None,
                         month=reports.previous_month(clock.now().date()))
        if request.method == "POST" and form.validate():
            try:
                report = flows.complaints.generate_report(
                    form.month.data, current_user._get_current_object(), clock.now())
            except DomainError as err:
                form.month.errors = [str(err)]
            else:
                flash("已生成：%s" % report, "success")
                return redirect(self.get_url(".details_view", id=report.id))
        return self.render("kefu/generate_report.html", form=form)

    @expose("/report.csv")
    def report_csv_view(self):
        """The report's figures as CSV (UTF-8 with BOM, for Excel)."""
        report = self.get_one(request.args.get("id"))
        if report is None:
            abort(404)
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(["分类", "项目", "数值"])
        for row in reports.report_rows(report, readable_figures):
            writer.writerow([excel_safe(cell) for cell in row])
        name = "complaint-report-%s.csv" % report.month.strftime("%Y-%m")
        with write_transaction():
            audit("export", report, before=snapshot(report), summary="%s CSV" % report)
        return Response(out.getvalue(), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={name}"})

    def figures(self, report):
        return readable_figures(json.loads(report.figures or "{}"))


def register(admin, category):
    admin.add_view(ComplaintView(Complaint, category=category))
    admin.add_view(ComplaintPassOnView(ComplaintPassOn, category=category))
    admin.add_view(ComplaintUpdateView(ComplaintUpdate, category=category))
    admin.add_view(ComplaintGuidelineView(ComplaintGuideline, category=category))
    report_view = ComplaintReportView(ComplaintReport, category=category)
    admin.add_view(report_view)
    admin.add_link(PageLink("生成投诉分析报告", report_view, "/generate/", category,
                            may=report_view.may_write))
