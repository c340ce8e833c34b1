"""The logged-in user's rows: the rule is flows.scopes, for every entry point."""
from flask_login import current_user

from flows.scopes import HUB_ROLES, department_of, row_scope, write_scope  # noqa: F401 (re-exported)


def user_department():
    """Return the department id that limits this user's rows, or None for hub roles."""
    if not current_user.is_authenticated:
        return None
    return department_of(current_user)


def current_scope(model, write=False):
    """Return the condition limiting `model` for the logged-in user, or None."""
    dept = user_department()
    if dept is None:
        return None
    return (write_scope if write else row_scope)(model, dept, current_user.id)
