"""An upload is read with bounded work and imported at most once (issues 18 and 19)."""
import io
import threading
import zipfile

import pytest
from openpyxl import Workbook

import importer
from models import AuditLog, Customer

SHEET = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def xlsx(sheet=None, strings=None):
    """A real workbook whose first sheet (and shared strings) are the XML pieces given."""
    book = Workbook()
    book.active.append(("客户名称", "铺位号"))
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == "xl/worksheets/sheet1.xml" and sheet is not None:
                with target.open(info.filename, "w") as member:
                    for piece in sheet:
                        member.write(piece)
            else:
                target.writestr(info, source.read(info))
        if strings is not None:
            with target.open("xl/sharedStrings.xml", "w") as member:
                for piece in strings:
                    member.write(piece)
    return out.getvalue()


def blank_rows(count, dimension=True):
    yield SHEET + (b'<dimension ref="A1:B%d"/>' % count if dimension else b"") + b"<sheetData>"
    for start in range(1, count + 1, 10000):
        yield b"".join(b'<row r="%d"/>' % n for n in range(start, min(count, start + 9999) + 1))
    yield b"</sheetData></worksheet>"


def shared_strings(count, declared=True):
    yield (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
           + (b' uniqueCount="%d"' % count if declared else b"") + b">")
    for start in range(0, count, 10000):
        yield b"<si><t>x</t></si>" * min(10000, count - start)
    yield b"</sst>"


def refused(data):
    """Scan `data` as the importer does; return the scan (its counters) and the message."""
    scan = importer.XlsxScan(data)
    with pytest.raises(importer.SheetError) as refusal:
        scan.check()
    return scan, str(refusal.value)


# ---------------------------------------------------------------- XLSX bombs (issue 18)

def test_a_sheet_declaring_millions_of_rows_is_refused_before_its_rows_are_read():
    data = xlsx(blank_rows(500_000))
    assert len(data) < 2 * 1024 * 1024
    scan, message = refused(data)
    assert message.startswith("文件超过 5000 行数据（工作表有 500000 行，含空行）")
    assert scan.rows == 0 and scan.unpacked <= importer.XlsxScan.CHUNK * 2


def test_millions_of_blank_rows_without_a_declared_size_stop_at_the_row_limit():
    scan, message = refused(xlsx(blank_rows(500_000, dimension=False)))
    assert "含空行" in message
    assert scan.rows == importer.MAX_SHEET_ROWS + 1  # stopped at the first row over the limit
    assert scan.unpacked < 1024 * 1024  # of about 9 MB of XML


def test_a_declared_flood_of_shared_strings_is_refused_at_the_declaration():
    data = xlsx(strings=shared_strings(1_000_000))
    scan, message = refused(data)
    assert "文字内容过多（1000000 段）" in message
    assert scan.strings == 0


def test_an_undeclared_flood_of_shared_strings_stops_at_the_string_limit():
    scan, message = refused(xlsx(strings=shared_strings(1_000_000, declared=False)))
    assert "文字内容过多" in message
    assert scan.strings == importer.MAX_STRINGS + 1
    assert scan.unpacked < 17 * (importer.MAX_STRINGS + 1) + 2 * importer.XlsxScan.CHUNK + 50_000


def test_a_flood_of_any_element_stops_at_the_element_limit():
    scan, message = refused(xlsx([SHEET, b"<sheetData>", b"<x/>" * 2_000_000, b"</sheetData></worksheet>"]))
    assert "内容过多" in message and scan.elements == importer.MAX_ELEMENTS + 1


@pytest.mark.parametrize("pieces", [
    [SHEET, b"<sheetData>", b" " * 5_000_000, b"</sheetData></worksheet>"],  # one endless text
    [SHEET, b"<!--", b"a" * 5_000_000, b"--><sheetData/></worksheet>"],  # one endless token
])
def test_one_endless_text_or_tag_is_refused_after_a_bounded_read(pieces):
    scan, _ = refused(xlsx(pieces))
    assert scan.unpacked < importer.MAX_TOKEN_BYTES + 2 * importer.XlsxScan.CHUNK + 50_000


def test_a_workbook_within_the_limits_reads_every_row():
    book = Workbook()
    book.active.append(("客户名称", "铺位号"))
    for n in range(importer.MAX_ROWS):
        book.active.append(("客户%d" % n, "1F-%d" % n))
    buffer = io.BytesIO()
    book.save(buffer)
    headers, rows = importer.read_table(buffer.getvalue(), "x.xlsx")
    assert headers[:2] == ["客户名称", "铺位号"] and len(rows) == importer.MAX_ROWS


def test_a_bomb_is_refused_on_the_page_next_to_the_file_field(app, login, tmp_path):
    app.config["KEFU_IMPORT_FOLDER"] = str(tmp_path / "imports")
    clerk = login("clerk")
    customers, audits = Customer.select().count(), AuditLog.select().count()
    response = clerk.submit("/admin/import/", {
        "register": "customer", "sheet": (io.BytesIO(xlsx(blank_rows(300_000))), "炸弹.xlsx")})
    assert response.status_code == 200
    feedback = response.text.split('id="sheet"', 1)[1].split("</div>", 1)[0]
    assert "文件超过 5000 行数据" in feedback
    assert 'id="import-confirm"' not in response.text
    assert not (tmp_path / "imports").exists() or list((tmp_path / "imports").iterdir()) == []
    assert (Customer.select().count(), AuditLog.select().count()) == (customers, audits)
