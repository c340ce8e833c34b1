"""The grids' filters: by customer, overdue and due-soon clocks, archived rows, foreign keys."""
from flask_admin.contrib.peewee import filters as pf
from peewee import DateField, DateTimeField

import clock
from i18n import _l
from models import Customer, Deadline
from privacy import sees_personal_data


def parse_id(value):
    """Return `value` as a positive 64-bit id, or None."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return pk if 0 < pk < 2 ** 63 else None


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


class ForeignKeyEqual(pf.FilterEqual):
    """Equality on a foreign key, chosen from a list; a hand-typed bad id is ignored."""
    url_name = "equal"

    def validate(self, value):
        return parse_id(value) is not None
