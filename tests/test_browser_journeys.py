"""A new user's journeys end to end in headless Chromium at 1366×768: each reaches its state,
and no page or request on the way answers 4xx/5xx.

Screenshots of every journey go to the test's tmp_path (and to $KEFU_SHOTS when set, to look
at them)."""
import os
import re
import shutil

import pytest

# Chromium against a started console: browser tests, and slow (pytest -m "not slow" leaves them out).
pytestmark = [pytest.mark.browser, pytest.mark.slow]


class Desk:
    """One person at the console: a logged-in browser tab that records every failed response."""

    def __init__(self, chromium, base, username, shots, password="demo"):
        self.base, self.username, self.shots = base, username, shots
        self.context = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                            accept_downloads=True,
                                            viewport={"width": 1366, "height": 768})
        self.page = self.context.new_page()
        self.failures = []
        self.page.on("response", lambda r: r.status >= 400 and self.failures.append(
            (r.status, r.url)))
        self.page.on("dialog", lambda dialog: dialog.accept())  # a confirm() is answered yes
        self.goto("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state("networkidle")
        assert "/login" not in self.page.url, f"login as {username} failed"

    def goto(self, path):
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")

    def shot(self, name):
        path = os.path.join(self.shots, f"{self.username}-{name}.png")
        self.page.screenshot(path=path, full_page=True)
        if os.environ.get("KEFU_SHOTS"):
            os.makedirs(os.environ["KEFU_SHOTS"], exist_ok=True)
            shutil.copy(path, os.environ["KEFU_SHOTS"])

    def text(self):
        return self.page.inner_text("body")

    def flashes(self):
        return " ".join(self.page.locator(".alert").all_inner_texts())

    def step(self, label, **fields):
        """Take a workflow step from the record's page: its button, then its form or
        confirmation (if it asks for one) with `fields` filled in; return the flash."""
        page = self.page
        page.locator(f"a.btn:text-is('{label}'), a.btn:text-is('{label}…'), "
                     f"button.btn:text-is('{label}')").first.click()
        page.wait_for_load_state("networkidle")
        submit = page.locator(f"button[type=submit]:text-is('确认{label}'):visible")
        if submit.count():  # its form page, or its confirmation in place
            form = page.locator("form", has=submit)
            for name, value in fields.items():
                field = form.locator(f"[name={name}]")
                kind = field.first.get_attribute("type")
                if field.first.evaluate("e => e.tagName") == "SELECT":
                    field.select_option(value)
                elif kind == "radio":
                    form.locator(f"[name={name}][value='{value}']").check()
                elif kind == "checkbox":
                    field.check() if value else field.uncheck()
                else:
                    field.fill(value)
            submit.click()
            page.wait_for_load_state("networkidle")
        else:
            assert not fields, f"{label} asked for nothing, yet the journey has {fields}"
        self.shot(f"after-{label}")
        return self.flashes()

    def field(self, label):
        """The value shown next to `label` on a details page (None: not shown)."""
        return self.page.evaluate("""label => {
            for (const row of document.querySelectorAll('tr')) {
                const cells = row.children;
                if (cells.length >= 2 && cells[0].innerText.trim() === label)
                    return cells[1].innerText.trim();
            }
            return null;
        }""", label)

    def close(self):
        self.context.close()


@pytest.fixture
def desk(chromium, console, tmp_path):
    """desk('clerk') opens a logged-in tab; at the end no response of any tab was 4xx/5xx."""
    desks = []

    def open_desk(username):
        desks.append(Desk(chromium, console, username, str(tmp_path)))
        return desks[-1]
    yield open_desk
    failures = [(d.username, status, url) for d in desks for status, url in d.failures]
    for d in desks:
        d.close()
    assert not failures, f"pages that failed on the way: {failures}"


def record_id(page):
    match = re.search(r"[?&]id=(\d+)", page.url)
    assert match, page.url
    return match.group(1)


def test_a_phone_call_becomes_a_repair_order_that_is_dispatched_accepted_done_called_back_and_closed(desk):
    clerk = desk("clerk")
    clerk.goto("/admin/caller/?phone=" + "星巴克")  # the tenant calls; the screen finds the shop
    clerk.shot("caller")
    clerk.page.click("#start-contact")
    clerk.page.wait_for_load_state("networkidle")
    assert "星巴克" in clerk.page.inner_text("#s2id_customer")
    clerk.page.select_option("#kind", "repair")
    clerk.page.fill("#subject", "后厨照明灯不亮")
    clerk.page.fill("#content", "后厨三盏照明灯不亮")
    clerk.page.select_option("#department", label="物业管理部")
    clerk.page.click("input[type=submit][value='保存']")
    clerk.page.wait_for_load_state("networkidle")
    if "/caller/" in clerk.page.url:  # back on the caller screen, the call now listed on it
        clerk.shot("caller-after")
        clerk.page.click("a:has-text('后厨照明灯不亮')")
        clerk.page.wait_for_load_state("networkidle")
    assert "/contact/details/" in clerk.page.url
    assert clerk.field("事由") == "后厨照明灯不亮"
    clerk.shot("contact")

    assert "已生成" in clerk.step("转维修单")
    clerk.page.click(".alert a:has-text('WX-')")  # the order it made, named in the message
    clerk.page.wait_for_load_state("networkidle")
    assert "/repairorder/details/" in clerk.page.url, clerk.page.url
    order_url = clerk.page.url
    number = clerk.field("编号")
    assert number.startswith("WX-")
    assert "派单" in clerk.step("派单")
    assert clerk.field("状态") == "已派单"
    clerk.shot("dispatched")

    technician = desk("property")
    technician.page.goto(order_url)
    assert "接单" in technician.step("接单")
    assert technician.field("状态") == "已接单"
    assert "完工" in technician.step("完工", result="更换 C 区三盏 LED 灯管，恢复照明")
    assert technician.field("状态") == "已完工"
    technician.shot("done")

    clerk.page.goto(order_url)
    clerk.step("回访", fixed="yes", satisfaction="5", person="钱先生", notes="灯已亮，满意")
    clerk.page.goto(order_url)
    assert clerk.field("状态") == "已回访关闭"
    clerk.shot("closed")

    with clerk.context.expect_page() as slip:
        clerk.page.click("text=打印维修工作单")
    slip = slip.value
    slip.wait_for_load_state("networkidle")
    assert number in slip.inner_text("body") and "更换 C 区三盏" in slip.inner_text("body")
    slip.screenshot(path=os.path.join(clerk.shots, "clerk-slip.png"), full_page=True)


def open_from_grid(person, register, search):
    """Find a row in a register's grid by its search box and open its page."""
    person.goto(f"/admin/{register}/?search={search}")
    person.page.locator("table.model-list tr", has_text=search).locator(
        "a[title='查看记录'], a:has(.fa-eye)").first.click()
    person.page.wait_for_load_state("networkidle")
    assert f"/admin/{register}/details/" in person.page.url, person.page.url
    return person.page.url


def test_a_complaint_taken_at_the_desk_is_routed_handled_refused_at_callback_escalated_and_closed(desk):
    clerk = desk("clerk")
    clerk.goto("/admin/contact/new/")
    clerk.page.fill("#visitor_name", "顾客 孙女士")
    clerk.page.fill("#phone", "13955550002")
    clerk.page.select_option("#kind", "complaint")
    clerk.page.fill("#subject", "扶梯旁地面湿滑无提示")
    clerk.page.fill("#content", "一楼扶梯旁地面湿滑，没有警示牌，险些滑倒")
    clerk.page.click("input[type=submit][value='保存']")
    clerk.page.wait_for_load_state("networkidle")
    assert "/contact/details/" in clerk.page.url
    # Converting asks what kind of complaint it is before anything is saved.
    clerk.step("转投诉", category="property", severity="general")
    clerk.page.click(".alert a:has-text('TS-')")
    clerk.page.wait_for_load_state("networkidle")
    complaint_url = clerk.page.url
    assert clerk.field("投诉类别") == "物业管理" and clerk.field("投诉性质") == "一般"
    assert clerk.field("责任部门") == "物业管理部"        # routed by category (R-CMP-4)
    clerk.shot("complaint")

    handler = desk("property")
    handler.page.goto(complaint_url)
    handler.step("启动处理", content="安排保洁立即处理并放置警示牌")
    handler.step("记录进展", content="已拖干地面，放置两块警示牌", told="已电话告知处理进展")
    assert handler.page.url.startswith(complaint_url.split("?")[0])  # back on the complaint
    handler.step("办结", result="地面已处理，增加巡查频次")
    assert handler.field("状态") == "已处理待回访"

    clerk.page.goto(complaint_url)
    clerk.step("回访", fixed="no", satisfaction="2", person="孙女士", notes="认为巡查仍不够")
    clerk.page.goto(complaint_url)
    assert clerk.field("投诉性质") == "重要"                 # raised one level (R-CMP-8)
    assert clerk.field("状态") in ("已受理", "处理中")       # and handled again
    clerk.shot("escalated")

    handler.page.goto(complaint_url)
    if handler.field("状态") == "已受理":
        handler.step("启动处理", content="部门经理牵头复查")
    handler.step("办结", result="雨天增设防滑垫，每小时巡查一次")
    clerk.page.goto(complaint_url)
    clerk.step("回访", fixed="yes", satisfaction="4", person="孙女士", notes="接受")
    clerk.page.goto(complaint_url)
    assert clerk.field("状态") == "已关闭"
    clerk.shot("closed")


def test_a_ladder_lent_for_two_hours_is_returned_late_charged_and_its_deposit_refunded(desk):
    clerk = desk("clerk")
    clerk.goto("/admin/itemloan/new/")
    clerk.page.click("#s2id_item, #item")
    if clerk.page.locator("#s2id_item").count():
        clerk.page.keyboard.type("人字梯")
        clerk.page.click(".select2-result-label:has-text('人字梯 2 米')")
    else:
        value = clerk.page.evaluate("""() => [...document.querySelectorAll('#item option')]
            .find(o => o.text.includes('人字梯 2 米')).value""")
        clerk.page.select_option("#item", value)
    clerk.page.fill("#borrower_name", "3F-110 店员 周先生")
    clerk.page.fill("#borrower_phone", "13955550003")
    lent = clerk.page.evaluate("""() => {
        const d = new Date(Date.now() - 2 * 3600 * 1000 - 60 * 1000);  // lent two hours ago
        const p = n => String(n).padStart(2, '0');
        return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:00`;
    }""")
    clerk.page.fill("#lent_at", lent)
    clerk.page.click("input[type=submit][value='保存']")
    clerk.page.wait_for_load_state("networkidle")
    clerk.shot("loan-saved")
    loan_url = open_from_grid(clerk, "itemloan", "周先生")
    assert clerk.field("押金（元）") in ("100.00", "100")
    for slip, words in (("打印押金收据", "押金"), ("打印借用物品证明", "借用")):
        with clerk.context.expect_page() as printed:
            clerk.page.click(f"text={slip}")
        printed = printed.value
        printed.wait_for_load_state("networkidle")
        assert words in printed.inner_text("body") and "人字梯" in printed.inner_text("body")
        printed.screenshot(path=os.path.join(clerk.shots, f"clerk-{slip}.png"), full_page=True)
        printed.close()

    number, receipt = clerk.field("编号"), clerk.field("押金收据号")
    assert clerk.field("状态") == "待仓库发放"
    # The warehouse keeper issues the ladder against the certificate (R-LOAN-2), recording
    # that it left two hours ago, and later takes it back.
    keeper = desk("warehouse")
    keeper.page.goto(loan_url)
    keeper.step("仓库发放", certificate_no=number, issued_at=lent[:16])
    keeper.page.goto(loan_url)
    assert keeper.field("状态") == "借出中"
    keeper.step("归还")
    keeper.page.goto(loan_url)
    assert keeper.field("状态") == "已归还"
    assert float(keeper.field("超时费（元）")) > 0            # longer than an hour (R-LOAN-4)
    clerk.page.goto(loan_url)
    clerk.step("退押金", receipt_no=receipt, certificate_no=number)   # against both papers (R-LOAN-3)
    clerk.page.goto(loan_url)
    refund, fee = float(clerk.field("退还押金（元）")), float(clerk.field("超时费（元）"))
    assert refund == 100 - fee
    with clerk.context.expect_page() as printed:
        clerk.page.click("text=打印退押金单")
    printed = printed.value
    printed.wait_for_load_state("networkidle")
    assert "人民币" in printed.inner_text("body") and "元整" in printed.inner_text("body")
    printed.screenshot(path=os.path.join(clerk.shots, "clerk-refund-slip.png"), full_page=True)
    printed.close()
    clerk.shot("refunded")


def test_a_supervisor_goes_from_the_dashboard_to_the_overdue_list_and_their_work(desk):
    manager = desk("ops")
    manager.goto("/admin/")
    manager.shot("dashboard")
    overdue = manager.page.locator("a[data-count=overdue]").first
    count = int(overdue.inner_text())
    overdue.click()
    manager.page.wait_for_load_state("networkidle")
    assert manager.page.locator("table.model-list tbody tr").count() == count
    assert manager.text().count("已逾期") >= count
    manager.shot("overdue")
    manager.page.click("nav >> text=我的待办")
    manager.page.wait_for_load_state("networkidle")
    assert "我的待办" in manager.text()
    manager.shot("my-work")


def test_an_auditor_exports_a_register_as_csv_and_xlsx(desk, tmp_path):
    import csv
    import openpyxl
    auditor = desk("auditor")
    auditor.goto("/admin/repairorder/")
    files = {}
    for kind in ("CSV", "XLSX"):
        auditor.page.click("a.dropdown-toggle:has-text('导出')")
        with auditor.page.expect_download() as download:
            auditor.page.click(f".dropdown-menu a:has-text('{kind}')")
        files[kind] = tmp_path / download.value.suggested_filename
        download.value.save_as(files[kind])
    with open(files["CSV"], encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert "编号" in rows[0] and "状态" in rows[0] and len(rows) > 10
    sheet = openpyxl.load_workbook(files["XLSX"]).active
    assert [c.value for c in sheet[1]] == rows[0] and sheet.max_row == len(rows)
    phones = [cell for row in rows for cell in row if re.fullmatch(r"1\d{10}", cell)]
    assert not phones, "the auditor sees no full phone number"


def test_the_caller_screen_registers_the_call_for_the_reason_it_guesses(desk):
    clerk = desk("clerk")
    clerk.goto("/admin/caller/?phone=" + "星巴克")
    reason = clerk.page.locator("a.btn:has-text('按此登记')").first
    reason.click()
    clerk.page.wait_for_load_state("networkidle")
    subject = clerk.page.input_value("#subject")
    assert subject and "星巴克" in clerk.page.inner_text("#s2id_customer")
    clerk.page.click("input[type=submit][value='保存']")
    clerk.page.wait_for_load_state("networkidle")
    assert "/contact/details/" in clerk.page.url
    assert clerk.field("事由") == subject and clerk.field("方式") == "来电"
    clerk.shot("registered")
