"""The screens a clerk reads all day, in headless Chromium at 1366×768 (a common desk monitor):
one line of menu, the date picker and the customer lookup in Chinese and never over 保存."""
import re

import pytest

# Chromium against a started console: browser tests, and slow (pytest -m "not slow" leaves them out).
pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREEN = {"width": 1366, "height": 768}


@pytest.fixture
def desk(console, chromium):
    """desk('clerk') returns a 1366×768 page logged in as that demo user."""
    contexts = []

    def open_as(username):
        context = chromium.new_context(locale="zh-CN", viewport=SCREEN)
        contexts.append(context)
        page = context.new_page()
        page.goto(console + "/login")
        page.fill("#username", username)
        page.fill("#password", "demo")
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/admin/$"))
        return page
    yield open_as
    for context in contexts:
        context.close()


def menu_rows(page):
    """The distinct tops of the top bar's items (brand, menus, user): one value is one line."""
    return page.evaluate("""() => {
        const items = document.querySelectorAll(
            '.navbar-brand, #admin-navbar-collapse > ul > li');
        return [...new Set([...items].map(e => Math.round(e.getBoundingClientRect().top)))];
    }""")


@pytest.mark.parametrize("language", ["zh_Hans_CN", "en"])
def test_the_menu_bar_is_one_line_at_1366_for_the_admin(console, desk, language):
    page = desk("admin")  # the admin sees every menu
    page.goto(console + "/lang/" + language)
    for path in ("/admin/", "/admin/repairorder/", "/admin/complaint/new/"):
        page.goto(console + path)
        assert len(menu_rows(page)) == 1, (language, path, menu_rows(page))
        height = page.evaluate("document.querySelector('nav.navbar').getBoundingClientRect().height")
        assert height < 70, (language, path, height)  # two lines were 96 px
    assert page.locator("#admin-navbar-collapse .dropdown-toggle").count() == 7  # six menus + user


def open_picker(page, console):
    """The repair order form, filled in, with the 报修时间 picker open."""
    page.goto(console + "/admin/repairorder/new/")
    page.click("#s2id_customer")
    page.keyboard.type("星巴克")
    page.click(".select2-result-label:has-text('星巴克')")
    page.fill("#location", "2F 星巴克 吧台（日期选择器测试）")
    page.fill("#description", "吧台下水管漏水")
    page.select_option("#department", label="物业管理部")
    page.click("#reported_at")
    return page.locator(".daterangepicker:visible")


def test_the_date_picker_speaks_chinese(console, desk):
    page = desk("clerk")
    picker = open_picker(page, console)
    assert picker.locator(".calendar:visible thead tr").nth(1).locator("th").all_inner_texts() == list("日一二三四五六")
    assert picker.locator(".applyBtn").inner_text() == "确定"
    assert picker.locator(".cancelBtn").inner_text() == "取消"
    months = picker.locator(".calendar:visible select.monthselect option").all_inner_texts()
    assert months == ["%d月" % m for m in range(1, 13)]


def test_saving_with_the_date_picker_open_saves_the_picked_time(console, desk):
    page = desk("clerk")
    picker = open_picker(page, console)
    calendar = picker.locator(".calendar:visible")
    calendar.locator("td.available:not(.off)", has_text=re.compile(r"^1$")).first.click()
    calendar.locator("select.hourselect").select_option("8")
    calendar.locator("select.minuteselect").select_option("30")
    assert picker.is_visible()
    page.click("input[type=submit][value='保存']")  # one click, the picker still open
    page.wait_for_url(re.compile(r"/admin/repairorder/(\?.*)?$"))
    page.fill("input[name=search]", "日期选择器测试")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"search="))
    row = page.locator("table.model-list tr", has_text="日期选择器测试")
    assert row.count() == 1
    assert re.search(r"\d{4}-\d\d-01 08:30", row.inner_text())


def test_the_customer_lookup_says_no_match_in_chinese(console, desk):
    page = desk("clerk")
    page.goto(console + "/admin/repairorder/new/")
    page.click("#s2id_customer")
    page.keyboard.type("没有这个商户")
    page.wait_for_selector(".select2-no-results")
    assert page.locator(".select2-no-results").inner_text() == "没有找到匹配项"
    page.keyboard.press("Escape")
    page.goto(console + "/lang/en")
    page.goto(console + "/admin/repairorder/new/")
    page.click("#s2id_customer")
    page.keyboard.type("no such tenant")
    page.wait_for_selector(".select2-no-results")
    assert page.locator(".select2-no-results").inner_text() == "No matches found"  # English stays
