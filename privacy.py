"""Personal data (R-ENQ-3, PIPL): which fields are personal, how they are masked, and who sees
them in full. Below the views, history, reports and exports, which all mask through it."""
import re
import time

from flask import g, session
from flask_login import current_user

import access
from models import Department, PhoneField, User

# Personal data (R-ENQ-3): the desk and the departments that call people back see it in full;
# the project and general managers may reveal one record at a time (audited); the auditor never.
PERSONAL_ROLES = access.power("personal_data")
UNMASK_ROLES = access.power("reveal")
UNMASKED_KEY = "kefu_unmasked"
UNMASK_SECONDS = 300  # a revealed record shows in full for five minutes


def personal_fields(model):
    """{field name: kind} of a register's personal data: customers' phones, ID numbers and
    addresses (a department's or an employee's own phone is not personal data here)."""
    if model in (Department, User):
        return {}
    fields = {f.name: "phone" for f in model._meta.sorted_fields if isinstance(f, PhoneField)}
    for name, kind in (("id_number", "id"), ("address", "address")):
        if name in model._meta.fields:
            fields[name] = kind
    return fields


def is_personal(field):
    """Is this model field personal data (see personal_fields)?"""
    model = getattr(field, "model", None)
    return model is not None and field.name in personal_fields(model) \
        and model._meta.fields.get(field.name) is field


def mask(value, kind):
    """138****0000; 110***********1234; the first six characters of an address."""
    text = "" if value is None else str(value)
    if not text:
        return ""
    if kind == "address":
        return text[:6] + "****"
    if len(text) <= 6:
        return "*" * (len(text) - 2) + text[-2:]
    keep = 4 if kind == "phone" else 4
    return text[:3] + "*" * (len(text) - 3 - keep) + text[-keep:]


# A phone or ID number written into free text (a note, a search, a report's label).
PERSONAL_IN_TEXT = re.compile(r"(?<![\d-])(1[3-9]\d{9}|0\d{2,3}-\d{7,8}|\d{17}[\dXx])(?![\d])")


def mask_text(text):
    """`text` with every phone or ID number in it masked as the field itself would be."""
    return PERSONAL_IN_TEXT.sub(lambda m: mask(m.group(), "phone"), text) if text else text


def sees_personal_data(record=None):
    """Does the logged-in user see `record`'s personal data in full?"""
    if not current_user.is_authenticated:
        return False
    if current_user.has_role(*PERSONAL_ROLES):
        return True
    if record is None or g.get("kefu_exporting"):
        return False  # a revealed record is for the screen, never for an export
    unmasked = session.get(UNMASKED_KEY) or ["", 0]
    return (unmasked[0] == "%s:%s" % (type(record).__name__, record.id)
            and time.time() - unmasked[1] < UNMASK_SECONDS)
