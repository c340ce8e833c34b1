"""Overdue jobs: fixed `now` values around each limit, idempotence, catch-up, resolution, one run
per slot across processes."""
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta

import pytest

import jobs
from database import write_transaction
from jobs.deadlines import (flag_charges_not_handed_to_finance, flag_general_complaints_not_resolved,
                            flag_unaccepted_repairs, resolve_done_alerts)
from models import Alert, JobRun, RepairOrder
from helpers import MON, alerts_for, run, user
from factories import make_charge, make_complaint, make_repair_order

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def clean_alerts(app):
    Alert.delete().execute()  # the demo's own alerts would blur the counts


@pytest.mark.parametrize("offset,overdue,due_soon", [
    (timedelta(minutes=22, seconds=29), 0, 0),   # before 75 % of the 30 minutes
    (timedelta(minutes=22, seconds=30), 0, 1),   # at 75 %: due soon
    (timedelta(minutes=29, seconds=59), 0, 1),   # one second before the limit
    (timedelta(minutes=30), 1, 0),               # at the limit: overdue, no longer "soon"
    (timedelta(minutes=30, seconds=1), 1, 0),    # one second after
])
def test_rep_2_job_around_the_30_minutes(clean_alerts, offset, overdue, due_soon):
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON)
    with write_transaction():
        flag_unaccepted_repairs(MON + offset)
    assert len(alerts_for(order)) == overdue
    assert len(alerts_for(order, "due_soon")) == due_soon
    if overdue:
        alert = alerts_for(order)[0]
        assert alert.since == MON + timedelta(minutes=30)
        # Level 1 is the whole department that must act; the head comes in at level 2.
        assert alert.department.code == "property" and alert.assignee is None and alert.level == 1


def test_jobs_are_idempotent_catch_up_and_resolve_when_done(clean_alerts):
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON)
    charge = make_charge(MON)
    complaint = make_complaint("general")
    a_day_later = MON + timedelta(days=3)  # the jobs did not run for three days
    with write_transaction():
        first = (flag_unaccepted_repairs(a_day_later) + flag_charges_not_handed_to_finance(a_day_later)
                 + flag_general_complaints_not_resolved(a_day_later))
        second = (flag_unaccepted_repairs(a_day_later) + flag_charges_not_handed_to_finance(a_day_later)
                  + flag_general_complaints_not_resolved(a_day_later))
    assert second == 0 and first >= 3
    assert alerts_for(charge)[0].since == datetime(2026, 11, 23, 23, 59, 59)
    assert alerts_for(complaint)[0].since == MON + timedelta(days=2)
    run(RepairOrder.get_by_id(order.id).accept, user("property"), a_day_later)
    with write_transaction():
        assert resolve_done_alerts(a_day_later) >= 1
    assert all(a.status == "resolved" for a in alerts_for(order))
    assert alerts_for(charge)[0].status == "open"


def test_a_record_on_hold_is_not_flagged(clean_alerts):
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON)
    run(order.hold, user("clerk"), MON + timedelta(minutes=5), "等客户")
    with write_transaction():
        flag_unaccepted_repairs(MON + timedelta(hours=2))
    assert alerts_for(order) == []


def test_each_job_runs_once_per_minute_across_schedulers(clean_alerts):
    # Far from the day the demo database was made: its own run claimed today's daily slots.
    now = datetime(2030, 1, 7, 10, 7, 30)
    results = []
    threads = [threading.Thread(target=lambda: results.append(jobs.run_due_jobs(now)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ran = [name for result in results for name in result]
    assert sorted(ran) == sorted(job.__name__ for job, _ in jobs.SCHEDULE)
    assert [bool(result) for result in results].count(True) == 1  # one process swept them all
    assert JobRun.select().where((JobRun.slot == "2030-01-07T10:07")
                                 & (JobRun.job != jobs.SWEEP)).count() == len(
        [j for j, every in jobs.SCHEDULE if every == "minute"])
    # A sweep already claimed for the minute is not run again, by this process or another.
    assert jobs.run_due_jobs(now) == {}


@pytest.mark.slow
def test_run_jobs_command(tmp_path):
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    env = dict(os.environ, DATABASE_URL=url, KEFU_DEMO="1", KEFU_SECRET_KEY="jobs")
    result = subprocess.run([sys.executable, "app.py", "run-jobs", "--now", "2026-12-01T00:05:00"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "维修单接单超时检查（flag_unaccepted_repairs）：" in result.stdout
    assert "月度投诉分析报告（generate_monthly_complaint_report）：2026年11月投诉分析" in result.stdout
    assert "None" not in result.stdout and "changed" not in result.stdout  # in words
    bad = subprocess.run([sys.executable, "app.py", "run-jobs", "--now", "yesterday"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "ISO" in bad.stderr


def test_overdue_filter_agrees_with_the_job_and_works_before_it_runs(clean_alerts, as_clerk,
                                                                     monkeypatch):
    import clock
    from helpers import rows, url
    now = MON + timedelta(hours=1)
    monkeypatch.setattr(clock, "now", lambda: now)
    late, on_time, held = make_repair_order(), make_repair_order(), make_repair_order()
    for order in (late, on_time, held):
        run(order.dispatch, user("clerk"), MON)
    run(on_time.accept, user("property"), MON + timedelta(minutes=10))
    run(held.hold, user("clerk"), MON + timedelta(minutes=5), "等客户")
    grid = rows(as_clerk.get(url(RepairOrder, "?flt0_accept_deadline_overdue=1&page_size=100")).text)
    assert late.number in grid and on_time.number not in grid and held.number not in grid
    with write_transaction():
        flag_unaccepted_repairs(now)
    flagged = {a.record_id for a in Alert.select().where((Alert.kind == "overdue")
                                                          & (Alert.record_type == "RepairOrder"))}
    listed = {o.id for o in RepairOrder.select() if o.number in grid}
    assert flagged == listed


def test_due_soon_filter(clean_alerts, as_clerk, monkeypatch):
    import clock
    from helpers import rows, url
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON)
    monkeypatch.setattr(clock, "now", lambda: MON + timedelta(minutes=25))
    grid = rows(as_clerk.get(url(RepairOrder, "?flt0_id_duesoon=1")).text)
    assert order.number in grid
    monkeypatch.setattr(clock, "now", lambda: MON + timedelta(minutes=10))
    assert order.number not in rows(as_clerk.get(url(RepairOrder, "?flt0_id_duesoon=1")).text)
