"""Migrations are frozen: an old database upgraded gets the schema a new one is created with,
and no migration after the first reaches for today's models (issue 21)."""
import ast
import json
import os
import re
import uuid

import pytest

import database
from models import db

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ON_POSTGRES = os.environ.get("KEFU_TEST_POSTGRES") == "1"
# The schema a database had at two old versions, as the models of that day created it (the
# commits that shipped migration 1 and migration 4), for SQLite and PostgreSQL.
with open(os.path.join(ROOT, "tests", "data", "old_schemas.json"), encoding="utf-8") as fh:
    OLD_SCHEMAS = json.load(fh)


@pytest.fixture
def blank_database(request, tmp_path):
    """Return a function that opens a new empty database and returns its URL."""
    made = []

    def open_blank():
        if ON_POSTGRES:
            import psycopg2
            server = request.getfixturevalue("postgres_server")
            name = "kefu_mig_" + uuid.uuid4().hex[:10]
            conn = psycopg2.connect(server + "/postgres")
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("CREATE DATABASE %s" % name)
            conn.close()
            made.append((server, name))
            url = "%s/%s" % (server, name)
        else:
            url = "sqlite:///%s" % (tmp_path / ("%s.db" % uuid.uuid4().hex[:8]))
        database.open_database(url)
        return url
    yield open_blank
    db.close()
    db.obj.close_all()
    for server, name in made:
        import psycopg2
        conn = psycopg2.connect(server + "/postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("DROP DATABASE %s WITH (FORCE)" % name)
        conn.close()


def schema():
    """The open database's schema: per table its columns (type, NOT NULL), indexes, foreign
    keys and CHECKs, and the triggers. Column order and database defaults are left out (an
    added column goes last and needs a default for NOT NULL)."""
    found = {}
    for table in sorted(t for t in db.get_tables() if not t.startswith("sqlite_")):
        columns = {c.name: (c.data_type.upper(), c.null, c.primary_key) for c in db.get_columns(table)}
        indexes = {i.name: (i.unique, tuple(i.columns), _where(i.sql)) for i in db.get_indexes(table)}
        foreign = {(f.column, f.dest_table, f.dest_column) for f in db.get_foreign_keys(table)}
        found[table] = dict(columns=columns, indexes=indexes, foreign=foreign, checks=_checks(table))
    if database.is_sqlite():
        triggers = {name for (name,) in db.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    else:
        triggers = {name for (name,) in db.execute_sql(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
    return found, triggers


def _where(sql):
    match = re.search(r"\bWHERE\b(.*)$", sql or "", re.S | re.I)
    return " ".join(match.group(1).replace('"', "").replace("(", "").replace(")", "").split()) \
        if match else None


def _checks(table):
    if database.is_sqlite():
        (sql,) = db.execute_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                                (table,)).fetchone()
        found = re.findall(r"CHECK \(([a-z_]+ IN \([^)]*\))\)", sql)
    else:
        found = [d for (d,) in db.execute_sql(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND contype = 'c'", ('"%s"' % table,))]
    return sorted(found)


def create_old_database(version):
    """Create the schema a database had at `version`, with its migrations recorded."""
    old = OLD_SCHEMAS["v%d" % version]
    with db.connection_context(), db.atomic():
        for statement in old["sqlite" if database.is_sqlite() else "postgres"]:
            db.execute_sql(statement)
        db.create_tables([database.SchemaMigration])
        for number, name, _ in database.MIGRATIONS[:old["versions"]]:
            database.SchemaMigration.create(version=number, name=name)


def migrated():
    with db.connection_context(), database.startup_transaction():
        applied = database.migrate()
    with db.connection_context():
        return applied, schema()


@pytest.mark.parametrize("version", [1, 4])
def test_an_old_database_upgrades_to_the_schema_a_new_one_gets(blank_database, version):
    blank_database()
    fresh_applied, fresh = migrated()
    assert fresh_applied == [number for number, _, _ in database.MIGRATIONS]
    blank_database()
    create_old_database(version)
    applied, upgraded = migrated()
    assert applied == [number for number, _, _ in database.MIGRATIONS][version:]
    fresh_tables, fresh_triggers = fresh
    upgraded_tables, upgraded_triggers = upgraded
    assert sorted(upgraded_tables) == sorted(fresh_tables)
    differ = [(table, part, upgraded_tables[table][part], fresh_tables[table][part])
              for table in fresh_tables for part in ("columns", "indexes", "foreign", "checks")
              if upgraded_tables[table][part] != fresh_tables[table][part]]
    assert differ == []
    assert upgraded_triggers == fresh_triggers
    with db.connection_context(), database.startup_transaction():
        assert database.migrate() == []


# What a migration may still call that is not its own SQL, and why.
ALLOWED = {
    "_initial_schema": {"ALL_MODELS", "Setting", "JobRun"},  # a new database: today's schema
    "_tamper_evident_audit": {"backfill_chain"},  # audit.py's hash: the one verify-audit checks
    "_open_alerts_once": {"audit"},  # the audit log has one writer (its hash chain)
    "_imports_count_once": {"audit_record"},
}


def test_no_migration_reaches_for_todays_models():
    """A migration function names no model (nor anything else imported from models.py, a job,
    the importer): its meaning would change with them."""
    with open(os.path.join(ROOT, "database.py"), encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    imported = set()  # every name database.py imports from the console's own modules
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] in ("models", "audit", "importer", "jobs", "views"):
            imported |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            imported |= {alias.asname or alias.name for alias in node.names
                         if alias.name.split(".")[0] in ("models", "importer", "jobs", "views")}
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    migration_functions = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "MIGRATIONS"
                                                for t in node.targets):
            migration_functions = {entry.elts[2].id for entry in node.value.elts}
    assert len(migration_functions) == len(database.MIGRATIONS)
    reached = {}
    for name in migration_functions:
        seen, todo, names = set(), [name], set()
        while todo:  # the migration and the module's helpers it calls
            current = todo.pop()
            if current in seen or current not in functions:
                continue
            seen.add(current)
            for node in ast.walk(functions[current]):
                if isinstance(node, ast.Name):
                    names.add(node.id)
                    todo.append(node.id)
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    names |= {alias.asname or alias.name for alias in node.names}
                    if isinstance(node, ast.Import):
                        names |= {alias.name.split(".")[0] for alias in node.names}
        bad = (names & (imported | {"models", "importer", "jobs", "views", "db"})) \
            - ALLOWED.get(name, set())
        if bad:
            reached[name] = sorted(bad)
    assert reached == {}


def test_migration_27_adds_the_corrective_action_rule_to_an_existing_database(blank_database):
    """Issue 21: a database from before has no SUR_CORRECTIVE rule (the code said 30 days);
    migration 27 adds it with the default a new database is seeded with, and keeps one the
    database has already (as an admin left it)."""
    seeded = next(r for r in database.SLA_RULES if r[0] == "SUR_CORRECTIVE")
    read = ("SELECT code, name, rule_ref, applies_to, starts_on, clock, amount, unit, "
            "warn_percent, is_active, version, archived_at FROM sla_rule WHERE code = ?")
    blank_database()
    create_old_database(4)
    migrated()
    with db.connection_context():
        rows = list(database._sql(db, read, ("SUR_CORRECTIVE",)))
    assert [tuple(row[:8]) for row in rows] == [seeded]
    assert [(row[8], bool(row[9]), row[10], row[11]) for row in rows] == [(75, True, 1, None)]
    # Already there (edited to 10 working days): left as it is.
    blank_database()
    create_old_database(4)
    with db.connection_context():
        database._sql(db, "INSERT INTO sla_rule (created_at, updated_at, code, name, applies_to, "
                          "clock, amount, unit, warn_percent, is_active) VALUES "
                          "(?, ?, 'SUR_CORRECTIVE', '纠正措施', 'CorrectiveAction', "
                          "'working_days', 10, 'working_days', 80, ?)",
                      (database.clock.now(), database.clock.now(), True))
    applied, _ = migrated()
    assert 27 in applied
    with db.connection_context():
        rows = list(database._sql(db, read, ("SUR_CORRECTIVE",)))
    assert [tuple(row[5:9]) for row in rows] == [("working_days", 10, "working_days", 80)]
