"""Write AuditLog rows: who did what to which record, with old and new values."""
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context, request
from flask_login import current_user

import clock
from models import AuditLog

SECRET_FIELDS = {"password_hash"}


def as_text(value):
    """Render a stored value as plain text (for audit rows and exports)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (date, Decimal)):
        return str(value)
    return str(value)


def snapshot(model):
    """Return {field: text} of a record's stored values (foreign keys as ids)."""
    values = {}
    for field in model._meta.sorted_fields:
        name = field.name
        raw = model.__data__.get(name)
        if name in SECRET_FIELDS:
            # Never the hash itself: a fingerprint of it, so that a change shows in the audit.
            raw = "***" + hashlib.sha256(raw.encode()).hexdigest()[:8] if raw else ""
        values[name] = as_text(raw)
    return values


def _actor():
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id, current_user.username
    return None, None


def audit(action, model=None, before=None, now=None, user=None, summary=None, extra=None):
    """Append one audit row for `action` on `model` (call inside the change's transaction)."""
    user_id, username = (user.id, user.username) if user is not None else _actor()
    changes = {}
    if model is not None:
        after = snapshot(model)
        before = before or {}
        changes = {k: [before.get(k, ""), v] for k, v in after.items()
                   if before.get(k, "") != v and k not in ("updated_at",)}
    if extra:
        changes.update(extra)
    AuditLog.create(
        created_at=now or clock.now(),
        updated_at=now or clock.now(),
        user=user_id,
        username=username,
        ip=request.remote_addr if has_request_context() else None,
        action=action,
        model=type(model).__name__ if model is not None else None,
        record_id=str(model.id) if model is not None and model.id is not None else None,
        summary=(summary or (str(model) if model is not None else ""))[:200],
        changes=json.dumps(changes, ensure_ascii=False) if changes else None,
    )

