"""Open the database from a URL, apply migrations, seed reference data."""
import json
import logging
import os
import re
import sqlite3
import threading
import time
import zlib
from contextlib import ExitStack, contextmanager
from datetime import date, datetime

from peewee import (CharField, DateTimeField, IntegerField, InterfaceError, Model, OperationalError,
                    SqliteDatabase)
from playhouse.db_url import connect

import clock
import migrations_sql as frozen
import sla
# Today's models: the first schema of a new database (migration 1) and the reference data.
# The migrations after it never use them (tests/test_migrations.py checks).
from models import ALL_MODELS, CalendarDay, CalendarYear, Department, JobRun, Setting, SlaRule, db

log = logging.getLogger("kefu.database")

SQLITE_PRAGMAS = {
    "busy_timeout": 10000,
    "cache_size": -64000,
    "foreign_keys": 1,
    "synchronous": "normal",
    # A REPLACE that deletes a row fires the DELETE triggers (the audit log's refuse it).
    "recursive_triggers": 1,
}


class SchemaMigration(Model):
    """One applied schema migration."""
    version = IntegerField(primary_key=True)
    name = CharField(max_length=100)
    applied_at = DateTimeField(default=clock.now)

    class Meta:
        database = db
        table_name = "schema_migration"


def _initial_schema(database):
    """A new database: today's tables from today's models, with what the migrations added that
    the models do not declare (the audit log's guards, the open alerts' unique key, the shipped
    segment rules and scripts). Only for a database with no migration applied: migrate() then
    records every migration as applied."""
    database.create_tables(ALL_MODELS + (Setting, JobRun))
    _create(database, "imported_upload")  # the importer's own table (importer sits above us)
    _append_only_guards(database)
    _open_alert_key(database)
    _alert_statistics(database)
    _seed_segments_and_scripts(database, clock.now())


# ------------------------------------------------ frozen helpers: SQL, never today's models

def _dialect(database):
    return "sqlite" if isinstance(database, SqliteDatabase) else "postgres"


def _sql(database, sql, params=()):
    """Run `sql` written with ? placeholders on either database."""
    return database.execute_sql(sql.replace("?", database.param), params)


def _columns(database, table):
    return {c.name for c in database.get_columns(table)}


def _create(database, *tables):
    """Create the frozen tables `tables` where missing, with their frozen indexes."""
    for table in tables:
        database.execute_sql(frozen.TABLES[table][_dialect(database)])
        _indexes(database, table)


def _indexes(database, *tables):
    """Create the frozen indexes of `tables` whose columns the table has by now."""
    for table in tables:
        present = _columns(database, table)
        for columns, sql in frozen.INDEXES[table]:
            if set(columns) <= present:
                database.execute_sql(sql[_dialect(database)])


def _add(database, table, *columns):
    """Add the frozen columns `columns` where the table lacks them (a new database has them)."""
    present = _columns(database, table)
    for column in columns:
        if column in present:
            continue
        spec = frozen.COLUMNS[(table, column)]
        ddl, default = spec[_dialect(database)], spec["default"]
        if "NOT NULL" in ddl and "DEFAULT" not in ddl:
            # NOT NULL with its default in one ALTER: a rebuilt SQLite table would cascade
            # into the append-only audit log.
            ddl += " DEFAULT %s" % (default if isinstance(default, int) else
                                    "'%s'" % default.replace("'", "''"))
        database.execute_sql('ALTER TABLE "%s" ADD COLUMN %s' % (table, ddl))
        for indexed, sql in frozen.INDEXES.get(table, ()):
            if indexed == (column,):  # its own index (a foreign key's, a unique column's)
                database.execute_sql(sql[_dialect(database)])


def _drop_indexes(database, *names):
    for name in names:
        database.execute_sql('DROP INDEX IF EXISTS "%s"' % name)


def _widen_choices(database, table, column):
    """Replace the CHECK of a choice column with the frozen table's list of codes.

    PostgreSQL: drop the column's CHECK constraints and add the frozen one. SQLite cannot alter
    a constraint: the table is rebuilt from its frozen definition (only for tables nothing
    references)."""
    if _dialect(database) == "sqlite":
        old = [c.name for c in database.get_columns(table)]
        for index in database.get_indexes(table):
            database.execute_sql('DROP INDEX IF EXISTS "%s"' % index.name)
        database.execute_sql('ALTER TABLE "%s" RENAME TO "%s_old"' % (table, table))
        database.execute_sql(frozen.TABLES[table]["sqlite"])
        columns = ", ".join('"%s"' % c for c in old if c in _columns(database, table))
        database.execute_sql('INSERT INTO "%s" (%s) SELECT %s FROM "%s_old"' % (
            table, columns, columns, table))
        database.execute_sql('DROP TABLE "%s_old"' % table)
        _indexes(database, table)
        return
    check = re.search(r'CHECK \((%s IN \([^)]*\))\)' % column, frozen.TABLES[table]["postgres"]).group(1)
    for (name,) in database.execute_sql(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'c' "
            "AND pg_get_constraintdef(oid) LIKE %s", (table, "%%" + column + "%%")):
        database.execute_sql('ALTER TABLE "%s" DROP CONSTRAINT "%s"' % (table, name))
    database.execute_sql('ALTER TABLE "%s" ADD CONSTRAINT "%s_%s_check" CHECK (%s)' % (
        table, table, column, check))


def _work_calendar(database):
    """The working-day calendar as the data holds it, read with SQL (sla's own arithmetic)."""
    holidays, workdays = set(), set()
    for day, kind in _sql(database, "SELECT day, kind FROM calendar_day WHERE archived_at IS NULL"):
        day = day if isinstance(day, date) else date.fromisoformat(str(day)[:10])
        (holidays if kind == "holiday" else workdays).add(day)
    if "calendar_year" in database.get_tables():
        known = {int(y) for (y,) in _sql(database, "SELECT year FROM calendar_year")}
    else:  # before migration 14 the package's years were the known ones
        known = {d.year for d in holidays | workdays}
    hours = sla.DEFAULT_OPENING_HOURS
    if "setting" in database.get_tables():
        row = _sql(database, "SELECT value FROM setting WHERE key = ?", ("opening_hours",)).fetchone()
        if row and row[0]:
            parse = lambda text: datetime.strptime(text, "%H:%M").time()  # noqa: E731
            hours = {int(wd): tuple((parse(a), parse(b)) for a, b in spans)
                     for wd, spans in json.loads(row[0]).items()}
    return sla.WorkCalendar(frozenset(holidays), frozenset(workdays), frozenset(known),
                            opening_hours=hours)


def _datetime(value):
    return value if isinstance(value, datetime) or value is None else \
        datetime.fromisoformat(str(value))


# ------------------------------------------------------------------------ the migrations

def _clocks_and_holds(database):
    """Issue 3: stamped deadlines with their rule, holds, and the new deadline columns."""
    _create(database, "setting", "deadline", "hold", "complaint_guideline", "job_run")
    _add(database, "repair_order", "callback_deadline", "on_hold_since")
    _add(database, "service_request", "on_hold_since", "approved")
    _add(database, "complaint", "on_hold_since", "callback_deadline", "follow_up_from",
         "scope_checked")
    _add(database, "charge", "finance_deadline", "void_reason")
    _indexes(database, "repair_order", "charge", "complaint")  # (status, deadline): overdue lists
    # Decisions taken before the approved column existed.
    _sql(database, "UPDATE service_request SET approved = ? WHERE status = 'approved'", (True,))
    _sql(database, "UPDATE service_request SET approved = ? WHERE status = 'refused'", (False,))
    # Cash is handed to finance by the end of the charge's own day.
    _sql(database, "UPDATE sla_rule SET amount = 0 WHERE code = 'PAY_FINANCE' AND amount = 1")


def _escalation_levels(database):
    """Issue 5: escalation times on deadlines, the e-mailed level on alerts, alert indexes."""
    _add(database, "deadline", "level2_at", "level3_at", "level4_at")
    _add(database, "alert", "mailed_level")
    _indexes(database, "alert")
    calendar = _work_calendar(database)
    rows = list(_sql(database, "SELECT id, due_at, rule_code, limit_amount, limit_unit, limit_clock "
                               "FROM deadline WHERE status = 'running' AND level2_at IS NULL"))
    for id_, due_at, code, amount, unit, clock_kind in rows:
        levels = sla.escalation_times(_datetime(due_at), sla.Limit(code, amount, unit, clock_kind),
                                      calendar)
        _sql(database, "UPDATE deadline SET level2_at = ?, level3_at = ?, level4_at = ? WHERE id = ?",
             tuple(levels) + (id_,))


def _old_answer_rows(response_id, raw, questions):
    """Answer rows from a questionnaire stored as JSON before issue 6 ({question id: value});
    anything that is not a known question with a usable value is left out."""
    try:
        answers = json.loads(raw)
    except ValueError:
        return []
    if not isinstance(answers, dict):
        return []
    rows = []
    for key, value in answers.items():
        if not str(key).isdigit() or int(key) not in questions or value in (None, ""):
            continue
        kind = questions[int(key)][0]
        if kind == "rating":
            try:
                rating = float(value)
            except (TypeError, ValueError):
                continue
            if rating.is_integer() and 1 <= rating <= 5:
                rows.append((int(key), int(rating), None))
        else:
            rows.append((int(key), None, str(value)[:2000]))
    return rows


def _surveys_and_communication(database):
    """Issue 6: distributions, answers and attendees; plan clocks; notice receipts' deadline;
    each customer's last contact. Old JSON answers become answer rows. The plan clocks and the
    last contacts are derived data: recomputed after migrating (RECOMPUTE_AFTER)."""
    _create(database, "survey_distribution", "survey_answer", "meeting_attendee")
    _add(database, "survey", "sample_size", "paper_copies", "training_note", "closed_at",
         "filed_at", "approve_deadline", "training_deadline", "filing_deadline")
    _add(database, "survey_question", "template", "department_id")
    _add(database, "survey_response", "distribution_id", "respondent_kind", "area")
    _add(database, "corrective_action", "question_id", "done_note")
    _add(database, "notice", "confirm_deadline")
    _add(database, "action_item", "outcome")
    _add(database, "customer", "last_contact_at")
    _indexes(database, "customer", "notice_receipt", "survey")
    _widen_choices(database, "deadline", "kind")  # the plan and notice clocks are new kinds
    questions = {q: (kind, survey) for q, kind, survey in
                 _sql(database, "SELECT id, kind, survey_id FROM survey_question")}
    now = clock.now()
    for response, survey, raw, comments, customer in list(_sql(
            database, "SELECT id, survey_id, answers, comments, customer_id FROM survey_response "
                      "WHERE answers IS NOT NULL")):
        if _sql(database, "SELECT 1 FROM survey_answer WHERE response_id = ?", (response,)).fetchone():
            continue
        rows = _old_answer_rows(response, raw, questions)
        if comments:
            text = next((q for q, (kind, of) in questions.items()
                         if kind == "text" and of == survey), None)
            if text and not any(question == text for question, _, _ in rows):
                rows.append((text, None, comments[:2000]))
        for question, rating, text in rows:
            _sql(database, "INSERT INTO survey_answer (created_at, updated_at, response_id, "
                           "question_id, rating, text) VALUES (?, ?, ?, ?, ?, ?)",
                 (now, now, response, question, rating, text))
        if customer:
            _sql(database, "UPDATE survey_response SET respondent_kind = (SELECT kind FROM customer "
                           "WHERE id = ?), area = (SELECT floor FROM customer WHERE id = ?) WHERE id = ?",
                 (customer, customer, response))


APPEND_ONLY_TRIGGERS_SQLITE = (
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, '操作日志只能追加，不能修改'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, '操作日志只能追加，不能删除'); END",
)
APPEND_ONLY_TRIGGERS_POSTGRES = (
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION '操作日志只能追加，不能修改或删除'; END; $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
)

# The register tables of migration 5 (those a database had then; later ones are created with it).
VERSIONED_TABLES_5 = (
    "action_item", "alert", "calendar_day", "callback", "charge", "complaint", "complaint_guideline",
    "complaint_report", "complaint_update", "contact", "corrective_action", "customer", "deadline",
    "fee_item", "hold", "item_loan", "lendable_item", "meeting", "notice", "notice_receipt",
    "repair_order", "service_request", "sla_rule", "survey", "survey_distribution",
    "survey_question", "survey_response", "work_letter")


def _versions_and_append_only_audit(database):
    """Issue 7: a version on every register (optimistic locking); the database itself refuses
    to change or delete an audit row, whoever asks."""
    for table in VERSIONED_TABLES_5:
        _add(database, table, "version")
    for statement in (APPEND_ONLY_TRIGGERS_SQLITE if _dialect(database) == "sqlite"
                      else APPEND_ONLY_TRIGGERS_POSTGRES):
        database.execute_sql(statement)


# Issue 18: what the triggers of issue 7 left open. SQLite: INSERT OR REPLACE deleted a row
# without firing the DELETE trigger (recursive_triggers was off), so an INSERT that names an
# existing id is refused before any conflict handling. PostgreSQL: TRUNCATE fires no row trigger.
APPEND_ONLY_GUARDS_SQLITE = APPEND_ONLY_TRIGGERS_SQLITE + (
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_replace BEFORE INSERT ON audit_log "
    "WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) "
    "BEGIN SELECT RAISE(ABORT, '操作日志只能追加，不能覆盖已有的行'); END",
)
APPEND_ONLY_GUARDS_POSTGRES = APPEND_ONLY_TRIGGERS_POSTGRES + (
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
)
# The trigger names each database must have, enabled (checked by `verify-audit`).
APPEND_ONLY_GUARD_NAMES_SQLITE = ("audit_log_no_update", "audit_log_no_delete", "audit_log_no_replace")
APPEND_ONLY_GUARD_NAMES_POSTGRES = ("audit_log_append_only", "audit_log_no_truncate")


def _append_only_guards(database):
    for statement in (APPEND_ONLY_GUARDS_SQLITE if _dialect(database) == "sqlite"
                      else APPEND_ONLY_GUARDS_POSTGRES):
        database.execute_sql(statement)


def missing_append_only_guards():
    """The audit log's append-only triggers that are gone (or disabled, on PostgreSQL)."""
    if is_sqlite():
        present = {name for (name,) in db.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")}
        wanted = APPEND_ONLY_GUARD_NAMES_SQLITE
    else:
        present = {name for (name,) in db.execute_sql(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass "
            "AND NOT tgisinternal AND tgenabled <> 'D'")}
        wanted = APPEND_ONLY_GUARD_NAMES_POSTGRES
    return [name for name in wanted if name not in present]


def _tamper_evident_audit(database):
    """Issue 18: chain the audit log's rows by hash (backfilling the rows there are, with the
    UPDATE trigger lifted inside this transaction only), refuse REPLACE on SQLite and TRUNCATE
    on PostgreSQL. The chain is audit.py's (one writer, one hash: verify-audit checks it)."""
    from audit import backfill_chain  # audit imports this module (audit's hash, one writer)
    _add(database, "audit_log", "prev_hash", "row_hash")
    if _dialect(database) == "sqlite":
        database.execute_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
        backfill_chain()
        _append_only_guards(database)
        return
    _append_only_guards(database)  # creates the triggers where they are missing
    database.execute_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    backfill_chain()
    database.execute_sql("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")


# Segmentation as shipped (R-CRM-4): (code, dimension, order, metric, operator, threshold,
# level, kinds). The first matching rule of a dimension gives its level; admins tune these.
SEGMENT_RULES = [
    ("VALUE_RENT_HIGH", "value", 10, "monthly_rent", ">=", 50000, "高价值", "tenant,anchor"),
    ("VALUE_AREA_HIGH", "value", 20, "area_sqm", ">=", 1000, "高价值", "tenant,anchor"),
    ("VALUE_RENT_MID", "value", 30, "monthly_rent", ">=", 15000, "中价值", "tenant,anchor"),
    ("VALUE_PAID_MID", "value", 40, "paid_services_12m", ">=", 6, "中价值", "tenant,anchor"),
    ("VALUE_TENURE_MID", "value", 50, "tenure_months", ">=", 36, "中价值", "tenant,anchor"),
    ("ENG_SILENT", "engagement", 10, "days_since_contact", ">=", 90, "沉默", None),
    ("ENG_ACTIVE", "engagement", 20, "contacts_12m", ">=", 12, "活跃", None),
    ("ENG_LOW", "engagement", 30, "contacts_12m", "<=", 2, "低频", None),
    ("SAT_UNHAPPY", "satisfaction", 10, "callback_satisfaction", "<=", 2.5, "不满意", None),
    ("SAT_HAPPY", "satisfaction", 20, "callback_satisfaction", ">=", 4.5, "满意", None),
    ("SAT_SOME", "satisfaction", 30, "callback_satisfaction", ">", 0, "一般", None),
    ("SAT_FLOOR_LOW", "satisfaction", 40, "floor_survey_score", "<", 3.5, "偏低（调查）", None),
    ("SAT_FLOOR_OK", "satisfaction", 50, "floor_survey_score", ">", 0, "一般（调查）", None),
    ("RISK_ESCALATED", "risk", 10, "escalations_12m", ">=", 1, "高", None),
    ("RISK_REJECTED", "risk", 20, "rejected_results_12m", ">=", 1, "高", None),
    ("RISK_COMPLAINTS", "risk", 30, "complaints_12m", ">=", 3, "高", None),
    ("RISK_LEASE_END", "risk", 40, "lease_months_left", "<=", 6, "中", "tenant,anchor"),
    ("RISK_SAT_FALLING", "risk", 50, "satisfaction_change", "<=", -1, "中", None),
    ("RISK_COMPLAINED", "risk", 60, "complaints_12m", ">=", 1, "中", None),
]

# The script library as shipped (话术库): (trigger, topic, script). Placeholders: {客户} {编号}
# {事项} {时限} {状态} {进展}, filled on the caller screen ({进展}: what happens now, crm.progress).
CALL_SCRIPTS = [
    ("repair_open", "报修进度查询",
     "{客户}您好，您报修的 {事项}（{编号}）{进展}。处理有进展我们第一时间回复您。"),
    ("repair_callback", "维修完工回访",
     "{客户}您好，这里是客服中心。您报修的 {编号} 已完工，想跟您确认一下维修效果是否满意？"
     "如仍有问题，我们会立即重新派单。"),
    ("complaint_open", "投诉处理进展",
     "{客户}您好，非常抱歉给您带来不便。您反映的 {事项}（{编号}）{进展}。"
     "我已记录您本次来电，并请责任部门尽快与您联系。"),
    ("complaint_callback", "投诉处理结果回访",
     "{客户}您好，关于您投诉的 {事项}，我们已处理完毕，想了解您对处理结果是否认可，"
     "您的意见我们会如实记录。"),
    ("service_pending", "服务申请审批进度",
     "{客户}您好，您提交的 {事项}（{编号}）{进展}。"),
    ("loan_out", "借用物品归还与押金",
     "{客户}您好，关于{事项}（{编号}）：{进展}。归还后凭押金收据和借用证明办理退押金；"
     "超过免费时长将按收费标准收取费用。"),
    ("notice_pending", "通知确认",
     "{客户}您好，我们给您发了一份通知：{事项}，请确认是否已收到并知悉内容，我这边为您登记确认。"),
    ("survey_pending", "满意度调查问卷",
     "{客户}您好，商场正在进行满意度调查（{事项}），耽误您几分钟填写问卷，您的意见对我们很重要。"),
    ("action_item", "座谈会议定事项落实",
     "{客户}您好，座谈会上议定的 {事项}：{进展}，落实后我们会告知您结果。"),
    ("lease_ending", "租约到期与续租",
     "{客户}您好，您的租约即将到期，续租事宜请与营运部联系，我可以帮您预约营运部同事。"),
    ("repeat_contact", "近期同一事由再次来电",
     "{客户}您好，您近期就 {事项} 联系过我们，我这边能看到之前的记录，请问是同一件事情吗？"
     "我们会跟进到底。"),
    ("new_caller", "新来电客户",
     "您好，这里是商场客服中心，请问怎么称呼您？请留下联系电话，我为您登记。"),
    ("general", "一般咨询",
     "您好，这里是商场客服中心，请问有什么可以帮您？"),
]


# The shipped scripts of migration 6 that read a deadline as a promise even once it had passed
# (or the wrong state's); migration 11 replaces those still as shipped.
SCRIPTS_BEFORE_PROGRESS = {
    "repair_open": "{客户}您好，您报修的 {事项}（{编号}）当前状态为“{状态}”，物业维修人员须在 {时限} 前接单处理。"
                   "我这边马上再催促物业管理部，处理后第一时间回复您。",
    "complaint_open": "{客户}您好，非常抱歉给您带来不便。您反映的 {事项} 正在处理中（{状态}），"
                      "按规定须在 {时限} 前给您答复。我已记录您本次来电，并请责任部门尽快与您联系。",
    "service_pending": "{客户}您好，您提交的 {事项} 正在审批（{状态}），审批结果将于 {时限} 前书面交回给您。",
    "loan_out": "{客户}您好，您借用的 {事项} 请于用完后交回仓库，凭押金收据和借用证明办理退押金；"
                "超过免费时长将按收费标准收取费用。",
    "action_item": "{客户}您好，座谈会上议定的 {事项} 正在落实，完成期限为 {时限}，落实后我们会告知您结果。",
}


def _scripts_say_what_happens_now(database):
    """Issue 17: the shipped scripts say the matter's progress ({进展}), never a passed deadline;
    a script an owner has edited stays as they wrote it."""
    shipped = {trigger: script for trigger, _, script in CALL_SCRIPTS}
    for trigger, before in SCRIPTS_BEFORE_PROGRESS.items():
        _sql(database, "UPDATE call_script SET script = ?, updated_at = ? WHERE \"trigger\" = ? "
                       "AND script = ?", (shipped[trigger], clock.now(), trigger, before))


def _seed_segments_and_scripts(database, now):
    """The segment rules and the script library as shipped (an admin edits them afterwards)."""
    for code, dimension, seq, metric, op, threshold, level, kinds in SEGMENT_RULES:
        if not _sql(database, "SELECT 1 FROM segment_rule WHERE code = ?", (code,)).fetchone():
            _sql(database, "INSERT INTO segment_rule (created_at, updated_at, code, dimension, seq, "
                           "metric, \"operator\", threshold, \"level\", kinds, is_active, version) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                 (now, now, code, dimension, seq, metric, op, threshold, level, kinds, True))
    if not _sql(database, "SELECT 1 FROM call_script").fetchone():
        for trigger, topic, script in CALL_SCRIPTS:
            _sql(database, "INSERT INTO call_script (created_at, updated_at, \"trigger\", topic, script, "
                           "seq, is_active, version) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                 (now, now, trigger, topic, script, 1, True))


def _customer_relationship(database):
    """Issue 9: segment columns on customers, the script library and the segment rules."""
    _create(database, "call_script", "segment_rule")
    _add(database, "customer", "value_segment", "engagement_segment", "satisfaction_segment",
         "risk_segment", "segment_reasons", "segmented_at")
    _seed_segments_and_scripts(database, clock.now())


def refresh_planner_statistics(database):
    """Give the query planner statistics (ANALYZE). SQLite has none until asked, and then
    guesses: at a million clocks its guesses cost minutes (bench/RESULTS.md J1). A full
    ANALYZE reads every index once (about 5 s for a year of a busy mall); a sampled one
    (analysis_limit) reads only each index's first rows and gave plans as bad as none.
    PostgreSQL's autovacuum keeps its own statistics; asking here only hurries it."""
    database.execute_sql("ANALYZE")


def _indexes_for_scale(database):
    """Issue 8: a record's clocks are found by (record, status) and a rule's by (rule code,
    status, time); a customer's latest contact is one seek. The single-column rule_id indexes
    on deadline and alert go, since without statistics SQLite preferred them for the jobs'
    correlated subqueries and walked every clock of a rule per alert (minutes at 2M clocks);
    then the planner gets its statistics."""
    _drop_indexes(database, "deadline_rule_id", "alert_rule_id", "deadline_record_type_record_id_kind",
                  "contact_customer_id")
    _indexes(database, "deadline", "alert", "contact")
    refresh_planner_statistics(database)


def _grid_indexes(database):
    """Issue 8: indexes the grids, their search and the dashboard read from: the alert grid's
    order, one register's running clocks in due order, the customer grid's order, every phone
    the search box matches by prefix (views.search), and the dashboard's open counts."""
    _indexes(database, "alert", "deadline", "customer", "repair_order", "service_request",
             "item_loan", "complaint", "charge")
    refresh_planner_statistics(database)  # the new indexes join the statistics


def _rerun_indexes(database):
    """Issue 8: what a rerun of the jobs reads comes from small indexes alone: the running
    clocks (a partial index), each record's alerts by rule, the open alerts, a complaint's
    updates by time and the customers by kind and status with their last contact. Three
    indexes they extend go."""
    _drop_indexes(database, "alert_record_type_record_id_kind", "complaint_update_complaint_id",
                  "customer_kind_status")
    _indexes(database, "deadline", "alert", "complaint_update", "customer")
    refresh_planner_statistics(database)


def _overdue_filter_indexes(database):
    """Issue 8: the 已逾期 filter of a register with holds counts from its (status, deadline)
    indexes alone once they carry `on_hold_since` (it read ~2k table rows a grid page); the
    open alerts of a person and of a department are indexed in the dashboard's order; the
    open complaints by the day their daily follow-ups begin (the jobs' rerun: 110 -> 55 ms)."""
    drop = {"repair_order": ("accept_deadline", "callback_deadline"),
            "service_request": ("handback_deadline",),
            "complaint": ("start_deadline", "resolve_deadline", "callback_deadline")}
    for table, columns in drop.items():
        _drop_indexes(database, *("%s_status_%s" % (table, column) for column in columns))
        _indexes(database, table)
        database.execute_sql('ANALYZE "%s"' % table)
    # The dashboard's alerts: a person's and a department's, in priority order.
    _drop_indexes(database, "alert_status_assignee_id", "alert_status_department_id")
    _indexes(database, "alert")
    database.execute_sql('ANALYZE "alert"')


def _procedure_rules(database):
    """Issue 22: a repair's category and completion deadline (R-REP-5); the answer to an
    enquirer after a department's reply (R-ENQ-1/2); a major complaint's clock is the project
    manager starting the handling, not the report (R-CMP-1)."""
    _add(database, "repair_order", "category", "complete_deadline")
    _indexes(database, "repair_order")
    _add(database, "contact", "answer_deadline", "answered_at", "answer_method", "answer",
         "answered_by_id")
    _indexes(database, "contact")
    old = _sql(database, "SELECT id, amount, unit, clock, warn_percent FROM sla_rule "
                         "WHERE code = 'CMP_MAJOR_REPORT'").fetchone()
    if old is None:
        return
    # The rule keeps its id (alerts and clocks refer to it); a 0-minute limit becomes 1 hour,
    # and clocks still running are restamped from their start under it.
    rule_id, amount, unit, clock_kind, warn_percent = old
    amount, unit = (1, "hours") if amount == 0 else (amount, unit)
    _sql(database, "UPDATE sla_rule SET code = 'CMP_MAJOR_START', name = ?, amount = ?, unit = ? "
                   "WHERE id = ?", ("重大投诉项目经理主持启动处理", amount, unit, rule_id))
    limit = sla.Limit("CMP_MAJOR_START", amount, unit, clock_kind)
    calendar = _work_calendar(database)
    for clock_id, started_at in list(_sql(database, "SELECT id, started_at FROM deadline "
                                                    "WHERE rule_id = ? AND status = 'running'",
                                          (rule_id,))):
        started_at = _datetime(started_at)
        due = sla.deadline(started_at, limit, calendar)
        levels = sla.escalation_times(due, limit, calendar)
        _sql(database, "UPDATE deadline SET rule_code = ?, limit_amount = ?, limit_unit = ?, "
                       "limit_clock = ?, explanation = ?, original_due_at = ?, due_at = ?, "
                       "warn_at = ?, level2_at = ?, level3_at = ?, level4_at = ? WHERE id = ?",
             (limit.code, limit.amount, limit.unit, limit.clock, limit.describe(), due, due,
              sla.due_soon_at(started_at, due, warn_percent)) + tuple(levels) + (clock_id,))
    _sql(database, "UPDATE deadline SET rule_code = ? WHERE rule_id = ?", (limit.code, rule_id))


def _sessions_end_server_side(database):
    """Issue 18: a session epoch per user (logout, new password and disabling end sessions)
    and the login attempts the throttle counts before it checks a password."""
    _add(database, "user", "session_epoch")
    _create(database, "login_attempt")


def _confirmed_calendar_years(database):
    """Issue 20: a year is known only once confirmed complete; the package's years are."""
    _create(database, "calendar_year")
    _widen_choices(database, "calendar_day", "source")  # days from the State Council notice
    now = clock.now()
    years = sorted({int(str(day)[:4]) for (day,) in _sql(
        database, "SELECT day FROM calendar_day WHERE source = 'package'")})
    for year in years:
        if not _sql(database, "SELECT 1 FROM calendar_year WHERE year = ?", (year,)).fetchone():
            _sql(database, "INSERT INTO calendar_year (created_at, updated_at, year, source, "
                           "confirmed_at) VALUES (?, ?, ?, 'package', ?)", (now, now, year, now))


def _form_tokens(database):
    """Issue 19: forms' one-time tokens, unique, so a form submitted twice saves once."""
    _create(database, "form_token")


def _job_attempts(database):
    """Issue 21: a failed job run is retried in its slot; the claim counts its attempts.
    Plain SQL (a migration must not depend on today's models)."""
    if "attempts" not in _columns(database, "job_run"):
        database.execute_sql("ALTER TABLE job_run ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1")


def _own_cadence_and_attendance(database):
    """Issue 22, R-COM-3: only the responsible department's own communication keeps its
    cadence (a column of its own; filled from the registers after migrating, RECOMPUTE_AFTER:
    left empty, every customer would be overdue until the night's refresh); staff attending a
    meeting, by user."""
    _create(database, "meeting_staff")
    _add(database, "customer", "cadence_contact_at")
    _indexes(database, "customer")


# What makes an open alert the same alert (the jobs raise them; migration 16): its record,
# its clock (rule, and the moment missed: a due time, a warning time, a missed follow-up day)
# and its kind. Reminders and escalations are raised by people's steps, one per event.
OPEN_ALERT_INDEX = "alert_open_once"
OPEN_ALERT_KEY = ('record_type, record_id, COALESCE(rule_id, 0), kind, since',
                  "status = 'open' AND kind IN ('overdue', 'due_soon')")


def _open_alert_key(database):
    columns, where = OPEN_ALERT_KEY
    database.execute_sql('CREATE UNIQUE INDEX IF NOT EXISTS "%s" ON "alert" (%s) WHERE %s'
                         % (OPEN_ALERT_INDEX, columns, where))


def _open_alerts_once(database):
    """Issue 19: an open alert is unique per record, clock and kind in the database itself
    (two `run-jobs` at once on PostgreSQL raised thousands twice). Duplicates already there
    are resolved (the oldest stays open), and the migration's audit row counts them."""
    from audit import audit  # audit imports this module (the log's one writer)
    duplicates = [row[0] for row in database.execute_sql(
        "SELECT a.id FROM alert a WHERE a.status = 'open' AND a.kind IN ('overdue', 'due_soon') "
        "AND EXISTS (SELECT 1 FROM alert b WHERE b.status = 'open' AND b.kind = a.kind "
        "AND b.record_type = a.record_type AND b.record_id = a.record_id "
        "AND COALESCE(b.rule_id, 0) = COALESCE(a.rule_id, 0) AND b.since = a.since "
        "AND b.id < a.id)")]
    now = clock.now()
    for start in range(0, len(duplicates), 500):
        chunk = duplicates[start:start + 500]
        _sql(database, "UPDATE alert SET status = 'resolved', resolved_at = ?, updated_at = ?, "
                       "resolution_note = ? WHERE id IN (%s)" % ", ".join("?" * len(chunk)),
             (now, now, "重复提醒，系统自动解除") + tuple(chunk))
    _open_alert_key(database)
    if duplicates:
        audit("resolve_alert", None, now=now,
              summary="数据库迁移 16：重复的未处理提醒 %d 条已自动解除" % len(duplicates))


def _imports_count_once(database):
    """Issue 19: a table of consumed upload tokens (an upload is imported once) and a unique
    key on live customers where the importer matches them (by shop number and name, else by
    name and phone). Live duplicates made before are not guessed between: all but the first
    registered of each are archived, with a reason naming the one kept, for a clerk to merge
    their records by hand."""
    from audit import audit_record  # audit imports this module (the log's one writer)
    _create(database, "imported_upload")
    now, kept = clock.now(), {}
    for id_, name, shop_no, phone in list(_sql(
            database, "SELECT id, name, shop_no, phone FROM customer WHERE archived_at IS NULL "
                      "ORDER BY id")):
        key = ("shop", shop_no, name) if shop_no else ("no_shop", name, phone or "")
        if key not in kept:
            kept[key] = (id_, name)
            continue
        reason = "与客户 #%d %s 重复（升级时归档，请核对后合并）" % kept[key]
        _sql(database, "UPDATE customer SET archived_at = ?, archive_reason = ?, "
                       "version = COALESCE(version, 0) + 1 WHERE id = ?", (now, reason[:200], id_))
        audit_record("archive", "Customer", id_, now=now, summary=reason,
                     changes={"archived_at": ["", str(now)], "archive_reason": ["", reason[:200]]})
    _indexes(database, "customer")


def _shift_handover_and_warehouse(database):
    """Issue 22 (R-PAY-2, R-LOAN-2/3): shift handover records, charges joined to them, the
    warehouse's issue step and who returned and refunded a loan."""
    _create(database, "shift_handover")
    _add(database, "charge", "handover_id")
    _add(database, "item_loan", "issued_by_id", "returned_to_id", "refunded_by_id", "fee_charge_id")
    _widen_choices(database, "item_loan", "status")


def _complaint_pass_on(database):
    """Issue 22 (R-CMP-3): complaints other staff pass on to the desk, and their clock."""
    _create(database, "complaint_pass_on")  # its SlaRule: seed_reference_data


def _columns_the_models_gave_up(database):
    """Issue 21: what the first schemas had that the models later dropped or relaxed without a
    migration (an upgraded database refused every audit row and every new survey): the audit
    log's `at` (created_at holds the time) and the lendable items' `free_minutes` go, and a
    survey's paper copies may be left empty."""
    for table, column in (("audit_log", "at"), ("lendable_item", "free_minutes")):
        if column in _columns(database, table):
            _drop_indexes(database, "%s_%s" % (table, column))
            database.execute_sql('ALTER TABLE "%s" DROP COLUMN "%s"' % (table, column))
    survey = {c.name: c for c in database.get_columns("survey")}
    if "paper_copies" in survey and not survey["paper_copies"].null:
        if _dialect(database) == "postgres":
            database.execute_sql('ALTER TABLE "survey" ALTER COLUMN "paper_copies" DROP NOT NULL')
            return
        # SQLite alters no NOT NULL: the values move to a nullable column of the same name.
        database.execute_sql('ALTER TABLE "survey" ADD COLUMN "paper_copies_" INTEGER')
        database.execute_sql('UPDATE "survey" SET "paper_copies_" = "paper_copies"')
        database.execute_sql('ALTER TABLE "survey" DROP COLUMN "paper_copies"')
        database.execute_sql('ALTER TABLE "survey" RENAME COLUMN "paper_copies_" TO "paper_copies"')


# Derived values a migration leaves to the job that computes them today, run after migrating
# (app.prepare_database): the rule that derives them has one home, and follows it.
RECOMPUTE_AFTER = {
    4: ("last_contacts", "survey_plan_clocks"),
    22: ("last_contacts",),  # the cadence contact is refreshed with the last contact
}


def recomputations(applied):
    """The derived values to recompute after the migrations `applied` (none on a new database)."""
    if 1 in applied:
        return []
    names = []
    for version in applied:
        names += [n for n in RECOMPUTE_AFTER.get(version, ()) if n not in names]
    return names


# Issue 23: the jobs' rerun reads the running clocks from partial indexes alone. Plain SQL,
# the same on SQLite and PostgreSQL (models: Deadline.running_clock_index, running_by_rule_index).
RUNNING_CLOCK_INDEXES = (
    'DROP INDEX IF EXISTS "deadline_running_clock"',
    'CREATE INDEX IF NOT EXISTS "deadline_running_clock" ON "deadline" ("record_type", '
    '"record_id", "rule_id", "status", "kind", "due_at", "warn_at", "level2_at", "level3_at", '
    '"level4_at") WHERE ("status" = \'running\')',
    'CREATE INDEX IF NOT EXISTS "deadline_running_by_rule" ON "deadline" ("rule_code", "status", '
    '"due_at", "warn_at", "record_type", "record_id", "rule_id") WHERE ("status" = \'running\')',
)


def _index_migration(database, statements, indexes, tables):
    """Run an index migration's `statements`, then give the planner the statistics it weighs
    the new `indexes` by (SQLite: those indexes; PostgreSQL: their `tables`)."""
    for sql in statements:
        database.execute_sql(sql)
    if isinstance(database, SqliteDatabase):
        for name in indexes:
            database.execute_sql('ANALYZE "%s"' % name)
    else:
        for table in tables:
            database.execute_sql('ANALYZE "%s"' % table)


def _running_clock_indexes(database):
    """Issue 23: a rerun of the jobs that changes nothing reads no row of the 2M clocks."""
    _index_migration(database, RUNNING_CLOCK_INDEXES,
             ("deadline_running_clock", "deadline_running_by_rule"), ("deadline",))


# Issue 23: the dashboard's open / overdue counts read indexes alone again (the repair orders'
# completion clock, issue 22, and the desk's open contacts, issue 21, had sent them to the rows),
# and the overdue contacts are found among those awaiting an answer.
DASHBOARD_INDEXES = (
    'DROP INDEX IF EXISTS "repair_order_status_archived_at_department_id_on_hold_si_03382b4"',
    'CREATE INDEX IF NOT EXISTS "repair_order_status_archived_at_department_id_on_hold_si_bec4f1a" '
    'ON "repair_order" ("status", "archived_at", "department_id", "on_hold_since", '
    '"accept_deadline", "callback_deadline", "complete_deadline")',
    'CREATE INDEX IF NOT EXISTS "contact_status_archived_at_answer_deadline" ON "contact" '
    '("status", "archived_at", "answer_deadline")',
    # The overdue contacts: the few awaiting an answer, not every transferred one of the years.
    'CREATE INDEX IF NOT EXISTS "contact_answer_due" ON "contact" ("status", "answer_deadline") '
    'WHERE ("answer_deadline" IS NOT NULL)',
)


def _dashboard_indexes(database):
    """Issue 23: the dashboard counts open and overdue records from indexes alone."""
    _index_migration(database, DASHBOARD_INDEXES,
             ("repair_order_status_archived_at_department_id_on_hold_si_bec4f1a",
              "contact_status_archived_at_answer_deadline", "contact_answer_due"),
             ("repair_order", "contact"))


# Issue 23: whether a running clock's escalation time passed in the last minute is an index
# probe (jobs.quiet). Partial: the running clocks only (models: Deadline.running_time_indexes).
RUNNING_TIME_INDEXES = tuple(
    sql.format(level=level) for level in ("level2", "level3", "level4") for sql in (
        'DROP INDEX IF EXISTS "deadline_running_{level}"',
        'CREATE INDEX IF NOT EXISTS "deadline_running_{level}" ON "deadline" ("{level}_at") '
        'WHERE (("status" = \'running\') AND ("{level}_at" IS NOT NULL))'))


def _running_time_indexes(database):
    """Issue 23: a minute in which nothing changed and no clock passed is found in milliseconds."""
    _index_migration(database, RUNNING_TIME_INDEXES,
                     ("deadline_running_level2", "deadline_running_level3", "deadline_running_level4"),
                     ("deadline",))


# Issue 21: the corrective action's month (R-SUR-5) becomes a time-limit rule the admin edits.
# Its values as they shipped (seed_reference_data adds it to a new database).
CORRECTIVE_ACTION_RULE_27 = ("SUR_CORRECTIVE", "纠正措施完成期限", "R-SUR-5", "CorrectiveAction",
                             "调查结果提出纠正措施", "calendar", 30, "calendar_days", 75)


def _corrective_action_rule(database):
    """Issue 21: a survey's corrective action is due under the rule SUR_CORRECTIVE (a month,
    as before), no longer a fixed 30 days in the code. Added where missing; plain SQL."""
    code = CORRECTIVE_ACTION_RULE_27[0]
    if _sql(database, "SELECT 1 FROM sla_rule WHERE code = ?", (code,)).fetchone():
        return
    now = clock.now()
    _sql(database, "INSERT INTO sla_rule (created_at, updated_at, version, code, name, rule_ref, "
                   "applies_to, starts_on, clock, amount, unit, warn_percent, is_active) "
                   "VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
         (now, now) + CORRECTIVE_ACTION_RULE_27 + (True,))


# Issue 23: PostgreSQL's planner multiplied the selectivities of an alert's status, kind,
# register and rule as if unrelated: it took the 22k open cadence alerts of the tenants for 209
# and probed a customer for each (70 ms), where a join with the few contacted ones took 1 ms.
# Their combinations' counts (most common values) put that right. SQLite has nothing alike.
ALERT_STATISTICS = ('CREATE STATISTICS IF NOT EXISTS "alert_status_kind_register_rule" (mcv) '
                    'ON "status", "kind", "record_type", "rule_id" FROM "alert"')
# Nothing reads alerts by when or by whom they were made or resolved; each index was written
# for every alert the jobs raise or escalate (50–100 µs an alert on PostgreSQL at three years).
UNREAD_ALERT_INDEXES = ("alert_created_at", "alert_created_by_id", "alert_resolved_by_id")


def _alert_statistics(database):
    if _dialect(database) == "postgres":
        database.execute_sql(ALERT_STATISTICS)


def _cheaper_alerts(database):
    """Issue 23: an alert costs three indexes fewer to write; PostgreSQL counts the open alerts
    of each kind, register and rule right."""
    _drop_indexes(database, *UNREAD_ALERT_INDEXES)
    _alert_statistics(database)
    if _dialect(database) == "postgres":
        database.execute_sql('ANALYZE "alert"')


# Append-only: (version, name, function(database)). Each says in SQL (migrations_sql) what it
# did when it shipped, never through today's models, so that it means the same forever. A new
# database skips them: migration 1 creates today's schema and every one is recorded as applied.
MIGRATIONS = [
    (1, "initial schema", _initial_schema),
    (2, "deadlines, holds, guideline, job runs and deadline columns", _clocks_and_holds),
    (3, "escalation levels and alert e-mail", _escalation_levels),
    (4, "surveys and customer communication", _surveys_and_communication),
    (5, "record versions and an append-only audit log", _versions_and_append_only_audit),
    (6, "segments, script library and segment rules", _customer_relationship),
    (7, "indexes for the jobs at scale", _indexes_for_scale),
    (8, "indexes for grids and search", _grid_indexes),
    (9, "indexes for the jobs' rerun", _rerun_indexes),
    (10, "indexes for the overdue filters, my alerts and daily follow-ups", _overdue_filter_indexes),
    (11, "call scripts that say what happens now", _scripts_say_what_happens_now),
    (12, "a tamper-evident audit log: hash chain, no REPLACE, no TRUNCATE", _tamper_evident_audit),
    (13, "session epochs and counted login attempts", _sessions_end_server_side),
    (14, "confirmed calendar years and days from the State Council notice", _confirmed_calendar_years),
    (15, "one-time form tokens: a form submitted twice saves once", _form_tokens),
    (16, "an open alert once per record, clock and kind", _open_alerts_once),
    (17, "uploads imported once, live customers unique where imports match them",
     _imports_count_once),
    (18, "shift handover and the warehouse's loan steps", _shift_handover_and_warehouse),
    (19, "procedure rules of issue 22: repair completion, enquiry answers, major complaints' start",
     _procedure_rules),
    (20, "a failed job run is retried: attempts per claim", _job_attempts),
    (21, "complaints passed on to the desk by other staff (R-CMP-3)", _complaint_pass_on),
    (22, "a cadence kept by the responsible department's own communication; staff attendance",
     _own_cadence_and_attendance),
    (23, "columns the models dropped or relaxed without a migration", _columns_the_models_gave_up),
    (24, "the running clocks' indexes cover what the jobs read", _running_clock_indexes),
    (25, "the dashboard's counts read indexes alone; overdue contacts among those awaiting an answer",
     _dashboard_indexes),
    (26, "whether a running clock's escalation time passed is an index probe", _running_time_indexes),
    (27, "the corrective action's due date is a time-limit rule (SUR_CORRECTIVE)", _corrective_action_rule),
    (28, "alerts written with fewer indexes; PostgreSQL's statistics of open alerts by kind and rule",
     _cheaper_alerts),
]


def open_database(url):
    """Open the database at a playhouse.db_url URL and bind the models to it.

    Connections are pooled (playhouse.pool): a request takes one and gives it back, so it
    does not open a connection, set the pragmas and parse the schema each time (2.5 ms of a
    request on SQLite, a backend process on PostgreSQL). A connection handed back inside a
    transaction is rolled back first. `:memory:` is not pooled: each connection would be a
    database of its own."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            url = "sqlite+pool:///" + path
            switch_to_wal(path)
        # timeout: sqlite3's own busy wait, in force before the first pragma runs. A pooled
        # connection serves one thread at a time, but not always the thread that opened it.
        database = connect(url, pragmas=SQLITE_PRAGMAS, timeout=10, check_same_thread=False,
                           max_connections=None)
        if path and path != ":memory:":
            keep_private(path)
    elif url.startswith(("postgresql://", "postgres://")):
        # No JIT: the console's statements are short, and PostgreSQL compiled one whose cost
        # estimate crossed jit_above_cost for 300 ms to run it in 60 (the escalation UPDATE
        # over an open alert each, at scale 3). An options= in the URL is the site's own.
        extra = {} if "options=" in url else {"options": POSTGRES_OPTIONS}
        database = connect(url.replace("://", "+pool://", 1), max_connections=None, **extra)
    else:
        database = connect(url)
    previous = db.obj
    db.initialize(database)
    if previous is not None and hasattr(previous, "close_all"):
        previous.close_idle()  # a test or the bench opened another database in this process
    return database


POSTGRES_OPTIONS = "-c jit=off"


def switch_to_wal(path, timeout=10, attempts=200):
    """Put the SQLite file in WAL mode (it stays so: later connections need not ask).

    Not a per-connection pragma: the switch takes the file's exclusive lock, and when two
    workers starting at once both hold a read lock and ask for it, SQLite refuses one of
    them at once ("database is locked") without waiting out the busy timeout, because
    waiting could deadlock. The refused one tries again here after the other has switched."""
    for attempt in range(attempts):
        connection = sqlite3.connect(path, timeout=timeout)
        try:
            mode = connection.execute("PRAGMA journal_mode=wal").fetchone()[0]
            if mode == "wal":
                return
            raise sqlite3.OperationalError("journal mode stayed %s" % mode)
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or attempt == attempts - 1:
                raise
        finally:
            connection.close()
        time.sleep(0.05)


def keep_private(path):
    """The SQLite file and its WAL and shared-memory files: readable by the console's user only
    (the umask set at start covers files created later)."""
    for name in (path, path + "-wal", path + "-shm"):
        if os.path.exists(name):
            os.chmod(name, 0o600)


def is_sqlite():
    return isinstance(db.obj, SqliteDatabase)


@contextmanager
def small_page_cache(kib=8000):
    """SQLite: a small page cache on this connection while one long scan runs (an export reads
    each page once; the 64 MB cache would only fill with them, and the memory is better spent
    on the export's own name lookups). Put back as it was afterwards."""
    if not is_sqlite():
        yield
        return
    before = db.execute_sql("PRAGMA cache_size").fetchone()[0]
    db.execute_sql("PRAGMA cache_size=%d" % -kib)
    try:
        yield
    finally:
        db.execute_sql("PRAGMA cache_size=%d" % before)


class Turn(threading.local):
    """The worker's page slot this thread holds (app.RequestGate), if any. A thread that waits
    for the database's write lock, or a long bulk action between its chunks, gives it up
    meanwhile, so the pages queued behind it (reads above all) are not held up by the wait."""
    gate = None   # the gate whose slot this thread holds, while it holds it


turn = Turn()


@contextmanager
def off_turn():
    """Give this thread's page slot back for the block, and queue for it again afterwards."""
    gate = turn.gate
    if gate is None:
        yield
        return
    turn.gate = None
    gate.release()
    try:
        yield
    finally:
        gate.acquire()
        turn.gate = gate


def yield_turn():
    """Let the pages queued at this worker's gate go first (a long action between chunks)."""
    gate = turn.gate
    if gate is not None and gate.waiting():
        with off_turn():
            pass


@contextmanager
def _busy_timeout(ms):
    db.execute_sql("PRAGMA busy_timeout=%d" % ms)
    try:
        yield
    finally:
        db.execute_sql("PRAGMA busy_timeout=%d" % SQLITE_PRAGMAS["busy_timeout"])


def is_locked(err):
    """Is `err` SQLite's "database is locked" (the write lock held past the busy timeout)?"""
    return "database is locked" in str(err)


@contextmanager
def write_transaction():
    """Begin a transaction that writes: on SQLite take the write lock at once (IMMEDIATE), so
    two writers queue on the busy timeout instead of failing to upgrade a read lock.

    A request that finds the lock taken waits for it outside its worker's page slot: the pages
    behind it (readers, which WAL never blocks) go on meanwhile. It runs its transaction as
    soon as it has the lock, and queues for the slot again when it is done."""
    if not is_sqlite() or db.transaction_depth():
        with db.atomic() as transaction:  # nested: a savepoint; the lock is already held
            yield transaction
        return
    with ExitStack() as stack:
        if turn.gate is None:
            transaction = stack.enter_context(db.atomic(lock_type="IMMEDIATE"))
        else:
            try:
                with _busy_timeout(0):
                    transaction = stack.enter_context(db.atomic(lock_type="IMMEDIATE"))
            except OperationalError as err:
                if not is_locked(err):
                    raise
                stack.enter_context(off_turn())
                transaction = stack.enter_context(db.atomic(lock_type="IMMEDIATE"))
        yield transaction


class Outage:
    """The database being away, as this process saw it: one log line when it goes (the first
    error) and one when it is back, however many requests and scheduler ticks it refused."""

    def __init__(self):
        self.since, self.refused, self._lock = None, 0, threading.Lock()

    def began(self, err, where):
        """Note a request or tick refused because the database is unreachable."""
        with self._lock:
            self.refused += 1
            if self.since is not None:
                return
            self.since = time.monotonic()
        log.error("database unavailable (%s): %s", where, " ".join(str(err).split())[:300])
        if hasattr(db.obj, "close_idle"):  # the pool's connections from before it went are dead
            db.obj.close_idle()

    def over(self):
        """Note a request or tick that reached the database: the outage, if any, is over."""
        if self.since is None:
            return
        with self._lock:
            if self.since is None:
                return
            took, refused, self.since, self.refused = time.monotonic() - self.since, self.refused, None, 0
        log.warning("database reachable again after %.0f s (%d refused meanwhile)", took, refused)


outage = Outage()


def is_unavailable(err):
    """Is `err` the database being unreachable or failing (not a refusal of bad data)?"""
    return isinstance(err, (OperationalError, InterfaceError)) and not is_locked(err)


JOB_LOCK_KEY = 0x6B656670  # PostgreSQL: one run of a job at a time ("kefp")


@contextmanager
def job_transaction(name):
    """A write transaction that one run of job `name` holds at a time, whoever started it (the
    scheduler or `run-jobs`): a second run waits, then sees what the first wrote. SQLite's
    IMMEDIATE transactions already queue; PostgreSQL's queue on an advisory lock."""
    with write_transaction() as transaction:
        if not is_sqlite():
            db.execute_sql("SELECT pg_advisory_xact_lock(%s, %s)",
                           (JOB_LOCK_KEY, zlib.crc32(name.encode()) & 0x7FFFFFFF))
        yield transaction


STARTUP_LOCK_KEY = 0x6B656675  # "kefu": PostgreSQL advisory lock for migrations and seeding


def startup_transaction():
    """A transaction that only one starting process holds at a time (migrate, seed, demo)."""
    transaction = write_transaction()
    if not is_sqlite():
        class _Locked:
            def __enter__(self):
                transaction.__enter__()
                db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (STARTUP_LOCK_KEY,))
                return transaction

            def __exit__(self, *exc):
                return transaction.__exit__(*exc)
        return _Locked()
    return transaction


def migrate():
    """Apply every migration not yet applied; return the versions applied now.

    A new database (no migration recorded) gets today's schema from migration 1, and every
    migration is recorded as applied. Call inside startup_transaction(): several workers may
    start at once."""
    applied = []
    db.create_tables([SchemaMigration])
    done = {m.version for m in SchemaMigration.select(SchemaMigration.version)}
    if not done:
        with db.atomic():
            _initial_schema(db.obj)
            now = clock.now()
            for version, name, _ in MIGRATIONS:
                SchemaMigration.create(version=version, name=name, applied_at=now)
        return [version for version, _, _ in MIGRATIONS]
    for version, name, apply in MIGRATIONS:
        if version in done:
            continue
        with db.atomic():
            apply(db.obj)
            SchemaMigration.create(version=version, name=name, applied_at=clock.now())
        applied.append(version)
    return applied


# ---------------------------------------------------------------- reference data

# Every time limit of RULES.md: (code, name, rule ref, applies to, starts on, clock, amount, unit)
SLA_RULES = [
    ("REP_ACCEPT", "维修工作单接单", "R-REP-2", "RepairOrder", "派单", "calendar", 30, "minutes"),
    # The seed sets no callback limit for repairs: one working day, editable by the admin.
    ("REP_CALLBACK", "维修完工后回访", "R-REP-3", "RepairOrder", "完工", "working_days", 1, "working_days"),
    # The seed sets no repair time (它只说“未能及时维修的需继续跟进”). Defaults by how much a
    # fault stops a tenant trading and what the fix needs: water and power (a leak ruins stock,
    # a dark shop cannot sell) the same shift, 4 hours; air conditioning and doors, shutters,
    # lifts (parts usually in the store) one day; walls, floors, ceilings and glass need
    # material and often a contractor, 3 working days; anything else 2 working days. Editable.
    ("REP_COMPLETE_UTILITIES", "维修完工（水电照明）", "R-REP-5", "RepairOrder", "接单", "calendar", 4, "hours"),
    ("REP_COMPLETE_HVAC", "维修完工（空调通风）", "R-REP-5", "RepairOrder", "接单", "calendar", 1, "calendar_days"),
    ("REP_COMPLETE_EQUIPMENT", "维修完工（设施设备）", "R-REP-5", "RepairOrder", "接单", "calendar", 1, "calendar_days"),
    ("REP_COMPLETE_CIVIL", "维修完工（土建装饰）", "R-REP-5", "RepairOrder", "接单", "working_days", 3, "working_days"),
    ("REP_COMPLETE_OTHER", "维修完工（其他）", "R-REP-5", "RepairOrder", "接单", "working_days", 2, "working_days"),
    ("SVC_HANDBACK", "服务申请单交回申请人", "R-SVC-2", "ServiceRequest", "提交申请", "working_days", 1, "working_days"),
    ("ENQ_LETTER", "内部工作联系函转达", "R-ENQ-2", "WorkLetter", "受理咨询", "calendar", 1, "hours"),
    # The seed sets no limit for passing the department's reply on to the enquirer: one
    # working day, as for handing back a service application (R-SVC-2). Editable.
    ("ENQ_ANSWER", "部门回复后答复咨询人", "R-ENQ-2", "Contact", "部门回复联系函", "working_days", 1, "working_days"),
    ("PAY_FINANCE", "收费当日交财务", "R-PAY-1", "Charge", "收费当日结束", "calendar", 0, "calendar_days"),
    ("PAY_HANDOVER", "交接班款项当日交财务", "R-PAY-2", "ShiftHandover", "当班结束当日结束", "calendar", 0, "calendar_days"),
    ("LOAN_FREE", "物品借用免费时长", "R-LOAN-4", "ItemLoan", "借出", "calendar", 1, "hours"),
    # The report itself reaches the project manager at intake (an alert, mailed); the clock
    # is his starting the handling. The seed says "immediately": no longer than an important
    # complaint's department head is given (1 hour). Editable.
    # The seed says 第一时间转告 and sets no number: from the staff member's receipt to the
    # desk's registration, 1 hour, as an enquiry's work letter (R-ENQ-2) and an important
    # complaint's start (R-CMP-1), so the complaint's own clocks lose little. Editable.
    ("CMP_PASS_ON", "投诉转告客服登记", "R-CMP-3", "ComplaintPassOn", "工作人员收到投诉", "calendar", 1, "hours"),
    ("CMP_MAJOR_START", "重大投诉项目经理主持启动处理", "R-CMP-1", "Complaint", "受理投诉", "calendar", 1, "hours"),
    ("CMP_IMPORTANT_START", "重要投诉启动处理", "R-CMP-1", "Complaint", "受理投诉", "calendar", 1, "hours"),
    ("CMP_GENERAL_RESOLVE", "一般投诉解决", "R-CMP-1", "Complaint", "受理投诉", "calendar", 2, "calendar_days"),
    ("CMP_DAILY_FOLLOWUP", "长期投诉每日跟踪（超过工作日数）", "R-CMP-6", "Complaint", "受理投诉", "working_days", 5, "working_days"),
    ("CMP_CALLBACK", "投诉处理完毕回访", "R-CMP-7", "Complaint", "处理完毕", "working_days", 3, "working_days"),
    ("SUR_PLAN", "调查方案提前报批", "R-SUR-1", "Survey", "调查开始（倒计）", "calendar", 20, "calendar_days"),
    ("SUR_TRAINING", "调查人员提前培训", "R-SUR-4", "Survey", "调查开始（倒计）", "calendar", 2, "calendar_days"),
    ("SUR_ARCHIVE", "调查资料归档", "R-SUR-6", "Survey", "调查结束", "calendar", 5, "calendar_days"),
    # A month, as the seed's "一个月内完成"; editable, in any unit (working days, say).
    ("SUR_CORRECTIVE", "纠正措施完成期限", "R-SUR-5", "CorrectiveAction", "调查结果提出纠正措施", "calendar", 30, "calendar_days"),
    # Cadences are months and years, kept as calendar days so one unit set serves every rule.
    ("COM_ANCHOR", "主力店沟通（每月）", "R-COM-3", "Customer", "上次沟通", "calendar", 31, "calendar_days"),
    ("COM_TENANT", "商户沟通（每月）", "R-COM-3", "Customer", "上次沟通", "calendar", 31, "calendar_days"),
    ("COM_CONSUMER", "消费者沟通（每年）", "R-COM-3", "Customer", "上次沟通", "calendar", 366, "calendar_days"),
    ("COM_COMMITTEE", "业委会/商委会沟通（每年）", "R-COM-3", "Customer", "上次沟通", "calendar", 366, "calendar_days"),
    # The seed sets no limit for confirming an important notice: one working day, editable.
    ("COM_NOTICE_CONFIRM", "重要通知全部确认", "R-COM-1", "Notice", "发布通知", "working_days", 1, "working_days"),
]

HOLIDAY_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def seed_reference_data(now):
    """Create departments, time-limit rules and the holiday calendar where missing. Returns the
    working calendar as it was before a newer package brought a year (None if none did): the
    caller recomputes the clocks running into it (flows.calendar, a layer above)."""
    with db.atomic():
        Department.insert_many(
            [{"code": code, "name": name, "created_at": now, "updated_at": now}
             for code, name in Department.CODES]).on_conflict_ignore().execute()
        SlaRule.insert_many(
            [{"code": code, "name": name, "rule_ref": ref, "applies_to": applies_to,
              "starts_on": starts_on, "clock": clk, "amount": amount, "unit": unit,
              "created_at": now, "updated_at": now}
             for code, name, ref, applies_to, starts_on, clk, amount, unit in SLA_RULES]
        ).on_conflict_ignore().execute()
        return seed_calendar(now)


def seed_calendar(now):
    """Copy the chinese-calendar package's holidays and make-up days into CalendarDay; return
    the calendar before, when days were added (else None)."""
    import chinese_calendar

    known = {d for (d,) in CalendarDay.select(CalendarDay.day).tuples()}
    before = CalendarDay.work_calendar()
    rows = []
    for kind, table in ((CalendarDay.HOLIDAY, chinese_calendar.holidays),
                        (CalendarDay.WORKDAY, chinese_calendar.workdays)):
        for day, name in table.items():
            if day in known:
                continue
            rows.append({"day": day, "kind": kind, "name": HOLIDAY_NAMES.get(name, name),
                         "source": "package", "created_at": now, "updated_at": now})
    for start in range(0, len(rows), 200):
        CalendarDay.insert_many(rows[start:start + 200]).on_conflict_ignore().execute()
    # The package's years are complete arrangements: known, not estimates.
    CalendarYear.insert_many(
        [{"year": year, "source": "package", "confirmed_at": now, "created_at": now,
          "updated_at": now} for year in sorted({d.year for d in chinese_calendar.holidays})]
    ).on_conflict_ignore().execute()
    return before if rows else None

