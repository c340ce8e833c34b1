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


# ---------------------------------------------------------------- imported once (issue 19)

def clerk():
    from models import User
    return User.get(User.username == "clerk")


def customer_sheet(prefix, rows):
    lines = ["客户名称,铺位号,联系电话"] + ["%s%d,%s-%d,139%08d" % (prefix, n, prefix, n, n)
                                         for n in range(rows)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def race(*calls):
    """Run the calls at the same moment, each on a thread and connection of its own; return
    what each returned or raised."""
    from models import db
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as err:  # noqa: BLE001 - the outcome is what the test compares
            results[index] = err
        finally:
            if db.obj is not None:  # the thread's connection back to the pool
                db.close()
    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_a_double_clicked_import_imports_the_upload_once(app):
    from conftest import DEMO_NOW
    by = clerk()
    for round_ in range(8):
        prefix = "双击%d-" % round_
        data = customer_sheet(prefix, 150)
        plans = [importer.plan("customer", data, "名录.csv") for _ in range(2)]  # both previews
        imports = AuditLog.select().where(AuditLog.action == "import").count()
        results = race(*(lambda plan=plan: importer.apply(plan, by, DEMO_NOW, token="tok-%d" % round_)
                         for plan in plans))
        assert sorted(type(r).__name__ for r in results) == ["AlreadyImported", "dict"], results
        second = next(r for r in results if isinstance(r, importer.AlreadyImported))
        assert "未重复导入" in str(second) and "新增 150" in str(second)
        assert Customer.select().where(Customer.name.startswith(prefix)).count() == 150
        assert AuditLog.select().where(AuditLog.action == "import").count() == imports + 1


def test_two_uploads_of_the_same_customers_create_each_customer_once(app):
    """Two clerks importing the same new customers at once: the database keeps them unique."""
    from conftest import DEMO_NOW
    by = clerk()
    for round_ in range(5):
        prefix = "两人%d-" % round_
        data = customer_sheet(prefix, 100)
        plans = [importer.plan("customer", data, "名录.csv") for _ in range(2)]
        results = race(*(lambda plan=plan, n=n: importer.apply(plan, by, DEMO_NOW, token="t%d-%d" % (round_, n))
                         for n, plan in enumerate(plans)))
        refused = [r for r in results if isinstance(r, Exception)]
        assert len(refused) == 1 and "预览后已有人登记了相同" in str(refused[0]), results
        assert Customer.select().where(Customer.name.startswith(prefix)).count() == 100


@pytest.mark.parametrize("first, second", [
    ({"name": "唯一甲", "shop_no": "9F-1"}, {"name": "唯一甲", "shop_no": "9F-1", "phone": "13900000001"}),
    ({"name": "唯一乙", "phone": "13900000002"}, {"name": "唯一乙", "phone": "13900000002"}),
    ({"name": "唯一丙"}, {"name": "唯一丙", "shop_no": ""}),
])
def test_a_live_customer_is_unique_where_the_import_matches_it(app, first, second):
    from peewee import IntegrityError
    Customer.create(**first)
    with pytest.raises(IntegrityError):
        Customer.create(**second)


def test_archived_customers_and_other_keys_are_not_held_by_the_unique_key(app):
    from conftest import DEMO_NOW
    Customer.create(name="老店", shop_no="9F-2", archived_at=DEMO_NOW, archive_reason="撤场")
    Customer.create(name="老店", shop_no="9F-2")  # the unit re-let to a namesake
    Customer.create(name="新店", shop_no="9F-2")  # another tenant on the same unit
    Customer.create(name="王先生", phone="13900000003")
    Customer.create(name="王先生", phone="13900000004")  # same name, another phone
    Customer.create(name="王先生", shop_no="9F-3", phone="13900000003")  # with a shop: its own key
    assert Customer.select().where(Customer.name.in_(("老店", "王先生"))).count() == 5


def test_a_second_confirm_lands_on_the_first_imports_result(app, login, tmp_path):
    import re
    from conftest import csrf_token
    app.config["KEFU_IMPORT_FOLDER"] = str(tmp_path / "imports")
    client = login("clerk")
    preview = client.submit("/admin/import/", {
        "register": "customer", "sheet": (io.BytesIO(customer_sheet("再点", 3)), "名录.csv")})
    form = {name: re.search(r'name="%s" type="hidden" value="([^"]*)"' % name, preview.text).group(1)
            for name in ("token", "fingerprint")}
    form.update(csrf_token=csrf_token(preview.text), mode="all")
    first = client.post("/admin/import/confirm/", data=form)
    second = client.post("/admin/import/confirm/", data=form)
    assert first.headers["Location"] == second.headers["Location"] == "/admin/customer/"
    page = client.get(second.headers["Location"]).text
    assert "该文件已于" in page and "未重复导入：新增 3 条" in page
    assert Customer.select().where(Customer.name.startswith("再点")).count() == 3
    assert list((tmp_path / "imports").iterdir()) == []


def test_the_upgrade_archives_live_duplicates_beside_the_first_and_keeps_them(app):
    import database
    from models import db
    db.execute_sql("DROP INDEX customer_live_shop_no_name")
    kept = Customer.create(name="重复店", shop_no="9F-9")
    twin = Customer.create(name="重复店", shop_no="9F-9")
    with db.atomic():
        database._imports_count_once(db.obj)
    twin = Customer.get_by_id(twin.id)
    assert twin.archived_at is not None and ("#%d" % kept.id) in twin.archive_reason
    assert Customer.get_by_id(kept.id).archived_at is None
    with pytest.raises(Exception):
        Customer.create(name="重复店", shop_no="9F-9")


class Browser:
    """A logged-in clerk on a running console, over HTTP (urllib keeps the cookies)."""

    def __init__(self, base, username="clerk"):
        import http.cookiejar
        import urllib.request
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.post("/login", {"username": username, "password": "demo",
                             "csrf_token": self.token("/login")})

    def token(self, path):
        from conftest import csrf_token
        return csrf_token(self.opener.open(self.base + path).read().decode())

    def post(self, path, fields, files=None):
        import urllib.parse
        import urllib.request
        if files:
            boundary = "kefu-import-test"
            body = b"".join(b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (
                boundary.encode(), name.encode(), value.encode()) for name, value in fields.items())
            for name, (filename, data) in files.items():
                body += b'--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n' \
                        b"Content-Type: application/octet-stream\r\n\r\n%s\r\n" % (
                            boundary.encode(), name.encode(), filename.encode(), data)
            body += b"--%s--\r\n" % boundary.encode()
            request = urllib.request.Request(self.base + path, body, {
                "Content-Type": "multipart/form-data; boundary=" + boundary})
        else:
            request = urllib.request.Request(self.base + path, urllib.parse.urlencode(fields).encode())
        return self.opener.open(request, timeout=60).read().decode()


def test_two_clicks_of_import_at_once_on_a_running_console_import_once(server, tmp_path):
    import re
    import sqlite3
    # Two sessions of the clerk, so that each click's page shows its own message (a session's
    # messages travel in its cookie); the upload token is the clerk's, whichever session.
    clerk_browser, other_tab = Browser(server), Browser(server)
    database = sqlite3.connect(tmp_path / "e2e.db")
    for round_ in range(5):
        prefix = "并发%d-" % round_
        preview = clerk_browser.post("/admin/import/", {
            "register": "customer", "csrf_token": clerk_browser.token("/admin/import/")},
            files={"sheet": ("名录.csv", customer_sheet(prefix, 200))})
        form = {name: re.search(r'name="%s" type="hidden" value="([^"]*)"' % name, preview).group(1)
                for name in ("csrf_token", "token", "fingerprint")}
        form["mode"] = "all"
        other_form = dict(form, csrf_token=other_tab.token("/admin/import/"))
        imports = database.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'import'").fetchone()[0]
        pages = race(lambda: clerk_browser.post("/admin/import/confirm/", form),
                     lambda: other_tab.post("/admin/import/confirm/", other_form))
        assert sum("导入完成：新增 200 条" in page for page in pages) == 1, pages
        assert sum("未重复导入：新增 200 条" in page for page in pages) == 1
        assert database.execute("SELECT COUNT(*) FROM customer WHERE name LIKE ?",
                                (prefix + "%",)).fetchone()[0] == 200
        assert database.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'import'"
                                ).fetchone()[0] == imports + 1
    database.close()
