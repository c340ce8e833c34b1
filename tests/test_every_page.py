"""Every register's details page and history, with a record in every state, as every role:
no server error, no "None", no internal code a person would have to decode."""
import html
import re

import pytest

from audit import audit, snapshot
from conftest import ROLES
from database import write_transaction
from models import REGISTERS, ChoiceField

TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S)


def visible_text(page):
    """The words a person reads on a page (no markup, scripts or attribute values)."""
    return html.unescape(TAGS.sub(" ", page)).replace("Kefu Desk", "")


def views_by_model(app):
    admin = app.extensions["admin"][0]
    return {view.model: view for view in admin._views if getattr(view, "model", None) in REGISTERS}


def codes_of(model):
    """The internal codes of a register's coded fields that a screen must never show."""
    return {code for field in model._meta.sorted_fields if isinstance(field, ChoiceField)
            for code, _ in field.choices if re.fullmatch(r"[a-z][a-z_]{2,}", code)}


def with_history(record):
    """Give `record` a history that touches every column: created from nothing, then changed."""
    with write_transaction():
        audit("create", record, before={}, summary=str(record))
        before = snapshot(record)
        before.update({name: "" for name in before if name not in ("id",)})
        audit("update", record, before=before)


def records_in_every_state(model):
    """One record per state of `model` (demo data moved into each state by a raw UPDATE: the
    page must render whatever combination of columns is stored)."""
    status = model._meta.fields.get("status")
    first = model.select().order_by(model.id).first()
    if first is None:
        return []
    if not isinstance(status, ChoiceField):
        return [first]
    rows = []
    for code, _ in status.choices:
        record = model.select().where(model.status == code).first()
        if record is None:
            model.update(status=code).where(model.id == first.id).execute()
            record = model.get_by_id(first.id)
        rows.append(record)
    return rows


@pytest.mark.parametrize("model", REGISTERS, ids=lambda m: m.__name__)
def test_every_details_page_and_history_reads_as_words_for_every_role(app, login, model):
    view = views_by_model(app).get(model)
    if view is None:
        pytest.skip(f"{model.__name__} has no grid")
    clients = {role: login(role) for role in ROLES}
    codes = codes_of(model) | {model.__name__}
    for record in records_in_every_state(model):
        with_history(record)
        url = f"/admin/{view.endpoint}/details/?id={record.id}"
        for role, client in clients.items():
            for lang in ("zh", "en"):
                if lang == "en":
                    client.get("/lang/en")
                page = client.get(url)
                if lang == "en":
                    client.get("/lang/zh_Hans_CN")
                assert page.status_code < 500, (role, url, page.status_code)
                if page.status_code != 200:
                    continue
                text = visible_text(page.text)
                assert not re.search(r"\bNone\b", text), (role, lang, url)
                if lang == "zh":
                    shown = {code for code in codes if re.search(rf"(?<![\w/.]){code}(?![\w/.])", text)}
                    assert not shown, (role, url, record.status if hasattr(record, "status")
                                       else "", shown)
