"""The jobs' own bookkeeping: a failed nightly run is tried again and told to the admin, the
claims and tokens that pile up every minute are pruned, and every job has a name in words."""
from datetime import datetime, timedelta

import pytest

import jobs
from database import write_transaction
from models import JOB_LABELS, Alert, AuditLog, FormToken, JobRun, LoginAttempt

NIGHT = datetime(2026, 11, 24, 0, 0)


def admin_alerts_about_jobs():
    return list(Alert.select().where((Alert.record_type == "JobRun") & (Alert.status == Alert.OPEN)))


def flaky_nightly_job(failures):
    """A nightly job that fails its first `failures` runs, then succeeds; counts its calls."""
    calls = []

    def nightly_probe(now):
        calls.append(now)
        if len(calls) <= failures:
            raise RuntimeError("disk full")
        return 1
    return nightly_probe, calls


def test_a_failed_nightly_job_is_tried_again_the_next_minute_and_the_admin_is_told(app, monkeypatch):
    job, calls = flaky_nightly_job(failures=1)
    monkeypatch.setattr(jobs, "SCHEDULE", ((job, "day"),))
    assert jobs.run_due_jobs(NIGHT) == {"nightly_probe": JobRun.FAILED}
    [alert] = admin_alerts_about_jobs()
    assert "nightly_probe" in alert.title and "第 1 次运行失败" in alert.title and "稍后自动重试" in alert.title
    assert alert.assignee.has_role("admin")
    assert jobs.run_due_jobs(NIGHT + timedelta(minutes=1)) == {"nightly_probe": 1}
    assert len(calls) == 2
    run = JobRun.get(JobRun.job == "nightly_probe")
    assert (run.attempts, run.result) == (2, "1")
    # Done for the day: later sweeps leave it alone.
    assert jobs.run_due_jobs(NIGHT + timedelta(minutes=2)) == {}
    assert len(calls) == 2


def test_a_job_failing_every_time_stops_after_its_attempts_with_one_alert(app, monkeypatch):
    job, calls = flaky_nightly_job(failures=99)
    monkeypatch.setattr(jobs, "SCHEDULE", ((job, "day"),))
    for minute in range(jobs.ATTEMPTS + 3):
        jobs.run_due_jobs(NIGHT + timedelta(minutes=minute))
    assert len(calls) == jobs.ATTEMPTS
    [alert] = admin_alerts_about_jobs()
    assert "第 %d 次运行失败" % jobs.ATTEMPTS in alert.title and "已停止重试" in alert.title
    # The next night is a new slot: tried again.
    jobs.run_due_jobs(NIGHT + timedelta(days=1))
    assert len(calls) == jobs.ATTEMPTS + 1


def test_only_a_failed_claim_is_taken_again(app):
    """A claim that succeeded, or is running, is never taken by a second process."""
    assert jobs.claim("probe", "2026-11-24", NIGHT)
    assert not jobs.claim("probe", "2026-11-24", NIGHT)  # running
    JobRun.update(result="3", finished_at=NIGHT).where(JobRun.job == "probe").execute()
    assert not jobs.claim("probe", "2026-11-24", NIGHT)  # done
    JobRun.update(result=JobRun.FAILED).where(JobRun.job == "probe").execute()
    assert jobs.claim("probe", "2026-11-24", NIGHT)      # failed: one more attempt
    assert not jobs.claim("probe", "2026-11-24", NIGHT)


def test_prune_bookkeeping_keeps_a_week_of_claims_and_drops_the_rest(app):
    from jobs.maintenance import KEEP_CLAIMS, KEEP_FORM_TOKENS, KEEP_LOGIN_ATTEMPTS, prune_bookkeeping
    now = NIGHT
    with write_transaction():
        JobRun.delete().execute()
        FormToken.delete().execute()
        LoginAttempt.delete().execute()
        for age, slot in ((KEEP_CLAIMS + timedelta(minutes=1), "old"), (KEEP_CLAIMS - timedelta(minutes=1), "new")):
            JobRun.create(job="probe", slot=slot, started_at=now - age)
        for age, token in ((KEEP_FORM_TOKENS + timedelta(minutes=1), "a" * 32),
                           (KEEP_FORM_TOKENS - timedelta(minutes=1), "b" * 32)):
            FormToken.create(token=token, used_at=now - age)
        for age in (KEEP_LOGIN_ATTEMPTS + timedelta(minutes=1), timedelta(minutes=5)):
            LoginAttempt.create(username="x", at=now - age)
    before = AuditLog.select().count()
    result = jobs.run_job(prune_bookkeeping, now)
    assert result == {"任务认领记录": 1, "表单令牌": 1, "登录尝试记录": 1}
    assert [r.slot for r in JobRun.select()] == ["new"]
    assert [t.token for t in FormToken.select()] == ["b" * 32]
    assert LoginAttempt.select().count() == 1
    [row] = AuditLog.select().order_by(AuditLog.id.desc()).limit(1)
    assert AuditLog.select().count() == before + 1
    assert row.summary.startswith("定时任务 过期记账数据清理：") and "任务认领记录 1" in row.summary


@pytest.mark.parametrize("job", [job for job, _ in jobs.SCHEDULE], ids=lambda job: job.__name__)
def test_every_scheduled_job_has_a_name_in_words(job):
    assert job.__name__ in JOB_LABELS


def test_a_jobs_audit_row_reads_as_words_in_the_audit_log(app, as_admin):
    """The job's row names it in words, not by its code ("定时任务 segment_customers：changed
    30" before); a code in an older row's text is read as words on display."""
    from audit import audit_job
    from history import SUMMARY_TOKEN_RE, SUMMARY_TOKENS
    with write_transaction():
        audit_job("segment_customers", {"changed": 30}, NIGHT)
    assert SUMMARY_TOKEN_RE.sub(lambda m: SUMMARY_TOKENS[m.group()], "定时任务 segment_customers：changed 30") \
        == "定时任务 客户分群：有变化 30"
    page = as_admin.get("/admin/auditlog/?sort=0&desc=1").text
    assert "segment_customers" not in page and "客户分群" in page
