"""Workflow steps: a model method exposed as a details-page button, a row action and a bulk action."""
import copy

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.helpers import get_redirect_target
from flask_admin.model.template import EditRowAction, TemplateLinkRowAction, ViewRowAction
from jinja2 import pass_context
from markupsafe import Markup
from peewee import InterfaceError, OperationalError
from flask_login import current_user
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField, validators

import clock
from database import is_locked, is_unavailable, outage, yield_turn
from flows.scopes import STEP_SCOPES, may_step
from flows.reception import NOT_RATED
from flows.steps import refusal, take_step
from forms import KefuForm
from i18n import _l, request_locale
from models import (AlreadySubmitted, Complaint, DomainError, Register, StaleRecord,
                    ValidationError)
from privacy import mask, sees_personal_data
from workflow import CLOSES, MONEY, NOTIFIES

# What a step does beyond changing a state (declared in workflow.py); any of these makes a
# fieldless step ask first.
CONSEQUENCES = {MONEY: "涉及款项，确认后不能撤销。", CLOSES: "确认后该记录即告结束。",
                NOTIFIES: "确认后将通知对方。"}


class Step:
    """One state change of a register as its view offers it: the form it asks (its answers are
    the fields of the step's flows function, flows.steps.take_step), and how it looks. Who may take it is declared in access.STEPS; for a register
    with a declared workflow, its label, states, consequences and bulk offer are the
    declaration's (workflow.py). The register's view binds both (`bound`)."""

    def __init__(self, name, label=None, when=(), fields=None, bulk=False,
                 style="primary", show=None, does=(), initial=None, detail=None,
                 help=None, facts=None):
        self.name, self.label = name, label
        self.roles = frozenset()  # nobody, until bound to its register's declaration
        self.declared = ()  # the workflow's transitions this step takes, once bound
        self.when, self.fields, self.bulk, self.style = tuple(when), dict(fields or {}), bulk, style
        self.show = show  # optional extra condition on the record, e.g. "is on hold"
        self.facts = facts  # facts(record) -> [(label, text)] the form shows about the record
        self.does = frozenset(does)  # MONEY, CLOSES, NOTIFIES
        self.initial = initial  # initial(record) -> the form's starting values
        self.detail = detail    # detail(record) -> what exactly happens, said in the confirm
        self.help = help        # a line above the step's form

    def bound(self, roles, flow=None):
        """This step as the register's view offers it: with the roles access.STEPS gives it and,
        for a register with a declared workflow `flow`, its label, states, consequences and
        bulk offer from the declaration."""
        step = copy.copy(self)
        step.roles = frozenset(roles)
        if flow is not None:
            step.declared = tuple(flow.steps()[self.name])
            first = step.declared[0]
            if self.label is not None or self.when or self.does or self.bulk:
                raise LookupError("%s.%s: its label, states, consequences and bulk offer are "
                                  "declared in workflow.py" % (flow.register, self.name))
            step.label, step.bulk = first.label, first.bulk
            step.when = flow.step_states(self.name) or ()
            step.does = frozenset().union(*(t.does for t in step.declared))
        return step

    @property
    def confirm(self):
        """Ask 确认/取消 in place first? A step with fields has its form page instead; one that
        asks nothing fires at once unless it moves money, closes a record or notifies someone."""
        return not self.fields and bool(self.does)

    def consequences(self, record):
        """What the inline confirmation says besides the question (Chinese)."""
        said = [str(_l(CONSEQUENCES[d])) for d in (MONEY, CLOSES, NOTIFIES) if d in self.does]
        return (str(self.detail(record)) if self.detail else "") + "".join(said)

    def allowed_for(self, user):
        return user.is_authenticated and bool(user.role_set & self.roles)

    def applies_to(self, record):
        if self.when and getattr(record, "status", None) not in self.when:
            return False
        if getattr(record, "archived_at", None):
            return False
        # While on hold a record waits: only releasing it moves it on.
        if getattr(record, "on_hold_since", None) and self.name != "release":
            return False
        return self.show(record) if self.show else True

    def refusal(self, record):
        """Why this step cannot be taken on `record` now (Chinese), or None: the executor's
        refusal (archived, on hold, a state not declared for it), else the view's own condition
        (`show`; the states of a register without a declared workflow)."""
        why = refusal(record, self.name)
        if why:
            return why
        if not self.applies_to(record):
            status = record.choice_label("status") if "status" in record._meta.fields else ""
            return "%s当前状态为“%s”，不能%s" % (record, status, self.label)
        return None

    def form_class(self):
        return type(f"{self.name.title()}StepForm", (KefuForm,), dict(self.fields))


def reason_field(label="原因"):
    return TextAreaField(_l(label), validators=[
        validators.InputRequired(message="请填写%s" % label), validators.Length(max=2000)])


SATISFACTION = [("5", _l("5 非常满意")), ("4", _l("4 满意")), ("3", _l("3 一般")),
                ("2", _l("2 不满意")), ("1", _l("1 非常不满意")), (NOT_RATED, _l("客户未评分"))]


def required_choice(label, choices, message):
    """A radio group with nothing chosen until the clerk chooses: the answers a callback
    records are the customer's, never a default (they feed the KPIs and escalations)."""
    return RadioField(label, choices=choices, validate_choice=False, validators=[
        validators.InputRequired(message=message),
        validators.AnyOf([value for value, _ in choices], message=message)])


def callback_step(verdicts):
    """回访: record the customer's verdict on a repair or complaint (it closes or reopens it).
    `verdicts` names the two answers for this register: (yes label, no label)."""
    return Step("callback", fields=callback_fields(verdicts), style="info", facts=callback_facts,
                initial=lambda record: {"person": record.callback_party()[0]})


def callback_fields(verdicts):
    yes, no = verdicts
    return {
        "fixed": required_choice(_l("客户确认结果"), [("yes", yes), ("no", no)],
                                 "请选择客户是否确认处理结果"),
        "satisfaction": required_choice(_l("满意度"), SATISFACTION,
                                        "请选择客户的满意度；客户不愿评分时选“客户未评分”"),
        "person": StringField(_l("受访人"), validators=[validators.Length(max=50)]),
        "notes": TextAreaField(_l("回访记录"), validators=[validators.Length(max=2000)]),
    }


def callback_facts(record):
    """What the clerk reads before the call: whom to call and their phone (masked for masked
    roles), what was reported and what was done."""
    person, phone = record.callback_party()
    fields = type(record)._meta.fields
    facts = [(_l("联系人"), person or "—"),
             (_l("联系电话"), (phone if sees_personal_data(record) else mask(phone, "phone")) or "—")]
    for name in record.callback_facts:
        value = getattr(record, name)
        if hasattr(value, "strftime"):
            value = value.strftime("%Y-%m-%d %H:%M")
        facts.append((_l(fields[name].verbose_name), value if value not in (None, "") else "—"))
    return facts


INTAKE_HELP = "保存后按投诉类别分派责任部门并开始计时；重大投诉即时报告项目经理，商品投诉须先核对受理范围。"


def intake_fields():
    """What the desk decides when it takes a complaint: category and severity (R-CMP-1, 4), and
    the complainant's own date for a general one."""
    def choose(label, choices):
        return SelectField(_l(label), choices=[("", _l("— 请选择 —"))] + [
            (code, _l(text)) for code, text in choices],
            validators=[validators.InputRequired(message="请选择%s" % label)])
    return {
        "category": choose("投诉类别", Complaint.CATEGORIES),
        "severity": choose("投诉性质", Complaint.SEVERITIES),
        # Its range is every form's (forms.KefuForm: 2000–2100).
        "requested_by": DateField(_l("要求解决日期（一般投诉，可空）"),
                                  validators=[validators.Optional()]),
    }


BULK_CHUNK = 50  # rows of a bulk action between two turns of the worker's other clicks
ROW_ID = "KEFU_ROW_ID"  # stands for a row's id in a step URL built once per page
ROW_VERSION = "KEFU_ROW_VERSION"  # and for its version in the step buttons drawn once per page


def one_time_token():
    """A new form's one-time token (models.FormToken), or the one the submitted form carries."""
    import secrets
    if request.method == "POST":
        return (request.form.get("kefu_once") or "")[:64] or None
    return secrets.token_urlsafe(24)


def seen_version():
    """The record version the posted step button or form was drawn from (None: not said)."""
    seen = (request.form.get("kefu_version") or "").partition("|")[0]
    return int(seen) if seen.isdigit() and len(seen) < 10 else None


class StepsMixin:
    """Adds the `steps` of a register to its Flask-Admin view."""

    steps = ()

    def step(self, name):
        for step in self.steps:
            if step.name == name:
                return step
        return None

    def steps_for(self, record):
        """The steps the logged-in user may take on `record` now (for buttons and row actions)."""
        return [s for s in self._steps_allowed() if s.applies_to(record)
                and ((self.model, s.name) not in STEP_SCOPES or self._step_in_scope(s, record))]

    def _steps_allowed(self):
        """The steps the logged-in user's roles allow, worked out once per request (a grid asks
        for every row)."""
        from flask import g
        allowed = g.setdefault("kefu_steps_allowed", {})
        if self.endpoint not in allowed:
            user = current_user._get_current_object()
            allowed[self.endpoint] = [s for s in self.steps if s.allowed_for(user)]
        return allowed[self.endpoint]

    def _run(self, step, record, data, seen=None, once=None):
        """Run one step on one record in its own transaction; return what the step returned.

        A step run is a version check: it takes the row only while it still has version `seen`
        (the one its button or form was drawn from; None: the one read here), so of two clicks
        on the same page exactly one wins, whatever the step changes (a status, a level, a
        progress entry). A form's one-time token `once` is used in the same transaction."""
        return take_step(record, step.name, current_user._get_current_object(), clock.now(), data,
                         seen=seen, once=once, check=step.refusal)

    def row_version(self, record, row_id):
        """The version a step button of `record` carries (a placeholder when drawn once per page)."""
        return ROW_VERSION if row_id == ROW_ID else (getattr(record, "version", None) or 0)

    def step_url(self, step, record_id, return_url):
        """The URL of `step`'s form for one row: url_for runs once per step and page, not once
        for every row and step of a grid."""
        from flask import g
        urls = g.setdefault("kefu_step_urls", {})
        key = (self.endpoint, step.name, return_url)
        if key not in urls:  # the id is the first query argument, so the first match is it
            urls[key] = self.get_url(".step_view", step_name=step.name, id=ROW_ID, url=return_url)
        if record_id == ROW_ID:  # drawing a row action once for the page (RowActionPerPage)
            return urls[key]
        return urls[key].replace(ROW_ID, str(int(record_id)), 1)

    def _step_in_scope(self, step, record):
        """May the logged-in user take `step` on `record` (their department's rows only)?"""
        from flask import g
        return may_step(record, step.name, current_user._get_current_object(),
                        g.setdefault("kefu_departments", {}))

    def record_url(self, record, return_url=None, **kwargs):
        """The record's details page, where every step lands; `return_url` stays its way back."""
        if return_url:
            kwargs["url"] = return_url
        return self.get_url(".details_view", id=record.id, **kwargs)

    def step_csrf_token(self):
        """One CSRF token for the step buttons and inline confirmations of a page."""
        from flask import g
        if "kefu_step_csrf" not in g:
            g.kefu_step_csrf = KefuForm().csrf_token.current_token
        return g.kefu_step_csrf

    @expose("/step/<step_name>/", methods=("GET", "POST"))
    def step_view(self, step_name):
        """GET shows a step's form (fieldless steps have none: their button is on the record);
        POST takes the step. Done or refused, the user lands on the record with the message."""
        step = self.step(step_name)
        if step is None:
            abort(404)
        if not step.allowed_for(current_user):
            abort(403)
        record = self.get_one(request.args.get("id"))
        if record is None:
            abort(404)
        if not self._step_in_scope(step, record):
            abort(403)
        return_url = get_redirect_target()  # the grid the record was opened from
        landing = self.record_url(record, return_url)
        if request.method == "GET":
            why = step.refusal(record)
            if why:
                flash(why, "error")
                return redirect(landing)
            if not step.fields:  # no empty page: the button (or its confirmation) is on the record
                return redirect(self.record_url(record, return_url, **(
                    {"confirm": step.name} if step.confirm else {})))
            initial = step.initial(record) if step.initial else {}
            form = step.form_class()(None, **initial)
            version = record.version or 0
        else:
            form = step.form_class()(request.form)
            version = seen_version()
        once = one_time_token() if step.fields else None
        if request.method == "POST" and form.validate():
            data = {k: v for k, v in form.data.items() if k != "csrf_token"}
            try:
                result = self._run(step, record, data, version, once)
            except AlreadySubmitted:
                flash(_l("该表单已提交过，未重复办理；以下是第一次提交后的记录。"), "info")
                return redirect(landing)
            except StaleRecord:
                from views.base import changed_since  # views.base imports this module
                flash("未办理%s：您打开此页面后，%s已被修改（%s）。请查看最新情况后再办理。" % (
                    _l(step.label), record, changed_since(record, version)), "error")
                return redirect(landing)
            except ValidationError as err:
                for field, message in err.errors.items():
                    target = getattr(form, field, None) if step.fields else None
                    if target is not None:
                        target.errors = list(target.errors or []) + [message]
                    else:
                        flash(message, "error")
                if not step.fields:
                    return redirect(landing)
            except DomainError as err:
                flash(str(err), "error")
                return redirect(landing)
            else:
                flash(self.done_message(step, record, result), "success")
                return redirect(landing)
        elif request.method == "POST" and not step.fields:  # only the CSRF token can fail here
            for errors in form.errors.values():
                for message in errors:
                    flash(message, "error")
            return redirect(landing)
        return self.render("kefu/step.html", step=step, record=record, form=form,
                           return_url=landing, facts=step.facts(record) if step.facts else (),
                           version=version, once=once)

    def done_message(self, step, record, result):
        """The flash after a step: what was done on which record, and a link to a record it made."""
        message = Markup.escape("%s：%s" % (_l(step.label), record))
        if isinstance(result, Register) and not isinstance(result, type(record)):
            from flask import url_for
            from werkzeug.routing import BuildError
            try:
                url = url_for(f"{type(result).__name__.lower()}.details_view", id=result.id)
            except BuildError:  # a register without a view of its own
                return message
            message += Markup("，%s <a href=\"%s\">%s</a>") % (
                _l("已生成"), url, "%s %s" % (_l(type(result).verbose_name()), result))
        return message

    def run_bulk(self, ids, name):
        """Take step `name` on each selected record, each in a short transaction of its own that
        waits its turn for the write lock; flash exactly what was done, what was refused and
        why, and what the database left undone."""
        from views.base import parse_id  # views.base imports this module
        step = self.step(name)
        wanted = {pk for pk in (parse_id(i) for i in ids) if pk is not None}
        # Read the records first, then write: a cursor still open while rows commit pins SQLite
        # to an old snapshot, and the next write fails at once ("database is locked").
        records = list(self.get_query().where(self.model.id.in_(list(wanted))).order_by(self.model.id))
        done, failures, undone, stopped = 0, [], [], None
        for n, record in enumerate(records):
            if stopped is not None:
                undone.append(record)
                continue
            if n and n % BULK_CHUNK == 0:
                yield_turn()  # the clicks queued at this worker go between two chunks
            if not self._step_in_scope(step, record):
                failures.append(str(_l("%(record)s：只能办理本部门的记录", record=record)))
                continue
            try:
                self._run(step, record, {})
                done += 1
            except DomainError as err:
                failures.append(str(err))
            except (OperationalError, InterfaceError) as err:  # this row rolled back; stop here
                stopped = err
                undone.append(record)
        flash(str(_l("%(step)s：成功 %(count)s 条", step=_l(step.label), count=done)),
              "success" if done else "warning")
        for message in failures[:20]:
            flash(message, "error")
        if len(failures) > 20:
            flash(str(_l("另有 %(count)s 条未成功", count=len(failures) - 20)), "error")
        if len(records) < len(wanted):
            flash(str(_l("%(count)s 条所选记录已不存在或不在您的范围内，未办理", count=len(wanted) - len(records))),
                  "error")
        if stopped is not None:
            if is_unavailable(stopped):
                outage.began(stopped, "%s %s" % (request.method, request.path))
            flash(str(_l("%(why)s，其余 %(count)s 条未办理（已办理的 %(done)s 条已保存），请稍后重试：%(records)s",
                     why=_l("系统繁忙") if is_locked(stopped) else _l("数据库暂时无法连接"),
                     count=len(undone), done=done,
                     records="、".join(str(r) for r in undone[:20]) + ("…" if len(undone) > 20 else ""))),
                  "error")

    def get_actions_list(self):
        """Flask-Admin's bulk actions; a step that asks before firing asks here too."""
        actions, confirmations = super().get_actions_list()
        for name, _ in actions:
            step = self.step(name)
            if step is not None and step.confirm:
                confirmations[name] = "%s%s" % (
                    _l("确定对所选记录办理“%s”吗？") % _l(step.label),
                    "".join(str(_l(CONSEQUENCES[d])) for d in (MONEY, CLOSES, NOTIFIES)
                            if d in step.does))
        return actions, confirmations

    def is_action_allowed(self, name):
        step = self.step(name)
        if step is not None:  # a step checks its own roles, as on the details page
            return step.bulk and step.allowed_for(current_user)
        return super().is_action_allowed(name)


def bulk_action(name, label):
    """A Flask-Admin bulk action that runs step `name` (three lines, as every action should)."""
    @action(name, _l(label))
    def run(self, ids):
        self.run_bulk(ids, name)
    run.__name__ = f"action_{name}"
    return run


STEP_ROW_ACTION = TemplateLinkRowAction("kefu_row.steps", _l("办理"))


class RowActionPerPage:
    """A grid's row action drawn once per page (and set of steps): each row gets its own id put
    into the drawing. Its links differ from row to row only by the id; drawing every row's
    links through the Jinja macros took ~15% of a grid page."""

    def __init__(self, action, variant=None):
        self.action, self.variant = action, variant
        self.title = action.title

    @pass_context
    def render_ctx(self, context, row_id, row):
        return_url = context.resolve("return_url")
        if type(row_id) is not int or ROW_ID in str(return_url):
            return self.action.render(context, row_id, row)
        from flask import g
        drawn = g.setdefault("kefu_row_actions", {})
        view = context.resolve("admin_view")
        key = (type(self.action), getattr(self.action, "template_name", None),
               str(self.action.title), str(request_locale()), view.endpoint, return_url,
               self.variant(view, row) if self.variant else None)
        if key not in drawn:
            drawn[key] = str(self.action.render(context, ROW_ID, row))
        return Markup(drawn[key].replace(ROW_ID, str(row_id)).replace(
            ROW_VERSION, str(getattr(row, "version", None) or 0)))


def steps_variant(view, row):
    """What the steps row action of `row` shows besides its id: the steps it offers, and what
    an inline confirmation says (a refund's amount)."""
    return tuple((step.name, step.consequences(row) if step.confirm and step.detail else None)
                 for step in view.steps_for(row))


def per_page(actions):
    """`actions` with the ones drawn the same for every row but the id drawn once per page."""
    wrapped = []
    for row_action in actions:
        if type(row_action) in (ViewRowAction, EditRowAction):
            row_action = RowActionPerPage(row_action)
        elif row_action is STEP_ROW_ACTION:
            row_action = RowActionPerPage(row_action, steps_variant)
        wrapped.append(row_action)
    return wrapped
