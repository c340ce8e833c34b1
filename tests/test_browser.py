"""End to end in headless Chromium: a clerk logs in, files a repair order, finds it in the grid."""
import re

import pytest

# Chromium against a started console: browser tests, and slow (pytest -m "not slow" leaves them out).
pytestmark = [pytest.mark.browser, pytest.mark.slow]


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
