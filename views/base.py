"""What every register's grid shares: login and roles, Chinese labels, filters, audited saves."""
import csv
import io
import re
import time
from urllib.parse import quote, urlsplit

from flask import (Response, abort, flash, g, has_app_context, redirect, render_template,
                   request, stream_with_context, url_for)
from flask_admin import expose
from flask_admin.contrib.peewee import ModelView
from flask_admin.contrib.peewee import filters as pf
from flask_admin.contrib.peewee.ajax import QueryAjaxModelLoader
from flask_admin.contrib.peewee.form import CustomModelConverter
from flask_admin.helpers import get_redirect_target
from flask_admin.menu import MenuLink
from flask_admin.model import typefmt
from flask_babel import get_locale
from flask_login import current_user
from datetime import date, datetime
from decimal import Decimal

from jinja2 import pass_context
from markupsafe import Markup, escape
from peewee import (SQL, AutoField, BooleanField, CharField, DateField, DateTimeField,
                    DecimalField, ForeignKeyField, IntegerField, IntegrityError, TextField, fn)
from wtforms import validators

import access
import clock
import history
import sla
from forms import KefuForm
from audit import audit, snapshot
from i18n import _l
from privacy import (UNMASK_ROLES, UNMASKED_KEY, is_personal, mask, personal_fields,
                     sees_personal_data)
from views.scopes import current_scope
from views.search import search_condition
from views.steps import ROW_ID, STEP_ROW_ACTION, StepsMixin, bulk_action, one_time_token, per_page
from database import small_page_cache, write_transaction
from models import (INT_MAX, PHONE_RE, TEXT_MAX, ChoiceField, Complaint, Contact, Customer,
                    Department, DomainError, FormToken, MoneyField, PhoneField, Register,
                    RepairOrder, ServiceRequest, StaleRecord, Survey, User, ValidationError,
                    AlreadySubmitted)

A, C, S, M, PM, GM, AU = access.ORDER

# Never part of a search: PostgreSQL refuses NUL in a string, and no name has a tab.
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def plain_text(formatter):
    """A grid formatter for exports: its HTML (a red 已逾期, a link) reduced to its text."""

    def export_formatter(view, context, row, name):
        value = formatter(view, context, row, name)
        return Markup(value).striptags() if isinstance(value, Markup) else value
    export_formatter.grid_formatter = formatter  # the export's fast path reads what it wraps
    return export_formatter


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


def parse_id(value):
    """Return `value` as a positive 64-bit id, or None."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return pk if 0 < pk < 2 ** 63 else None


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
        from views.search import prefix_range
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


class CustomerNameFilter(pf.BasePeeweeFilter):
    """Rows whose customer's name, shop number or phone contains the text."""

    def apply(self, query, value):
        condition = Customer.name.contains(value) | Customer.shop_no.contains(value)
        if sees_personal_data():
            condition |= Customer.phone.contains(value)
        match = Customer.select(Customer.id).where(condition)
        return query.where(self.column.in_(match))

    def operation(self):
        return _l("包含")


def overdue_condition(model, column, open_states, now):
    """A deadline column has passed while the row is still open and not on hold."""
    # A due date (not a time) is missed once its day is over.
    moment = now.date() if isinstance(column, DateField) and not isinstance(column, DateTimeField) else now
    condition = (column < moment) & model.status.in_(open_states)
    if "on_hold_since" in model._meta.fields:
        condition &= model.on_hold_since.is_null()
    return condition


def any_overdue_condition(model, deadline_filters, now):
    """Any of a register's deadlines (view.deadline_filters) is overdue."""
    condition = None
    for column, open_states in deadline_filters:
        one = overdue_condition(model, model._meta.fields[column], open_states, now)
        condition = one if condition is None else (condition | one)
    return condition


def due_soon_clocks(model, now):
    """The register's running clocks that have passed their warning time but not their deadline."""
    from models import Deadline
    return ((Deadline.record_type == model.__name__) & (Deadline.status == Deadline.RUNNING)
            & (Deadline.kind != "follow_up")  # when daily follow-ups begin is not a deadline
            & (Deadline.warn_at <= now) & (Deadline.due_at > now))


def not_on_hold(model, condition):
    """`condition`, and the row is not on hold (on hold, its clocks wait)."""
    if "on_hold_since" in model._meta.fields:
        return condition & model.on_hold_since.is_null()
    return condition


def due_soon_condition(model, now):
    """A running clock of the row has passed its warning time but not its deadline."""
    from models import Deadline
    return not_on_hold(model, model.id.in_(
        Deadline.select(Deadline.record_id).where(due_soon_clocks(model, now))))


class OverdueFilter(pf.BasePeeweeFilter):
    """已逾期: the deadline has passed while the row is still open (computed live, not by a job)."""
    url_name = "overdue"

    def __init__(self, column, name, open_states):
        super().__init__(column, name, options=(("1", _l("是")),))
        self.open_states = open_states

    def apply(self, query, value):
        return query.where(overdue_condition(self.column.model, self.column, self.open_states,
                                             clock.now()))

    def operation(self):
        return _l("已逾期")


class AnyOverdueFilter(pf.BasePeeweeFilter):
    """已逾期 on any of the register's deadlines (the dashboard links here): ?flt0_id_overdue=1."""
    url_name = "overdue"

    def __init__(self, model, name, deadline_filters):
        super().__init__(model.id, name, options=(("1", _l("是")),))
        self.deadline_filters = deadline_filters

    def apply(self, query, value):
        model = self.column.model
        return query.where(any_overdue_condition(model, self.deadline_filters, clock.now()))

    def operation(self):
        return _l("已逾期")


class DueSoonFilter(pf.BasePeeweeFilter):
    """即将到期: a running clock has passed its warning time but not its deadline."""
    url_name = "duesoon"

    def __init__(self, model, name):
        super().__init__(model.id, name, options=(("1", _l("是")),))

    def apply(self, query, value):
        return query.where(due_soon_condition(self.column.model, clock.now()))

    def operation(self):
        return _l("即将到期")


class NotArchivedFilter(pf.BasePeeweeFilter, pf.filters.BaseBooleanFilter):
    def apply(self, query, value):
        return query.where(self.column.is_null(value == "1"))

    def operation(self):
        return _l("未归档")


class KefuConverter(CustomModelConverter):
    """Map AutoField like the old PrimaryKeyField so new inline rows save (flask-admin #1718)."""

    def __init__(self, view, additional=None):
        super().__init__(view, additional)
        self.converters[AutoField] = self.handle_pk


def record_link(type_field):
    """Return a formatter showing (register name, id) columns as a link to that record."""
    from models import REGISTERS
    registers = {m.__name__: m for m in REGISTERS}

    def formatter(view, context, row, name):
        register, record_id = registers.get(getattr(row, type_field)), getattr(row, name)
        if register is None or not record_id:
            return record_id or ""
        href = url_for(f"{register.__name__.lower()}.details_view", id=record_id)
        return Markup('<a href="%s">%s #%s</a>') % (
            href, _l(register.verbose_name()), escape(record_id))
    return formatter


XLSX_DATE_FORMATS = {datetime: "yyyy-mm-dd hh:mm", date: "yyyy-mm-dd"}
XLSX_WIDTH_ROWS = 100  # a column is as wide as its title and its widest cell among these rows
XLSX_MAX_WIDTH = 60


def display_width(value):
    """How many character widths a cell needs: a Chinese character takes two."""
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    text = "" if value is None else str(value).split("\n", 1)[0]
    return len(text) + sum(1 for ch in text if ord(ch) > 0x2E7F)


def xlsx_widths(titles, rows):
    """Column widths from the titles and the first rows, within sensible bounds."""
    widths = [display_width(title) for title in titles]
    for row in rows:
        for index, value in enumerate(row[:len(widths)]):
            widths[index] = max(widths[index], display_width(value))
    return [min(max(width + 2, 6), XLSX_MAX_WIDTH) for width in widths]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 (and so XLSX) cannot hold: control characters other than tab and newlines.
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def excel_safe(value):
    """Return a CSV cell that Excel shows as text, never runs as a formula (OWASP)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        try:
            float(text)  # a plain negative number stays a number
        except ValueError:
            return "'" + text
    return text


INT_OR_NONE = {int, type(None)}
TEXT_OR_NONE = {str, type(None)}


def export_value(value):
    """A cell as Flask-Admin's export formatters leave it: None as "", anything else as it is."""
    return "" if value is None else value


# A value starting like a formula, anywhere in a chunk's values each preceded by NUL (a literal
# first character lets the regex engine skip ahead: three times faster than "(?:^|\x00)").
FORMULA_IN_JOINED = re.compile("\x00[%s]" % re.escape("".join(FORMULA_STARTS)))


# What makes the csv module (excel dialect, QUOTE_MINIMAL) quote a cell.
CSV_QUOTED = re.compile('[",\r\n]')


def csv_cells(values):
    """A column's cells as csv.writer writes them (None as "", other values as str(), a cell
    holding a quote, comma or line break quoted); one check decides for the whole column."""
    try:
        joined = "\x00".join(values)
    except TypeError:  # numbers or None
        types = set(map(type, values))
        if types <= TEXT_OR_NONE:
            values = [v or "" for v in values]
        elif types == {int}:
            return list(map(str, values))  # nothing to quote
        else:
            values = ["" if v is None else v if type(v) is str else str(v) for v in values]
        joined = "\x00".join(values)
    if '"' not in joined and "," not in joined and "\n" not in joined and "\r" not in joined:
        return values
    return ['"%s"' % v.replace('"', '""') if CSV_QUOTED.search(v) else v for v in values]


def csv_lines(columns):
    """A chunk's CSV text (lines ending in CRLF, as csv.writer ends them) from its columns."""
    if len(columns) < 2:  # csv.writer writes a lone empty cell as ""
        buffer = io.StringIO(newline="")
        csv.writer(buffer).writerows(zip(*columns))
        return buffer.getvalue()
    return "\r\n".join(map(",".join, zip(*map(csv_cells, columns)))) + "\r\n"


def text_cells(values, finish):
    """A text column's cells: as they are (None writes as empty), except text a spreadsheet would
    run as a formula, which goes through `finish`; one regex pass decides for the whole chunk."""
    try:
        inert = not FORMULA_IN_JOINED.search("\x00" + "\x00".join(filter(None, values)))
    except TypeError:  # not all text
        inert = False
    if inert:
        return values
    return [v if v and type(v) is str and not v.startswith(FORMULA_STARTS) else finish(v)
            for v in values]


ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")
ISO_DATETIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?")
# Stored text that str() of the stored datetime gives back unchanged (no ".000000").
DATETIME_TEXT = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.(?!000000)\d{6})?"
DATE_TEXT = r"\d{4}-\d\d-\d\d"
# (one value, all of a chunk's values joined by NUL) in that form
DATE_TEXTS = {DateTimeField: (re.compile(DATETIME_TEXT),
                              re.compile("(?:%s(?:\x00%s)*)?" % (DATETIME_TEXT, DATETIME_TEXT))),
              DateField: (re.compile(DATE_TEXT),
                          re.compile("(?:%s(?:\x00%s)*)?" % (DATE_TEXT, DATE_TEXT)))}


# The usual stored text of each kind ("0" a decimal digit, as \d reads it), to check by column.
DATE_SHAPES = {DateTimeField: "0000-00-00 00:00:00", DateField: "0000-00-00"}


def all_shaped(joined, count, shape):
    """Is `joined` `count` texts of `shape` joined by NUL? A slice per character place of the
    shape checks that place in every text at once (three times faster than the regex)."""
    width = len(shape) + 1
    if len(joined) != width * count - 1:
        return False
    for place, char in enumerate(shape + "\x00"):
        if char != "0" and joined[place::width] != char * (count - (char == "\x00")):
            return False
    return "".join([joined[place::width] for place, char in enumerate(shape)
                    if char == "0"]).isdecimal()


def date_cells(values, field, convert, finish):
    """A date or time column's cells: the stored text when it is what str() of the value gives
    (checked for the whole chunk at once), else the value's text."""
    kind = DateTimeField if isinstance(field, DateTimeField) else DateField
    one, every = DATE_TEXTS[kind]
    try:
        texts = list(filter(None, values))
        joined = "\x00".join(texts)
        if all_shaped(joined, len(texts), DATE_SHAPES[kind]) or every.fullmatch(joined):
            return values
    except TypeError:  # PostgreSQL hands back datetimes
        pass
    return [v if type(v) is str and one.fullmatch(v) else finish(convert(v)) for v in values]


def fast_python_value(field):
    """field.python_value, without peewee's strptime for the ISO text SQLite returns for dates."""
    slow = field.python_value
    if isinstance(field, DateTimeField):
        pattern, parse = ISO_DATETIME, datetime.fromisoformat
    elif isinstance(field, DateField):
        pattern, parse = ISO_DATE, date.fromisoformat
    else:
        return slow

    def python_value(value):
        if type(value) is str and pattern.fullmatch(value):
            try:
                return parse(value)
            except ValueError:  # 2026-02-30: peewee keeps such text as it is
                pass
        return slow(value)
    return python_value


class NotJoined(Exception):
    """A related row's str() read a field the export did not select."""


class FieldsRead(dict):
    """A row's field values that note which fields are read (peewee reads them by key)."""

    def __init__(self, values):
        super().__init__(values)
        self.read = set()

    def __getitem__(self, key):
        self.read.add(key)
        if key not in self:
            raise NotJoined(key)  # not KeyError: peewee would read that as None
        return dict.__getitem__(self, key)

    def get(self, key, default=None):
        return self[key]


class Lookup(dict):
    """A dict that computes a missing entry once (a code's label)."""

    def __init__(self, compute):
        super().__init__()
        self.compute = compute

    def __missing__(self, key):
        value = self[key] = self.compute(key)
        return value


class RelatedNames:
    """The names (str()) of one related register's rows in an export: for a chunk's new keys,
    one query reads only the columns str() reads, and the names are remembered while few."""
    KEPT = 200_000  # names remembered (~25 MB); past that, a chunk's names are read again
    BATCH = 500  # keys per query, always this many: the sqlite3 module caches each statement text

    def __init__(self, field, finish):
        self.model, self.key, self.finish = field.rel_model, field.rel_field, finish
        self.known = {None: finish(None)}
        self.sql = None  # (fields, statement text)
        self.size = None  # rows in the register, counted at the first chunk with new keys
        sample = self.model.select().first()
        read = self._read(sample.__data__)[1] if sample is not None else set()
        self.fields = [self.key] + [f for f in self.model._meta.sorted_fields
                                    if f.name in read and f is not self.key]

    def _read(self, values):
        record = self.model.__new__(self.model)
        record.__data__, record.__rel__ = FieldsRead(values), {}
        return str(record), record.__data__.read

    def cells(self, keys):
        """The cells of a chunk's foreign-key values."""
        try:  # most chunks of a long export name only rows already named
            return list(map(self.known.__getitem__, keys))
        except KeyError:
            pass
        if self.size is None:
            self.size = self.model.select().count()
        if self.size <= self.KEPT and 2 * len(self.known) >= self.size:
            # Half the register named and still more to come: one scan names the rest (costing
            # no more than the names read so far), and later chunks find every name known.
            sql, params = self.model.select(*self.fields).sql()
            self._remember(self.model._meta.database.execute_sql(sql, params))
            try:
                return list(map(self.known.__getitem__, keys))
            except KeyError:
                pass
        missing = set(keys).difference(self.known)
        if missing and len(self.known) + len(missing) > self.KEPT:
            self.known = {None: self.finish(None)}
            missing = set(keys)
            missing.discard(None)
        missing = list(missing)
        database = self.model._meta.database
        # The statement's text is built once per export (peewee took longer to render 500
        # parameters than SQLite took to answer); each batch only binds its keys.
        if self.sql is None or self.sql[0] != self.fields:
            self.sql = (list(self.fields), self.model.select(*self.fields)
                        .where(self.key.in_([0] * self.BATCH)).sql()[0])
        sql = self.sql[1]
        for start in range(0, len(missing), self.BATCH):
            batch = missing[start:start + self.BATCH]
            batch += batch[-1:] * (self.BATCH - len(batch))
            self._remember(database.execute_sql(sql, batch))
        return list(map(self.known.__getitem__, keys))

    def _remember(self, rows):
        """Name the rows (of self.fields) not named yet."""
        fields = list(self.fields)
        names = [f.name for f in fields]
        # Text and whole numbers come from the database as they are; other values are converted.
        plain = all(type(f) in (AutoField, IntegerField, CharField, TextField) for f in fields)
        converters = [fast_python_value(f) for f in fields]
        known = self.known
        for row in rows:
            if not plain:
                row = [convert(value) for convert, value in zip(converters, row)]
            if row[0] not in known:
                known[row[0]] = self._name(row[0], zip(names, row))

    def _name(self, key, values):
        try:
            return self.finish(self._read(values)[0])
        except NotJoined as err:  # str() read a field not selected: the whole row; select it next time
            field = self.model._meta.fields.get(err.args[0])
            if field is not None and field not in self.fields:
                self.fields.append(field)
            return self.finish(str(self.model.get(self.key == key)))


class ExportChunk:
    """One chunk of an export: raw rows of every field, by column, and as records on demand."""

    def __init__(self, model, rows):
        self.model, self.rows = model, rows
        self.columns = dict(zip(model._meta.sorted_field_names, zip(*rows)))
        self._records = None

    def records(self):
        """The rows as model instances, for a view's own export formatter (built once)."""
        if self._records is None:
            fields = self.model._meta.sorted_fields
            self._records = []
            for row in self.rows:
                record = self.model(__no_default__=1, **{f.name: f.python_value(value)
                                                         for f, value in zip(fields, row)})
                record._dirty.clear()
                self._records.append(record)
        return self._records


def estimate_note(due, limit=None):
    """估算：未含当年调休安排 for a deadline in a year whose arrangement is not confirmed, else ''
    (a due date typed by a person, or a clock of `limit` counting calendar time, is exact)."""
    if not isinstance(due, datetime) or (limit is not None and not sla.depends_on_calendar(limit)):
        return ""
    known = g.get("kefu_confirmed_years") if has_app_context() else None
    if known is None:
        from models import CalendarYear
        known = CalendarYear.confirmed()
        if has_app_context():
            g.kefu_confirmed_years = known  # one query a request, however many deadlines
    return _l("估算：未含当年调休安排") if sla.is_estimate(due, known) else ""


def estimate_badge(due, limit=None):
    """The estimate note as a badge after a deadline (Markup; empty when not an estimate)."""
    note = estimate_note(due, limit)
    return Markup(' <span class="badge badge-warning estimate">%s</span>') % note if note else Markup("")


def deadline_cell(due, on_hold, status, open_states, now, exact=False):
    """A deadline's text, or Markup with 挂起中, or red with 已逾期 when it has passed while the
    row is still open, marked 估算 in a year not confirmed unless `exact` (the grid escapes the
    plain text; an export strips the Markup's tags)."""
    if due is None:
        return ""
    is_day = not isinstance(due, datetime)  # a due date: missed once its day is over
    text = due.strftime("%Y-%m-%d" if is_day else "%Y-%m-%d %H:%M")
    estimate = "" if exact else estimate_badge(due)
    if on_hold:
        return Markup('%s <span class="badge badge-secondary">%s</span>') % (text, _l("挂起中")) + estimate
    if status in open_states and due < (now.date() if is_day else now):
        return Markup('<span class="text-danger font-weight-bold" title="%s">%s %s</span>') % (
            _l("已逾期"), text, _l("已逾期")) + estimate
    return escape(text) + estimate if estimate else text


def deadline_formatter(*open_states):
    """Show a deadline column, red with 已逾期 when it has passed while the row is still open."""

    def formatter(view, context, row, name):
        due = getattr(row, name)
        if due is None:
            return ""
        exact = bool(estimate_note(due)) and name in calendar_time_columns(row)
        return escape(deadline_cell(due, getattr(row, "on_hold_since", None), row.status,
                                    open_states, clock.now(), exact))
    formatter.open_states = open_states
    return formatter


def calendar_time_columns(row, rows=None):
    """The deadline columns of `row` whose clocks count calendar time (their due time is exact
    in any year). Read for `rows` (a grid page, one query) or for `row` alone."""
    cached = row.__dict__.get("_kefu_calendar_time")
    if cached is not None:
        return cached
    from models import Deadline
    rows = rows or [row]
    model = type(row)
    exact, estimated = {r.id: set() for r in rows}, {r.id: set() for r in rows}
    query = (Deadline.select(Deadline.record_id, Deadline.kind, Deadline.limit_amount,
                             Deadline.limit_unit, Deadline.limit_clock, Deadline.rule_code)
             .where((Deadline.record_type == model.__name__) & Deadline.record_id.in_(list(exact))))
    for clock_row in query:
        column = model.deadline_columns.get(clock_row.kind)
        if column:
            found = estimated if sla.depends_on_calendar(clock_row.limit()) else exact
            found[clock_row.record_id].add(column)
    for r in rows:
        r.__dict__["_kefu_calendar_time"] = exact[r.id] - estimated[r.id]
    return row.__dict__["_kefu_calendar_time"]


def fits_column(column):
    """A validator refusing a number the decimal `column` cannot hold (its digits before the
    point): PostgreSQL refuses it with an error page, SQLite rounds it away."""
    top = Decimal(10) ** (column.max_digits - column.decimal_places)
    largest = top - Decimal(1).scaleb(-column.decimal_places)

    def validator(form, field):
        if field.data is not None and abs(field.data) > largest:
            raise validators.ValidationError(f"不能超过 {largest}")
    return validator


class ForeignKeyEqual(pf.FilterEqual):
    """Equality on a foreign key, chosen from a list; a hand-typed bad id is ignored."""
    url_name = "equal"

    def validate(self, value):
        return parse_id(value) is not None


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


def plain_count(query):
    """A grid's query as a plain `SELECT COUNT(*) … WHERE …` (None when it must be wrapped):
    peewee's count() wraps it in a subquery, which keeps SQLite from counting from an index."""
    if query._group_by or query._having or query._distinct or query._limit or query._offset:
        return None
    return query.select(fn.COUNT(SQL("*"))).order_by()


def count_rows(query):
    """The number of rows of a grid's query."""
    plain = plain_count(query)
    return query.count() if plain is None else plain.scalar()


# A grid's total above BIG_GRID rows is counted at most once a GRID_TOTAL_SECONDS per process:
# counting a million contacts reads ~3k index pages (3-7 ms of every grid page, the count
# alone), and nobody pages by the last digit of a million. Totals up to BIG_GRID, which is
# every filtered working list (overdue, one department's, a search), are counted every time.
BIG_GRID = 10_000
GRID_TOTAL_SECONDS = 60
_grid_totals = {}  # (database, SQL, parameters): (total, counted at)


def grid_total(query, now=None):
    """count_rows(query) for a grid's pager; a big total may be up to a minute old."""
    plain = plain_count(query)
    if plain is None:
        return query.count()
    sql, params = plain.sql()
    proxy = query.model._meta.database
    key = (id(proxy.obj), sql, tuple(params))
    now = time.monotonic() if now is None else now
    known = _grid_totals.get(key)
    if known and now - known[1] < GRID_TOTAL_SECONDS:
        return known[0]
    total = proxy.execute_sql(sql, params).fetchone()[0]
    if total > BIG_GRID:
        if len(_grid_totals) > 1000:
            _grid_totals.clear()
        _grid_totals[key] = (total, now)
    return total


def grid_datetime(view, value, name):
    """A time in a grid to the minute: the seconds cost a column's width and tell nobody much."""
    return value.strftime("%Y-%m-%d %H:%M")


GRID_TYPE_FORMATTERS = dict(typefmt.BASE_FORMATTERS)
GRID_TYPE_FORMATTERS[datetime] = grid_datetime


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


class KefuModelView(StepsMixin, ModelView):
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

    scope_error_field = "department"  # where "only your department" errors are shown
    form_excluded_extra = ()
    stamp_user_fields = ()  # set to the logged-in user when a record is created
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
                                          + tuple(self.stamp_user_fields))
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

    def get_url(self, endpoint, **kwargs):
        """url_for; a grid's per-row links (details, edit) are built once per page and only
        the id put in for each row (url_for cost ~0.1 ms, twice per row)."""
        record_id = kwargs.get("id")
        if endpoint not in (".details_view", ".edit_view") or type(record_id) is not int:
            return super().get_url(endpoint, **kwargs)
        from flask import g
        urls = g.setdefault("kefu_row_urls", {})
        # Argument order is kept: it is the order of the URL's query arguments.
        key = (self.endpoint, endpoint, tuple((k, None if k == "id" else str(v))
                                              for k, v in kwargs.items()))
        if key not in urls:
            url = super().get_url(endpoint, **dict(kwargs, id=ROW_ID))
            urls[key] = url if url.count(ROW_ID) == 1 else None
        if urls[key] is None:  # the placeholder also in another argument: build each one
            return super().get_url(endpoint, **kwargs)
        return urls[key].replace(ROW_ID, str(record_id))

    def get_list_row_actions(self):
        return per_page(super().get_list_row_actions())

    @pass_context
    def get_detail_value(self, context, model, name):
        """As Flask-Admin draws it, but an empty coded field is empty, never "None"."""
        value = super().get_detail_value(context, model, name)
        return "" if value is None else value

    @pass_context
    def list_row_html(self, context, row, list_columns, actions, list_row_actions):
        """A grid row's cells as Flask-Admin's list_row block draws them when no column is
        editable: one call a row instead of several Jinja calls a cell (~1.5 ms of 20 rows)."""
        pk = self.get_pk_value(row)
        cells = []
        if actions:
            cells.append('<td><input type="checkbox" name="rowid" class="action-checkbox" '
                         'value="%s" title="%s" /></td>'
                         % (escape(pk), escape(context.resolve("_gettext")("Select record"))))
        if self.column_display_actions:
            cells.append('<td class="list-buttons-column">%s</td>' % "\n".join(
                escape(action.render_ctx(context, pk, row)) for action in list_row_actions))
        for name, _ in list_columns:
            cells.append('<td class="col-%s">%s</td>'
                         % (escape(name), escape(self.get_list_value(context, row, name))))
        return Markup("\n".join(cells))

    def _create_ajax_loader(self, name, options):
        return ScopedAjaxLoader(name, self.model._meta.fields[name].rel_model, **options)

    def get_query(self):
        query = self.model.select()
        condition = self.scope_condition()
        if condition is not None:
            query = query.where(condition)
        return query

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True,
                 page_size=None):
        """Flask-Admin's get_list with our search (views.search), a plain COUNT(*), and the
        related names of a page loaded once per related model (not the page query again)."""
        # An unknown sort column in a hand-edited URL, or one this user sees masked, sorts by
        # default instead of failing or revealing.
        if sort_column is not None and (sort_column not in self._sortable_columns
                                        or not self.is_sortable(sort_column)):
            sort_column = None
        page = min(page or 0, 100_000)  # a page number past any table, not an SQL overflow
        query, joins = self.filtered_query(search, filters)
        count = None if self.simple_list_pager else grid_total(query)
        if sort_column is not None:
            order = [(self._sortable_columns[sort_column], sort_desc)]
        else:
            order = self._get_default_order()
        if order:
            query, joins = self._order_by(query, joins, order)
        page_size = self.page_size if page_size is None else page_size
        if page_size:
            query = query.limit(page_size)
        if page and page_size:
            query = query.offset(page * page_size)
        if not execute:
            return count, query
        rows = list(query.execute())
        self.load_related(rows)
        return count, rows

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

    def load_related(self, rows):
        """Attach the related rows the grid shows to `rows`: one query per related model for
        the whole page (peewee's with_related would run the page query again for each)."""
        columns = set(getattr(self.model, "deadline_columns", {}).values())
        estimated = [row for row in rows if any(estimate_note(row.__data__.get(c)) for c in columns)]
        if estimated:  # which of them are exact, for the whole page at once
            calendar_time_columns(estimated[0], estimated)
        fields = {}
        for name in self._related_columns():
            field = self.model._meta.fields[name]
            fields.setdefault(field.rel_model, []).append(field)
        for rel_model, fks in fields.items():
            ids = {row.__data__.get(fk.name) for fk in fks for row in rows} - {None}
            if not ids:
                continue
            key = fks[0].rel_field
            found = {getattr(r, key.name): r for r in rel_model.select().where(key.in_(list(ids)))}
            for row in rows:
                for fk in fks:
                    value = row.__data__.get(fk.name)
                    if value in found:
                        row.__rel__[fk.name] = found[value]

    def _related_columns(self):
        columns = self.column_list or ()
        return [c for c in columns if isinstance(c, str)
                and isinstance(self.model._meta.fields.get(c), ForeignKeyField)]

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
        before = {} if created else snapshot(model)
        record = None if created else model
        # What the user sees masked is saved as stored (a new record's: empty), whatever the
        # form posted: never the mask, never blanked.
        hidden = self.masked_form_fields(form, record)
        for name in hidden:
            form[name].data = getattr(model, name)
        once = getattr(form, "kefu_once", None) if created else None
        original = dict(model.__data__)
        try:
            with write_transaction():
                if once:
                    FormToken.use(once, now)
                if not created and "version" in model._meta.fields:
                    self._check_version(form, model)
                form.populate_obj(model)
                self.before_save(form, model, created, now)
                model.full_clean()
                if created:
                    model.created_at = now
                    model.created_by = current_user.id
                    for name in self.stamp_user_fields:
                        if getattr(model, name + "_id") is None:
                            setattr(model, name, current_user.id)
                    model.assign_number(now) if hasattr(model, "assign_number") else None
                model.updated_at = now
                if created:
                    model.save(force_insert=True)
                else:  # only what this form changed: a column written meanwhile stays
                    model.save(only=[field for name, field in model._meta.fields.items()
                                     if name == "updated_at" or name != "version"
                                     and model.__data__.get(name) != original.get(name)])
                if once:
                    FormToken.result(once, model)
                self._check_still_in_scope(model)
                self.after_save(form, model, created, now)
                audit("create" if created else "update", model, before=before, now=now)
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

    def _check_still_in_scope(self, model):
        """Refuse a save that would put the row outside the user's own department."""
        if not self._in_scope(model, write=True):
            raise ValidationError({self.scope_error_field: "只能登记或修改本部门的记录"})

    def before_save(self, form, model, created, now):
        """Set values the form does not carry (overridden per register)."""

    def after_save(self, form, model, created, now):
        """Save what depends on the saved row (overridden per register)."""

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

    # ------------------------------------------------------------ export

    @expose("/export/<export_type>/")
    def export(self, export_type):
        if export_type == "xlsx" and self.can_export:
            return self._export_xlsx(get_redirect_target() or self.get_url(".index_view"))
        return super().export(export_type)

    EXPORT_CHUNK = 2000  # rows fetched (with their related names and clocks) per query

    def _export_rows(self):
        """Yield the rows the grid's filters and search select as raw tuples of every field, in id
        order, a chunk (a list) at a time (keyset pagination: memory stays flat and no OFFSET
        grows with the export; no model objects are built)."""
        view_args = self._get_list_extra_args()
        query, _ = self.filtered_query(view_args.search, view_args.filters)  # the audit counts
        model = self.model
        query = query.select(*model._meta.sorted_fields)
        key = model._meta.sorted_field_names.index("id")
        # The statement is rendered once (peewee took a second per million rows to render it
        # again for every chunk); each chunk binds only the last id in the place of `mark`.
        mark = -(2 ** 53) + 8
        sql, params = (query.where(model.id > mark).order_by(model.id)
                       .limit(self.EXPORT_CHUNK).sql())
        at = params.index(mark)
        last = 0
        while True:
            params[at] = last
            rows = model._meta.database.execute_sql(sql, params).fetchall()
            if not rows:
                return
            yield rows
            last = rows[-1][key]

    def _export_clocks(self, ids):
        """{record id: [(kind, explanation, due_at, status, met_at, held_seconds), …]} for one
        chunk of an export, in one query."""
        from models import Deadline
        if not getattr(self.model, "deadline_columns", None):
            return {}
        query = (Deadline.select(Deadline.record_id, Deadline.kind, Deadline.explanation,
                                 Deadline.due_at, Deadline.status, Deadline.met_at,
                                 Deadline.held_seconds)
                 .where((Deadline.record_type == self.model.__name__) & Deadline.record_id.in_(ids))
                 .order_by(Deadline.record_id, Deadline.started_at, Deadline.id))
        due_at, met_at = fast_python_value(Deadline.due_at), fast_python_value(Deadline.met_at)
        clocks = {}
        for record_id, kind, explanation, due, status, met, held in \
                Deadline._meta.database.execute(query):
            clocks.setdefault(record_id, []).append((kind, explanation, due_at(due), status,
                                                     met_at(met), held))
        return clocks

    def _export_clock_cells(self, chunk, now, finish):
        """The 是否逾期 and 时限记录 cells of one chunk."""
        from models import Deadline
        kinds, statuses = dict(Deadline.KINDS), dict(Deadline.STATUSES)  # as choice_label() shows them
        yes = str(_l("是"))
        clocks = self._export_clocks(list(chunk.columns["id"]))
        late, logs = [], []
        for record_id in chunk.columns["id"]:
            mine = clocks.get(record_id, ())
            late.append(yes if any((status == Deadline.RUNNING and due <= now)
                                   or (met is not None and met > due)
                                   for _, _, due, status, met, _ in mine) else "")
            logs.append("；".join(
                "%s %s 时限 %s %s%s" % (kinds.get(kind, kind or ""), history.explain(explanation),
                                       due.strftime("%Y-%m-%d %H:%M"), statuses.get(status, status or ""),
                                       ("（挂起 %d 分钟）" % (held // 60)) if held else "")
                for kind, explanation, due, status, met, held in mine))
        return [text_cells(late, finish), text_cells(logs, finish)]

    def _export_customised(self):
        """Does this view format export cells its own way (then every cell goes through it)?"""
        from flask_admin.model import BaseModelView, typefmt
        return (type(self).get_export_value is not BaseModelView.get_export_value
                or type(self)._get_list_value is not BaseModelView._get_list_value
                or type(self)._get_field_value is not BaseModelView._get_field_value
                or self.column_type_formatters_export != typefmt.EXPORT_FORMATTERS)

    def _export_reader(self, name, finish, now, sees, related, dates=False):
        """Return chunk -> the cells of one export column, with what is the same for every row
        decided here, once: labels, related names, masking, date text (`dates`: dates and
        deadlines as date and datetime values instead). A view's own export formatter still
        runs per row, on records built from the chunk."""
        field = self.model._meta.fields.get(name)
        formatter = (self.column_formatters_export or {}).get(name)
        grid = getattr(formatter, "grid_formatter", None)
        choices = self._column_choices_map.get(name)

        def per_record(chunk):
            return [finish(self.get_export_value(record, name)) for record in chunk.records()]

        if field is None or self._export_customised() or (formatter is not None and choices):
            return per_record
        convert = fast_python_value(field)
        if dates and isinstance(field, (DateTimeField, DateField)) and (
                formatter is None or getattr(grid, "open_states", None) is not None):
            # A deadline too: whether it was missed is the 是否逾期 column.
            return lambda chunk: [None if v is None else convert(v) for v in chunk.columns[name]]

        def as_text(chunk):
            return text_cells(chunk.columns[name], lambda v: finish(convert(v)))

        if formatter is not None:
            if getattr(grid, "mask_kind", None) and grid.inner is None:
                kind = grid.mask_kind
                return as_text if sees else (
                    lambda chunk: [finish(mask(convert(v), kind)) for v in chunk.columns[name]])
            open_states = getattr(grid, "open_states", None)
            if open_states is None:
                return per_record

            def deadlines(chunk):
                on_hold = chunk.columns.get("on_hold_since") or [None] * len(chunk.rows)
                dues = [convert(due) for due in chunk.columns[name]]
                exact = [False] * len(dues)
                if any(estimate_note(due) for due in dues):  # as on the grid: one query a chunk
                    records = chunk.records()
                    estimated = [r for r, due in zip(records, dues) if estimate_note(due)]
                    calendar_time_columns(estimated[0], estimated)
                    exact = [name in r.__dict__.get("_kefu_calendar_time", ()) for r in records]
                cells = [deadline_cell(due, since, status, open_states, now, ex)
                         for due, since, status, ex in zip(dues, on_hold, chunk.columns["status"],
                                                           exact)]
                return text_cells([c.striptags() if isinstance(c, Markup) else c for c in cells],
                                  finish)
            return deadlines
        if choices:
            def label(code):
                text = choices.get(code) or code
                return finish(None if text is None else str(text))
            labels = Lookup(label)
            return lambda chunk: list(map(labels.__getitem__, chunk.columns[name]))
        if isinstance(field, ForeignKeyField):
            target = (field.rel_model, field.rel_field.name)  # one per related register
            names = related.get(target) or related.setdefault(target, RelatedNames(field, finish))
            return lambda chunk: names.cells(chunk.columns[name])
        if isinstance(field, (DateTimeField, DateField)):
            return lambda chunk: date_cells(chunk.columns[name], field, convert, finish)
        if isinstance(field, (CharField, TextField)):
            return as_text
        if type(field) in (AutoField, IntegerField):
            def numbers(chunk):
                values = chunk.columns[name]
                if set(map(type, values)) <= INT_OR_NONE:  # None writes as empty
                    return values
                return [v if type(v) is int else finish(convert(v)) for v in values]
            return numbers
        return lambda chunk: [finish(convert(v)) for v in chunk.columns[name]]

    def _export_table(self, finish=export_value, dates=False):
        """(titles, chunks of columns of cells): every field the details page shows, names for related
        rows, labels for codes, masked personal data, and each deadline with its rule and fate.
        `finish` turns an export value into a cell (excel_safe for CSV); numbers stay numbers;
        `dates` keeps dates and times as values (a workbook's date cells), else text."""
        from flask import g
        g.kefu_exporting = True
        columns = list(self._export_columns)
        with_clocks = bool(getattr(self.model, "deadline_columns", None))
        titles = [str(title) for _, title in columns]
        if with_clocks:
            titles += [str(_l("是否逾期")), str(_l("时限记录"))]
        now = clock.now()
        sees, related = sees_personal_data(), {}
        readers = [self._export_reader(name, finish, now, sees, related, dates) for name, _ in columns]

        def chunks():
            with small_page_cache():
                for rows in self._export_rows():
                    chunk = ExportChunk(self.model, rows)
                    cells = [read(chunk) for read in readers]
                    if with_clocks:
                        cells += self._export_clock_cells(chunk, now, finish)
                    yield cells
        return titles, chunks()

    def _audit_export(self, kind):
        view_args = self._get_list_extra_args()
        count = count_rows(self.filtered_query(view_args.search, view_args.filters)[0])
        with write_transaction():
            audit("export", None, summary=f"{self.model.__name__} {kind} {count} 行",
                  extra={"query": [request.query_string.decode("utf-8", "replace"), count],
                         "filters": [str(view_args.filters), view_args.search or ""]})
        return count

    def _download_name(self, ext):
        filename = "%s_%s.%s" % (self.name, clock.now().strftime("%Y%m%d_%H%M%S"), ext)
        return "attachment; filename=%s.%s; filename*=UTF-8''%s" % (
            self.model.__name__.lower(), ext, quote(filename))

    def _export_csv(self, return_url):
        """Stream the filtered rows as CSV that Excel on a Chinese Windows machine opens
        correctly (UTF-8 with BOM) and safely (no cell runs as a formula); audit the export."""
        self._audit_export("CSV")
        titles, chunks = self._export_table(excel_safe)

        def generate():
            yield "\ufeff" + csv_lines([[title] for title in titles])
            for columns in chunks:
                yield csv_lines(columns)

        return Response(stream_with_context(generate()), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": self._download_name("csv")})

    def _export_xlsx(self, return_url):
        """The same rows as an Excel workbook, written row by row to a temporary file (openpyxl's
        write-only mode keeps memory flat) and streamed from it. Text is stored as text, so a
        cell starting with = never becomes a formula; numbers stay numbers; dates and times are
        date cells (yyyy-mm-dd hh:mm). Columns are as wide as their title and first rows, and
        the title row stays in view while scrolling."""
        import os
        import tempfile
        from decimal import Decimal
        from itertools import chain, islice
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.utils import get_column_letter
        self._audit_export("XLSX")
        titles, chunks = self._export_table(dates=True)
        first = next(chunks, None)  # read before writing: widths go at the top of the sheet
        rows = chain.from_iterable(zip(*columns) for columns in chain([first] if first else [], chunks))
        head = list(islice(rows, XLSX_WIDTH_ROWS))
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=str(self.name)[:31])
        for index, width in enumerate(xlsx_widths(titles, head), 1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        sheet.append(titles)
        date_cells = {}  # one styled cell per date column, given each row's value (openpyxl
        # writes a row's cells as it is appended, so a cell object can serve the next row)
        for values in chain(head, rows):
            line = []
            for column, value in enumerate(values):
                kind = type(value)
                if kind is datetime or kind is date:
                    cell = date_cells.get((column, kind))
                    if cell is None:
                        cell = date_cells[column, kind] = WriteOnlyCell(sheet)
                        cell.number_format = XLSX_DATE_FORMATS[kind]
                    cell.value = value
                    line.append(cell)
                    continue
                if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                    line.append(value)
                    continue
                if value is None:
                    line.append(None)  # an empty cell
                    continue
                text = ILLEGAL_XML.sub("", str(value))
                cell = WriteOnlyCell(sheet, value=text)
                cell.data_type = "s"
                line.append(cell)
            sheet.append(line)
        handle, path = tempfile.mkstemp(suffix=".xlsx")
        os.close(handle)
        try:
            workbook.save(path)
            fh = open(path, "rb")
        finally:
            os.unlink(path)  # the open handle keeps the data; nothing is left behind on disk

        def generate():
            while True:
                block = fh.read(1 << 16)
                if not block:
                    break
                yield block

        response = Response(generate(), headers={"Content-Disposition": self._download_name("xlsx")},
                            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response.call_on_close(fh.close)
        return response

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
            before = snapshot(model)
            seen, _, loaded_at = (form.kefu_version or "").partition("|")
            try:
                with write_transaction():
                    model.archive(current_user.id, clock.now(), form.reason.data,
                                  int(seen) if seen.isdigit() else None)
                    audit("archive", model, before=before)
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

