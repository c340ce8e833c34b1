"""`python app.py backup PATH`: a consistent online copy of the SQLite database, taken while
the console writes, that restores to a working console."""
import os
import sqlite3
import subprocess
import sys
import threading

import pytest

import database
from models import db

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def sqlite_only(app):
    if not database.is_sqlite():
        pytest.skip("backup is SQLite's; PostgreSQL sites use pg_dump")


@pytest.mark.slow
def test_a_backup_taken_during_writes_is_consistent_and_restores(sqlite_only, app, tmp_path):
    from app import backup_database
    source = db.obj.database
    stop = threading.Event()
    written = []

    def writer():
        # Each transaction writes a contact and its audit row together, as the console does.
        con = sqlite3.connect(source, timeout=10)
        i = 0
        while not stop.is_set():
            with con:
                cur = con.execute("INSERT INTO contact (created_at, updated_at, channel, kind, "
                                  "subject, received_at, status) VALUES (datetime('now'), "
                                  "datetime('now'), 'phone', 'enquiry', ?, datetime('now'), 'open')",
                                  ("备份测试 %d" % i,))
                con.execute("INSERT INTO audit_log (created_at, updated_at, action, model, "
                            "record_id, summary) VALUES (datetime('now'), datetime('now'), "
                            "'create', 'Contact', ?, '备份测试')",
                            (str(cur.lastrowid),))
            written.append(i)
            i += 1
        con.close()

    errors = []

    def guarded():
        try:
            writer()
        except Exception as err:  # surfaced below instead of hanging the test
            errors.append(err)

    thread = threading.Thread(target=guarded)
    thread.start()
    try:
        import time
        deadline = time.monotonic() + 30
        while len(written) < 50 and not errors and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not errors, errors
        targets = [str(tmp_path / ("copy%d.db" % n)) for n in range(3)]
        for target in targets:
            assert backup_database(target) > 0
    finally:
        stop.set()
        thread.join()
    assert len(written) > 50
    for target in targets:
        copy = sqlite3.connect(target)
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        contacts = copy.execute("SELECT COUNT(*) FROM contact WHERE subject LIKE '备份测试%'").fetchone()[0]
        audits = copy.execute("SELECT COUNT(*) FROM audit_log WHERE summary = '备份测试'").fetchone()[0]
        assert contacts == audits > 0  # never a contact without its audit row
        copy.close()
    # Restore: the copy is a database the console opens as it is.
    env = dict(os.environ, DATABASE_URL="sqlite:///" + targets[-1], KEFU_SECRET_KEY="restore")
    result = subprocess.run([sys.executable, "app.py", "run-jobs", "--now", "2026-11-23T10:00:00"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_backup_command_refuses_to_overwrite(sqlite_only, tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    env = dict(os.environ, DATABASE_URL=url, KEFU_DEMO="1", KEFU_SECRET_KEY="b")
    target = tmp_path / "kefu-backup.db"
    first = subprocess.run([sys.executable, "app.py", "backup", str(target)], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "已备份" in first.stdout and target.exists()
    again = subprocess.run([sys.executable, "app.py", "backup", str(target)], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode != 0 and "已存在" in again.stderr
    copy = sqlite3.connect(target)
    assert copy.execute("SELECT COUNT(*) FROM customer").fetchone()[0] > 0
    live = sqlite3.connect(tmp_path / "live.db")
    assert live.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'backup'").fetchone()[0] == 1
