"""The screens a clerk reads all day (issue 17): the callback form, my work, the caller
screen's scripts and the XLSX exports."""
import re
from datetime import timedelta

import pytest

from models import Callback, Complaint, RepairOrder
from helpers import MON, run, user
from factories import make_complaint, make_repair_order


def done_order(result="更换角阀，已试水不漏"):
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON - timedelta(hours=3))
    run(order.accept, user("property"), MON - timedelta(hours=2, minutes=50))
    run(order.complete, user("property"), MON - timedelta(hours=1), result)
    return RepairOrder.get_by_id(order.id)


def radios_checked(page, name):
    return re.findall(r'<input[^>]*name="%s"[^>]*checked' % name, page)


# ---------------------------------------------------------------- the callback form

def test_callback_form_prefills_no_answer_and_shows_whom_to_call_and_what_was_done(as_clerk):
    order = done_order()
    RepairOrder.update(reporter_name="李店长", reporter_phone="13911112222").where(
        RepairOrder.id == order.id).execute()
    form = "/admin/repairorder/step/callback/?id=%d" % order.id
    page = as_clerk.get(form).text
    assert radios_checked(page, "fixed") == [] and radios_checked(page, "satisfaction") == []
    facts = page.split('id="step-facts"')[1].split("</dl>")[0]
    assert "13911112222" in facts and "更换角阀，已试水不漏" in facts and "测试 3F 卫生间" in facts
    assert re.search(r'name="person"[^>]*value="李店长"', page)
    # Unanswered: a Chinese message at each choice, and the order stays done.
    page = as_clerk.submit(form, {"person": "李店长", "notes": ""}).text
    assert "请选择客户是否确认处理结果" in page and "请选择客户的满意度" in page
    assert RepairOrder.get_by_id(order.id).status == RepairOrder.DONE
    as_clerk.submit(form, {"fixed": "yes", "satisfaction": "none", "person": "李店长"})
    callback = Callback.get(Callback.repair_order == order.id)
    assert (callback.accepted, callback.satisfaction, callback.person_reached) == (True, None, "李店长")
    assert RepairOrder.get_by_id(order.id).status == RepairOrder.CLOSED


def test_callback_form_of_a_complaint_shows_the_complainant_and_the_outcome(as_clerk):
    complaint = make_complaint()
    run(complaint.start, user("property"), MON + timedelta(minutes=30))
    run(Complaint.get_by_id(complaint.id).resolve, user("property"), MON + timedelta(hours=3),
        "已向商户说明并调整空调温度")
    form = "/admin/complaint/step/callback/?id=%d" % complaint.id
    page = as_clerk.get(form).text
    facts = page.split('id="step-facts"')[1].split("</dl>")[0]
    assert "13700001111" in facts and "已向商户说明并调整空调温度" in facts and "测试投诉" in facts
    assert re.search(r'name="person"[^>]*value="赵女士"', page)
    assert radios_checked(page, "fixed") == [] and radios_checked(page, "satisfaction") == []
    as_clerk.submit(form, {"fixed": "no", "satisfaction": "2", "person": "赵女士", "notes": "仍觉得冷"})
    stored = Complaint.get_by_id(complaint.id)
    assert stored.status == Complaint.RECEIVED and stored.severity == Complaint.IMPORTANT
    assert Callback.get(Callback.complaint == complaint.id).satisfaction == 2


def test_callback_facts_mask_the_phone_for_masked_roles(app):
    from flask_login import login_user

    from views.steps import callback_facts
    order = done_order()
    phone = order.customer.phone
    for username, shown in (("clerk", phone), ("pm", phone[:3] + "****" + phone[-4:])):
        with app.test_request_context("/"):
            login_user(user(username))
            facts = {str(label): text for label, text in callback_facts(order)}
            assert facts["联系电话"] == shown


# ---------------------------------------------------------------- my work

def my_work_table(client):
    return client.get("/admin/mywork/").text.split('id="my-work"')[1].split("</table>")[0]


def work_row(table, record):
    """The cells' text of the row of `record` on my work."""
    row = table.split('data-record="%s:%d"' % (type(record).__name__, record.id))[1].split("</tr>")[0]
    return [re.sub(r"<[^>]+>|\s+", " ", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_my_work_rows_name_the_customer_place_subject_and_time_left(login, at_monday):
    late = make_repair_order()
    RepairOrder.update(description="男卫生间洗手台下水管漏水").where(RepairOrder.id == late.id).execute()
    run(late.dispatch, user("clerk"), MON - timedelta(hours=2, minutes=30))
    soon = make_repair_order()
    run(soon.dispatch, user("clerk"), MON - timedelta(minutes=10))
    table = my_work_table(login("property"))
    time_left, customer, place, subject, *_ = work_row(table, late)
    assert time_left == "已逾期 2小时0分"
    assert customer == late.customer.name and place == "测试 3F 卫生间"
    assert subject == "男卫生间洗手台下水管漏水"
    assert work_row(table, soon)[0] == "剩余 20分"


def test_my_work_costs_the_same_queries_for_many_rows_as_for_few(login, at_monday):
    from conftest import statements_run
    client = login("property")

    def queries(orders):
        for _ in range(orders):
            run(make_repair_order().dispatch, user("clerk"), MON - timedelta(minutes=40))
        with statements_run() as executed:
            assert client.get("/admin/mywork/").status_code == 200
        return len(executed)

    assert queries(2) == queries(30)


def test_the_project_managers_alerts_are_his_work_and_handling_one_opens_its_record(login, at_monday):
    complaint = make_complaint("major")
    client = login("pm")
    page = client.get("/admin/mywork/").text
    table = page.split('id="my-work"')[1].split("</table>")[0]
    assert "没有待办事项" not in table
    cells = work_row(table, complaint)
    assert cells[2] == "—" and cells[3].startswith("测试投诉") and "重大投诉" in cells[3]
    assert complaint.number in cells[4]
    assert re.search(r'id="work-count">1<', page)
    record = "/admin/complaint/details/?id=%d" % complaint.id
    handle = re.search(r'<a href="([^"]+)" data-handle="Complaint:%d">处理提醒</a>' % complaint.id, page)
    assert handle and handle.group(1) == record
    assert client.get(record).status_code == 200


def test_an_alert_on_a_listed_record_marks_its_row_instead_of_adding_one(login, at_monday):
    from database import write_transaction
    from models import Alert
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON - timedelta(minutes=40))
    with write_transaction():
        Alert.raise_for(order, "escalation", MON, "维修单升级：%s" % order.number,
                        assignee=user("property"), level=2)
    table = my_work_table(login("property"))
    assert table.count('data-record="RepairOrder:%d"' % order.id) == 1
    assert "提醒 2" in " ".join(work_row(table, order))


# ---------------------------------------------------------------- the caller screen's scripts

def script_for(record, trigger):
    import crm
    from models import REGISTERS, Customer
    everything = {m: None for m in REGISTERS}
    reasons = crm.likely_reasons(Customer.get_by_id(record.customer_id), MON, everything)
    [reason] = [r for r in reasons if r["trigger"] == trigger and r["item"]
                and r["item"]["record_id"] == record.id]
    return reason["script_text"]


def test_the_script_of_a_repair_past_its_acceptance_time_says_we_chase_it_now(app):
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON - timedelta(hours=3))
    text = script_for(order, "repair_open")
    assert "已超过承诺的接单时间，我们马上催办" in text and order.number in text
    due = RepairOrder.get_by_id(order.id).accept_deadline
    assert due.strftime("%m月%d日") not in text and "前接单" not in text


def test_the_script_of_a_service_request_past_its_deadline_promises_no_passed_time(app):
    from models import ServiceRequest
    from factories import make_service_request
    request = make_service_request(MON - timedelta(days=6))
    due = ServiceRequest.get_by_id(request.id).handback_deadline
    assert due < MON
    text = script_for(request, "service_pending")
    assert "已超过承诺的答复时间" in text and "将于" not in text
    assert due.strftime("%m月%d日") not in text


def test_the_script_of_an_accepted_repair_says_it_is_being_repaired(app):
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON - timedelta(hours=1))
    run(order.accept, user("property"), MON - timedelta(minutes=50))
    text = script_for(order, "repair_open")
    assert "物业维修人员已于11月23日 09:10接单，正在维修" in text
    assert "前接单" not in text and "等待" not in text


def test_the_script_of_a_repair_still_in_time_names_its_deadline(app):
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON - timedelta(minutes=10))
    assert "维修人员将在11月23日 10:20前接单" in script_for(order, "repair_open")


def test_a_library_script_naming_a_deadline_that_passed_is_replaced_by_what_happens_now(app):
    from models import CallScript
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON - timedelta(hours=3))
    with_time = "{客户}您好，{编号} 须在 {时限} 前接单。"
    CallScript.create(topic="旧话术", trigger="repair_open", seq=0, script=with_time,
                      created_at=MON, updated_at=MON)
    text = script_for(order, "repair_open")
    assert "须在" not in text and "已超过承诺的接单时间" in text and order.number in text


def test_the_migration_replaces_the_shipped_scripts_that_read_deadlines_but_not_edited_ones(app):
    import database
    from models import CallScript
    CallScript.update(script=database.SCRIPTS_BEFORE_PROGRESS["repair_open"]).where(
        CallScript.trigger == "repair_open").execute()
    CallScript.update(script="本店自己写的：{时限}").where(CallScript.trigger == "service_pending").execute()
    database._scripts_say_what_happens_now(database.db.obj)
    assert "{进展}" in CallScript.get(CallScript.trigger == "repair_open").script
    assert CallScript.get(CallScript.trigger == "service_pending").script == "本店自己写的：{时限}"


# ---------------------------------------------------------------- XLSX exports

def exported_workbook(client, register):
    import io

    from openpyxl import load_workbook
    response = client.get("/admin/%s/export/xlsx/" % register)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.get_data()))


def test_xlsx_exports_hold_real_dates_sized_columns_and_a_frozen_title_row(as_clerk):
    from datetime import date, datetime

    from openpyxl.utils import get_column_letter

    from factories import make_service_request
    order = done_order()
    request = make_service_request(MON - timedelta(hours=2))
    sheet = exported_workbook(as_clerk, "repairorder").active
    assert sheet.freeze_panes == "A2"
    titles = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == order.id)
    cells = dict(zip(titles, row))
    for title, expected in (("报修时间", MON), ("完工时间", MON - timedelta(hours=1))):
        assert type(cells[title].value) is datetime and cells[title].value == expected
        assert cells[title].number_format == "yyyy-mm-dd hh:mm"
    assert type(cells["回访时限"].value) is datetime            # a deadline is a date cell too
    assert cells["报修内容"].value == "漏水" and cells["报修内容"].data_type == "s"
    widths = {title: sheet.column_dimensions[get_column_letter(i)].width
              for i, title in enumerate(titles, 1)}
    assert all(widths.values())
    assert widths["报修时间"] >= 16 and widths["时限记录"] > widths["编号"] > widths[titles[0]]
    assert max(widths.values()) <= 60
    requests = exported_workbook(as_clerk, "servicerequest").active
    titles = [c.value for c in requests[1]]
    row = dict(zip(titles, next(r for r in requests.iter_rows(min_row=2) if r[0].value == request.id)))
    assert type(row["提交时间"].value) is datetime
    wanted = [r[titles.index("申请开始日期")] for r in requests.iter_rows(min_row=2)
              if r[titles.index("申请开始日期")].value is not None]
    assert wanted and all(type(c.value) is date or (type(c.value) is datetime and c.is_date)
                          for c in wanted)
    assert all(c.number_format == "yyyy-mm-dd" for c in wanted)


@pytest.mark.slow
def test_libreoffice_reads_the_xlsx_dates_as_dates(as_clerk, tmp_path):
    import csv
    import shutil
    import subprocess
    soffice = shutil.which("libreoffice") or shutil.which("soffice")
    assert soffice, "libreoffice is missing: apt-get install libreoffice-calc-nogui"
    order = done_order()
    source = tmp_path / "orders.xlsx"
    source.write_bytes(as_clerk.get("/admin/repairorder/export/xlsx/?search=%s" % order.number).get_data())
    result = subprocess.run([soffice, "--headless", "-env:UserInstallation=file://%s/profile" % tmp_path,
                             "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir",
                             str(tmp_path), str(source)], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "orders.csv", encoding="utf-8") as fh:
        titles, row = list(csv.reader(fh))[:2]
    cells = dict(zip(titles, row))
    assert cells["报修时间"] == "2026-11-23 10:00" and cells["编号"] == order.number
