"""Which rows a department-bound user (staff, managers) may see and write, per register."""
from flask_login import current_user

from peewee import Value

import access
from models import (ActionItem, Alert, Callback, Complaint, ComplaintPassOn, ComplaintUpdate, Contact,
                    CorrectiveAction, Department, RepairOrder, ServiceRequest, WorkLetter)

# Roles that see every department's rows; staff and managers see their department's.
HUB_ROLES = access.power("all_departments")
BY_DEPARTMENT = (Contact, RepairOrder, ServiceRequest, Complaint, ComplaintPassOn)


def row_scope(model, dept, user_id=None):
    """Return the condition on `model` for rows of department `dept`, or None if unscoped."""
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


def _operations():
    return Department.select(Department.id).where(Department.code == Department.OPERATIONS)


def _complaints_of(dept):
    return Complaint.select(Complaint.id).where(Complaint.department == dept)


def user_department():
    """Return the department id that limits this user's rows, or None for hub roles."""
    if not current_user.is_authenticated or current_user.has_role(*HUB_ROLES):
        return None
    return current_user.department_id or -1


def current_scope(model, write=False):
    """Return the condition limiting `model` for the logged-in user, or None."""
    dept = user_department()
    if dept is None:
        return None
    return (write_scope if write else row_scope)(model, dept, current_user.id)
