"""Settings and oversight (系统管理): departments, users, time limits, calendar, alerts, audit log."""
from flask_admin.contrib.peewee import filters as pf
from wtforms import PasswordField, SelectMultipleField, validators

from models import (Alert, AuditLog, CalendarDay, Deadline, Department, Hold, SlaRule, User,
                    ValidationError)
from views.base import A, AU, C, GM, M, PM, S, KefuModelView, record_link
from views.steps import Step, reason_field


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
    read_roles = frozenset({A, PM, GM, AU})
    column_list = ("username", "full_name", "department", "roles", "phone", "is_active",
                   "last_login_at")
    column_formatters = {
        "roles": lambda v, c, m, n: "、".join(dict(User.ROLES).get(r, r) for r in m.role_set)}
    form_excluded_extra = ("last_login_at",)
    form_overrides = {"roles": RolesField}
    form_args = {"roles": {"choices": User.ROLES}}
    form_extra_fields = {"password": PasswordField(
        "密码（修改时留空表示不变）",
        validators=[validators.Optional(), validators.Length(min=8, message="密码至少 8 位")])}
    column_default_sort = ("username", False)

    def before_save(self, form, model, created, now):
        if form.password.data:
            model.set_password(form.password.data)
        elif created:
            raise ValidationError({"password": "新员工必须设置密码"})


class SlaRuleView(KefuModelView):
    column_list = ("code", "name", "rule_ref", "applies_to", "starts_on", "clock", "amount",
                   "unit", "warn_percent", "is_active")
    column_default_sort = ("id", False)
    form_widget_args = {"code": {"readonly": True}}

    def before_save(self, form, model, created, now):
        # The workflows find their rule by code: renaming it would stop the clocks.
        if not created and model.code != SlaRule.get_by_id(model.id).code:
            raise ValidationError({"code": "规则代码不能修改"})


class CalendarDayView(KefuModelView):
    list_template = "kefu/calendar_list.html"
    column_list = ("day", "kind", "name", "source")
    column_default_sort = ("day", True)


class AlertView(KefuModelView):
    """Alerts are raised by the jobs and the workflows; people only resolve them, with a note."""
    write_roles = frozenset()
    column_list = ("kind", "title", "record_id", "since", "department", "assignee", "level",
                   "status", "resolved_at")
    column_formatters = {"record_id": record_link("record_type")}
    column_default_sort = ("since", True)
    steps = (
        Step("resolve", "解除提醒", (A, C, S, M, PM, GM),
             lambda r, by, now, f: r.resolve(by, now, f["note"]), when=(Alert.OPEN,),
             fields={"note": reason_field("处理说明")}, style="success"),
    )


class DeadlineView(KefuModelView):
    """Every stamped deadline with the rule values that produced it; written by the console only."""
    read_roles = frozenset({A, C, PM, GM, AU})  # staff see deadlines on their records' pages
    write_roles = frozenset()
    column_list = ("record_id", "kind", "explanation", "started_at", "original_due_at", "due_at",
                   "held_seconds", "met_at", "status")
    column_formatters = {"record_id": record_link("record_type")}
    column_default_sort = ("id", True)


class HoldView(KefuModelView):
    """Every hold (挂起) with its reason; written by the hold and release steps only."""
    read_roles = frozenset({A, C, PM, GM, AU})
    write_roles = frozenset()
    column_list = ("record_id", "reason", "started_at", "created_by", "ended_at", "ended_by")
    column_formatters = {"record_id": record_link("record_type")}


class AuditLogView(KefuModelView):
    """Append-only: nobody creates, edits or archives audit rows here."""
    read_roles = frozenset({A, AU, PM, GM})
    write_roles = frozenset()
    column_list = ("created_at", "username", "ip", "action", "record_id", "summary", "changes")
    column_formatters = {"record_id": record_link("model")}
    column_searchable_list = (AuditLog.username, AuditLog.action, AuditLog.model,
                              AuditLog.record_id, AuditLog.summary)
    column_filters = [
        pf.DateTimeBetweenFilter(AuditLog.created_at, "时间"),
        pf.DateTimeGreaterFilter(AuditLog.created_at, "时间"),
        pf.FilterEqual(AuditLog.action, "操作"),
        pf.FilterEqual(AuditLog.model, "登记表"),
        pf.FilterEqual(AuditLog.username, "登录名"),
        pf.FilterEqual(AuditLog.record_id, "记录号"),
    ]
    column_default_sort = ("created_at", True)
    column_labels = {"created_at": "时间"}


def register(admin, category):
    admin.add_view(DepartmentView(Department, category=category))
    admin.add_view(UserView(User, category=category))
    admin.add_view(SlaRuleView(SlaRule, category=category))
    admin.add_view(CalendarDayView(CalendarDay, category=category))
    admin.add_view(AlertView(Alert, category=category))
    admin.add_view(DeadlineView(Deadline, category=category))
    admin.add_view(HoldView(Hold, category=category))
    admin.add_view(AuditLogView(AuditLog, category=category))
