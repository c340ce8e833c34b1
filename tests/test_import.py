"""Importing sheets (issue 9): good, bad, duplicate and mixed-encoding files, previewed then applied."""
import io
import json
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook

import access
import flows.records
import importer
from factories import make_service_request
from helpers import CUSTOMER_HEADER, MON, confirm, hidden, sheet, upload
from models import (Alert, AuditLog, CalendarDay, Customer, DomainError, FeeItem, ServiceRequest,
                    User, ValidationError)

NOW = datetime(2026, 11, 20, 10, 0)
@pytest.fixture(autouse=True)
def upload_folder(app, tmp_path):
    """Uploads waiting for their confirm go to the test's own folder, not the instance folder."""
    app.config["KEFU_IMPORT_FOLDER"] = str(tmp_path / "imports")
    return tmp_path / "imports"


def workbook(*rows):
    """XLSX bytes with `rows` in the first sheet."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def clerk():
    return User.get(User.username == "clerk")


def by_row(plan):
    return {row.row: row for row in plan.rows}


def importing_user(register):
    """The clerk, or the admin for a register only the admin writes (收费标准, 工作日历): the
    import page offers each register only to roles that may write it. `register`: its import
    name, or a plan of it."""
    model = register.spec.model if isinstance(register, importer.Plan) else \
        importer.SPECS[register].model
    if clerk().role_set & access.grant(model.__name__).write:
        return clerk()
    return User.get(User.username == "admin")


def imported(register, data, filename="表.csv", only_valid=False):
    """Plan and apply a file as one who may write the register; return (plan, counts)."""
    plan = importer.plan(register, data, filename)
    return plan, importer.apply(plan, importing_user(register), NOW, only_valid=only_valid)


# ---------------------------------------------------------------- good files

def test_good_file_creates_every_row_stamped_and_audited(app):
    plan, counts = imported("customer", sheet(
        CUSTOMER_HEADER,
        "测试咖啡馆,商户,2F-901,13912345678,2026-01-05,2028/1/4,\"12,000.50\"",
        "测试业委会,owners_committee,,021-55556666,,,"), "商户名录.csv")
    assert counts == {"create": 2, "update": 0, "unchanged": 0, "error": 0}
    cafe = Customer.get(Customer.shop_no == "2F-901")
    assert (cafe.name, cafe.kind, cafe.phone) == ("测试咖啡馆", Customer.TENANT, "13912345678")
    assert (cafe.lease_start, cafe.lease_end) == (date(2026, 1, 5), date(2028, 1, 4))
    assert cafe.monthly_rent == Decimal("12000.50")
    assert (cafe.created_by_id, cafe.created_at, cafe.updated_at, cafe.version) == (
        clerk().id, NOW, NOW, 1)
    assert Customer.get(Customer.name == "测试业委会").kind == Customer.OWNERS
    created = AuditLog.select().where((AuditLog.action == "create") & (AuditLog.model == "Customer")
                                      & (AuditLog.record_id == str(cafe.id))).get()
    assert created.username == "clerk" and "商户名录.csv 第 2 行" in created.summary
    assert "13912345678" in created.changes
    summary = AuditLog.get(AuditLog.action == "import")
    assert summary.summary == "导入客户 商户名录.csv：新增 2，更新 0，无变化 0，跳过错误行 0"
    assert summary.action_label() == "导入"


def test_reimport_updates_what_changed_and_leaves_the_rest(app):
    header = "收费代码,服务项目,计价单位,单价（元）,有效"
    imported("feeitem", sheet(header, "T1,搬运,次,20,是", "T2,保洁,小时,35.5,是"))
    plan, counts = imported("feeitem", sheet(header, "T1,搬运,次,25,是", "T2,保洁,小时,35.50,是"))
    assert counts == {"create": 0, "update": 1, "unchanged": 1, "error": 0}
    assert by_row(plan)[2].changes == [("price", "单价（元）", "20.00", "25.00")]
    item = FeeItem.get(FeeItem.code == "T1")
    assert (item.price, item.version, item.updated_at) == (Decimal("25.00"), 2, NOW)
    update = AuditLog.get((AuditLog.action == "update") & (AuditLog.record_id == str(item.id)))
    old, new = json.loads(update.changes)["price"]
    assert (Decimal(old), new) == (Decimal("20"), "25.00")
    # Imported twice unchanged: nothing to write but the import's own audit row.
    assert imported("feeitem", sheet(header, "T1,搬运,次,25,是"))[1]["unchanged"] == 1


def test_blank_cell_keeps_the_stored_value(app):
    imported("customer", sheet(CUSTOMER_HEADER, "测试甲,商户,2F-902,13912345678,,,8000"))
    plan, counts = imported("customer", sheet(CUSTOMER_HEADER, "测试甲,,2F-902,,,,9000"))
    assert counts["update"] == 1
    stored = Customer.get(Customer.shop_no == "2F-902")
    assert (stored.phone, stored.monthly_rent) == ("13912345678", Decimal("9000.00"))


def test_a_new_tenant_on_a_known_shop_is_a_new_customer(app):
    """A unit is re-let: matching on the shop number alone would rename the old tenant."""
    imported("customer", sheet(CUSTOMER_HEADER, "老租户,商户,2F-903,13912345678,,,"))
    plan, counts = imported("customer", sheet(CUSTOMER_HEADER, "新租户,商户,2F-903,13912345679,,,"))
    assert counts["create"] == 1
    assert Customer.select().where(Customer.shop_no == "2F-903").count() == 2


def test_customers_without_shop_match_on_name_and_phone(app):
    lines = ("客户名称,客户类别,联系电话", "王先生,消费者,13800000001", "王先生,消费者,13800000002")
    assert imported("customer", sheet(*lines))[1]["create"] == 2
    assert imported("customer", sheet(*lines))[1]["unchanged"] == 2


# ---------------------------------------------------------------- bad rows

@pytest.mark.parametrize("line, reason", [
    ("测试,商户,2F-910,1234,,,", "联系电话格式不正确"),
    ("测试,商户,2F-911,13912345678,2026-02-30,,", "租约开始“2026-02-30”不是有效日期"),
    ("测试,房东,2F-912,13912345678,,,", "客户类别“房东”不在可选范围内（可选：商户、主力店、消费者、业委会、商委会）"),
    (",商户,2F-913,13912345678,,,", "客户名称不能为空"),
    ("测试,商户,2F-914,13912345678,,,-100", "月租金（元）不能为负数"),
    ("测试,商户,2F-915,13912345678,,,一万", "月租金（元）必须是数字"),
    ("测试,商户,2F-916,13912345678,2026-03-01,2026-01-01,", "租约结束不能早于租约开始"),
    ("测试" * 60 + ",商户,2F-917,13912345678,,,", "客户名称不能超过 100 个字符"),
])
def test_bad_row_is_reported_with_its_row_number_and_reason(app, line, reason):
    plan = importer.plan("customer", sheet(CUSTOMER_HEADER, "好客户,商户,2F-909,13912345678,,,", line),
                         "x.csv")
    assert plan.counts == {"create": 1, "update": 0, "unchanged": 0, "error": 1}
    bad = by_row(plan)[3]
    assert bad.action == "error" and any(reason in error for error in bad.errors), bad.errors


def test_every_reason_of_a_row_is_reported_once(app):
    plan = importer.plan("feeitem", sheet("收费代码,服务项目,单价（元）,执行日期", "T9,,abc,明天"), "x.csv")
    assert by_row(plan)[2].errors == ["单价（元）必须是数字", "执行日期“明天”不是有效日期（例如 2026-01-05）",
                                      "服务项目不能为空"]


def test_duplicate_key_in_the_file_is_an_error_on_the_later_row(app):
    plan = importer.plan("feeitem", sheet("收费代码,服务项目,单价（元）", "T1,搬运,20", "T2,保洁,30",
                                          "T1,搬运二,25"), "x.csv")
    rows = by_row(plan)
    assert (rows[2].action, rows[3].action, rows[4].action) == ("create", "create", "error")
    assert rows[4].errors == ["与第 2 行重复（收费代码相同）"]


def test_duplicate_customers_in_the_file_name_their_key(app):
    plan = importer.plan("customer", sheet("客户名称,铺位号,联系电话", "甲,1F-1,13912345678", "甲,1F-1,13912345679",
                                           "乙,,13912345678", "乙,,13912345678", "乙,,13912345679"), "x.csv")
    assert [row.errors for row in plan.rows] == [[], ["与第 2 行重复（铺位号和客户名称相同）"], [],
                                                 ["与第 4 行重复（客户名称和联系电话相同）"], []]


def test_an_archived_namesake_is_left_alone(app):
    Customer.create(name="旧客户", shop_no="5F-2", archived_at=NOW, archive_reason="撤场")
    Customer.create(name="旧客户", shop_no="5F-2")
    plan = importer.plan("customer", sheet("客户名称,铺位号,备注", "旧客户,5F-2,y"), "x.csv")
    assert by_row(plan)[2].action == "update"  # the archived namesake is left alone


def test_row_numbers_are_the_spreadsheet_rows_blank_rows_included(app):
    plan = importer.plan("feeitem", sheet("收费代码,服务项目,单价（元）", "T1,搬运,20", ",,", "", "T2,,30"),
                         "x.csv")
    assert [(row.row, row.action) for row in plan.rows] == [(2, "create"), (5, "error")]


def test_a_file_with_errors_writes_nothing(app):
    customers, audits = Customer.select().count(), AuditLog.select().count()
    plan = importer.plan("customer", sheet(CUSTOMER_HEADER, "好客户,商户,2F-920,13912345678,,,",
                                           "坏客户,商户,2F-921,123,,,"), "x.csv")
    with pytest.raises(DomainError, match="文件中有 1 行错误，未导入任何数据"):
        importer.apply(plan, importing_user(plan), NOW)
    assert (Customer.select().count(), AuditLog.select().count()) == (customers, audits)


def test_only_valid_rows_imports_the_good_ones_and_says_which_were_skipped(app):
    plan, counts = imported("customer", sheet(CUSTOMER_HEADER, "好客户,商户,2F-922,13912345678,,,",
                                              "坏客户,商户,2F-923,123,,,"), only_valid=True)
    assert counts == {"create": 1, "update": 0, "unchanged": 0, "error": 1}
    assert Customer.select().where(Customer.shop_no == "2F-922").exists()
    assert not Customer.select().where(Customer.shop_no == "2F-923").exists()
    assert '"skipped_rows": [3]' in AuditLog.get(AuditLog.action == "import").changes


def test_a_crash_halfway_leaves_no_row_behind(app, monkeypatch):
    customers, audits = Customer.select().count(), AuditLog.select().count()
    plan = importer.plan("customer", sheet(CUSTOMER_HEADER, "甲,商户,2F-924,13912345678,,,",
                                           "乙,商户,2F-925,13912345678,,,"), "x.csv")
    real_audit = flows.records.audit  # each row is written, and audited, by flows.records

    def audit_then_fail(action, record=None, **kw):
        if record is not None and record.name == "乙":
            raise RuntimeError("disk full")
        return real_audit(action, record, **kw)
    monkeypatch.setattr(flows.records, "audit", audit_then_fail)
    with pytest.raises(RuntimeError):
        importer.apply(plan, importing_user(plan), NOW)
    assert (Customer.select().count(), AuditLog.select().count()) == (customers, audits)


def test_a_record_changed_after_the_preview_stops_the_import(app):
    header = "收费代码,服务项目,单价（元）"
    imported("feeitem", sheet(header, "T1,搬运,20"))
    plan = importer.plan("feeitem", sheet(header, "T0,新项目,5", "T1,搬运,25"), "x.csv")
    FeeItem.update(price=30, version=FeeItem.version + 1).where(FeeItem.code == "T1").execute()
    with pytest.raises(DomainError, match="第 3 行对应的收费标准.*在预览后已被修改"):
        importer.apply(plan, importing_user(plan), NOW)
    assert FeeItem.get(FeeItem.code == "T1").price == Decimal("30.00")
    assert not FeeItem.select().where(FeeItem.code == "T0").exists()


def test_an_archived_record_is_not_imported_over(app):
    imported("feeitem", sheet("收费代码,服务项目,单价（元）", "T1,搬运,20"))
    FeeItem.update(archived_at=NOW, archive_reason="停用").where(FeeItem.code == "T1").execute()
    plan = importer.plan("feeitem", sheet("收费代码,服务项目,单价（元）", "T1,搬运,25"), "x.csv")
    [error] = by_row(plan)[2].errors
    assert error.startswith("对应的收费标准“搬运（20") and error.endswith("已归档，不能导入")


def test_missing_key_column_and_doubled_columns_refuse_the_file(app):
    plan = importer.plan("customer", sheet("铺位号,电话,手机,备注列", "2F-930,13912345678,13912345678,x"),
                         "x.csv")
    assert plan.problems == ["“电话”和“手机”都是联系电话，请只保留一列", "缺少必需的列：客户名称（第 1 行须为表头）"]
    assert plan.ignored == ["备注列"]
    with pytest.raises(DomainError, match="文件不能导入"):
        importer.apply(plan, importing_user(plan), NOW)


# ---------------------------------------------------------------- files and encodings

@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "gb18030", "utf-16"])
def test_csv_in_every_encoding_excel_and_wps_write(app, encoding):
    plan = importer.plan("customer", sheet(CUSTOMER_HEADER, "测试鲜花店,主力店,1F-931,13912345678,,,",
                                           encoding=encoding), "花店.csv")
    row = by_row(plan)[2]
    assert (row.action, row.values["name"], row.values["kind"]) == ("create", "测试鲜花店", Customer.ANCHOR)


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_separated_csv(app, delimiter):
    lines = [line.replace(",", delimiter) for line in ("收费代码,服务项目,单价（元）", "T1,搬运,20")]
    assert by_row(importer.plan("feeitem", sheet(*lines), "x.csv"))[2].values["price"] == Decimal("20")


def test_undecodable_csv_is_refused_in_chinese(app):
    with pytest.raises(importer.SheetError, match="无法识别文件编码"):
        importer.read_table(b"\x81\x20\xff\xfe" * 10, "x.csv")


def test_xlsx_with_typed_cells_and_english_headers(app):
    data = workbook(("name", "kind", "shop_no", "phone", "lease_start", "area_sqm", "status"),
                    ("Test Books", "tenant", "3F-932", 13912345678, datetime(2026, 1, 5), 88.5, "在营"),
                    (None, None, None, None, None, None, None),
                    ("Test Toys", "主力店", "3F-933", "13912345679", 20260105, 120, "inactive"))
    plan, counts = imported("customer", data, "shops.xlsx")
    assert counts["create"] == 2 and [r.row for r in plan.rows] == [2, 4]
    books = Customer.get(Customer.shop_no == "3F-932")
    assert (books.phone, books.lease_start, books.area_sqm) == ("13912345678", date(2026, 1, 5),
                                                                Decimal("88.50"))
    toys = Customer.get(Customer.shop_no == "3F-933")
    assert (toys.kind, toys.lease_start, toys.status) == (Customer.ANCHOR, date(2026, 1, 5),
                                                          Customer.INACTIVE)


@pytest.mark.parametrize("header", ["电话", "手机", "手机号", "联系电话", "phone", " 联系电话 "])
def test_header_aliases(app, header):
    plan = importer.plan("customer", sheet("客户名称," + header, "测试,13912345678"), "x.csv")
    assert by_row(plan)[2].values["phone"] == "13912345678"


@pytest.mark.parametrize("text, expected", [
    ("2026-01-05", date(2026, 1, 5)), ("2026/1/5", date(2026, 1, 5)), ("20260105", date(2026, 1, 5)),
    ("2026年1月5日", date(2026, 1, 5)), ("2026.01.05", date(2026, 1, 5)),
    ("2026-01-05 00:00:00", date(2026, 1, 5)),
])
def test_dates_as_clerks_type_them(app, text, expected):
    plan = importer.plan("calendarday", sheet("日期,类型", f"{text},调休"), "x.csv")
    assert by_row(plan)[2].values == {"day": expected, "kind": CalendarDay.WORKDAY}


@pytest.mark.parametrize("text, expected", [("是", True), ("否", False), ("1", True), ("0", False),
                                            ("TRUE", True), ("false", False)])
def test_booleans(app, text, expected):
    plan = importer.plan("feeitem", sheet("收费代码,服务项目,单价（元）,有效", f"T1,搬运,20,{text}"), "x.csv")
    assert by_row(plan)[2].values["is_active"] is expected


def test_calendar_days_are_imported_as_manual_entries(app):
    plan, counts = imported("calendarday", sheet("日期,类型,名称", "2031-10-01,节假日,国庆节",
                                                 "2031-10-11,调休上班,国庆调休"))
    assert counts["create"] == 2
    day = CalendarDay.get(CalendarDay.day == date(2031, 10, 11))
    assert (day.kind, day.source, day.name) == (CalendarDay.WORKDAY, "manual", "国庆调休")


def test_imported_days_off_move_running_clocks_once_by_the_calendars_own_rule(app):
    """The calendar's after-save rule (flows.calendar) moves the clocks an imported day moves:
    the import is one change, so each record moved has one audit row and one reminder."""
    request = make_service_request(MON)  # 1 working day: due Tuesday 10:00
    assert ServiceRequest.get_by_id(request.id).handback_deadline == datetime(2026, 11, 24, 10, 0)
    plan = importer.plan("calendarday", sheet("日期,类型,名称", "2026-11-24,节假日,临时休息",
                                              "2026-11-25,节假日,临时休息"), "日历.csv")
    assert importer.apply(plan, importing_user(plan), MON)["create"] == 2
    assert ServiceRequest.get_by_id(request.id).handback_deadline == datetime(2026, 11, 26, 10, 0)
    [moved] = AuditLog.select().where((AuditLog.model == "ServiceRequest")
                                      & (AuditLog.record_id == str(request.id))
                                      & (AuditLog.action == "calendar_moved"))
    assert "11-24 10:00 → 11-26 10:00" in moved.summary and moved.username == "admin"
    assert Alert.select().where((Alert.record_type == "ServiceRequest")
                                & (Alert.record_id == request.id) & (Alert.kind == "reminder")).count() == 1


def test_an_imported_row_is_written_through_its_registers_save_rules(app, monkeypatch):
    """A rule registered in flows for a register runs on each imported row, created or
    updated, as on a form's save; its refusal stops the import with nothing written."""
    monkeypatch.setattr(flows.records, "_BEFORE", {model: list(rules) for model, rules
                                                   in flows.records._BEFORE.items()})
    seen = []

    @flows.records.before_save(Customer)
    def mark_imported(customer, created, by, now, extra):
        seen.append((customer.name, created, by.username))
        if customer.name == "黑名单商户":
            raise ValidationError({"name": "该商户不能登记"})
        customer.notes = "规则已检查"
    imported("customer", sheet(CUSTOMER_HEADER, "规则甲,商户,2F-931,13912345678,,,8000"))
    imported("customer", sheet(CUSTOMER_HEADER, "规则甲,商户,2F-931,13912345678,,,9000",
                               "规则乙,商户,2F-932,13912345679,,,"))
    assert seen == [("规则甲", True, "clerk"), ("规则甲", False, "clerk"), ("规则乙", True, "clerk")]
    first = Customer.get(Customer.shop_no == "2F-931")
    assert (first.notes, first.monthly_rent, first.version) == ("规则已检查", Decimal("9000.00"), 2)
    assert Customer.get(Customer.shop_no == "2F-932").notes == "规则已检查"
    customers, audits = Customer.select().count(), AuditLog.select().count()
    plan = importer.plan("customer", sheet(CUSTOMER_HEADER, "规则丙,商户,2F-933,13912345670,,,",
                                           "黑名单商户,商户,2F-934,13912345671,,,"), "x.csv")
    with pytest.raises(ValidationError):
        importer.apply(plan, importing_user(plan), NOW)
    assert (Customer.select().count(), AuditLog.select().count()) == (customers, audits)


def test_lendable_item_names_its_fee_item_by_code(app):
    fee = FeeItem.select().first()
    plan = importer.plan("lendableitem", sheet("物品编号,物品名称,押金（元）,超时收费项目",
                                               f"T-L1,测试梯子,80,{fee.code}", "T-L2,测试推车,50,NOPE"),
                         "x.csv")
    rows = by_row(plan)
    assert rows[2].values["fee_item"] == fee.id
    assert rows[3].errors == ["超时收费项目“NOPE”不存在，请填写收费标准的代码"]


def test_a_formula_cell_is_stored_as_the_text_typed(app):
    hostile = "=cmd|' /C calc'!A0"
    imported("customer", sheet("客户名称,备注", f"测试公式,\"{hostile}\"", "测试控制字符,\"a\x00b\x07c\""))
    assert Customer.get(Customer.name == "测试公式").notes == hostile
    # No NUL or control character reaches the database (PostgreSQL refuses NUL in text).
    assert Customer.get(Customer.name == "测试控制字符").notes == "abc"


@pytest.mark.parametrize("data, filename, message", [
    (b"x" * (6 * 1024 * 1024), "big.csv", "文件超过 5 MB"),
    (b"PK\x03\x04 not really", "fake.xlsx", "无法读取该 Excel 文件"),
    (b"\xd0\xcf\x11\xe0", "old.xls", "不支持旧版 Excel"),
    (b"name\n", "notes.txt", "只能导入 .csv 或 .xlsx 文件"),
    (b"\xef\xbb\xbf\r\n,,\r\n", "empty.csv", "文件是空的"),
    (b'a\n"' + b"x" * 200_000 + b'"\n', "long.csv", "CSV 文件格式有误"),
])
def test_unreadable_files_are_refused_in_chinese(app, data, filename, message):
    with pytest.raises(importer.SheetError, match=message):
        importer.plan("customer", data, filename)


def test_an_xlsx_that_unpacks_huge_is_refused(app, monkeypatch):
    monkeypatch.setattr(importer, "MAX_UNPACKED_BYTES", 1000)
    data = workbook(("收费代码", "服务项目", "单价（元）"), *[("T%d" % i, "项目" * 20, 1) for i in range(50)])
    with pytest.raises(importer.SheetError, match="Excel 文件内容过大"):
        importer.plan("feeitem", data, "x.xlsx")


def test_too_many_rows_are_refused(app, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 3)
    lines = ["收费代码,服务项目,单价（元）"] + ["T%d,项目,1" % i for i in range(4)]
    with pytest.raises(importer.SheetError, match="文件超过 3 行数据"):
        importer.plan("feeitem", sheet(*lines), "x.csv")
    with pytest.raises(importer.SheetError, match="文件超过 3 行数据"):
        importer.plan("feeitem", workbook(*[line.split(",") for line in lines]), "x.xlsx")


def test_template_has_the_chinese_headers_with_a_bom_and_reads_back(app):
    data = importer.template_csv(importer.SPECS["customer"])
    assert data.startswith(b"\xef\xbb\xbf\xe5\xae\xa2")  # BOM, then 客
    headers, rows = importer.read_table(data, "t.csv")
    assert headers[:3] == ["客户名称", "客户类别", "铺位号"] and rows == []
    assert importer.match_columns(importer.SPECS["customer"], headers)[1:] == ([], [])


# ---------------------------------------------------------------- through the console

MIXED = sheet(CUSTOMER_HEADER, "网页客户甲,商户,2F-940,13912345678,,,", "网页客户乙,商户,2F-941,123,,,")


def test_upload_preview_then_import_the_valid_rows(login, upload_folder):
    clerk_client = login("clerk")
    preview = upload(clerk_client, "customer", MIXED, "名录.csv")
    assert preview.status_code == 200
    assert len(list(upload_folder.iterdir())) == 2  # the file and its register, till the confirm
    assert "新增 1" in preview.text and "错误 1" in preview.text
    assert re.search(r'data-row="3">\s*<td>3</td><td>错误</td>.*联系电话格式不正确', preview.text, re.S)
    assert not Customer.select().where(Customer.shop_no == "2F-940").exists()  # a preview writes nothing
    refused = confirm(clerk_client, preview, "all")
    assert "文件中有 1 行错误，未导入任何数据" in refused.text
    assert not Customer.select().where(Customer.shop_no == "2F-940").exists()
    done = confirm(clerk_client, preview, "valid")
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/customer/")
    assert list(upload_folder.iterdir()) == []
    assert Customer.get(Customer.shop_no == "2F-940").created_by.username == "clerk"
    row = AuditLog.get(AuditLog.action == "import")
    assert (row.username, row.summary) == ("clerk", "导入客户 名录.csv：新增 1，更新 0，无变化 0，跳过错误行 1")
    # The stored upload is gone once imported: a second confirm imports nothing twice and lands
    # on the first one's result.
    again = confirm(clerk_client, preview, "valid")
    assert "未重复导入：新增 1 条" in clerk_client.get(again.headers["Location"]).text
    assert Customer.select().where(Customer.shop_no == "2F-940").count() == 1


def test_a_preview_gone_stale_is_shown_again_not_imported(login):
    admin = login("admin")
    header = "收费代码,服务项目,单价（元）"
    preview = upload(admin, "feeitem", sheet(header, "T1,搬运,20"), "fees.csv")
    FeeItem.create(code="T1", name="搬运", price=15)
    response = confirm(admin, preview, "all")
    assert "预览之后数据已有变化" in response.text and "更新 1" in response.text
    assert FeeItem.get(FeeItem.code == "T1").price == Decimal("15.00")


def test_an_upload_left_unconfirmed_expires(login, upload_folder):
    import os
    import time
    client = login("clerk")
    preview = upload(client, "customer", MIXED, "x.csv")
    for path in upload_folder.iterdir():
        os.utime(path, (time.time() - 5 * 3600,) * 2)
    response = confirm(client, preview, "valid")
    assert "上传的文件已过期" in client.get(response.headers["Location"]).text
    upload(client, "customer", MIXED, "y.csv")  # each upload sweeps the expired ones away
    assert len(list(upload_folder.iterdir())) == 2
    assert not Customer.select().where(Customer.shop_no == "2F-940").exists()


def test_another_users_upload_cannot_be_confirmed(login):
    preview = upload(login("admin"), "customer", MIXED, "x.csv")
    other = login("clerk")
    from conftest import csrf_token
    page = other.get("/admin/import/")
    response = other.post("/admin/import/confirm/", data={
        "csrf_token": csrf_token(page.text), "token": hidden(preview.text, "token"),
        "fingerprint": hidden(preview.text, "fingerprint"), "mode": "valid"})
    assert response.status_code == 302
    assert not Customer.select().where(Customer.shop_no == "2F-940").exists()


def test_upload_without_csrf_token_is_refused(login, upload_folder):
    response = login("clerk").http.post("/admin/import/", data={
        "register": "customer", "sheet": (io.BytesIO(MIXED), "x.csv")})
    assert 'id="import-rows"' not in response.text
    assert not upload_folder.exists() or list(upload_folder.iterdir()) == []


def test_confirm_without_csrf_token_is_refused(login):
    client = login("clerk")
    preview = upload(client, "customer", MIXED, "x.csv")
    response = client.post("/admin/import/confirm/", data={
        "token": hidden(preview.text, "token"), "fingerprint": hidden(preview.text, "fingerprint"),
        "mode": "valid"})
    assert response.status_code == 400
    assert not Customer.select().where(Customer.shop_no == "2F-940").exists()


@pytest.mark.parametrize("username, registers", [
    ("admin", {"customer", "feeitem", "lendableitem", "calendarday"}),
    ("clerk", {"customer", "lendableitem"}),
    ("ops", {"customer"}),  # a department manager keeps the customer register
])
def test_each_role_imports_only_the_registers_it_may_write(login, username, registers):
    client = login(username)
    page = client.get("/admin/import/").text
    offered = set(re.findall(r'<option[^>]*value="(\w+)"', page))
    assert offered == registers
    for register in {"customer", "feeitem", "lendableitem", "calendarday"} - registers:
        assert client.get(f"/admin/import/template/{register}.csv").status_code == 404
        response = upload(client, register, sheet("收费代码,服务项目,单价（元）", "T1,搬运,20"), "x.csv")
        assert "import-confirm" not in response.text and "不是有效的选择" in response.text
        assert not FeeItem.select().where(FeeItem.code == "T1").exists()


@pytest.mark.parametrize("username", ["auditor", "property", "pm", "gm"])
def test_roles_that_write_none_of_these_registers_are_refused(login, username):
    client = login(username)
    assert client.get("/admin/import/").status_code == 403
    assert client.get("/admin/import/template/customer.csv").status_code == 403
    assert "/admin/import/" not in client.get("/admin/").text


def test_login_required(client):
    response = client.get("/admin/import/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_preview_masks_personal_data_for_roles_that_see_it_masked(login, monkeypatch):
    import access
    customers = access.grant("Customer")
    monkeypatch.setitem(access.REGISTERS, "Customer",
                        access.Grant(customers.read, customers.write | {access.PM}))
    preview = upload(login("pm"), "customer", sheet("客户名称,联系电话,地址", "测试,13912345678,上海市浦东新区世纪大道1号"),
                     "x.csv")
    assert "139****5678" in preview.text and "13912345678" not in preview.text
    assert "上海市浦东新****" in preview.text and "世纪大道" not in preview.text
    assert "13912345678" in upload(login("clerk"), "customer", sheet("客户名称,联系电话", "测试,13912345678"),
                                   "x.csv").text


def test_template_download_and_the_menu_entry(login):
    client = login("clerk")
    assert "/admin/import/" in client.get("/admin/").text
    response = client.get("/admin/import/template/customer.csv")
    assert response.status_code == 200
    assert response.data.startswith("\ufeff客户名称,客户类别,铺位号".encode())
    assert "filename*=UTF-8''%E5%AE%A2%E6%88%B7" in response.headers["Content-Disposition"]


def test_bad_files_are_refused_on_the_page_in_chinese(login):
    client = login("clerk")
    response = upload(client, "customer", b"\xd0\xcf\x11\xe0", "old.xls")
    assert response.status_code == 200 and "不支持旧版 Excel" in response.text
    big = upload(client, "customer", b"x" * (6 * 1024 * 1024), "big.csv")
    assert big.status_code == 200 and "文件超过 5 MB" in big.text
    missing = upload(client, "customer", sheet("铺位号", "2F-950"), "x.csv")
    assert "缺少必需的列：客户名称" in missing.text and 'id="import-confirm"' not in missing.text
