"""Settings and oversight (系统管理): departments, users, time limits, calendar, alerts, audit log."""
from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_admin.contrib.peewee import filters as pf
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms import DecimalField, IntegerField, PasswordField, SelectMultipleField, TextAreaField, validators

import access
import clock
import flows.calendar
import flows.system
import history
import holiday_notice
from forms import KefuForm
from i18n import _l
from models import (Alert, AuditLog, CalendarDay, CalendarYear, Deadline, Department, DomainError,
                    Hold, SlaRule, Survey, User, action_label)
from views.base import KefuModelView, estimate_badge, record_link
from views.steps import Step, reason_field


def register_name(view, context, row, name):
    """A register's class name (RepairOrder) as its name (维修工作单)."""
    return history.register_label(getattr(row, name))


def audit_event(part):
    """A formatter showing one part of an audit row in words (see history.describe)."""
    def formatter(view, context, row, name):
        event = history.event_of(row)
        if part == "changes":
            return Markup("".join('<div class="history-change">%s</div>' % escape(line)
                                  for line in event.changes_text(separator="\n").split("\n")))
        return getattr(event, part)
    return formatter


class DepartmentView(KefuModelView):
    column_list = ("code", "name", "head", "phone", "is_active")
    column_default_sort = ("id", False)


class RolesField(SelectMultipleField):
    """The comma-separated roles column as a multiple choice."""

    def process_data(self, value):
        self.data = [r for r in value.split(",") if r] if isinstance(value, str) else value

    def populate_obj(self, obj, name):
        setattr(obj, name, ",".join(self.data or []))


class UserView(KefuModelView):
    column_list = ("username", "full_name", "department", "roles", "phone", "is_active",
                   "last_login_at")
    column_formatters = {
        "roles": lambda v, c, m, n: "、".join(dict(User.ROLES).get(r, r) for r in m.role_set)}
    form_excluded_extra = ("last_login_at", "session_epoch")
    column_details_exclude_list = ("session_epoch",)
    column_export_exclude_list = ("session_epoch",)
    form_overrides = {"roles": RolesField}
    form_args = {"roles": {"choices": User.ROLES}}
    form_extra_fields = {"password": PasswordField(
        "密码（修改时留空表示不变）",
        validators=[validators.Optional(), validators.Length(min=8, message="密码至少 8 位")])}
    column_default_sort = ("username", False)


class SlaRuleView(KefuModelView):
    column_list = ("code", "name", "rule_ref", "applies_to", "starts_on", "clock", "amount",
                   "unit", "warn_percent", "is_active")
    column_formatters = {"applies_to": register_name}
    column_default_sort = ("id", False)
    form_widget_args = {"code": {"readonly": True}}  # fixed: flows.system.code_fixed


class NoticeForm(KefuForm):
    text = TextAreaField(_l("国务院办公厅放假安排通知全文"), validators=[
        validators.InputRequired(message="请粘贴通知全文"),
        validators.Length(max=20000, message="不能超过 20000 个字符")])


class ConfirmYearForm(KefuForm):
    year = IntegerField(validators=[validators.InputRequired(message="请选择年份"),
                                    validators.NumberRange(min=2000, max=2100, message="年份无效")])


class CalendarDayView(KefuModelView):
    """Holidays and make-up days; which years are confirmed; the State Council notice pasted in.
    Every change recomputes the running clocks whose deadlines it moves."""
    list_template = "kefu/calendar_list.html"
    column_list = ("day", "kind", "name", "source")
    column_default_sort = ("day", True)

    def year_rows(self):
        """This year and the next two (and any later year with days): confirmed or estimated."""
        today = clock.now().date()
        confirmed = {row.year: row for row in CalendarYear.select()}
        counts = {}
        for day, kind in CalendarDay.select(CalendarDay.day, CalendarDay.kind).where(
                CalendarDay.archived_at.is_null() & (CalendarDay.day >= date(today.year, 1, 1))).tuples():
            counts.setdefault((day.year, kind), 0)
            counts[(day.year, kind)] += 1
        years = sorted({today.year, today.year + 1} | {year for year, _ in counts})
        return [{"year": year, "confirmed": confirmed.get(year),
                 "holidays": counts.get((year, CalendarDay.HOLIDAY), 0),
                 "workdays": counts.get((year, CalendarDay.WORKDAY), 0)} for year in years]

    def notice_form(self):
        return NoticeForm()

    def confirm_form(self):
        return ConfirmYearForm()

    def _posted_notice(self):
        """The posted notice form, validated (403 for a user who may not change the calendar)."""
        if not self.may_write():
            abort(403)
        form = NoticeForm(request.form)
        return form, form.validate()

    @expose("/notice/", methods=("POST",))
    def notice_preview(self):
        """Parse the pasted notice and show what importing it would do."""
        form, valid = self._posted_notice()
        return self._preview(form, valid)

    @expose("/notice/import/", methods=("POST",))
    def notice_import(self):
        """Import the notice's days and confirm its year (parsed again: nothing trusted from the page)."""
        form, valid = self._posted_notice()
        notice = holiday_notice.parse(form.text.data) if valid else None
        if notice is None or notice.problems:
            return self._preview(form, valid)
        try:
            counts = flows.calendar.import_notice(notice, current_user._get_current_object(),
                                                  clock.now())
        except DomainError as err:
            flash(str(err), "error")
            return self._preview(form)
        flash(_l("已导入 %(year)s 年放假安排并确认全年日历：新增 %(created)s 天，更新 %(updated)s 天，"
                 "归档 %(archived)s 天；%(moved)s 项进行中的期限已重算并通知相关人员",
                 year=notice.year, **counts), "success")
        return redirect(self.get_url(".index_view"))

    def _preview(self, form, valid=True):
        """The preview page of a valid posted notice; the form with its errors otherwise."""
        if not valid:
            return self.render("kefu/calendar_notice.html", form=form, notice=None)
        notice = holiday_notice.parse(form.text.data)
        rows, archived = [], []
        if notice.year and notice.days:
            first, last = date(notice.year, 1, 1), date(notice.year, 12, 31)
            named = {d.day for d in notice.days}
            stored = {row.day: row for row in CalendarDay.select().where(CalendarDay.day.between(
                min(first, *named), max(last, *named)))}
            for item in notice.days:
                row = stored.get(item.day)
                if row is None:
                    change = "新增"
                elif row.archived_at or row.kind != item.kind:
                    change = "更新"
                else:
                    change = "无变化"
                rows.append({"item": item, "weekday": "一二三四五六日"[item.day.weekday()],
                             "kind": dict(CalendarDay.KINDS)[item.kind], "change": change,
                             "before": row.choice_label("kind") if row and not row.archived_at else ""})
            archived = [row for day, row in sorted(stored.items())
                        if day not in named and first <= day <= last and row.archived_at is None]
        return self.render("kefu/calendar_notice.html", form=form, notice=notice, rows=rows,
                           archived=archived,
                           confirmed=notice.year in CalendarYear.confirmed() if notice.year else False)

    @expose("/confirm/", methods=("POST",))
    def confirm_year(self):
        """Confirm a year's days as its whole arrangement (after a sheet import or by hand)."""
        if not self.may_write():
            abort(403)
        form = ConfirmYearForm(request.form)
        if form.validate():
            try:
                moved = flows.calendar.confirm_year(form.year.data, current_user._get_current_object(),
                                                    clock.now())
            except DomainError as err:
                flash(str(err), "error")
            else:
                flash(_l("已确认 %(year)s 年工作日历完整；%(moved)s 项进行中的期限已重算并通知相关人员",
                         year=form.year.data, moved=moved), "success")
        else:
            flash("；".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(self.get_url(".index_view"))


class AlertView(KefuModelView):
    """Alerts are raised by the jobs and the workflows; people only resolve them, with a note."""
    column_list = ("kind", "title", "record_id", "since", "department", "assignee", "level",
                   "status", "resolved_at")
    column_formatters = {"record_id": record_link("record_type"), "record_type": register_name}
    column_default_sort = ("since", True)
    steps = (
        # States and label: workflow.ALERT.
        Step("resolve", fields={"note": reason_field("处理说明")}, style="success"),
    )


class DeadlineView(KefuModelView):
    """Every stamped deadline with the rule values that produced it; written by the console only."""
    column_list = ("record_id", "kind", "explanation", "started_at", "original_due_at", "due_at",
                   "held_seconds", "met_at", "status")
    column_formatters = {"record_id": record_link("record_type"), "record_type": register_name,
                         "explanation": lambda v, c, row, n: history.explain(row.explanation),
                         "due_at": lambda v, c, row, n: row.due_at.strftime("%Y-%m-%d %H:%M") + (
                             estimate_badge(row.due_at, row.limit()) if row.status == Deadline.RUNNING else "")}
    column_default_sort = ("id", True)


class HoldView(KefuModelView):
    """Every hold (挂起) with its reason; written by the hold and release steps only."""
    column_list = ("record_id", "reason", "started_at", "created_by", "ended_at", "ended_by")
    column_formatters = {"record_id": record_link("record_type"), "record_type": register_name}


class AuditLogView(KefuModelView):
    """Append-only: nobody creates, edits or archives audit rows here."""
    show_history = False
    column_list = ("created_at", "username", "ip", "action", "record_id", "summary", "changes")
    column_formatters = {"record_id": record_link("model"), "model": register_name,
                         "action": audit_event("action"), "summary": audit_event("summary"),
                         "changes": audit_event("changes")}
    column_searchable_list = (AuditLog.username, AuditLog.action, AuditLog.model,
                              AuditLog.record_id, AuditLog.summary)
    column_filters = [
        pf.DateTimeBetweenFilter(AuditLog.created_at, "时间"),
        pf.DateTimeGreaterFilter(AuditLog.created_at, "时间"),
        pf.FilterEqual(AuditLog.action, _l("操作"), options=[
            (code, _l(action_label(code))) for code in history.ACTION_CODES]),
        pf.FilterEqual(AuditLog.model, _l("登记表"), options=[
            (name, _l(model.verbose_name())) for name, model in history.REGISTER_BY_NAME.items()]),
        pf.FilterEqual(AuditLog.username, "登录名"),
        pf.FilterEqual(AuditLog.record_id, "记录号"),
    ]
    column_default_sort = ("created_at", True)
    column_labels = {"created_at": "时间"}

    def load_related(self, rows):
        """Besides the related rows, render the page's audit rows at once (names loaded once)."""
        super().load_related(rows)
        history.prepare(rows)

    def _export_reader(self, name, finish, now, sees, related, dates=False):
        """The export reads each chunk's rows in words, rendered together like a grid page."""
        read = super()._export_reader(name, finish, now, sees, related, dates)
        if name not in ("action", "summary", "changes"):
            return read

        def in_words(chunk):
            records = chunk.records()
            if not records or "_kefu_event" not in records[0].__dict__:
                history.prepare(records)
            return [finish(history.event_of(r).changes_text() if name == "changes"
                           else getattr(history.event_of(r), name)) for r in records]
        return in_words


def register(admin, category):
    admin.add_view(DepartmentView(Department, category=category))
    admin.add_view(UserView(User, category=category))
    admin.add_view(SlaRuleView(SlaRule, category=category))
    admin.add_view(CalendarDayView(CalendarDay, category=category))
    admin.add_view(AlertView(Alert, category=category))
    admin.add_view(DeadlineView(Deadline, category=category))
    admin.add_view(HoldView(Hold, category=category))
    admin.add_view(AuditLogView(AuditLog, category=category))
    admin.add_view(SettingsView(name=_l("系统参数"), endpoint="settings", category=_l(category)))
    from views.imports import ImportView  # it names the other areas' grids: loaded last
    admin.add_view(ImportView(name=_l("导入表格"), endpoint="imports", url="/admin/import",
                              category=_l(category)))


class SettingsForm(KefuForm):
    survey_threshold = DecimalField(
        _l("满意度整改线（5 分制平均分，低于此分的题目生成纠正措施）"), places=2,
        validators=[validators.InputRequired(message="请填写整改线"),
                    validators.NumberRange(min=1, max=5, message="须在 1 到 5 之间")])


class SettingsView(BaseView):
    """系统参数: the few site-wide values an admin may tune; each change is audited."""

    def is_accessible(self):
        return access.may(current_user, "settings")

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.url))
        abort(403)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = SettingsForm(request.form if request.method == "POST" else None)
        if request.method == "GET":
            form.survey_threshold.data = Survey.threshold()
        elif form.validate():
            flows.system.set_survey_threshold(form.survey_threshold.data,
                                              current_user._get_current_object(), clock.now())
            flash(_l("系统参数已保存"), "success")
            return redirect(url_for(".index"))
        return self.render("kefu/settings.html", form=form)
