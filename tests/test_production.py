"""The production setup of the README: gunicorn with several workers (each with the job
scheduler) serves the console from one database, logged-in pages and a saved form included."""
import html
import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from conftest import csrf_token, free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _opener():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def _wait_for(url, server, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stdout.read()
        try:
            return urllib.request.urlopen(url, timeout=2).status
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer")


@pytest.mark.slow
def test_gunicorn_workers_serve_the_console(app, tmp_path):
    port = free_port()
    env = dict(os.environ, DATABASE_URL=app.config["DATABASE_URL"], KEFU_SECRET_KEY="t" * 32,
               KEFU_BIND=f"127.0.0.1:{port}", KEFU_WORKERS="2", KEFU_THREADS="2")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base + "/login", server)
        browser = _opener()
        page = browser.open(base + "/login").read().decode()
        browser.open(base + "/login", urllib.parse.urlencode(
            {"username": "clerk", "password": "demo", "csrf_token": csrf_token(page)}).encode())
        # Requests land on either worker: the session and the data are shared.
        for _ in range(6):
            home = browser.open(base + "/admin/").read().decode()
            assert "工作看板" in home
        form = browser.open(base + "/admin/contact/new/").read().decode()
        saved = browser.open(base + "/admin/contact/new/", urllib.parse.urlencode({
            "csrf_token": csrf_token(form), "subject": "生产环境测试来电", "channel": "phone",
            "kind": "enquiry", "status": "open", "received_at": "2026-11-23 10:00:00"}).encode())
        assert saved.status == 200
        grid = browser.open(base + "/admin/contact/?search=" + urllib.parse.quote("生产环境测试来电")).read().decode()
        assert "生产环境测试来电" in html.unescape(grid)
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert len(re.findall(r"Booting worker with pid", out)) == 2, out
    assert "Traceback" not in out, out
    assert "database is locked" not in out


def test_a_worker_runs_one_page_at_a_time_and_never_holds_up_an_export():
    """app.RequestGate: a second page waits until the first is done, in arrival order; an
    export streams beside them."""
    import threading

    from app import RequestGate
    running, most, order, lock = [0], [0], [], threading.Lock()
    release = threading.Event()

    def page(environ, start_response):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        if environ["PATH_INFO"] == "/slow":
            release.wait(5)
        with lock:
            running[0] -= 1
            order.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return iter([b"page ", environ["PATH_INFO"].encode()])  # a streamed body, read inside

    gate = RequestGate(page, 1)
    call = lambda path: b"".join(gate({"PATH_INFO": path}, lambda *a: None))  # noqa: E731
    def queued(n):  # until n threads wait at the gate
        deadline = time.monotonic() + 5
        while gate.slots.waiting() != n and time.monotonic() < deadline:
            time.sleep(0.001)
        return gate.slots.waiting() == n

    slow = threading.Thread(target=call, args=("/slow",))
    slow.start()
    while not running[0]:
        time.sleep(0.001)
    waiting = [threading.Thread(target=call, args=("/next%d" % i,)) for i in range(3)]
    for i, thread in enumerate(waiting):
        thread.start()
        assert queued(i + 1)
    assert call("/admin/contact/export/csv/") == b"page /admin/contact/export/csv/"
    assert order == ["/admin/contact/export/csv/"]   # the export did not wait for /slow
    release.set()
    for thread in [slow] + waiting:
        thread.join(5)
    assert order[1:] == ["/slow", "/next0", "/next1", "/next2"]  # one at a time, in turn
    assert most[0] == 2  # only the export ran beside a page


def test_a_refused_login_waits_out_its_slowdown_after_the_gate_lets_go(monkeypatch):
    """A guesser's slowed answers must not hold up the clerks queued behind it at the gate."""
    import app as kefu
    from app import RequestGate

    def refused_login(environ, start_response):
        environ["kefu.delay"] = 1.0  # as answer_slowly() marks it behind the gate
        start_response("200 OK", [])
        return [b"login"]
    gate = RequestGate(refused_login, 1)
    gate_free_while_waiting = []
    monkeypatch.setattr(kefu.time, "sleep", lambda seconds: gate_free_while_waiting.append(
        gate.slots.acquire(blocking=False) and (gate.slots.release() or True)))
    assert gate({"PATH_INFO": "/login"}, lambda *a: None) == [b"login"]
    assert gate_free_while_waiting == [True]
