"""Import customers, fee items, lendable items and calendar days from a clerk's CSV or XLSX sheet.

read_table() turns the uploaded bytes into a header and rows; plan() says, row by row, what an
import would create, update, leave unchanged or refuse (with the spreadsheet row number and the
reasons in Chinese); apply() writes the plan in one transaction, each row as its register's
form would (flows.records: the register's rules, stamps and audit row).

How a row finds its record (the natural key):
- 收费标准 FeeItem by 收费代码, 借用物品 LendableItem by 物品编号, 工作日历 CalendarDay by 日期:
  the columns the database keeps unique.
- 客户 Customer by 铺位号 + 客户名称 when the row has a shop number, else by 客户名称 + 联系电话.
  A shop number alone names a unit, not a party: units are re-let, and matching on it alone
  would turn the old tenant (with its complaints and charges) into the new one. So a new tenant
  on a known unit is created beside the old one, and a renamed tenant is renamed in the register
  first. Archived records are never matched (a row matching one is refused).

A blank cell never clears a stored value: it means "not given" (the stored value stays; a new
record gets the register's default).
"""
import csv
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from peewee import (BooleanField, CharField, DateField, DateTimeField, DecimalField,
                    ForeignKeyField, IntegerField, IntegrityError, Model, TextField)

import flows.records  # the package registers every register's save rules
import sla
from audit import audit
from database import write_transaction
from models import (CalendarDay, ChoiceField, Customer, DomainError, FeeItem, LendableItem,
                    StaleRecord, db)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_UNPACKED_BYTES = 20 * MAX_BYTES  # an XLSX is a zip: what it may hold once unpacked
MAX_COLUMNS = 100  # a clerk's sheet has a few dozen; more is a stray cell far to the right
CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"
ACTION_LABELS = {CREATE: "新增", UPDATE: "更新", UNCHANGED: "无变化", ERROR: "错误"}


class SheetError(DomainError):
    """The file as a whole cannot be imported (type, size, encoding, header)."""


class AlreadyImported(DomainError):
    """The upload was imported before (a second click of 导入): `first` is that import."""

    def __init__(self, first):
        self.first = first
        super().__init__("该文件已于 %s 导入（%s），未重复导入" % (
            first.imported_at.strftime("%H:%M:%S"), first.result()))


class ImportedUpload(Model):
    """An upload consumed by its import, in the import's own transaction: the unique token
    makes a file imported at most once, however many clicks or workers confirm it."""
    token = CharField(max_length=64, unique=True)  # a digest of the user's id and upload token
    user_id = IntegerField()
    register = CharField(max_length=30)
    filename = CharField(max_length=100)
    counts = TextField()  # JSON {action: rows}
    imported_at = DateTimeField()

    class Meta:
        database = db
        table_name = "imported_upload"

    @staticmethod
    def digest(user_id, token):
        return hashlib.sha256(("%s:%s" % (user_id, token)).encode("utf-8")).hexdigest()

    @classmethod
    def find(cls, user_id, token):
        """The import that consumed this user's upload token, or None."""
        return cls.get_or_none(cls.token == cls.digest(user_id, token))

    def result(self):
        counts = json.loads(self.counts)
        return "新增 %d，更新 %d，无变化 %d，跳过错误行 %d" % (
            counts[CREATE], counts[UPDATE], counts[UNCHANGED], counts[ERROR])


# ---------------------------------------------------------------- reading files

def read_table(data, filename):
    """Return (headers, rows) of a CSV or XLSX file: rows are (spreadsheet row number, cells),
    blank rows left out; raise SheetError with a Chinese message for anything unreadable."""
    if len(data) > MAX_BYTES:
        raise SheetError("文件超过 %d MB，请分成几个文件导入" % (MAX_BYTES // (1024 * 1024)))
    ext = (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if ext == "csv":
        lines = _csv_lines(data)
    elif ext == "xlsx":
        lines = _xlsx_lines(data)
    elif ext == "xls":
        raise SheetError("不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 或 CSV 后再导入")
    else:
        raise SheetError("只能导入 .csv 或 .xlsx 文件")
    numbered = []
    for number, cells in enumerate(lines, start=1):
        cells = list(cells)[:MAX_COLUMNS]
        if not all(_blank(c) for c in cells):
            numbered.append((number, cells))
            if len(numbered) > MAX_ROWS + 1:  # + the header
                raise SheetError("文件超过 %d 行数据，请分成几个文件导入" % MAX_ROWS)
    if not numbered:
        raise SheetError("文件是空的")
    (_, headers), rows = numbered[0], numbered[1:]
    return ["" if h is None else str(h) for h in headers], rows


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def decode_text(data):
    """Decode a CSV as Excel and WPS save it: UTF-8 (with or without BOM), UTF-16, or GBK."""
    # A UTF-16 mark decides: a file that has one but breaks off or holds a lone surrogate is
    # damaged, not in another encoding.
    encodings = ("utf-16",) if data.startswith((b"\xff\xfe", b"\xfe\xff")) else (
        "utf-8-sig", "gb18030")  # GB18030 is a superset of GBK and GB2312
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetError("无法识别文件编码，请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后再导入")


def _csv_lines(data):
    text = decode_text(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    # The delimiter the header uses most: Excel writes ; in some locales, and tabs when pasted.
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as err:
        raise SheetError("CSV 文件格式有误（%s），请在 Excel 中重新另存为 CSV" % err) from None


def _xlsx_lines(data):
    """Yield the first sheet's rows as read, once XlsxScan has found the file's work bounded."""
    from openpyxl import load_workbook
    try:
        XlsxScan(data).check()
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            sheet.reset_dimensions()  # the scan bounded the rows; never pad to a declared size
            yield from sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        finally:
            book.close()
    except (zipfile.BadZipFile, KeyError, ValueError, IndexError, OSError, TypeError) as err:
        raise SheetError("无法读取该 Excel 文件（%s），请确认它是 .xlsx 格式" % type(err).__name__) from None


# What an XLSX may hold, counted before openpyxl reads it. A clerk's sheet of MAX_ROWS rows
# has some blank or formatted rows too, so twice as many rows may exist; every cell is counted.
MAX_SHEET_ROWS = 2 * MAX_ROWS
MAX_CELLS = MAX_ROWS * 40  # forty columns filled; the customer sheet has seventeen
MAX_STRINGS = MAX_CELLS  # a shared string no cell uses is padding
MAX_ELEMENTS = 4 * MAX_CELLS  # a cell is two or three (c, v, is/t); styled strings more
MAX_CELL_CHARS = 32767  # Excel's own limit for one cell
MAX_TOKEN_BYTES = 1024 * 1024  # one tag or comment; a cell's text is far shorter
CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


class XlsxScan:
    """Count what an XLSX declares and holds as its XML streams, and stop at the first limit.

    Every member of the archive is read (a part may be given any name), a chunk at a time, so a
    small file that unpacks into millions of rows or shared strings is refused after reading
    about as much as a legitimate sheet, in constant memory. The counters say how far it got."""
    CHUNK = 64 * 1024

    def __init__(self, data):
        self.data = data
        self.unpacked = self.rows = self.cells = self.strings = 0
        self.max_row = self.text_run = self.elements = self.events = 0

    def check(self):
        """Raise SheetError with a Chinese message when the file exceeds a limit."""
        with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
            members = archive.infolist()
            if sum(info.file_size for info in members) > MAX_UNPACKED_BYTES:
                raise SheetError("Excel 文件内容过大，请分成几个文件导入")
            for info in members:
                if not info.is_dir():
                    with archive.open(info) as member:
                        self.rows = 0  # each sheet is its own; cells and strings add up
                        self._scan(member)

    def _scan(self, member):
        from xml.parsers import expat
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler = self._element
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        parser.CommentHandler = self._comment
        parser.StartDoctypeDeclHandler = self._doctype
        first, quiet = True, 0
        while True:
            chunk = member.read(self.CHUNK)
            self.unpacked += len(chunk)
            if self.unpacked > MAX_UNPACKED_BYTES:  # the directory may understate a size
                raise SheetError("Excel 文件内容过大，请分成几个文件导入")
            if first and not chunk.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
                return  # a picture or other binary part: openpyxl reads no XML from it
            first, events = False, self.events
            try:
                parser.Parse(chunk, not chunk)
            except expat.ExpatError:
                raise SheetError("无法读取该 Excel 文件（XML 有误），请在 Excel 中重新另存为 .xlsx") from None
            # expat holds an unfinished tag or comment whole and rescans it with every chunk.
            quiet = 0 if self.events != events else quiet + len(chunk)
            if quiet > MAX_TOKEN_BYTES:
                raise SheetError("无法读取该 Excel 文件（XML 有误），请在 Excel 中重新另存为 .xlsx")
            if not chunk:
                return

    def _comment(self, text):
        self.events += 1

    def _element(self, name, attrs):
        self.events += 1
        self.text_run = 0
        self.elements += 1
        if self.elements > MAX_ELEMENTS:
            raise SheetError("Excel 文件内容过多，请删除多余的内容或分成几个文件导入")
        name = name.rpartition(":")[2]  # with or without a namespace prefix
        if name == "c":
            self.cells += 1
            if self.cells > MAX_CELLS:
                raise SheetError("Excel 文件的单元格超过 %d 个，请删除多余的内容或分成几个文件导入" % MAX_CELLS)
        elif name == "row":
            self.rows += 1
            self._declared_rows(self.rows if attrs.get("r") is None else attrs["r"])
        elif name == "si":
            self.strings += 1
            if self.strings > MAX_STRINGS:
                raise SheetError("Excel 文件的文字内容过多（超过 %d 段），请删除多余的内容或分成几个文件导入"
                                 % MAX_STRINGS)
        elif name == "dimension":
            last = (attrs.get("ref") or "").rpartition(":")[2]
            match = CELL_REF.match(last)
            if match:
                self._declared_rows(match.group(2))
        elif name == "sst":
            declared = attrs.get("uniqueCount", "")
            if declared.isdigit() and int(declared) > MAX_STRINGS:
                raise SheetError("Excel 文件的文字内容过多（%s 段），请删除多余的内容或分成几个文件导入"
                                 % declared)

    def _declared_rows(self, number):
        """A row number the sheet reaches (blank rows between included)."""
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise SheetError("无法读取该 Excel 文件（行号有误），请在 Excel 中重新另存为 .xlsx") from None
        self.max_row = max(self.max_row, number)
        if number > MAX_SHEET_ROWS or self.rows > MAX_SHEET_ROWS:
            raise SheetError("文件超过 %d 行数据（工作表有 %d 行，含空行），请删除多余的空行或分成几个文件导入"
                             % (MAX_ROWS, max(number, self.rows)))

    def _end(self, name):
        self.events += 1
        self.text_run = 0

    def _text(self, text):
        self.events += 1
        self.text_run += len(text)  # one long text may come in several pieces
        if self.text_run > MAX_CELL_CHARS:
            raise SheetError("Excel 文件中有超过 %d 个字符的单元格，请检查后重新导入" % MAX_CELL_CHARS)

    def _doctype(self, *args):
        raise SheetError("无法读取该 Excel 文件（含 DTD 声明），请在 Excel 中重新另存为 .xlsx")


# ---------------------------------------------------------------- what each register accepts

def normalize(text):
    """Compare names as people type them: no spaces, no brackets or what they hold, no case."""
    text = str(text).replace("（", "(").replace("）", ")").replace("\ufeff", "")
    return re.sub(r"\([^)]*\)|[\s*＊:：]", "", text).lower()


def customer_key(values):
    """By shop number and name, else by name and phone (see the module docstring)."""
    shop = values.get("shop_no") or ""
    if shop:
        return ("shop", shop, values.get("name"))
    return ("no_shop", values.get("name"), values.get("phone") or "")


@dataclass(frozen=True)
class Spec:
    """How one register is imported: its columns, extra header names, key and fixed values."""
    model: type
    columns: tuple
    required: tuple  # columns that must be in the header and filled on every row
    key: object  # values -> the tuple that finds the stored record
    aliases: dict = field(default_factory=dict)  # field -> other header names people use
    choice_aliases: dict = field(default_factory=dict)  # field -> {word: code}
    stamp: dict = field(default_factory=dict)  # values every imported row gets

    @property
    def name(self):
        return self.model.__name__.lower()

    def label(self, name):
        return self.model._meta.fields[name].verbose_name or name


SPECS = {spec.name: spec for spec in (
    Spec(Customer,
         ("name", "kind", "shop_no", "floor", "category", "contact_person", "phone", "phone2",
          "email", "id_number", "address", "lease_start", "lease_end", "area_sqm", "monthly_rent",
          "status", "notes"),
         required=("name",), key=customer_key,
         aliases={"name": ("名称", "商户名称", "客户", "店名", "店铺名称", "品牌"),
                  "kind": ("类别", "客户类型", "类型"),
                  "shop_no": ("铺位", "铺号", "商铺号", "铺位编号", "单元号"),
                  "category": ("业态",), "contact_person": ("联系人姓名", "负责人"),
                  "phone": ("电话", "手机", "手机号", "手机号码", "电话号码", "联系方式"),
                  "phone2": ("电话2", "手机2", "其他电话"), "email": ("邮箱", "电子邮箱"),
                  "id_number": ("身份证号", "身份证号码", "证件号", "身份证"),
                  "lease_start": ("起租日期", "租期开始", "租赁开始"),
                  "lease_end": ("到期日期", "租期结束", "租赁结束"),
                  "area_sqm": ("面积", "租赁面积", "建筑面积"), "monthly_rent": ("月租金", "租金"),
                  "notes": ("说明",)}),
    Spec(FeeItem, ("code", "name", "unit", "price", "effective_from", "is_active", "notes"),
         required=("code",), key=lambda values: (values.get("code"),),
         aliases={"code": ("代码", "编码", "编号"), "name": ("名称", "项目名称", "收费项目"),
                  "unit": ("单位",), "price": ("单价", "价格", "收费标准"),
                  "effective_from": ("生效日期",), "is_active": ("是否有效", "启用", "状态"),
                  "notes": ("备注",)}),
    Spec(LendableItem, ("code", "name", "category", "deposit", "fee_item", "location"),
         required=("code",), key=lambda values: (values.get("code"),),
         aliases={"code": ("编号", "编码", "物品编码"), "name": ("名称", "物品"),
                  "deposit": ("押金",), "fee_item": ("收费代码", "超时收费代码", "收费项目"),
                  "location": ("位置", "存放地点")}),
    Spec(CalendarDay, ("day", "kind", "name"), required=("day",),
         key=lambda values: (values.get("day"),),
         aliases={"day": ("日期", "date"), "name": ("节日", "假日名称", "说明")},
         choice_aliases={"kind": {"休息": "holiday", "放假": "holiday", "假日": "holiday",
                                  "节假日": "holiday", "调休": "workday", "上班": "workday",
                                  "补班": "workday", "工作日": "workday"}},
         stamp={"source": "manual"}),
)}


def template_csv(spec):
    """The empty sheet to fill in: Chinese headers, UTF-8 with BOM so that Excel opens it."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([spec.label(name) for name in spec.columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def match_columns(spec, headers):
    """Return ({column index: field}, file problems, ignored header names)."""
    names = {}
    for name in spec.columns:
        for alias in (name, spec.label(name)) + tuple(spec.aliases.get(name, ())):
            names.setdefault(normalize(alias), name)
    columns, problems, ignored, seen = {}, [], [], {}
    for index, header in enumerate(headers):
        if not header.strip():
            continue
        name = names.get(normalize(header))
        if name is None:
            ignored.append(header.strip())
        elif name in seen:
            problems.append("“%s”和“%s”都是%s，请只保留一列" % (seen[name], header.strip(), spec.label(name)))
        else:
            seen[name] = header.strip()
            columns[index] = name
    missing = [spec.label(n) for n in spec.required if n not in seen]
    if missing:
        problems.append("缺少必需的列：%s（第 1 行须为表头）" % "、".join(missing))
    return columns, problems, ignored


# ---------------------------------------------------------------- cell values

DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                     r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2})?)?$")
COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# Never stored: PostgreSQL refuses NUL in text, and none of these is typed on purpose.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
TRUE_WORDS = {"是", "1", "true", "yes", "y", "有效", "启用", "√", "✓", "对"}
FALSE_WORDS = {"否", "0", "false", "no", "n", "无效", "停用", "×", "✗", "不"}


def cell_text(value):
    """A cell as text: Excel's 13800138000.0 for a phone typed as a number is 13800138000."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.time() != datetime.min.time() else "%Y-%m-%d")
    return CONTROL_CHARACTERS.sub("", str(value)).strip()


def parse_cell(spec, model_field, value, lookups):
    """Turn one cell into the field's value; raise ValueError with a Chinese message."""
    label = model_field.verbose_name or model_field.name
    if isinstance(model_field, ForeignKeyField):
        return lookups.related(model_field, cell_text(value))
    if isinstance(model_field, DateField):
        return _parse_date(value, label)
    if isinstance(model_field, BooleanField):
        if isinstance(value, bool):
            return value
        word = normalize(cell_text(value))
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        raise ValueError("%s请填“是”或“否”" % label)
    if isinstance(model_field, DecimalField):
        text = re.sub(r"[\s,，¥￥元]", "", cell_text(value))
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError("%s必须是数字" % label) from None
        try:  # to the field's places, as the forms store it; clean() judges what is left
            return amount.quantize(Decimal(1).scaleb(-model_field.decimal_places))
        except InvalidOperation:
            return amount
    if isinstance(model_field, ChoiceField):
        return _parse_choice(spec, model_field, cell_text(value), label)
    return cell_text(value)


def _parse_date(value, label):
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        text = cell_text(value)
        match = DATE_RE.match(text) or COMPACT_DATE_RE.match(text)
        try:
            day = date(*(int(part) for part in match.groups())) if match else None
        except ValueError:
            day = None
        if day is None:
            raise ValueError("%s“%s”不是有效日期（例如 2026-01-05）" % (label, text[:20]))
    if not sla.date_in_range(day):  # the same range as every form
        raise ValueError("%s须在 %s 至 %s 之间" % (label, sla.FIRST_DAY, sla.LAST_DAY))
    return day


def _parse_choice(spec, model_field, text, label):
    words = {normalize(code): code for code, _ in model_field.choices}
    for code, choice_label in model_field.choices:
        words.setdefault(normalize(choice_label), code)
        words.setdefault(choice_label, code)
    words.update(spec.choice_aliases.get(model_field.name, {}))
    code = words.get(normalize(text)) or words.get(text)
    if code is None:
        raise ValueError("%s“%s”不在可选范围内（可选：%s）" % (
            label, text[:20], "、".join(choice_label for _, choice_label in model_field.choices)))
    return code


def show(model_field, value):
    """A value as the preview shows it: labels for codes, the code of a related record."""
    if value is None or value == "":
        return ""
    if isinstance(model_field, ChoiceField):
        return model_field.label(value)
    if isinstance(model_field, BooleanField):
        return "是" if value else "否"
    if isinstance(model_field, DecimalField) and Decimal(str(value)).is_finite():
        return str(Decimal(str(value)).quantize(Decimal(1).scaleb(-model_field.decimal_places)))
    if isinstance(model_field, ForeignKeyField):
        related = model_field.rel_model.get_or_none(model_field.rel_model.id == value)
        return getattr(related, "code", None) or str(related or value)
    return str(value)


class Lookups:
    """Related records named in the sheet (a fee item by its code or name), read once each."""

    def __init__(self):
        self.cache = {}

    def related(self, model_field, text):
        model = model_field.rel_model
        if (model, text) not in self.cache:
            found = model.get_or_none(model.code == text) if "code" in model._meta.fields else None
            if found is None and "name" in model._meta.fields:
                named = list(model.select().where(model.name == text).limit(2))
                found = named[0] if len(named) == 1 else None
            self.cache[model, text] = found
        found = self.cache[model, text]
        if found is None:
            raise ValueError("%s“%s”不存在，请填写%s的代码" % (
                model_field.verbose_name, text[:20], model.verbose_name()))
        return found.id


# ---------------------------------------------------------------- the plan

@dataclass
class RowPlan:
    """What importing one spreadsheet row does."""
    row: int
    action: str = CREATE
    values: dict = field(default_factory=dict)  # field -> new value (parsed)
    changes: list = field(default_factory=list)  # [(field, label, old text, new text)]
    errors: list = field(default_factory=list)
    record: object = None  # the stored record an update changes
    title: str = ""

    @property
    def action_label(self):
        return ACTION_LABELS[self.action]


@dataclass
class Plan:
    """The preview of one file: file problems, ignored columns and one RowPlan per data row."""
    spec: Spec
    filename: str
    rows: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    ignored: list = field(default_factory=list)

    def count(self, action):
        return sum(1 for row in self.rows if row.action == action)

    @property
    def counts(self):
        return {action: self.count(action) for action in ACTION_LABELS}

    @property
    def has_errors(self):
        return bool(self.problems) or self.count(ERROR) > 0

    def fingerprint(self):
        """A digest of what the preview promised, to refuse a confirm after the data moved."""
        seen = [(r.row, r.action, r.record.id if r.record else None, r.changes, r.errors)
                for r in self.rows]
        text = json.dumps([self.spec.name, self.problems, seen], ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def plan(register, data, filename):
    """Read the file and say what importing it into `register` would do, row by row."""
    spec = SPECS[register]
    headers, rows = read_table(data, filename)
    columns, problems, ignored = match_columns(spec, headers)
    result = Plan(spec, filename, problems=problems, ignored=ignored)
    if problems:
        return result
    stored = _stored_by_key(spec)
    lookups, first_row_of = Lookups(), {}
    for number, cells in rows:
        row, failed = _plan_row(spec, columns, number, cells, lookups)
        if all(name in row.values for name in spec.required):
            key = spec.key(row.values)
            if key in first_row_of:
                row.errors.append("与第 %d 行重复（%s相同）" % (first_row_of[key], _key_words(spec, key)))
            else:
                first_row_of[key] = number
            _match(spec, row, stored.get(key, []), failed)
        if row.errors:
            row.action = ERROR
        result.rows.append(row)
    return result


def _key_words(spec, key=None):
    """Name the columns a key is made of, for messages."""
    if spec.model is Customer and key is not None:
        return "铺位号和客户名称" if key[0] == "shop" else "客户名称和联系电话"
    return spec.label(spec.required[0])


def _stored_by_key(spec):
    """Every stored record of the register under its natural key (one query)."""
    stored = {}
    for record in spec.model.select():
        stored.setdefault(spec.key(dict(record.__data__)), []).append(record)
    return stored


def _plan_row(spec, columns, number, cells, lookups):
    """Parse a row's cells; return it with the fields whose cell could not be read."""
    row, failed = RowPlan(number), set()
    for index, name in columns.items():
        value = cells[index] if index < len(cells) else None
        if _blank(value):
            continue
        try:
            row.values[name] = parse_cell(spec, spec.model._meta.fields[name], value, lookups)
        except ValueError as err:
            row.errors.append(str(err))
            failed.add(name)
    for name in spec.required:
        if name not in row.values and name not in failed:
            row.errors.append("%s不能为空" % spec.label(name))
    return row, failed


def _match(spec, row, candidates, failed):
    """Decide create, update or unchanged against the stored records with the row's key, and
    add the model's own objections (beside those to the cells that could not be read)."""
    model = spec.model
    live = [record for record in candidates if not record.archived_at]
    if len(live) > 1:
        row.errors.append("系统中有 %d 条%s与此行相同，请先在系统中合并或归档" % (
            len(live), model.verbose_name()))
        return
    if candidates and not live:
        row.errors.append("对应的%s“%s”已归档，不能导入" % (model.verbose_name(), candidates[0]))
        return
    candidates = live
    record = candidates[0] if candidates else model()
    target = model(**dict(record.__data__))
    changes = []
    for name, value in row.values.items():
        old = record.__data__.get(name) if candidates else None
        if not candidates or not _same(old, value):
            model_field = model._meta.fields[name]
            changes.append((name, spec.label(name), show(model_field, old), show(model_field, value)))
            setattr(target, name, value)
    if changes:
        for name, value in spec.stamp.items():
            setattr(target, name, value)
    row.errors += [message for name, message in target.clean().items() if name not in failed]
    row.title = str(target)
    row.record = candidates[0] if candidates else None
    row.changes = changes
    row.action = UPDATE if candidates and changes else UNCHANGED if candidates else CREATE


def _same(old, new):
    if isinstance(new, Decimal) and old is not None:
        return Decimal(str(old)) == new
    return old == new


# ---------------------------------------------------------------- writing

def apply(plan, by, now, only_valid=False, token=None):
    """Write the plan in one transaction: every row, or with only_valid the rows without errors.

    Each created or updated record gets its audit row, and the import one more with the file
    name and the counts. Return {action: rows}. Raise DomainError, writing nothing, when the file
    has errors (and only_valid is not asked for) or a record changed since the preview; raise
    AlreadyImported when the upload `token` was consumed by an import before."""
    if plan.problems:
        raise DomainError("文件不能导入：%s" % "；".join(plan.problems))
    if plan.count(ERROR) and not only_valid:
        raise DomainError("文件中有 %d 行错误，未导入任何数据；请修改后重新上传，或选择仅导入有效行"
                          % plan.count(ERROR))
    model = plan.spec.model
    try:
        counts = _write(plan, by, now, only_valid, token)
    except _TokenTaken:
        raise AlreadyImported(ImportedUpload.find(by.id, token)) from None
    except IntegrityError:
        # Someone saved the same code or date between the preview and the confirm.
        raise DomainError("导入失败：预览后已有人登记了相同%s的%s，未导入任何数据；请重新上传预览" % (
            _key_words(plan.spec), model.verbose_name())) from None
    return counts


class _TokenTaken(Exception):
    """Another import consumed the upload token first (its transaction is rolled back)."""


def _write(plan, by, now, only_valid, token):
    """Consume the upload token and write the rows, each as its register's form would
    (flows.records: its rules, stamps and audit row), in one transaction."""
    model = plan.spec.model
    with write_transaction():
        if token is not None:
            try:
                with db.atomic():  # a savepoint: PostgreSQL aborts a transaction at an error
                    ImportedUpload.create(
                        token=ImportedUpload.digest(by.id, token), user_id=by.id,
                        register=plan.spec.name, filename=plan.filename[:100],
                        counts=json.dumps(plan.counts), imported_at=now)
            except IntegrityError:
                raise _TokenTaken() from None
        written = [row for row in plan.rows if row.action in (CREATE, UPDATE)]
        extra = {}  # one change: a rule may make its effect once, at the last row (MORE_TO_COME)
        for number, row in enumerate(written, 1):
            extra[flows.records.MORE_TO_COME] = number < len(written)
            if row.action == CREATE:
                record = model(**row.values, **plan.spec.stamp)
                flows.records.save(record, by, now, created=True, extra=extra,
                                   summary=_summary(plan, row, record))
            else:
                _update(plan, row, by, now, extra)
        counts = plan.counts
        audit("import", None, now=now, user=by,
              summary="导入%s %s：新增 %d，更新 %d，无变化 %d，跳过错误行 %d" % (
                  model.verbose_name(), plan.filename, counts[CREATE], counts[UPDATE],
                  counts[UNCHANGED], counts[ERROR]),
              extra={"file": plan.filename, "register": model.__name__, "counts": counts,
                     "only_valid": only_valid,
                     "skipped_rows": [r.row for r in plan.rows if r.action == ERROR][:200]})
    return counts


def _update(plan, row, by, now, extra):
    """Change a stored record, unless someone else changed or archived it after the preview."""
    model, record = plan.spec.model, row.record
    original = dict(record.__data__)  # as the preview read it: the audit row's before
    try:
        record.claim()  # still the version the preview read (an archive claims one too)
    except StaleRecord:
        raise DomainError("第 %d 行对应的%s“%s”在预览后已被修改，未导入任何数据；请重新上传预览" % (
            row.row, model.verbose_name(), record)) from None
    for name, value in dict(row.values, **plan.spec.stamp).items():
        setattr(record, name, value)
    flows.records.save(record, by, now, created=False, original=original, extra=extra,
                       summary=_summary(plan, row, record))


def _summary(plan, row, record):
    return "导入 %s 第 %d 行：%s" % (plan.filename, row.row, record)
