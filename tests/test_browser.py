"""End to end in headless Chromium: a clerk logs in, files a repair order, finds it in the grid."""
import os
import re
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager

import pytest

from conftest import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@contextmanager
def running_console(folder):
    """Run `python app.py` on a free loopback port with a new demo database in `folder`;
    yield its base URL."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{folder / 'e2e.db'}", KEFU_DEMO="1",
               KEFU_SECRET_KEY="e2e-secret-key-for-the-test-only")
    log = open(folder / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/login", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError((folder / "server.log").read_text())
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


@pytest.fixture
def server(tmp_path):
    """Start `python app.py` on a free loopback port with a new demo database."""
    with running_console(tmp_path) as base:
        yield base


@pytest.fixture
def page():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is missing: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
        yield context.new_page()
        browser.close()


def test_clerk_files_a_repair_order_and_finds_it_in_the_grid(server, page, tmp_path):
    page.goto(server + "/admin/repairorder/")
    assert "/login" in page.url  # every admin URL needs a login
    page.fill("#username", "clerk")
    page.fill("#password", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/repairorder/$"))
    assert "维修工作单" in page.content()

    page.click("text=创建")
    page.wait_for_url("**/admin/repairorder/new/**")
    # The customer is chosen by typing, as a clerk does with hundreds of tenants.
    page.click("#s2id_customer")
    page.keyboard.type("星巴克")
    page.wait_for_selector(".select2-result-label:has-text('星巴克')")
    page.click(".select2-result-label:has-text('星巴克')")
    page.fill("#reporter_name", "店长 周女士")
    page.fill("#reporter_phone", "13912345678")
    page.fill("#location", "2F 星巴克 吧台下水")
    page.fill("#description", "吧台下水管漏水，地面有积水")
    page.select_option("#department", label="物业管理部")
    page.click("input[type=submit][value='保存']")
    page.wait_for_url(re.compile(r"/admin/repairorder/(\?.*)?$"))
    assert "记录创建成功" in page.content() or "成功" in page.content()

    page.fill("input[name=search]", "吧台下水")
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    row = page.locator("table.model-list tr", has_text="吧台下水")
    assert row.count() == 1
    text = row.inner_text()
    assert "WX-" in text and "星巴克" in text and "物业管理部" in text and "已登记" in text
    page.screenshot(path=str(tmp_path / "grid.png"))
