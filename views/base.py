"""What every register's grid shares: login and roles, Chinese labels, filters, audited saves
(its export is views/export.py, its list page's speed-ups views/grid.py)."""
import re
import time
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_admin import expose
from flask_admin.contrib.peewee import ModelView
from flask_admin.contrib.peewee import filters as pf
from flask_admin.contrib.peewee.ajax import QueryAjaxModelLoader
from flask_admin.contrib.peewee.form import CustomModelConverter
from flask_admin.helpers import get_redirect_target
from flask_admin.menu import MenuLink
from flask_babel import get_locale
from flask_login import current_user
from datetime import date, datetime
from decimal import Decimal

from jinja2 import pass_context
from markupsafe import Markup, escape
from peewee import (AutoField, BooleanField, CharField, DateField, DateTimeField,
                    DecimalField, ForeignKeyField, IntegerField, IntegrityError, TextField)
from wtforms import validators

import access
import clock
import flows.records
from flows.scopes import department_of, own_department_field
from flows.steps import run_of
import history
from forms import KefuForm
from audit import audit, snapshot
from i18n import _l
from privacy import (UNMASK_ROLES, UNMASKED_KEY, is_personal, mask, personal_fields,
                     sees_personal_data)
from views.scopes import current_scope
from views.search import prefix_range, search_condition
# Export and the grid's speed-ups live in their own modules; their names are still read from here.
from views.export import (ExportMixin, RelatedNames, excel_safe,  # noqa: F401 (re-exported)
                          plain_text)
from views.grid import (GRID_TYPE_FORMATTERS, GridMixin, calendar_time_columns,  # noqa: F401
                        count_rows, deadline_cell, deadline_formatter, estimate_badge,
                        estimate_note, grid_total)
# The filters live in their own module; their names are still read from here.
from views.filters import (AnyOverdueFilter, CustomerNameFilter, DueSoonFilter,  # noqa: F401
                           ForeignKeyEqual, NotArchivedFilter, OverdueFilter, any_overdue_condition,
                           due_soon_clocks, due_soon_condition, not_on_hold, overdue_condition,
                           parse_id)
from views.steps import STEP_ROW_ACTION, StepsMixin, bulk_action, one_time_token
from database import write_transaction
from models import (INT_MAX, PHONE_RE, TEXT_MAX, ChoiceField, Complaint, Contact, Customer,
                    Department, DomainError, FormToken, MoneyField, PhoneField, Register,
                    REGISTERS, RepairOrder, ServiceRequest, StaleRecord, Survey, User, ValidationError,
                    AlreadySubmitted)

A, C, S, M, PM, GM, AU = access.ORDER

# Never part of a search: PostgreSQL refuses NUL in a string, and no name has a tab.
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def masked(kind, inner=None):
    """A column formatter that masks personal data for roles that do not need it."""
    def formatter(view, context, row, name):
        value = inner(view, context, row, name) if inner else getattr(row, name)
        return value if sees_personal_data(row) else mask(value, kind)
    formatter.mask_kind, formatter.inner = kind, inner
    return formatter

# Never typed into a form: stamped by the console itself.
SYSTEM_COLUMNS = ("created_at", "updated_at", "created_by", "archived_at", "archive_reason",
                  "number", "receipt_no", "password_hash", "version")
# Stamped by the console and read rarely: last and folded on a record's page, in this order.
TECHNICAL_COLUMNS = ("id", "version", "archived_at", "archive_reason", "created_at", "created_by",
                     "updated_at", "updated_by")
# Foreign keys to registers too large for a drop-down: chosen by typing (ajax).
AJAX_SEARCH = {
    Customer: (Customer.name, Customer.shop_no, Customer.phone),
    Contact: (Contact.number, Contact.subject),
    RepairOrder: (RepairOrder.number, RepairOrder.location),
    ServiceRequest: (ServiceRequest.number,),
    Complaint: (Complaint.number, Complaint.subject),
}
SEARCH_NAMES = ("number", "receipt_no", "name", "code", "title", "subject", "shop_no",
                "username", "full_name", "contact_person", "location", "text")


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """Type-to-search for a foreign key, limited to the rows the user may see."""

    def _query(self):
        query = self.model.select()
        condition = current_scope(self.model)
        return query.where(condition) if condition is not None else query

    def get_one(self, pk):
        pk = parse_id(pk)
        return self._query().where(self.model.id == pk).first() if pk else None

    def get_list(self, term, offset=0, limit=10):
        query = self._query()
        term = (term or "").strip()
        if term:
            condition = None
            for field in self._cached_fields:
                if is_personal(field) and not sees_personal_data():
                    continue  # a masked number must not be found digit by digit
                match = field ** f"%{term}%"
                condition = match if condition is None else condition | match
            query = query.where(condition)
        # A hand-typed 40-digit offset is a page past any table, not an SQL overflow.
        offset = min(max(offset or 0, 0), INT_MAX)
        return list(query.order_by(self.model.id.desc())
                    .offset(offset).limit(min(max(limit or 10, 1), 50)))


class RelatedSearch:
    """Search a foreign key's target by text through a subquery: no join, so sorting by
    another related column cannot collide with it."""

    ID_LIST_MAX = 500  # more matching targets than this: a subquery rather than a long list

    def __init__(self, fk, *target_fields):
        self.fk, self.target_fields = fk, target_fields
        self.model = fk.model  # Flask-Admin joins only fields of other models
        self.name = fk.name
        self.verbose_name = fk.rel_model.verbose_name()

    def __pow__(self, term):
        match = None
        for field in self.target_fields:
            if is_personal(field) and not sees_personal_data():
                continue
            match = (field ** term) if match is None else match | (field ** term)
        return self.fk.in_(self.fk.rel_model.select(self.fk.rel_model.id).where(match))

    def phone_match(self, prefixes):
        """The target's phone starts with one of `prefixes` (index ranges; views.search)."""
        match = None
        for field in self.target_fields:
            if not isinstance(field, PhoneField) or (is_personal(field) and not sees_personal_data()):
                continue
            for prefix in prefixes:
                one = prefix_range(field, prefix)
                match = one if match is None else match | one
        if match is None:
            return None
        # The few matching ids as a list, not a subquery: inside an OR, PostgreSQL filters a
        # subquery row by row (a full scan) but reads a list from the foreign key's index.
        target = self.fk.rel_model
        ids = [pk for (pk,) in target.select(target.id).where(match)
               .limit(self.ID_LIST_MAX + 1).tuples()]
        if len(ids) > self.ID_LIST_MAX:
            return self.fk.in_(target.select(target.id).where(match))
        return self.fk.in_(ids) if ids else None


class PersonalSearch:
    """A personal-data column in the search box: matched only for roles that see it in full,
    so nobody can rebuild a masked phone number by searching for its digits."""
    personal = True

    def __init__(self, field):
        self.field, self.model, self.name = field, field.model, field.name
        self.verbose_name = field.verbose_name

    def __pow__(self, term):
        if sees_personal_data():
            return self.field ** term
        return self.field.is_null() & self.field.is_null(False)  # matches nothing


class KefuConverter(CustomModelConverter):
    """Map AutoField like the old PrimaryKeyField so new inline rows save (flask-admin #1718)."""

    def __init__(self, view, additional=None):
        super().__init__(view, additional)
        self.converters[AutoField] = self.handle_pk


def record_link(type_field):
    """Return a formatter showing (register name, id) columns as a link to that record."""
    registers = {m.__name__: m for m in REGISTERS}

    def formatter(view, context, row, name):
        register, record_id = registers.get(getattr(row, type_field)), getattr(row, name)
        if register is None or not record_id:
            return record_id or ""
        href = url_for(f"{register.__name__.lower()}.details_view", id=record_id)
        return Markup('<a href="%s">%s #%s</a>') % (
            href, _l(register.verbose_name()), escape(record_id))
    return formatter


def fits_column(column):
    """A validator refusing a number the decimal `column` cannot hold (its digits before the
    point): PostgreSQL refuses it with an error page, SQLite rounds it away."""
    top = Decimal(10) ** (column.max_digits - column.decimal_places)
    largest = top - Decimal(1).scaleb(-column.decimal_places)

    def validator(form, field):
        if field.data is not None and abs(field.data) > largest:
            raise validators.ValidationError(f"不能超过 {largest}")
    return validator


def translated(choices):
    """Return (code, label) pairs with labels translated at render time."""
    return [(code, _l(label)) for code, label in choices]


def _options(model, label=str, where=None):
    def load():
        query = model.select()
        if where is not None:
            query = query.where(where)
        return [(str(row.id), label(row)) for row in query.order_by(model.id)]
    return load


class UnmaskForm(KefuForm):
    """Only the CSRF token: revealing personal data is a POST from the record's page."""


class PageLink(MenuLink):
    """A menu entry for one of a grid's own pages, shown only to whoever may open that grid
    (and `may()` when the page asks more, e.g. writing): the menu offers no way to a 403."""

    def __init__(self, label, view, path, category, may=None):
        super().__init__(_l(label), url=view.url.rstrip("/") + path, category=_l(category))
        self.view, self.may = view, may

    def is_accessible(self):
        return self.view.is_accessible() and (self.may is None or self.may())


class KefuModelView(ExportMixin, GridMixin, StepsMixin, ModelView):
    """A register's grid: role-checked, labelled in Chinese, saved atomically with an audit row."""

    form_base_class = KefuForm
    model_form_converter = KefuConverter
    can_view_details = True
    can_export = True
    export_types = ["csv", "xlsx"]
    export_max_rows = 0
    page_size = 20
    can_set_page_size = True
    column_display_pk = False
    column_type_formatters = GRID_TYPE_FORMATTERS
    details_template = "kefu/details.html"
    list_template = "kefu/list.html"
    create_template = "kefu/create.html"
    edit_template = "kefu/edit.html"

    form_excluded_extra = ()
    editable_states = None  # statuses in which the edit form may change a record (None: any)
    # (deadline column, statuses in which it still runs): ready 已逾期 filters, and 即将到期.
    deadline_filters = ()
    open_states = ()  # states still needing work (the dashboard's 办理中 count)
    print_slips = ()  # (slip, label): printable paper forms, templates/kefu/print/<slip>.html

    show_history = True  # the record's audit rows under its details


    def details_sections(self, details_columns):
        """(business, technical): a record page's (column, label) pairs, what the record is
        about first, the console's own stamps (id, version, archive, created/updated) last."""
        business = [column for column in details_columns if column[0] not in TECHNICAL_COLUMNS]
        stamps = {column[0]: column for column in details_columns}
        technical = [stamps[name] for name in TECHNICAL_COLUMNS if name in stamps]
        return business, technical

    def record_history(self, record):
        return history.record_history(record)

    def clock_explanation(self, text):
        return history.explain(text)

    def extra_links(self, record):
        """(label, url) buttons on a record's page besides its steps (e.g. a report)."""
        return ()

    def links_for(self, record):
        """extra_links(record) the logged-in user can open: a link to a grid or page closed to
        their role is left out rather than shown as a way to a 403."""
        shown = []
        for label, url in self.extra_links(record):
            path = urlsplit(url).path
            target = next((view for view in self.admin._views if view.url and view.url != "/admin"
                           and (path + "/").startswith(view.url.rstrip("/") + "/")), None)
            if target is None or target.is_accessible():
                shown.append((label, url))
        return shown

    def __init__(self, model, category=None, **kwargs):
        # Who opens and edits this register, and who takes each of its steps: access.py.
        register = model.__name__
        granted = access.grant(register)
        self.read_roles, self.write_roles = granted.read, granted.write
        declared = access.STEPS.get(register, {})
        offered = {step.name for step in self.steps}
        if offered != set(declared):
            raise LookupError("access.STEPS[%r] and the view's steps differ: %s" % (
                register, sorted(offered ^ set(declared))))
        flow = model.WORKFLOW if issubclass(model, Register) else None
        if flow is not None:
            self._derive_from_workflow(flow)
        self.steps = tuple(step.bound(access.step_roles(register, step.name), flow)
                           for step in self.steps)
        for step in self.steps:  # each is taken by its flows function: none missing at start
            run_of(model, step.name)
        if flow is not None:
            self._bulk_actions_from_workflow(flow)
        self.model = model
        self._configure(model)
        super().__init__(model, name=_l(kwargs.pop("name", model.verbose_name())),
                         category=_l(category), **kwargs)

    def _derive_from_workflow(self, flow):
        """The open states, overdue filters and deadline columns of a register with a declared
        workflow (workflow.py): none of its states is restated in its view."""
        if self.open_states or self.deadline_filters or self.editable_states is not None:
            raise LookupError("%s: its open states, clocks and editable states are declared "
                              "in workflow.py" % flow.register)
        self.open_states = flow.open
        self.deadline_filters = flow.deadline_filters()
        self.editable_states = flow.editable
        formatters = dict(self.column_formatters or {})
        for column, runs_in in self.deadline_filters:
            formatters.setdefault(column, deadline_formatter(*runs_in))
        self.column_formatters = formatters

    def _bulk_actions_from_workflow(self, flow):
        """A bulk action for each step the workflow offers on a grid's selected rows (on the
        instance, before Flask-Admin collects the actions)."""
        for step in self.steps:
            if step.bulk and not hasattr(self, f"action_{step.name}"):
                setattr(self, f"action_{step.name}",
                        bulk_action(step.name, step.label).__get__(self, type(self)))

    # ------------------------------------------------------------ configuration

    def _configure(self, model):
        fields = model._meta.sorted_fields
        labels = {f.name: f.verbose_name or f.name for f in fields}
        labels["id"] = "记录号"
        labels.update(self.column_labels or {})
        self.column_labels = {name: _l(label) for name, label in labels.items()}
        self.column_choices = {f.name: translated(f.choices) for f in fields
                               if isinstance(f, ChoiceField)}
        formatters = dict(self.column_formatters or {})
        for name, kind in personal_fields(model).items():
            formatters[name] = masked(kind, formatters.get(name))
        self.column_formatters = formatters
        # Exports: every field the details page shows, as plain text (no HTML from a grid's
        # formatter), personal data masked the same way.
        if self.column_export_list is None:
            hidden = ("password_hash", "version") + tuple(self.column_export_exclude_list or ())
            self.column_export_list = ["id"] + [f.name for f in fields if f.name not in hidden
                                                and f.name != "id"]
        self.column_formatters_export = {name: plain_text(formatter)
                                         for name, formatter in formatters.items()}
        if self.column_filters is None:
            self.column_filters = self._default_filters(model)
        if self.column_searchable_list is None:
            self.column_searchable_list = self._default_search(model)
        if self.column_sortable_list is None:
            self.column_sortable_list = self._default_sortable(model)
        if self.form_ajax_refs is None:
            self.form_ajax_refs = {
                f.name: {"fields": AJAX_SEARCH[f.rel_model], "page_size": 10,
                         "placeholder": _l("输入名称或编号搜索")}
                for f in fields if isinstance(f, ForeignKeyField) and f.rel_model in AJAX_SEARCH}
        if self.form_excluded_columns is None:
            self.form_excluded_columns = (SYSTEM_COLUMNS + tuple(self.form_excluded_extra)
                                          + flows.records.stamps(model))
        self.column_details_exclude_list = tuple(self.column_details_exclude_list or ()) + ("password_hash",)
        self.column_export_exclude_list = tuple(self.column_export_exclude_list or ()) + ("password_hash",)
        self.form_args = self._default_form_args(model, self.form_args or {})
        if self.column_default_sort is None:
            self.column_default_sort = ("id", True)
        if self.steps and self.column_extra_row_actions is None:
            self.column_extra_row_actions = [STEP_ROW_ACTION]

    def _default_filters(self, model):
        filters = []
        for column, open_states in self.deadline_filters:
            field = model._meta.fields[column]
            filters.append(OverdueFilter(field, _l(field.verbose_name), open_states))
        if self.deadline_filters:
            filters.append(AnyOverdueFilter(model, _l("时限"), self.deadline_filters))
            filters.append(DueSoonFilter(model, _l("时限")))
        for f in model._meta.sorted_fields:
            label = _l(f.verbose_name or f.name)
            if isinstance(f, ChoiceField):
                filters.append(pf.FilterEqual(f, label, options=translated(f.choices)))
                filters.append(pf.FilterInList(f, label, options=translated(f.choices)))
            elif isinstance(f, BooleanField):
                filters.append(pf.BooleanEqualFilter(f, label))
            elif isinstance(f, (DateField, DateTimeField)):
                if f.name == "archived_at":
                    filters.append(NotArchivedFilter(f, _l("归档")))
                    continue
                if f.name == "updated_at":
                    continue
                kind = "Date" if isinstance(f, DateField) else "DateTime"
                for op in ("BetweenFilter", "GreaterFilter", "SmallerFilter", "EqualFilter"):
                    filters.append(getattr(pf, kind + op)(f, label))
            elif isinstance(f, ForeignKeyField):
                if f.rel_model is Customer:
                    filters.append(CustomerNameFilter(f, label))
                elif f.rel_model is Department:
                    filters.append(ForeignKeyEqual(f, label, options=_options(Department)))
                elif f.rel_model is User:
                    filters.append(ForeignKeyEqual(f, label, options=_options(User)))
                elif f.rel_model is Survey:
                    filters.append(ForeignKeyEqual(f, label, options=_options(Survey)))
        return filters

    def _default_search(self, model):
        search = [f for f in model._meta.sorted_fields
                  if isinstance(f, CharField) and not isinstance(f, ChoiceField)
                  and (f.name in SEARCH_NAMES or isinstance(f, PhoneField)
                       or f.name.endswith("_name"))]
        return search or None

    def init_search(self):
        super().init_search()
        self._search_fields = [PersonalSearch(f) if is_personal(f) else f
                               for f in self._search_fields]
        if "customer" in self.model._meta.fields:
            self._search_fields.append(RelatedSearch(
                self.model.customer, Customer.name, Customer.shop_no, Customer.phone))
        return bool(self._search_fields)

    def _default_sortable(self, model):
        sortable = []
        fk_targets = [f.rel_model for f in model._meta.sorted_fields
                      if isinstance(f, ForeignKeyField)]
        for f in model._meta.sorted_fields:
            if isinstance(f, ForeignKeyField):
                name_field = getattr(f.rel_model, "name", None)
                # Sorting joins the related table: only unambiguous with one key to it.
                if fk_targets.count(f.rel_model) == 1 and isinstance(name_field, CharField):
                    sortable.append((f.name, name_field))
            elif not isinstance(f, TextField):
                sortable.append(f.name)
        return sortable

    def is_personal_column(self, name):
        """Does grid column `name` show personal data (masked for some roles)? Its formatter
        masks, or the field it sorts by is personal."""
        if getattr((self.column_formatters or {}).get(name), "mask_kind", None):
            return True
        target = self._sortable_columns.get(name) if hasattr(self, "_sortable_columns") else None
        if isinstance(target, str):
            target = self.model._meta.fields.get(target)
        return target is not None and not isinstance(target, str) and is_personal(target)

    def is_sortable(self, name):
        """A column sorts for this user unless it shows personal data they see masked: an
        order by the hidden value would reveal it (R-ENQ-3)."""
        if not super().is_sortable(name):
            return False
        return sees_personal_data() or not self.is_personal_column(name)

    def _default_form_args(self, model, form_args):
        args = {}
        for f in model._meta.sorted_fields:
            args[f.name] = {"label": _l(f.verbose_name or f.name)}
            extra = []
            if isinstance(f, PhoneField):
                extra.append(validators.Optional())
                extra.append(validators.Regexp(
                    PHONE_RE, message="电话格式不正确（例如 13800138000 或 021-12345678）"))
            if isinstance(f, MoneyField):
                extra.append(validators.Optional())
                extra.append(validators.NumberRange(min=0, message="金额不能为负数"))
            if isinstance(f, CharField) and f.max_length:
                extra.append(validators.Length(max=f.max_length,
                                               message=f"不能超过 {f.max_length} 个字符"))
            if isinstance(f, TextField):
                extra.append(validators.Length(max=TEXT_MAX, message=f"不能超过 {TEXT_MAX} 个字符"))
            if isinstance(f, DecimalField):
                extra.append(fits_column(f))
            if isinstance(f, IntegerField) and not isinstance(f, (ForeignKeyField, AutoField)):
                extra.append(validators.NumberRange(
                    min=getattr(f, "min_value", None), max=INT_MAX,
                    message=f"须在 {getattr(f, 'min_value', None) or -INT_MAX} 到 {INT_MAX} 之间"))
            if extra:
                args[f.name]["validators"] = extra
        for name, value in form_args.items():
            args.setdefault(name, {}).update(value)
        return args

    def search_placeholder(self):
        names, sees = [], sees_personal_data()
        for field in self._search_fields:
            if getattr(field, "personal", False) and not sees:
                continue  # matches nothing for this user (PersonalSearch): not offered
            names.append(str(_l(field.verbose_name or field.name)))
        hints = []
        if any(isinstance(getattr(f, "field", f), PhoneField) or hasattr(f, "phone_match")
               for f in self._search_fields) and sees:
            hints.append(str(_l("电话输入前 7 位以上")))
        if any(getattr(f, "name", None) in ("number", "receipt_no") for f in self._search_fields):
            hints.append(str(_l("编号输入开头")))
        # Chinese punctuation in Chinese, ASCII in English ("Search: No., Visitor (…)").
        chinese = str(get_locale() or "zh").startswith("zh")
        colon, comma, list_comma, opening, closing = (
            ("：", "，", "、", "（", "）") if chinese else (": ", "; ", ", ", " (", ")"))
        return "%s%s%s%s" % (_l("搜索"), colon, list_comma.join(dict.fromkeys(names)),
                             opening + comma.join(hints) + closing if hints else "")

    def get_filter_arg(self, index, flt):
        """Name filters by column and operation so bookmarked URLs survive new filters."""
        operation = getattr(flt, "url_name", None) or type(flt).__name__.lower().replace("filter", "")
        return "%s_%s" % (flt.column.name, operation)

    # ------------------------------------------------------------ access

    def is_accessible(self):
        return current_user.is_authenticated and current_user.has_role(*self.read_roles)

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.url))
        abort(403)

    def may_write(self):
        return (current_user.is_authenticated
                and bool(current_user.role_set & (self.write_roles - {AU})))

    def may_change(self, record):
        """May the logged-in user edit or archive `record` (staff: their department's only)?
        Its page offers 编辑 and 归档 only then, never a way to a 403."""
        return self.may_write() and self._in_scope(record, write=True)

    @property
    def can_create(self):
        return self.may_write()

    @property
    def can_edit(self):
        return self.may_write()

    # Records are archived with a reason, never deleted through the console.
    can_delete = False

    def _handle_view(self, name, **kwargs):
        denied = super()._handle_view(name, **kwargs)
        if denied is not None:
            return denied
        # A step (and a bulk action, which is a step) checks its own roles: an alert is
        # resolved, a receipt signed, by people who may not edit alerts or receipts.
        if name in ("create_view", "edit_view", "ajax_update", "archive_view") \
                and not self.may_write():
            abort(403)
        # A missing, malformed or out-of-scope id is a 404, not a redirect.
        if name in ("details_view", "edit_view", "archive_view"):
            model = self.get_one(request.args.get("id"))
            if model is None:
                abort(404)
            if name != "details_view" and not self._in_scope(model, write=True):
                abort(403)
            if name == "edit_view" and self.editable_states is not None \
                    and model.status not in self.editable_states:
                flash("%s已%s，不能再修改" % (model, model.choice_label("status")), "error")
                return redirect(self.get_url(".details_view", id=model.id))
        return None

    def _in_scope(self, model, write=False):
        condition = self.scope_condition(write)
        return condition is None or self.model.select().where(
            (self.model.id == model.id) & condition).exists()

    def scope_condition(self, write=False):
        """Return the condition limiting rows to the user's department, or None."""
        return current_scope(self.model, write)

    @pass_context
    def get_detail_value(self, context, model, name):
        """As Flask-Admin draws it, but an empty coded field is empty, never "None"."""
        value = super().get_detail_value(context, model, name)
        return "" if value is None else value

    def _create_ajax_loader(self, name, options):
        return ScopedAjaxLoader(name, self.model._meta.fields[name].rel_model, **options)

    def get_query(self):
        query = self.model.select()
        condition = self.scope_condition()
        if condition is not None:
            query = query.where(condition)
        return query

    def filtered_query(self, search, filters):
        """(query, joins): the user's rows that the search box and filters select, unsorted
        and uncounted (the grid pages and counts it; an export reads it in chunks)."""
        search = CONTROL_CHARS.sub("", search) if search else search
        query, joins = self.get_query(), set()
        if self._search_supported and search:
            condition = search_condition(self.model, self._search_fields, search,
                                         sees_personal_data())
            if condition is not None:
                for field in self._search_fields:
                    query = self._handle_join(query, field, joins)
                query = query.where(condition)
        for index, _, value in (filters or ()) if self._filters else ():
            flt = self._filters[index]
            query = self._handle_join(query, flt.column, joins)
            query = flt.apply(query, flt.clean(value))
        return query, joins

    def get_one(self, id):
        pk = parse_id(id)
        if pk is None:
            return None
        query = self.model.select().where(self.model.id == pk)
        condition = self.scope_condition()
        if condition is not None:
            query = query.where(condition)
        return query.first()

    # ------------------------------------------------------------ saving

    def create_form(self, obj=None):
        """A new record's form, pre-filled from the URL on GET (?customer=7&channel=phone): the
        caller screen and the survey calendar start records this way. Unknown names are ignored."""
        form = super().create_form(obj)
        form.kefu_once = one_time_token()
        if request.method != "GET":
            return form
        for name, value in request.args.items():
            field = self.model._meta.fields.get(name)
            if field is None or name in SYSTEM_COLUMNS or not hasattr(form, name) or not value:
                continue
            if isinstance(field, ForeignKeyField):
                target = field.rel_model  # only a record this user may open
                query = target.select().where(target.id == parse_id(value))
                scope = current_scope(target)
                value = (query.where(scope) if scope is not None else query).first()
            elif isinstance(field, DateField):
                try:
                    value = date.fromisoformat(value)
                except ValueError:
                    continue
            elif isinstance(field, (CharField, TextField)):
                value = value[:field.max_length or TEXT_MAX] if isinstance(field, CharField) \
                    else value[:TEXT_MAX]
            else:
                continue
            if value is not None:
                form[name].data = value
        own = own_department_field(self.model)  # a department's staff file for their own
        dept = department_of(current_user)
        if own and dept and dept > 0 and hasattr(form, own) and own not in request.args:
            form[own].data = Department.get_or_none(Department.id == dept)
        self.mask_form(form)
        return form

    def edit_form(self, obj=None):
        """The edit form carries the version it was made from (optimistic locking)."""
        form = super().edit_form(obj)
        if request.method == "POST":
            token = request.form.get("kefu_version")  # missing: refused in _check_version
        elif obj is not None and "version" in obj._meta.fields:
            token = "%s|%s" % (obj.version or 0, clock.now().isoformat())
        else:
            token = None
        form.kefu_version = token
        self.mask_form(form, obj)
        return form

    def masked_form_fields(self, form, record=None):
        """{name: kind} of the personal fields of `form` this user sees masked for `record`
        (None: a new record): shown masked and disabled, never saved from the form."""
        if sees_personal_data(record):
            return {}
        return {name: kind for name, kind in personal_fields(self.model).items() if name in form}

    def mask_form(self, form, record=None):
        """Show the personal fields the user sees masked as the mask, read-only (R-ENQ-3): the
        input's value never carries the stored number, and nothing typed there is checked."""
        for name, kind in self.masked_form_fields(form, record).items():
            field = form[name]
            field.data = mask(getattr(record, name, None), kind) if record is not None else ""
            field.raw_data = None
            field.validators = []
            field.flags.required = False
            field.render_kw = dict(field.render_kw or {}, disabled=True,
                                   title=str(_l("个人信息已隐藏，不能在此修改")))

    def create_model(self, form):
        model = self.model()
        return model if self._save(form, model, created=True) else False

    def land_on_first_submit(self, err):
        """A form submitted again: show what its first submit saved, instead of a second copy."""
        flash(str(_l("该表单已提交过，未重复保存；以下是第一次提交保存的记录。")), "info")
        if err.record_id is not None and err.record_type == self.model.__name__:
            abort(redirect(self.get_url(".details_view", id=err.record_id)))
        abort(redirect(get_redirect_target() or self.get_url(".index_view")))

    def update_model(self, form, model):
        return self._save(form, model, created=False)

    def _save(self, form, model, created):
        """Populate, validate and save in one transaction with its audit row."""
        now = clock.now()
        record = None if created else model
        # What the user sees masked is saved as stored (a new record's: empty), whatever the
        # form posted: never the mask, never blanked.
        hidden = self.masked_form_fields(form, record)
        for name in hidden:
            form[name].data = getattr(model, name)
        once = getattr(form, "kefu_once", None) if created else None
        original = dict(model.__data__)

        def settled(saved):  # flows.records.save checks the rows written are the user's
            if once:
                FormToken.result(once, saved)
        told = None  # what the save's rules tell the user
        try:
            with write_transaction():
                if once:
                    FormToken.use(once, now)
                if not created and "version" in model._meta.fields:
                    self._check_version(form, model)
                form.populate_obj(model)
                # Values typed that are not columns (an override amount, a password, staff).
                extra = {field.name: field.data for field in form
                         if field.name not in model._meta.fields and field.name != "csrf_token"}
                told = flows.records.save(
                    model, current_user._get_current_object(), now, created=created,
                    original=None if created else original, extra=extra, settled=settled)
        except ValidationError as err:
            self._attach_errors(form, err.errors)
            return False
        except AlreadySubmitted as err:
            self.land_on_first_submit(err)
        except DomainError as err:
            flash(str(err), "error")
            return False
        except IntegrityError as err:
            flash(self.integrity_message(err), "error")
            return False
        finally:
            if hidden:  # the form drawn again after a refusal shows the mask, as before
                self.mask_form(form, record)
        if told:
            flash(told, "info")
        if isinstance(model, User) and model.id == current_user.id:
            # Not a rule: this browser's cookie follows its own user's new session generation
            # (a changed password ends the user's other sessions, not this one).
            session["epoch"] = model.session_epoch
        return True

    def _check_version(self, form, model):
        """Take the row for this save only if it still has the version the form was made from
        (Register.claim), else refuse, saying who changed what since."""
        token = getattr(form, "kefu_version", None) or ""
        seen, _, loaded_at = token.partition("|")
        if not seen.isdigit():  # a form not made by this console's edit page
            raise DomainError("保存失败：页面已过期，请刷新页面后重新修改。")
        try:
            model.claim(int(seen))
        except StaleRecord:
            raise DomainError("保存失败：您打开此页面后，该记录已被修改：%s。请刷新页面，核对后重新修改。"
                              % changed_since(model, seen, loaded_at)) from None

    def _attach_errors(self, form, errors):
        for name, message in errors.items():
            field = getattr(form, name, None)
            if field is not None:
                field.errors = list(field.errors or []) + [message]
            else:
                flash(message, "error")

    def integrity_message(self, err):
        text = str(err).lower()
        if "unique" in text or "duplicate" in text:
            return "保存失败：已存在相同编号或名称的记录"
        if "foreign key" in text:
            return "保存失败：引用的记录不存在或正被使用"
        if "check" in text:
            return "保存失败：有字段的值不在允许范围内"
        return "保存失败：数据不符合约束"

    def handle_view_exception(self, exc):
        if isinstance(exc, DomainError):
            flash(str(exc), "error")
            return True
        return super().handle_view_exception(exc)

    # ------------------------------------------------------------ printable slips

    # ------------------------------------------------------------ personal data

    def unmask_form(self):
        return UnmaskForm

    def may_unmask(self, record):
        return (bool(personal_fields(self.model)) and not sees_personal_data(record)
                and current_user.has_role(*UNMASK_ROLES))

    @expose("/unmask/", methods=("POST",))
    def unmask_view(self):
        """Reveal one record's personal data to a supervisor, once, with an audit row."""
        from flask import session
        record = self.get_one(request.args.get("id"))
        if record is None:
            abort(404)
        if not self.may_unmask(record) or not UnmaskForm(request.form).validate():
            abort(403)
        with write_transaction():
            audit("unmask", record, before=snapshot(record), summary="查看完整个人信息：%s" % record)
        session[UNMASKED_KEY] = ["%s:%s" % (type(record).__name__, record.id), time.time()]
        return redirect(self.get_url(".details_view", id=record.id))

    @expose("/print/")
    def print_view(self):
        """An A5 paper form of one record, to print from the browser."""
        slip = request.args.get("slip")
        if slip not in dict(self.print_slips):
            abort(404)
        record = self.get_one(request.args.get("id"))
        if record is None:
            abort(404)
        if not sees_personal_data(record):  # the paper form masks what the screen masks
            import copy
            record = copy.copy(record)
            record.__data__ = dict(record.__data__)
            for name, kind in personal_fields(type(record)).items():
                record.__data__[name] = mask(record.__data__.get(name), kind)
        return render_template(f"kefu/print/{slip}.html", record=record, now=clock.now(),
                               title=dict(self.print_slips)[slip])

    # ------------------------------------------------------------ archive instead of delete

    @expose("/archive/", methods=("GET", "POST"))
    def archive_view(self):
        """Archive one record with a reason (GET shows the form, POST archives)."""
        return_url = get_redirect_target() or self.get_url(".index_view")
        model = self.get_one(request.args.get("id"))
        if model is None or not hasattr(model, "archive"):
            abort(404)
        form = ArchiveForm(request.form if request.method == "POST" else None)
        # The version the form was made from: a record changed since is not archived unseen.
        form.kefu_version = request.form.get("kefu_version") if request.method == "POST" \
            else "%s|%s" % (model.version or 0, clock.now().isoformat())
        if request.method == "POST" and form.validate():
            seen, _, loaded_at = (form.kefu_version or "").partition("|")
            try:
                flows.records.archive(model, current_user._get_current_object(), clock.now(),
                                      form.reason.data, int(seen) if seen.isdigit() else None)
            except ValidationError as err:
                form.reason.errors = list(err.errors.values())
            except StaleRecord:
                flash("未归档：您打开此页面后，该记录已被修改：%s。请核对后再归档。"
                      % changed_since(model, seen, loaded_at), "error")
                return redirect(self.get_url(".details_view", id=model.id, url=return_url))
            except DomainError as err:
                flash(str(err), "error")
            else:
                flash("已归档：%s" % model, "success")
                return redirect(return_url)
        return self.render("kefu/archive.html", model=model, form=form, return_url=return_url)


def changed_since(model, seen, loaded_at=""):
    """Who changed `model` since the page showed version `seen` (loaded at `loaded_at`), as a
    line for a refusal: "10:05 张三 派单（状态）；…"."""
    try:
        since = datetime.fromisoformat(loaded_at)
    except (TypeError, ValueError):
        since = None
    changes, latest = [], None
    for event in history.record_history(model):
        if since is not None and event.when < since or since is None and changes \
                and event.when < latest:  # not said when: the latest moment's changes
            break
        latest = event.when
        what = "、".join(label for label, _, _ in event.fields) or event.summary
        changes.append("%s %s %s（%s）" % (event.when.strftime("%H:%M"), event.who,
                                         event.action, what))
    current = type(model).select(type(model).version).where(type(model).id == model.id).scalar()
    return "；".join(changes[:3]) or "版本 %s → %s" % (seen, current or 0)


class ArchiveForm(KefuForm):
    from wtforms import TextAreaField as _Text
    reason = _Text(_l("归档原因"), validators=[validators.InputRequired(message="请填写归档原因"),
                                       validators.Length(max=500, message="不能超过 500 个字符")])

