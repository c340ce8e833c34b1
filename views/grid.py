"""A grid page's speed-ups: counting rows, the pager's total, a page's rows and related names
loaded in one query per related model, and the deadline cells the grids (and exports) show."""
import time
from datetime import datetime

from flask import g, has_app_context
from flask_admin.model import typefmt
from jinja2 import pass_context
from markupsafe import Markup, escape
from peewee import SQL, ForeignKeyField, fn

import clock
import sla
from i18n import _l
from models import CalendarYear, Deadline
from views.steps import ROW_ID, per_page


def estimate_note(due, limit=None):
    """估算：未含当年调休安排 for a deadline in a year whose arrangement is not confirmed, else ''
    (a due date typed by a person, or a clock of `limit` counting calendar time, is exact)."""
    if not isinstance(due, datetime) or (limit is not None and not sla.depends_on_calendar(limit)):
        return ""
    known = g.get("kefu_confirmed_years") if has_app_context() else None
    if known is None:
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


class GridMixin:
    """A model view's list page: per-row links built once, rows drawn in one call, a plain
    COUNT(*), and related names loaded once per related model."""

    def get_url(self, endpoint, **kwargs):
        """url_for; a grid's per-row links (details, edit) are built once per page and only
        the id put in for each row (url_for cost ~0.1 ms, twice per row)."""
        record_id = kwargs.get("id")
        if endpoint not in (".details_view", ".edit_view") or type(record_id) is not int:
            return super().get_url(endpoint, **kwargs)
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
