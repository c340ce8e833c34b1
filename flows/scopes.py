"""Which rows a department-bound user (staff, managers) may see, change and take a step on: one
rule for every entry point (the console's grids and buttons, a phone page, an API).

Hub roles (access.power("all_departments")) and the system (no user) are not limited."""
from peewee import Value

import access
from models import (ActionItem, Alert, Callback, Complaint, ComplaintPassOn, ComplaintUpdate,
                    Contact, CorrectiveAction, Department, ItemLoan, RepairOrder, ServiceRequest,
                    WorkLetter)

HUB_ROLES = access.power("all_departments")
BY_DEPARTMENT = (Contact, RepairOrder, ServiceRequest, Complaint, ComplaintPassOn)


def department_of(user):
    """The department id that limits `user`'s rows (-1: a limited user with none), or None."""
    if user is None or user.has_role(*HUB_ROLES):
        return None
    return user.department_id or -1


def row_scope(model, dept, user_id=None):
    """The condition on `model` for rows of department `dept`, or None if unscoped."""
    if model in BY_DEPARTMENT:
        return model.department == dept
    if model is WorkLetter:
        return (WorkLetter.from_department == dept) | (WorkLetter.to_department == dept)
    if model is CorrectiveAction:  # operations supervises every department's (R-SUR-5)
        return (CorrectiveAction.department == dept) | Value(dept).in_(_operations())
    if model is ActionItem:  # operations tracks the agreed items of every department (R-COM-4)
        return (ActionItem.department == dept) | Value(dept).in_(_operations())
    if model is ComplaintUpdate:
        return ComplaintUpdate.complaint.in_(_complaints_of(dept))
    if model is Callback:
        return (Callback.repair_order.in_(RepairOrder.select(RepairOrder.id)
                                          .where(RepairOrder.department == dept))
                | Callback.complaint.in_(_complaints_of(dept)))
    if model is Alert:
        return (Alert.department == dept) | (Alert.assignee == user_id)
    return None


def write_scope(model, dept, user_id=None):
    """Rows a department may create or edit: a letter only from itself, else what it sees."""
    if model is WorkLetter:
        return WorkLetter.from_department == dept
    return row_scope(model, dept, user_id)


def own_department_field(model):
    """The field of `model` that says which department writes it (a department's staff file only
    their own: a new record's form starts with theirs there), or None."""
    if model is WorkLetter:
        return "from_department"
    if model in BY_DEPARTMENT or model in (CorrectiveAction, ActionItem):
        return "department"
    return None


def _operations():
    return Department.select(Department.id).where(Department.code == Department.OPERATIONS)


def _complaints_of(dept):
    return Complaint.select(Complaint.id).where(Complaint.department == dept)


def department_id(code, known=None):
    """The id of the department with `code`; `known` ({code: id}) keeps it for a request's rows."""
    known = {} if known is None else known
    if code not in known:
        known[code] = Department.select(Department.id).where(Department.code == code).scalar()
    return known[code]


def receiving(letter, dept, known=None):
    """Letters addressed to the department: it signs for and answers them."""
    return letter.to_department_id == dept


def warehouse(record, dept, known=None):
    """Department staff issue and take back items only as the warehouse (仓库保管员, R-LOAN-2)."""
    return dept == department_id(Department.WAREHOUSE, known)


def operations(record, dept, known=None):
    """Managers verify corrective actions only as operations (R-SUR-5)."""
    return dept == department_id(Department.OPERATIONS, known)


# {(register, step): scope(record, dept, known) -> bool}: steps whose rows are not the register's
# write scope. Every other step is taken on the rows the user may change.
STEP_SCOPES = {
    (WorkLetter, "acknowledge"): receiving,
    (WorkLetter, "reply"): receiving,
    (ItemLoan, "issue"): warehouse,
    (ItemLoan, "return_item"): warehouse,
    (CorrectiveAction, "verify"): operations,
    (CorrectiveAction, "reject_verification"): operations,
}


def in_scope(record, user, write=False):
    """May `user` see (or, `write`, change) `record`? One query for a limited user."""
    dept = department_of(user)
    if dept is None:
        return True
    model = type(record)
    condition = (write_scope if write else row_scope)(model, dept, user.id)
    return condition is None or model.select().where(
        (model.id == record.id) & condition).exists()


def may_step(record, name, user, known=None):
    """May `user` take step `name` on `record` as far as its rows go (its roles aside)?"""
    dept = department_of(user)
    if dept is None:
        return True
    scope = STEP_SCOPES.get((type(record), name))
    if scope is None:
        return in_scope(record, user, write=True)
    return scope(record, dept, known)
