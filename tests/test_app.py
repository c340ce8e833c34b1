"""The console as a whole: languages, errors, CLI, database set-up and model basics."""
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime

import pytest
from peewee import ForeignKeyField

import app as kefu
import clock
import database
from models import Setting
from models import (REGISTERS, AuditLog, CalendarDay, Department, DocumentCounter, SlaRule, User,
                    db, next_number)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_console_is_chinese_by_default_including_flask_admin_strings(as_clerk):
    page = as_clerk.get("/admin/repairorder/").text
    assert "维修工作单" in page
    assert "列表" in page and "创建新记录" in page and "添加筛选器" in page  # Flask-Admin's own
    assert ">List<" not in page


def test_english_can_be_chosen(as_clerk):
    as_clerk.get("/lang/en")
    page = as_clerk.get("/admin/repairorder/").text
    assert "List" in page and "Create" in page
    assert "Repair order" in page
    assert "Status" in page
    as_clerk.get("/lang/zh_Hans_CN")
    assert "维修工作单" in as_clerk.get("/admin/repairorder/").text


def test_browser_language_english_is_honoured(login):
    client = login("clerk")
    page = client.get("/admin/", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    assert "Home" in page or "Registers" in page or "Log out" in page


def test_every_ui_label_has_an_english_translation():
    from babel.messages.pofile import read_po
    import i18n
    import views
    with open(os.path.join(i18n.TRANSLATIONS_DIR, "en", "LC_MESSAGES", "messages.po"), "rb") as fh:
        catalog = read_po(fh, locale="en")
    missing = [s for s in views.ui_strings() if not (catalog.get(s) and catalog.get(s).string)]
    assert not missing, "run translations/update.py and translate: %s" % missing[:10]


def test_unknown_language_is_a_404(client):
    assert client.get("/lang/xx").status_code == 404


def test_security_headers_on_every_response(client):
    response = client.get("/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_demo_login_page_lists_demo_users(client):
    page = client.get("/login").text
    for username, *_ in kefu.DEMO_USERS:
        assert f"<code>{username}</code>" in page


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(app):
    if not database.is_sqlite():
        pytest.skip("SQLite pragmas: this run is on PostgreSQL")
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_switching_to_wal_waits_for_a_worker_holding_the_file(tmp_path):
    """A starting worker refused the WAL switch (another holds the lock) tries again."""
    path = str(tmp_path / "busy.db")
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(0.5, holder.execute, ("COMMIT",))
    release.start()
    try:
        database.switch_to_wal(path, timeout=0.05)  # each try gives up after 50 ms
    finally:
        release.join()
        holder.close()
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    check.close()


def test_switching_to_wal_gives_up_loudly_on_a_file_held_for_good(tmp_path):
    path = str(tmp_path / "held.db")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            database.switch_to_wal(path, timeout=0.01, attempts=3)
    finally:
        holder.close()


@pytest.mark.parametrize("table,columns", [
    ("repair_order", ("status", "accept_deadline")),
    ("complaint", ("status", "resolve_deadline")),
    ("service_request", ("status", "handback_deadline")),
    ("repair_order", ("customer_id",)),
    ("complaint", ("department_id",)),
    ("contact", ("created_at",)),
])
def test_indexes_exist_for_list_filters(app, table, columns):
    indexed = [tuple(c.lower() for c in index.columns) for index in db.get_indexes(table)]
    assert any(index[:len(columns)] == columns for index in indexed)  # a prefix serves the filter


def test_reference_data_is_seeded(app):
    assert {d.code for d in Department.select()} >= {"service", "operations", "property"}
    repair = SlaRule.get(SlaRule.code == "REP_ACCEPT")
    assert (repair.amount, repair.unit) == (30, "minutes")
    assert CalendarDay.get(CalendarDay.day == datetime(2026, 10, 1).date()).kind == "holiday"
    assert CalendarDay.get(CalendarDay.day == datetime(2026, 9, 20).date()).kind == "workday"


def test_migrations_apply_once(app):
    assert database.migrate() == []
    assert database.SchemaMigration.select().count() == len(database.MIGRATIONS)


def test_every_model_records_who_and_when():
    for model in REGISTERS:
        fields = model._meta.fields
        assert "created_at" in fields and "updated_at" in fields, model
        who = fields.get("created_by") or fields.get("user")
        assert isinstance(who, ForeignKeyField) and who.rel_model is User, model


def test_str_is_human_readable_even_when_blank():
    for model in REGISTERS:
        text = str(model())
        assert isinstance(text, str) and text.strip() and "None" not in text, model


def test_document_numbers_count_per_prefix_and_day(app):
    day1, day2 = datetime(2026, 11, 22, 9), datetime(2026, 11, 23, 9)
    with db.atomic():
        assert next_number("ZZ", day1) == "ZZ-20261122-0001"
        assert next_number("ZZ", day1) == "ZZ-20261122-0002"
        assert next_number("ZZ", day2) == "ZZ-20261123-0001"
        assert next_number("YY", day1) == "YY-20261122-0001"
    assert DocumentCounter.select().where(DocumentCounter.prefix == "ZZ").count() == 2


def test_cli_create_user(runner, app):
    result = runner.invoke(args=["create-user", "zhang", "--name", "张三", "--roles", "clerk",
                                 "--department", "service", "--password", "long-enough-1"])
    assert result.exit_code == 0, result.output
    user = User.get(User.username == "zhang")
    assert user.check_password("long-enough-1") and user.department.code == "service"
    assert AuditLog.select().where((AuditLog.model == "User") & (AuditLog.record_id == str(user.id))).exists()
    again = runner.invoke(args=["create-user", "zhang", "--name", "张三", "--password", "long-enough-1"])
    assert again.exit_code != 0 and "已存在" in again.output
    short = runner.invoke(args=["create-user", "li", "--name", "李四", "--password", "short"])
    assert short.exit_code != 0 and "至少 8 位" in short.output


@pytest.mark.slow
def test_real_database_gets_no_demo_users_and_python_app_create_user_works(tmp_path):
    """A database named by DATABASE_URL is a real deployment: no demo users, no demo data."""
    url = f"sqlite:///{tmp_path / 'real.db'}"
    env = dict(os.environ, DATABASE_URL=url, KEFU_SECRET_KEY="x" * 32)
    env.pop("KEFU_DEMO", None)
    result = subprocess.run(
        [sys.executable, "app.py", "create-user", "boss", "--name", "管理员", "--roles", "admin",
         "--password", "correct-horse"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120)
    assert result.returncode == 0, result.stderr
    database.open_database(url)
    with db.connection_context():
        assert [u.username for u in User.select()] == ["boss"]
        assert Setting.read("demo") is None
        from models import Customer
        assert Customer.select().count() == 0
        assert Department.select().count() == len(Department.CODES)


def test_a_new_migration_is_applied_once_at_start(app, monkeypatch):
    from playhouse.migrate import SchemaMigrator, migrate
    from peewee import CharField

    def add_column(database):
        migrator = SchemaMigrator.from_database(database)
        migrate(migrator.add_column("customer", "wechat_id", CharField(null=True)))

    monkeypatch.setattr(database, "MIGRATIONS", database.MIGRATIONS + [(99, "wechat id", add_column)])
    assert database.migrate() == [99]
    assert "wechat_id" in [c.name for c in db.get_columns("customer")]
    assert database.migrate() == []


def test_migration_2_upgrades_a_database_made_before_it(app):
    """A database from before issue 3 (no deadline tables or columns) is brought up to date."""
    if not database.is_sqlite():
        pytest.skip("the old schema is rebuilt with SQLite's DROP COLUMN")
    from models import Charge, Deadline, Hold, RepairOrder
    db.drop_tables([Deadline, Hold])
    for table, column in (("repair_order", "callback_deadline"), ("charge", "finance_deadline"),
                          ("service_request", "approved")):
        for index in db.get_indexes(table):  # SQLite drops no column an index still names
            if column in index.columns:
                db.execute_sql(f'DROP INDEX "{index.name}"')
        db.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    database.SchemaMigration.delete().where(database.SchemaMigration.version == 2).execute()
    assert database.migrate() == [2]
    assert "callback_deadline" in [c.name for c in db.get_columns("repair_order")]
    assert any(tuple(i.columns)[:2] == ("status", "callback_deadline")
               for i in db.get_indexes("repair_order"))
    assert Deadline.table_exists() and Hold.table_exists()
    assert RepairOrder.select().count() > 0 and Charge.select(Charge.finance_deadline).count() > 0


def test_migration_4_upgrades_a_database_made_before_it(app, monkeypatch):
    """A version-3 database: the deadline kinds' CHECK lacks the new clocks, old surveys keep
    their answers as JSON of every shape. Migration 4 widens and converts; the plan clocks are
    stamped after migrating (app.recompute_after_migrations)."""
    import json
    from datetime import date, datetime
    from models import Deadline, Survey, SurveyAnswer, SurveyQuestion, SurveyResponse
    new_kinds = ["approve", "train", "file", "confirm"]
    Deadline.delete().where(Deadline.kind.in_(new_kinds)).execute()  # none in v3
    version_3 = {dialect: sql.replace("".join(", '%s'" % kind for kind in new_kinds), "")
                 for dialect, sql in database.frozen.TABLES["deadline"].items()}
    assert version_3 != database.frozen.TABLES["deadline"]
    with monkeypatch.context() as patch:
        patch.setitem(database.frozen.TABLES, "deadline", version_3)
        with db.atomic():
            database._widen_choices(db.obj, "deadline", "kind")  # back to the version-3 list
    survey = Survey.create(title="旧调查", start_date=date(2026, 12, 20), end_date=date(2026, 12, 30),
                           created_at=datetime(2026, 1, 1), updated_at=datetime(2026, 1, 1))
    rating = SurveyQuestion.create(survey=survey, seq=1, text="清洁", created_at=survey.created_at,
                                   updated_at=survey.created_at)
    text = SurveyQuestion.create(survey=survey, seq=2, text="意见", kind="text",
                                 created_at=survey.created_at, updated_at=survey.created_at)
    shapes = [{str(rating.id): 4}, {str(rating.id): 4.0, str(text.id): "很好"}, {"q1": 5},
              {str(rating.id): None}, [1, 2], {str(rating.id): "7"}, None]
    for answers in shapes:
        SurveyResponse.create(survey=survey, answers=json.dumps(answers), comments="停车难",
                              created_at=survey.created_at, updated_at=survey.created_at)
    database.SchemaMigration.delete().where(database.SchemaMigration.version == 4).execute()
    assert database.migrate() == [4]
    kefu.recompute_after_migrations(database.recomputations([4]), clock.now())
    ratings = sorted(a.rating for a in SurveyAnswer.select().join(SurveyResponse)
                     .where((SurveyResponse.survey == survey.id) & SurveyAnswer.rating.is_null(False)))
    assert ratings == [4, 4]
    texts = [a.text for a in SurveyAnswer.select().join(SurveyResponse)
             .where((SurveyResponse.survey == survey.id) & SurveyAnswer.text.is_null(False))]
    assert sorted(set(texts)) == ["停车难", "很好"] and "None" not in texts
    # The new clock kinds are allowed now: the draft's plan clocks were stamped.
    assert {d.kind for d in Survey.get_by_id(survey.id).deadlines()} == {"approve", "train", "file"}
