"""Exports of a register's grid: CSV and XLSX, streamed a chunk at a time with what is the same
for every row (labels, related names, masking, date text) decided once per column."""
import csv
import io
import os
import re
import tempfile
from datetime import date, datetime
from decimal import Decimal
from itertools import chain, islice
from urllib.parse import quote

from flask import Response, g, request, stream_with_context
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_admin.model import BaseModelView, typefmt
from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from peewee import (AutoField, CharField, DateField, DateTimeField, ForeignKeyField,
                    IntegerField, TextField)

import clock
import history
from audit import audit
from database import is_sqlite, small_page_cache, write_transaction
from i18n import _l
from models import Deadline
from privacy import mask, sees_personal_data
from views.grid import calendar_time_columns, count_rows, deadline_cell, estimate_note


def plain_text(formatter):
    """A grid formatter for exports: its HTML (a red 已逾期, a link) reduced to its text."""

    def export_formatter(view, context, row, name):
        value = formatter(view, context, row, name)
        return Markup(value).striptags() if isinstance(value, Markup) else value
    export_formatter.grid_formatter = formatter  # the export's fast path reads what it wraps
    return export_formatter


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
        if values.count(None) == len(values):  # a column left empty (an archive reason)
            return [""] * len(values)
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


def stored_text(field):
    """On PostgreSQL, a date or time column read as text, as SQLite stores it: the export's
    column checks take the text that str() of the value would give as it is, where the driver
    would build a datetime per cell to be turned back into text one by one. (PostgreSQL's ISO
    text, which the driver's own parsing already requires, drops a fraction's trailing zeros:
    such a cell goes through its value, as before.) Other fields as they are."""
    if isinstance(field, (DateTimeField, DateField)):
        return field.cast("text")
    return field


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


class Selected(dict):
    """A row's selected field values; reading one not selected raises NotJoined (peewee reads
    a field with get(): None for a missing key would name the row wrongly)."""

    def __missing__(self, key):
        raise NotJoined(key)

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
    KEPT = 100_000  # names remembered (~17 MB); past that, a chunk's names are read again
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
        record = self.model.__new__(self.model)
        record.__data__, record.__rel__ = Selected(values), {}
        try:
            return self.finish(str(record))
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


class ClockCells:
    """The 是否逾期 and 时限记录 cells of an export's chunks: each chunk's clocks in one query
    whose text is rendered once per export (peewee took longer to render a chunk's 2,000 ids
    than SQLite took to answer), bound to the chunk's id range, or for a chunk whose ids are
    sparse (a filtered export) to its ids in batches of a fixed size."""
    BATCH = 500
    SPARSE = 4  # a range this many times wider than the chunk is read by its ids instead

    def __init__(self, model, now, finish):
        self.model, self.now, self.finish = model, now, finish
        columns = (Deadline.record_id, Deadline.kind, Deadline.explanation, Deadline.due_at,
                   Deadline.status, Deadline.met_at, Deadline.held_seconds)
        mine = Deadline.select(*columns).where(Deadline.record_type == model.__name__)
        order = (Deadline.record_id, Deadline.started_at, Deadline.id)
        low, high = -(2 ** 53) + 8, -(2 ** 53) + 9  # marks for the bound values
        self.range_sql, params = (mine.where(Deadline.record_id.between(low, high))
                                  .order_by(*order).sql())
        self.range_params, self.range_at = params, (params.index(low), params.index(high))
        self.ids_sql, params = (mine.where(Deadline.record_id.in_([low] * self.BATCH))
                                .order_by(*order).sql())
        self.ids_params, self.ids_at = params, params.index(low)
        self.due_at, self.met_at = fast_python_value(Deadline.due_at), fast_python_value(Deadline.met_at)
        # As choice_label() and history.explain() show them, each worked out once per export.
        kinds, statuses = dict(Deadline.KINDS), dict(Deadline.STATUSES)
        self.kinds = Lookup(lambda kind: str(kinds.get(kind, kind or "")))
        self.statuses = Lookup(lambda status: str(statuses.get(status, status or "")))
        self.explained = Lookup(history.explain)
        self.yes = str(_l("是"))

    def _rows(self, ids):
        """The clock rows of records `ids` (ascending), in record, start and id order."""
        database = Deadline._meta.database
        if not ids:
            return []
        low, high = ids[0], ids[-1]
        if high - low < self.SPARSE * len(ids):
            params = list(self.range_params)
            params[self.range_at[0]], params[self.range_at[1]] = low, high
            rows = database.execute_sql(self.range_sql, params).fetchall()
            if high - low + 1 == len(ids):  # every id of the range is in the chunk
                return rows
            wanted = set(ids)
            return [row for row in rows if row[0] in wanted]
        rows = []
        for start in range(0, len(ids), self.BATCH):
            batch = list(ids[start:start + self.BATCH])
            params = list(self.ids_params)
            params[self.ids_at:self.ids_at + self.BATCH] = batch + batch[-1:] * (self.BATCH - len(batch))
            rows += database.execute_sql(self.ids_sql, params).fetchall()
        rows.sort(key=lambda row: row[0])  # stable: each record's clocks stay in start order
        return rows

    def cells(self, ids):
        """[是否逾期 cells, 时限记录 cells] of a chunk's records `ids`."""
        count = len(ids)
        rows = self._rows(ids)
        if not rows:  # most records of most registers have no clock left to show
            return [[""] * count, [""] * count]
        now, due_at, met_at, running = self.now, self.due_at, self.met_at, Deadline.RUNNING
        kinds, statuses, explained = self.kinds, self.statuses, self.explained
        at = {record_id: index for index, record_id in enumerate(ids)}
        late, logs = [""] * count, [""] * count
        for record_id, kind, explanation, due, status, met, held in rows:
            due, met = due_at(due), met_at(met)
            index = at[record_id]
            if (status == running and due <= now) or (met is not None and met > due):
                late[index] = self.yes
            text = "%s %s 时限 %s %s%s" % (kinds[kind], explained[explanation],
                                         due.strftime("%Y-%m-%d %H:%M"), statuses[status],
                                         ("（挂起 %d 分钟）" % (held // 60)) if held else "")
            logs[index] = logs[index] + "；" + text if logs[index] else text
        return [text_cells(late, self.finish), text_cells(logs, self.finish)]


class ExportMixin:
    """A model view's 导出 (CSV and XLSX) of the rows its filters and search select."""

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
        fields = model._meta.sorted_fields
        if not is_sqlite():  # dates and times as the text SQLite stores (see stored_text)
            fields = [stored_text(f) for f in fields]
        query = query.select(*fields)
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

    def _export_customised(self):
        """Does this view format export cells its own way (then every cell goes through it)?"""
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
                values = chunk.columns[name]
                cells = [""] * len(values)
                present = [index for index, value in enumerate(values) if value is not None]
                if not present:  # most rows have no such deadline (yet): nothing to work out
                    return cells
                on_hold, statuses = chunk.columns.get("on_hold_since"), chunk.columns["status"]
                dues = {index: convert(values[index]) for index in present}
                exact = ()
                estimated = [index for index in present if estimate_note(dues[index])]
                if estimated:  # as on the grid: one query a chunk
                    records = chunk.records()
                    calendar_time_columns(records[estimated[0]], [records[i] for i in estimated])
                    exact = {index for index in estimated
                             if name in records[index].__dict__.get("_kefu_calendar_time", ())}
                for index in present:
                    cell = deadline_cell(dues[index], on_hold[index] if on_hold else None,
                                         statuses[index], open_states, now, index in exact)
                    cells[index] = cell.striptags() if isinstance(cell, Markup) else cell
                return text_cells(cells, finish)
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
        g.kefu_exporting = True
        columns = list(self._export_columns)
        with_clocks = bool(getattr(self.model, "deadline_columns", None))
        titles = [str(title) for _, title in columns]
        if with_clocks:
            titles += [str(_l("是否逾期")), str(_l("时限记录"))]
        now = clock.now()
        sees, related = sees_personal_data(), {}
        readers = [self._export_reader(name, finish, now, sees, related, dates) for name, _ in columns]
        clocks = ClockCells(self.model, now, finish) if with_clocks else None

        def chunks():
            with small_page_cache():
                for rows in self._export_rows():
                    chunk = ExportChunk(self.model, rows)
                    cells = [read(chunk) for read in readers]
                    if with_clocks:
                        cells += clocks.cells(chunk.columns["id"])
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
