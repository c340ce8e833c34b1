"""Audit-grade exports: every field, names and labels, deadlines, the screens' own row scope,
streamed in chunks, CSV and XLSX; hostile text round-trips (issue 7)."""
import csv
import io

from openpyxl import load_workbook

from models import AuditLog, Contact, Department, RepairOrder
from test_registers import url, valid_form

HOSTILE = ("<script>alert('x')</script> ' OR 1=1; DROP TABLE contact; -- 😀 "
           "=cmd|' /C calc'!A0 \\u200b 中文")


def read_csv(response):
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def read_xlsx(response):
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    return [[("" if v is None else v) for v in row] for row in sheet.iter_rows(values_only=True)]


def test_hostile_text_is_stored_as_typed_shown_escaped_and_exported_unchanged(as_clerk, app):
    response = as_clerk.submit(url(Contact, "new/"), valid_form(Contact) | {
        "subject": HOSTILE[:200], "content": HOSTILE + "\n第二行\t制表"})
    assert response.status_code == 302
    contact = Contact.select().order_by(Contact.id.desc()).get()
    assert contact.subject == HOSTILE[:200] and contact.content == HOSTILE + "\n第二行\t制表"
    page = as_clerk.get(url(Contact, "details/?id=%d" % contact.id)).text
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    query = "export/%s/?search=" + contact.number
    rows = read_csv(as_clerk.get(url(Contact, query % "csv")))
    column = {t: i for i, t in enumerate(rows[0])}
    assert rows[1][column["内容"]] == HOSTILE + "\n第二行\t制表"
    sheet = read_xlsx(as_clerk.get(url(Contact, query % "xlsx")))
    column = {t: i for i, t in enumerate(sheet[0])}
    assert sheet[1][column["内容"]] == HOSTILE + "\n第二行\t制表"
    # In the workbook a text starting with = is a text cell, never a formula.
    Contact.update(subject="=1+1", content="-12.5").where(Contact.id == contact.id).execute()
    book = load_workbook(io.BytesIO(as_clerk.get(url(Contact, query % "xlsx")).get_data()))
    header = [c.value for c in book.active[1]]
    subject = book.active.cell(row=2, column=header.index("事由") + 1)
    assert subject.value == "=1+1" and subject.data_type == "s"


def test_exports_carry_the_deadlines_and_obey_the_department_scope(login, app):
    clerk, staff = login("clerk"), login("property")
    everything = read_csv(clerk.get(url(RepairOrder, "export/csv/")))
    column = {t: i for i, t in enumerate(everything[0])}
    assert {"维修部门", "接单时限", "是否逾期", "时限记录"} <= set(column)
    assert len(everything) - 1 == RepairOrder.select().count()
    late = [r for r in everything[1:] if r[column["是否逾期"]] == "是"]
    assert late and all("REP_ACCEPT" in r[column["时限记录"]] or "REP_CALLBACK" in r[column["时限记录"]]
                        for r in late)
    assert all("<span" not in cell for row in everything for cell in row)  # no HTML in cells
    property_id = Department.get(Department.code == "property").id
    mine = read_csv(staff.get(url(RepairOrder, "export/csv/")))
    assert len(mine) - 1 == RepairOrder.select().where(RepairOrder.department == property_id).count()
    export = AuditLog.select().where(AuditLog.action == "export").order_by(AuditLog.id.desc()).get()
    assert export.username == "property" and "%d 行" % (len(mine) - 1) in export.summary


def test_exports_stream_in_chunks_in_id_order(as_clerk, app, monkeypatch):
    from views.base import KefuModelView
    monkeypatch.setattr(KefuModelView, "EXPORT_CHUNK", 3)
    rows = read_csv(as_clerk.get(url(Contact, "export/csv/")))
    ids = [int(r[0]) for r in rows[1:]]
    assert ids == sorted(ids) and len(ids) == Contact.select().count() > 3
    filtered = read_xlsx(as_clerk.get(url(Contact, "export/xlsx/?flt0_status_equal=open")))
    assert len(filtered) - 1 == Contact.select().where(Contact.status == "open").count()


def test_libreoffice_opens_the_csv_with_chinese_intact_and_formulas_inert(as_clerk, app, tmp_path):
    """The CSV converted by LibreOffice Calc (Debian's libreoffice-calc-nogui, installed by
    .ci/run): the Chinese text reads back, the dangerous cells are text, not formulas."""
    import shutil
    import subprocess
    soffice = shutil.which("libreoffice") or shutil.which("soffice")
    assert soffice, "libreoffice is missing: apt-get install libreoffice-calc-nogui"
    as_clerk.submit(url(Contact, "new/"), valid_form(Contact) | {
        "subject": '=HYPERLINK("http://evil.example","点我领奖")', "content": "@SUM(1+1)*cmd|' /C calc'!A0"})
    contact = Contact.select().order_by(Contact.id.desc()).get()
    source = tmp_path / "contacts.csv"
    source.write_bytes(as_clerk.get(url(Contact, "export/csv/?search=" + contact.number)).get_data())
    # Excel honours the BOM by itself; headless LibreOffice is told the character set
    # (CSV filter: comma, double quote, 76 = UTF-8). Formula detection stays at its default.
    result = subprocess.run([soffice, "--headless", "-env:UserInstallation=file://%s/profile" % tmp_path,
                             "--infilter=CSV:44,34,76", "--convert-to", "xlsx", "--outdir",
                             str(tmp_path), str(source)],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    book = load_workbook(tmp_path / "contacts.xlsx")
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert "事由" in header and "接待时间" in header          # UTF-8 with BOM read as such
    subject = sheet.cell(row=2, column=header.index("事由") + 1)
    content = sheet.cell(row=2, column=header.index("内容") + 1)
    assert subject.data_type == "s" and "点我领奖" in subject.value and "HYPERLINK" in subject.value
    assert content.data_type == "s" and "SUM" in content.value
