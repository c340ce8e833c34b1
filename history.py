"""Audit rows as people read them: actions, registers, fields and values in words, never a code.

The stored rows stay raw and complete (audit.py writes them); this module only renders them,
for a record's history, the complaint's 处理经过, the audit-log grid and its export. Related
names are loaded once per page (one query per related register), and personal data is masked
for the roles that see it masked, exactly as the grids mask it.
"""
import json
import re

from flask import has_request_context
from peewee import BooleanField, ForeignKeyField

from i18n import gettext
from models import (ACTION_LABELS, AUDIT_ACTIONS, JOB_LABELS, REGISTERS, AuditLog, ChoiceField,
                    ComplaintGuideline, SegmentRule, SlaRule, SurveyQuestion, User,
                    action_label as action_source, register_name)
import reports
from privacy import mask, mask_text, personal_fields, sees_personal_data

REGISTER_BY_NAME = {model.__name__: model for model in REGISTERS}
ACTION_CODES = tuple(AUDIT_ACTIONS) + tuple(ACTION_LABELS)  # every action the console writes
# Kept in every stored row, but only bookkeeping to a reader.
# Kept in the row, not shown: the machinery, not what a person did (a session's generation
# moves on every logout and password change).
BOOKKEEPING = frozenset({"id", "version", "updated_at", "created_at", "session_epoch"})
HISTORY_LIMIT = 200
JSON_LINES_MAX = 12  # lines of a structured value shown in one history cell

# Names the audit rows store that are not a model's field (an `extra` of audit()).
EXTRA_LABELS = {"reason": "原因", "survey_threshold": "满意度整改线", "query": "导出行数",
                "filters": "搜索关键词"}
UNKNOWN_FIELD = "已停用的字段"
# Character fields holding codes of another list than their own (a register's class name, a
# rule's unit), as {field name: {code: label}}.
CODED_TEXT = {"limit_unit": dict(SlaRule.UNITS), "limit_clock": dict(SlaRule.CLOCKS)}
REGISTER_TEXT = frozenset({"record_type", "applies_to"})
# The keys of structured (JSON) values, in words.
JSON_KEYS = {"ticked": "符合的受理条件", "missing": "不符合的受理条件",
             **dict(SegmentRule.DIMENSIONS)}
# A raw name inside a summary ("RepairOrder XLSX 21 行", "survey_threshold：4 → 3").
SUMMARY_TOKENS = {**{name: model.verbose_name() for name, model in REGISTER_BY_NAME.items()},
                  "survey_threshold": "满意度整改线", **JOB_LABELS, "changed": "有变化",
                  "cleared": "已清除分群"}
SUMMARY_TOKEN_RE = re.compile(r"(?<![A-Za-z_])(%s)(?![A-Za-z_])" % "|".join(
    sorted(map(re.escape, SUMMARY_TOKENS), key=len, reverse=True)))
# A clock's explanation starts with its rule's code ("REP_ACCEPT：30分钟（自然时间）", sla.Limit).
RULE_PREFIX = re.compile(r"^([A-Z][A-Z0-9_]+)：")


def ui_strings():
    """Every label this module shows (for the English catalog's completeness test)."""
    strings = list(AUDIT_ACTIONS.values()) + list(ACTION_LABELS.values()) + ["其他操作"]
    strings += list(EXTRA_LABELS.values()) + list(JSON_KEYS.values()) + list(JOB_LABELS.values())
    strings += [UNKNOWN_FIELD, "系统", "是", "否", "已设置", "（共 %(n)s 项）", "有变化"]
    for model in REGISTERS:
        for field in model._meta.sorted_fields:
            strings.append(field_label(field, translate=False))
    for labels in CODED_TEXT.values():
        strings += labels.values()
    return strings


def action_label(code):
    """An audit action code as a verb in the request's language (登录, 新建, 退押金, …)."""
    return gettext(action_source(code))


def register_label(name):
    """A register's class name (as the audit rows and alerts store it) as its Chinese name."""
    return gettext(register_name(name)) if name in REGISTER_BY_NAME else (name or "")


def field_label(field, translate=True):
    """A field's verbose name without the storage note (“受理范围核对（JSON）” → 受理范围核对)."""
    label = re.sub(r"（JSON[^）]*）$", "", field.verbose_name or "") or UNKNOWN_FIELD
    return gettext(label) if translate else label


def sees_in_full(record=None):
    """Does the viewer see personal data in full (privacy owns the rule)?"""
    if not has_request_context():
        return False
    return sees_personal_data(record)


class Event:
    """One audit row in words: when, who, from where, what, on which record, and each change."""
    __slots__ = ("row", "when", "who", "ip", "action", "register", "record_id", "summary", "fields")

    def __init__(self, row, action, register, summary, fields, who=None):
        self.row, self.when, self.ip = row, row.created_at, row.ip or ""
        self.who = who or row.username or gettext("系统")  # the person's name, as on their records
        self.action, self.register, self.record_id = action, register, row.record_id or ""
        self.summary, self.fields = summary, fields

    def changes_text(self, separator="；"):
        """The changes on one line (a grid cell, an export, a conflict message)."""
        return separator.join("%s：%s" % (label, ("%s → %s" % (old, new)) if old else new)
                              for label, old, new in self.fields)


def _pairs(changes):
    """{name: [old, new]} or {name: value} of a stored row, as {name: (old, new)}."""
    pairs = {}
    for name, value in changes.items():
        if isinstance(value, list):
            old, new = (value + ["", ""])[:2]
        else:
            old, new = "", value
        pairs[name] = ("" if old is None else str(old), "" if new is None else str(new))
    return pairs


def _parse(row):
    try:
        changes = json.loads(row.changes) if row.changes else {}
    except ValueError:
        return {}
    return _pairs(changes) if isinstance(changes, dict) else {}


def _json(text):
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


class _Names:
    """The names of the related rows a page of audit rows mentions, loaded in one query per
    register; rules named by their code (a deadline's rule_code) in one more."""

    def __init__(self):
        self.wanted, self.found = {}, {}

    def want(self, model, key, by_code=False):
        if key not in ("", None):
            self.wanted.setdefault((model, by_code), set()).add(str(key))

    def load(self):
        for (model, by_code), keys in self.wanted.items():
            if by_code:
                rows = model.select(model.code, model.name).where(model.code.in_(list(keys)))
                self.found[model, by_code] = {r.code: r.name for r in rows}
                continue
            ids = [int(k) for k in keys if k.isdigit()]
            rows = model.select().where(model.id.in_(ids)) if ids else ()
            self.found[model, by_code] = {str(r.id): str(r) for r in rows}

    def name(self, model, key, by_code=False):
        return self.found.get((model, by_code), {}).get(str(key), str(key))


def describe(rows, record=None, sees=None):
    """Render audit rows as Events; `record` is the record whose history this is (its model
    then applies to every row), `sees` whether personal data shows in full (default: the
    viewer's right for `record`)."""
    rows = list(rows)
    if sees is None:
        sees = sees_in_full(record)
    parsed = [(row, type(record) if record is not None else REGISTER_BY_NAME.get(row.model),
               _parse(row)) for row in rows]
    names = _Names()
    for row, model, changes in parsed:
        if row.user_id:
            names.want(User, row.user_id)
        fields = model._meta.fields if model is not None else {}
        for name, (old, new) in changes.items():
            field = fields.get(name)
            if isinstance(field, ForeignKeyField):
                names.want(field.rel_model, old)
                names.want(field.rel_model, new)
            elif name in ("rule_code", "explanation"):
                for value in (old, new):
                    code = RULE_PREFIX.match(value) if name == "explanation" else None
                    names.want(SlaRule, code.group(1) if code else value, by_code=True)
            elif (model, name) == (REGISTER_BY_NAME["Complaint"], "scope_checked"):
                for value in (_json(old), _json(new)):
                    for key in ("ticked", "missing"):
                        for gid in (value or {}).get(key, []) if isinstance(value, dict) else ():
                            names.want(ComplaintGuideline, gid)
            elif name == "answers" and model is REGISTER_BY_NAME["SurveyResponse"]:
                for value in (_json(old), _json(new)):
                    for qid in value if isinstance(value, dict) else ():
                        names.want(SurveyQuestion, qid)
    names.load()
    events = []
    for row, model, changes in parsed:
        personal = personal_fields(model) if model is not None else {}
        fields = []
        for name, (old, new) in changes.items():
            if name in BOOKKEEPING:
                continue
            field = model._meta.fields.get(name) if model is not None else None
            if name in ("query", "filters") and row.action == "export":
                old = ""  # the raw URL and filter list stay in the row: the count, the search
                if not new:
                    continue
            label = field_label(field) if field is not None else gettext(
                EXTRA_LABELS.get(name, UNKNOWN_FIELD))
            old, new = (_value(model, name, field, v, names) for v in (old, new))
            if not sees:
                if name in personal:
                    old, new = mask(old, personal[name]), mask(new, personal[name])
                else:
                    old, new = mask_text(old), mask_text(new)
            if old == new:
                continue
            fields.append((label, old, new))
        summary = SUMMARY_TOKEN_RE.sub(lambda m: gettext(SUMMARY_TOKENS[m.group()]), row.summary or "")
        if not sees:
            summary = mask_text(summary)
        who = names.name(User, row.user_id) if row.user_id else None
        events.append(Event(row, action_label(row.action), register_label(row.model), summary,
                            fields, who))
    return events


def _value(model, name, field, text, names):
    """One stored value (text) in words."""
    if text == "":
        return ""
    if isinstance(field, ChoiceField):
        return gettext(field.label(text))
    if isinstance(field, BooleanField):
        return gettext("是") if text in ("True", "1", "true") else gettext("否")
    if isinstance(field, ForeignKeyField):
        return names.name(field.rel_model, text)
    if name == "rule_code":
        return names.name(SlaRule, text, by_code=True)
    if name == "explanation":
        return RULE_PREFIX.sub(lambda m: names.name(SlaRule, m.group(1), by_code=True) + "：", text)
    if name in REGISTER_TEXT:
        return register_label(text)
    if name in CODED_TEXT:
        return gettext(CODED_TEXT[name].get(text, text))
    if name == "password_hash":
        return gettext("已设置")
    if name == "roles" and model is User:
        roles = dict(User.ROLES)
        return "、".join(gettext(roles.get(r, r)) for r in text.split(",") if r)
    if field is not None and "JSON" in (field.verbose_name or ""):
        return _structured(model, name, text, names)
    return text


def _structured(model, name, text, names):
    """A JSON value as readable lines (one per key), never the JSON itself."""
    value = _json(text)
    if value is None:
        return text
    if name == "figures":  # the monthly complaint analysis reads as its own report's rows
        lines = ["%s·%s：%s" % (gettext(section), item, count)
                 for section, item, count in reports.report_rows(model(figures=text))]
    elif isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if name == "scope_checked":
                item = [names.name(ComplaintGuideline, gid) for gid in item or ()]
            elif name == "answers":
                key = names.name(SurveyQuestion, key)
            lines.append("%s：%s" % (gettext(JSON_KEYS.get(key, key)), _flat(item) or "—"))
    else:
        lines = [_flat(value)]
    if len(lines) > JSON_LINES_MAX:
        lines = lines[:JSON_LINES_MAX] + [gettext("（共 %(n)s 项）") % {"n": len(lines)}]
    return "\n".join(lines)


def _flat(value):
    if isinstance(value, dict):
        return "；".join("%s %s" % (k, _flat(v)) for k, v in value.items())
    if isinstance(value, list):
        return "、".join(_flat(v) for v in value)
    return "" if value is None else str(value)


def rows_of(record, limit=HISTORY_LIMIT):
    """A record's audit rows, newest first."""
    return (AuditLog.select().where((AuditLog.model == type(record).__name__)
                                    & (AuditLog.record_id == str(record.id)))
            .order_by(AuditLog.id.desc()).limit(limit))


def record_history(record):
    """A record's audit rows in words, newest first (its details page's 操作记录)."""
    return describe(rows_of(record), record=record)


# Access to the record is logged, not part of its story.
NOT_IN_STORY = frozenset({"unmask"})


def timeline(record, entries=()):
    """The record's story, oldest first, as (when, who, what, detail): its audit rows in words
    with `entries` (e.g. a complaint's progress entries and callbacks) merged in."""
    story = []
    for event in describe(reversed(list(rows_of(record))), record=record):
        if event.row.action in NOT_IN_STORY:
            continue
        detail = event.summary if event.row.action in ("escalate_reason", "scope_ok") \
            else event.changes_text()
        story.append((event.when, event.who, event.action, detail))
    story += [(when, who, gettext(what), detail) for when, who, what, detail in entries]
    return sorted(story, key=lambda e: e[0])


def explain(text):
    """A clock's explanation with its rule's name instead of its code (rules read once a request)."""
    code = RULE_PREFIX.match(text or "")
    if code is None:
        return text or ""
    from flask import g
    if has_request_context() and "kefu_rule_names" in g:
        rules = g.kefu_rule_names
    else:
        rules = dict(SlaRule.select(SlaRule.code, SlaRule.name).tuples())
        if has_request_context():
            g.kefu_rule_names = rules
    return rules.get(code.group(1), code.group(1)) + text[code.end() - 1:]


def event_of(row):
    """The Event of an audit-log grid row (rendered with its page by prepare(), else alone)."""
    event = row.__dict__.get("_kefu_event")
    if event is None:
        event = describe([row], sees=sees_in_full())[0]
        row.__dict__["_kefu_event"] = event
    return event


def prepare(rows):
    """Render a page (or an export chunk) of audit-log rows at once: one query per related
    register for all of them."""
    for row, event in zip(rows, describe(rows, sees=sees_in_full())):
        row.__dict__["_kefu_event"] = event
    return rows
