"""Fill a fresh database with a seeded-random, realistic year of a mall's service center.

    python bench/build_data.py [--scale 1] [--db sqlite:////tmp/bench/kefu.db] [--seed 8]
                               [--password PW] [--force]

--scale 1 is one busy mall-year (the last 365 days up to now): 100k customers, 1M contacts,
500k repair orders, 200k complaints (with ~2.5 updates each and a callback per closed one),
200k item loans and 200k charges, 2M audit rows, each record's deadlines (met for the closed
ones, running for the open ones) and a resolved alert for every past miss. About 3% of the
work is still open and about a third of that is overdue. A chain of ten malls over ten years
is roughly --scale 100; --scale 0.01 is a quick check.

The schema is the app's own: create_app() runs the migrations and seeds departments, time
limit rules and the holiday calendar. Rows then go in with executemany on the raw connection
(psycopg2's execute_values on PostgreSQL), a chunk at a time, in one transaction per table.
An admin user "admin" is created with --password, or a printed random one, also written to
<db file>.admin-password (mode 600) so bench/run.py can log in.
"""
import argparse
import json
import os
import random
import secrets
import sys
import time as _time
from datetime import datetime, time, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DEFAULT_DB = "sqlite:////tmp/bench/kefu.db"
CHUNK = 5000

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞宇浩然欣怡晨阳思远子涵"
SHOP_WORDS = ["优品", "时尚", "美食", "咖啡", "茶饮", "珠宝", "数码", "运动", "童装", "书店",
              "眼镜", "家居", "美妆", "甜品", "火锅", "面馆", "烘焙", "花艺", "玩具", "鞋履"]
CATEGORIES = ["服装", "餐饮", "饮品", "珠宝", "数码", "运动", "文化", "生活百货", "美妆", "小吃"]
FLOORS = ["B2", "B1", "1F", "2F", "3F", "4F", "5F"]
SUBJECTS = {
    "enquiry": ["咨询停车收费标准", "咨询营业时间", "咨询会员积分", "咨询失物招领", "咨询活动规则"],
    "repair": ["卫生间水龙头漏水", "卷帘门无法关闭", "照明灯不亮", "空调不制冷", "插座没电"],
    "service": ["申请延时营业", "申请装修施工", "申请货物进出", "申请场地活动"],
    "complaint": ["商品质量问题", "营业员态度差", "停车收费不符", "卫生间无纸巾", "广播音量过大"],
    "paid": ["借用推车", "复制钥匙", "临时广告位"],
    "loan": ["借用轮椅", "借用婴儿车", "借用雨伞", "借用充电宝"],
    "suggestion": ["建议增加休息座椅", "建议延长营业时间", "建议增加母婴室"],
    "other": ["其他事项"],
}
CONTACT_KINDS = (["enquiry"] * 45 + ["repair"] * 22 + ["complaint"] * 8 + ["service"] * 6
                 + ["paid"] * 6 + ["loan"] * 6 + ["suggestion"] * 5 + ["other"] * 2)
CHANNELS = ["visit"] * 40 + ["phone"] * 35 + ["hotline"] * 15 + ["web"] * 6 + ["email"] * 3 + ["letter"]
REPAIR_TEXT = [("卫生间", "水龙头漏水"), ("店铺门口", "卷帘门无法关闭"), ("后仓", "照明灯不亮"),
               ("收银台", "插座没电"), ("店内", "空调不制冷"), ("试衣间", "门锁损坏"),
               ("厨房", "下水道堵塞"), ("橱窗", "射灯闪烁")]
COMPLAINT_TEXT = [("product", "购买的衬衫洗后褪色", "退货退款"), ("sales_staff", "营业员态度冷淡", "道歉"),
                  ("property", "停车场收费与公示不符", "退还多收费用"),
                  ("property", "卫生间长期无纸巾", "改进保洁"), ("product", "蛋糕过期仍在销售", "赔偿"),
                  ("other", "商场广播音量过大", "调低音量")]
ITEMS = [("轮椅", "无障碍"), ("婴儿车", "母婴"), ("雨伞", "便民"), ("充电宝", "便民"),
         ("推车", "工具"), ("梯子", "工具")]
FEES = [("F01", "梯子/推车超时使用", "hour", "10.00"), ("F02", "广告位临时张贴", "day", "200.00"),
        ("F03", "店铺钥匙复制", "piece", "15.00"), ("F04", "延时营业空调费", "hour", "120.00"),
        ("F05", "临时仓储", "day", "50.00"), ("F06", "物品超时借用", "hour", "5.00")]
STAFF = [  # username, name, department code, roles
    ("clerk1", "客服专员 王芳", "service", "clerk"), ("clerk2", "客服专员 李娟", "service", "clerk"),
    ("clerk3", "客服专员 张敏", "service", "clerk"), ("clerk4", "客服专员 刘洋", "service", "clerk"),
    ("svc_head", "客服主管 陈静", "service", "manager"),
    ("property1", "物业维修 李强", "property", "staff"), ("property2", "物业维修 赵勇", "property", "staff"),
    ("property3", "物业维修 孙涛", "property", "staff"), ("prop_head", "物业经理 周刚", "property", "manager"),
    ("ops1", "营运专员 吴丽", "operations", "staff"), ("ops_head", "营运部经理 张敏", "operations", "manager"),
    ("fin1", "财务 郭平", "finance", "staff"), ("wh1", "仓库 马超", "warehouse", "staff"),
    ("pm", "项目经理 陈刚", "project", "pm"), ("gm", "总经理 刘洋", "general", "gm"),
    ("auditor", "审计员 赵静", "finance", "auditor"),
]

# 维修类别 (issue 22): spread over the orders without drawing from the seeded random stream.
REPAIR_CATEGORIES = ("utilities", "hvac", "equipment", "civil", "other")


def ts(moment):
    return moment.strftime("%Y-%m-%d %H:%M:%S")


class Writer:
    """Bulk inserts on the raw connection of the app's database, timed per table."""

    def __init__(self, db, sqlite):
        self.db, self.sqlite, self.timings = db, sqlite, []

    def insert(self, table, columns, rows):
        started = _time.time()
        count = 0
        cols = ", ".join('"%s"' % c for c in columns)
        conn = self.db.connection()
        cursor = conn.cursor()
        if self.sqlite:
            sql = 'INSERT INTO "%s" (%s) VALUES (%s)' % (table, cols, ", ".join("?" * len(columns)))
        else:
            from psycopg2.extras import execute_values
            sql = 'INSERT INTO "%s" (%s) VALUES %%s' % (table, cols)
        with self.db.atomic():
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) == CHUNK:
                    self._write(cursor, sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                self._write(cursor, sql, batch)
                count += len(batch)
        if not self.sqlite and "id" in columns:
            self.db.execute_sql("SELECT setval(pg_get_serial_sequence('\"%s\"', 'id'), "
                                "(SELECT MAX(id) FROM \"%s\"))" % (table, table))
        took = _time.time() - started
        self.timings.append((table, count, took))
        print("  %-18s %9d rows %7.1f s %9.0f rows/s" % (table, count, took, count / max(took, 1e-9)),
              flush=True)
        return count

    def _write(self, cursor, sql, batch):
        if self.sqlite:
            cursor.executemany(sql, batch)
        else:
            from psycopg2.extras import execute_values
            execute_values(cursor, sql, batch, page_size=len(batch))


class Numbers:
    """Document numbers PREFIX-YYYYMMDD-NNNN, and the DocumentCounter rows that continue them."""

    def __init__(self):
        self.last = {}

    def next(self, prefix, when):
        key = (prefix, when.strftime("%Y%m%d"))
        self.last[key] = self.last.get(key, 0) + 1
        return "%s-%s-%04d" % (prefix, key[1], self.last[key])


class Clocks:
    """Deadline rows stamped exactly as Register.start_clock stamps them (sla arithmetic,
    frozen rule values), with the working-day lookups cached."""

    def __init__(self, rules, calendar):
        import sla
        self.sla = sla
        self.rules = rules  # code -> SlaRule
        self.limits = {code: rule.limit() for code, rule in rules.items()}
        cache = {}
        plain = calendar.nth_working_day_after

        class Cached(type(calendar)):
            def nth_working_day_after(self, day, n):
                key = (day, n)
                if key not in cache:
                    cache[key] = plain(day, n)
                return cache[key]
        self.calendar = Cached(calendar.holidays, calendar.workdays, calendar.known_years,
                               calendar.opening_hours)
        self.rows = []
        self.next_id = 1

    def due(self, code, start, due=None):
        return due or self.sla.deadline(start, self.limits[code], self.calendar)

    def stamp(self, record_type, record_id, kind, code, start, now, met_at=None, status=None,
              due=None):
        """Append one Deadline row; return its due time."""
        rule, limit = self.rules[code], self.limits[code]
        due = self.due(code, start, due)
        warn = self.sla.due_soon_at(start, due, rule.warn_percent)
        levels = self.sla.escalation_times(due, limit, self.calendar)
        status = status or ("met" if met_at else "running")
        created = start if start <= now else now
        self.rows.append((self.next_id, ts(created), ts(met_at or created), None, None, None, 1,
                          record_type, record_id, kind, rule.id, rule.code, limit.amount,
                          limit.unit, limit.clock, limit.describe()[:200], ts(start), ts(due),
                          ts(due), 0, ts(warn), ts(levels[0]), ts(levels[1]), ts(levels[2]),
                          ts(met_at) if met_at else None, status))
        self.next_id += 1
        return due

    COLUMNS = ("id", "created_at", "updated_at", "created_by_id", "archived_at", "archive_reason",
               "version", "record_type", "record_id", "kind", "rule_id", "rule_code",
               "limit_amount", "limit_unit", "limit_clock", "explanation", "started_at",
               "original_due_at", "due_at", "held_seconds", "warn_at", "level2_at", "level3_at",
               "level4_at", "met_at", "status")


def open_age(rng, limit_span, late_share, year):
    """How long ago an open record's clock started: within its limit (not yet due), or, for
    `late_share` of them, stuck anywhere from the limit to the whole year (overdue)."""
    if rng.random() < late_share:
        return limit_span + (year - limit_span) * rng.random() ** 3  # most misses are recent
    return limit_span * rng.random()


def build(args):
    from app import create_app, create_user
    import clock
    from models import CalendarDay, Department, SlaRule, User, db

    url = args.db
    sqlite = url.startswith("sqlite")
    if sqlite:
        path = url[len("sqlite:///"):]
        if os.path.exists(path):
            if not args.force:
                sys.exit("%s exists: pass --force to replace it" % path)
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        password_file = path + ".admin-password"
    else:
        password_file = os.path.join("/tmp/bench", "pg.admin-password")
        os.makedirs("/tmp/bench", exist_ok=True)

    started = _time.time()
    create_app({"DATABASE_URL": url, "KEFU_DEMO": False, "TESTING": True,
                "SECRET_KEY": secrets.token_hex(16)})
    print("schema (app migrations + reference data): %.1f s" % (_time.time() - started), flush=True)
    if not sqlite:
        with db.connection_context():
            if db.execute_sql("SELECT COUNT(*) FROM customer").fetchone()[0]:
                sys.exit("%s already holds customers: use a fresh database" % url)

    password = args.password or secrets.token_urlsafe(12)
    create_user("admin", "系统管理员", password, "admin", "service")
    with open(os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
        fh.write(password + "\n")
    print("admin login: admin / %s   (also in %s)" % (
        password if not args.password else "<as given>", password_file), flush=True)

    rng = random.Random(args.seed)
    scale = args.scale
    now = clock.now().replace(microsecond=0)
    year = timedelta(days=365)
    begin = now - year

    def when():
        return begin + timedelta(seconds=rng.randrange(int(year.total_seconds())))

    def n(count):
        return max(int(count * scale), 1)

    def person():
        return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")

    def phone():
        return "1%d%09d" % (rng.choice([3, 5, 7, 8, 9]), rng.randrange(10 ** 9))

    db.connect(reuse_if_open=True)
    if sqlite:
        db.execute_sql("PRAGMA synchronous = OFF")  # a throw-away bench database
    w = Writer(db, sqlite)
    numbers = Numbers()
    departments = {d.code: d.id for d in Department.select()}
    rules = {r.code: r for r in SlaRule.select()}
    clocks = Clocks(rules, CalendarDay.work_calendar())

    # ---------------------------------------------------------------- people
    users = {}
    with db.atomic():
        for username, name, dept, role in STAFF:
            user = User.create(username=username, full_name=name, roles=role,
                               department=departments[dept], password_hash="", created_at=begin,
                               updated_at=begin)
            users[username] = user.id
        users["admin"] = User.get(User.username == "admin").id
        for code, head in (("service", "svc_head"), ("property", "prop_head"),
                           ("operations", "ops_head"), ("project", "pm"), ("general", "gm")):
            Department.update(head=users[head]).where(Department.id == departments[code]).execute()
    clerks = [users[u] for u in ("clerk1", "clerk2", "clerk3", "clerk4")]
    fixers = [users[u] for u in ("property1", "property2", "property3")]
    heads = {"property": users["prop_head"], "operations": users["ops_head"]}
    print("build at %s, scale %s, seed %s" % (now, scale, args.seed), flush=True)

    # ---------------------------------------------------------------- customers
    n_customers = n(100_000)
    customer_kind = []

    def customers():
        for cid in range(1, n_customers + 1):
            r = rng.random()
            kind = ("anchor" if r < 0.004 else "tenant" if r < 0.08 else
                    "owners_committee" if cid == 1 else "merchants_committee" if cid == 2 else "consumer")
            customer_kind.append(kind)
            created = when() if kind == "consumer" else begin - timedelta(days=rng.randrange(30, 2000))
            if kind in ("tenant", "anchor"):
                floor = rng.choice(FLOORS)
                name = rng.choice(SHOP_WORDS) + rng.choice(SHOP_WORDS) + ("旗舰店" if kind == "anchor" else "")
                shop, category = "%s-%04d" % (floor, cid), rng.choice(CATEGORIES)
                start = created.date()
                lease = (start.isoformat(), (start + timedelta(days=365 * 3)).isoformat(),
                         "%d.00" % rng.choice([45, 80, 120, 260, 1800]),
                         "%d.00" % rng.randrange(8000, 90000, 500))
                person_name = person()
            else:
                name, shop, floor, category, lease = person(), None, None, None, (None,) * 4
                person_name = None
            status = "inactive" if rng.random() < 0.03 else "active"
            yield (cid, ts(created), ts(created), rng.choice(clerks), None, None, 1, name, kind,
                   shop, floor, category, person_name, phone(), None, None, None, None,
                   *lease, status, None, None)

    w.insert("customer", ("id", "created_at", "updated_at", "created_by_id", "archived_at",
                          "archive_reason", "version", "name", "kind", "shop_no", "floor",
                          "category", "contact_person", "phone", "phone2", "email", "id_number",
                          "address", "lease_start", "lease_end", "area_sqm", "monthly_rent",
                          "status", "notes", "last_contact_at"), customers())
    tenant_ids = [i + 1 for i, k in enumerate(customer_kind) if k in ("tenant", "anchor")] or [1]

    # ---------------------------------------------------------------- contacts
    n_contacts = n(1_000_000)
    last_contact = {}
    repair_contacts, complaint_contacts = [], []

    def contacts():
        for cid in range(1, n_contacts + 1):
            at = when()
            kind = rng.choice(CONTACT_KINDS)
            customer = rng.randrange(1, n_customers + 1) if rng.random() < 0.7 else None
            if customer:
                last_contact[customer] = max(last_contact.get(customer, at), at)
            r = rng.random()
            if kind in ("repair", "complaint", "service"):
                status = "transferred" if r < 0.97 else "open"
            else:
                status = "closed" if r < 0.90 else "handled" if r < 0.995 else "open"
            if status == "open":
                at = now - timedelta(seconds=rng.randrange(3 * 86400))
            if kind == "repair" and status == "transferred" and customer:
                repair_contacts.append((cid, customer, at))
            elif kind == "complaint" and status == "transferred":
                complaint_contacts.append((cid, customer, at))
            dept = (departments["property"] if kind == "repair" else departments["operations"]
                    if kind in ("complaint", "service") else None)
            clerk = rng.choice(clerks)
            yield (cid, ts(at), ts(at), clerk, None, None, 1, numbers.next("JD", at), customer,
                   person() if not customer or rng.random() < 0.5 else None, phone(),
                   rng.choice(CHANNELS), kind, rng.choice(SUBJECTS[kind]),
                   "顾客%s，已登记处理。" % rng.choice(SUBJECTS[kind]), ts(at), clerk, dept,
                   "已答复顾客" if status in ("closed", "handled") else None, status)

    w.insert("contact", ("id", "created_at", "updated_at", "created_by_id", "archived_at",
                         "archive_reason", "version", "number", "customer_id", "visitor_name",
                         "phone", "channel", "kind", "subject", "content", "received_at",
                         "received_by_id", "department_id", "outcome", "status"), contacts())
    started = _time.time()
    with db.atomic():
        db.connection().cursor().executemany(
            'UPDATE customer SET last_contact_at = %s WHERE id = %s' % (("?", "?") if sqlite else ("%s", "%s")),
            [(ts(at), cid) for cid, at in last_contact.items()])
    print("  %-18s %9d rows %7.1f s" % ("customer.last_contact", len(last_contact), _time.time() - started))

    # ---------------------------------------------------------------- repair orders + callbacks
    n_repairs = n(500_000)
    callbacks = []       # (kind, record id, at, by, accepted, satisfaction)
    audits = []          # (at, user, action, model, record id, summary, changes)
    alerts = []          # resolved historic alerts: (record_type, id, rule code, since, resolved at, dept, title)
    open_repairs = []
    property_dept = departments["property"]
    reserve_audit = n(2_000_000)

    def repairs():
        for rid in range(1, n_repairs + 1):
            if repair_contacts and rng.random() < 0.6:
                contact, customer, reported = repair_contacts[rng.randrange(len(repair_contacts))]
            else:
                contact, customer, reported = None, rng.choice(tenant_ids), when()
            r = rng.random()
            status = ("registered" if r < 0.003 else "dispatched" if r < 0.008 else
                      "accepted" if r < 0.018 else "done" if r < 0.024 else
                      "refused" if r < 0.034 else "cancelled" if r < 0.039 else "closed")
            location, text = rng.choice(REPAIR_TEXT)
            dispatched = accepted = completed = closed = accept_deadline = callback_deadline = None
            accepted_by = result = refusal = None
            if status == "dispatched":
                age = open_age(rng, timedelta(minutes=30), 0.5, year)
                reported = now - age - timedelta(minutes=rng.randrange(1, 30))
                dispatched = now - age
            elif status in ("accepted", "done", "registered"):
                reported = now - timedelta(days=10 * rng.random() ** 2, minutes=40)
            number = numbers.next("WX", reported)
            if status == "dispatched":
                accept_deadline = clocks.stamp("RepairOrder", rid, "accept", "REP_ACCEPT", dispatched, now)
            elif status not in ("registered", "refused", "cancelled"):
                dispatched = reported + timedelta(minutes=rng.randrange(2, 60))
                late = rng.random() < 0.08
                accepted = dispatched + timedelta(minutes=rng.randrange(31, 240) if late else rng.randrange(1, 30))
                accepted_by = rng.choice(fixers)
                accept_deadline = clocks.stamp("RepairOrder", rid, "accept", "REP_ACCEPT", dispatched,
                                               now, met_at=accepted)
                if late:
                    alerts.append(("RepairOrder", rid, "REP_ACCEPT", accept_deadline, accepted,
                                   property_dept, "维修工作单接单已逾期：" + number))
                if status in ("done", "closed"):
                    completed = accepted + timedelta(minutes=rng.randrange(20, 600))
                    result = "已修复：" + text
                    if status == "done":
                        age = open_age(rng, timedelta(days=1.4), 0.35, year / 12)
                        completed = min(completed, now - age)
                        accepted = min(accepted, completed - timedelta(minutes=10))
                        callback_deadline = clocks.stamp("RepairOrder", rid, "callback", "REP_CALLBACK",
                                                         completed, now)
                    else:
                        late = rng.random() < 0.06
                        due = clocks.due("REP_CALLBACK", completed)
                        closed = (due + timedelta(hours=rng.randrange(1, 48)) if late
                                  else completed + (due - completed) * rng.random())
                        closed = min(closed, now)
                        callback_deadline = clocks.stamp("RepairOrder", rid, "callback", "REP_CALLBACK",
                                                         completed, now, met_at=closed)
                        if late and closed > due:
                            alerts.append(("RepairOrder", rid, "REP_CALLBACK", due, closed,
                                           departments["service"], "维修完工后回访已逾期：" + number))
                        callbacks.append(("repair", rid, closed, rng.choice(clerks), True,
                                          rng.choice([5, 5, 5, 4, 4, 3, 2])))
            if status == "refused":
                refusal = "不属于维修范围，已向客户解释"
            if status in ("registered", "dispatched", "accepted", "done"):
                open_repairs.append(rid)
            clerk = rng.choice(clerks)
            audits.append((reported, clerk, "create", "RepairOrder", rid, number + " " + location,
                           {"status": ["", "registered"], "location": ["", location]}))
            if dispatched:
                audits.append((dispatched, clerk, "dispatch", "RepairOrder", rid, number,
                               {"status": ["registered", "dispatched"]}))
            updated = closed or completed or accepted or dispatched or reported
            yield (rid, ts(reported), ts(updated), clerk, None, None, 1, number, contact, customer,
                   person(), phone(), location, text, ts(reported), property_dept, status,
                   ts(dispatched) if dispatched else None,
                   ts(accept_deadline) if accept_deadline else None,
                   ts(accepted) if accepted else None, accepted_by,
                   ts(completed) if completed else None, result, ts(closed) if closed else None,
                   refusal, ts(callback_deadline) if callback_deadline else None, None,
                   REPAIR_CATEGORIES[rid % len(REPAIR_CATEGORIES)])

    w.insert("repair_order", ("id", "created_at", "updated_at", "created_by_id", "archived_at",
                              "archive_reason", "version", "number", "contact_id", "customer_id",
                              "reporter_name", "reporter_phone", "location", "description",
                              "reported_at", "department_id", "status", "dispatched_at",
                              "accept_deadline", "accepted_at", "accepted_by_id", "completed_at",
                              "result", "closed_at", "refusal_reason", "callback_deadline",
                              "on_hold_since", "category"), repairs())

    # ---------------------------------------------------------------- complaints + updates
    n_complaints = n(200_000)
    updates = []  # (complaint, kind, at, content, by)
    dept_of = {"product": "operations", "sales_staff": "operations", "property": "property",
               "other": "operations"}

    def complaints():
        for cid in range(1, n_complaints + 1):
            if complaint_contacts and rng.random() < 0.8:
                contact, customer, received = complaint_contacts[rng.randrange(len(complaint_contacts))]
            else:
                contact, customer, received = None, None, when()
            category, subject, request = rng.choice(COMPLAINT_TEXT)
            dcode = dept_of[category]
            dept = departments[dcode]
            r = rng.random()
            severity = "major" if r < 0.03 else "important" if r < 0.15 else "general"
            owner = users["pm"] if severity == "major" else heads[dcode]
            r = rng.random()
            status = ("received" if r < 0.012 else "in_progress" if r < 0.035 else
                      "resolved" if r < 0.045 else "refused" if r < 0.06 else
                      "cancelled" if r < 0.065 else "closed")
            if status in ("received", "in_progress", "resolved"):
                received = now - open_age(rng, timedelta(days=2), 0.35, year / 4)
            number = numbers.next("TS", received)
            started = resolved = None
            start_deadline = resolve_deadline = callback_deadline = None
            clerk = rng.choice(clerks)
            audits.append((received, clerk, "create", "Complaint", cid, number + " " + subject,
                           {"status": ["", "received"], "severity": ["", severity],
                            "subject": ["", subject]}))
            # Daily follow-up clock from receipt (met once resolved).
            if status in ("received", "in_progress"):
                follow_up = clocks.stamp("Complaint", cid, "follow_up", "CMP_DAILY_FOLLOWUP", received, now)
            elif status in ("resolved", "closed"):
                follow_up = None  # set below once resolved is known
            else:
                follow_up = clocks.stamp("Complaint", cid, "follow_up", "CMP_DAILY_FOLLOWUP", received,
                                         now, met_at=received + timedelta(hours=2))
            if status in ("in_progress", "resolved", "closed"):
                started = received + timedelta(minutes=rng.randrange(5, 600))
                started = min(started, now - timedelta(minutes=1))
                updates.append((cid, "start", started, "责任部门启动处理", owner))
                audits.append((started, owner, "start", "Complaint", cid, number,
                               {"status": ["received", "in_progress"]}))
            if severity in ("major", "important"):
                code = "CMP_MAJOR_START" if severity == "major" else "CMP_IMPORTANT_START"
                if status == "received":
                    start_deadline = clocks.stamp("Complaint", cid, "start", code, received, now)
                elif started:
                    start_deadline = clocks.stamp("Complaint", cid, "start", code, received, now,
                                                  met_at=started)
            if status in ("resolved", "closed"):
                late = rng.random() < 0.1
                resolved = started + timedelta(hours=rng.randrange(60, 120) if late else rng.randrange(1, 40))
                resolved = min(resolved, now - timedelta(minutes=2))
                for _ in range(rng.choice([0, 1, 1, 2, 3])):
                    at = started + (resolved - started) * rng.random()
                    updates.append((cid, rng.choice(["progress", "feedback", "follow_up"]), at,
                                    "已联系商户核实情况", owner))
                updates.append((cid, "result", resolved, "已处理：" + request, owner))
                audits.append((resolved, owner, "resolve", "Complaint", cid, number,
                               {"status": ["in_progress", "resolved"], "result": ["", request]}))
                follow_up = clocks.stamp("Complaint", cid, "follow_up", "CMP_DAILY_FOLLOWUP", received,
                                         now, met_at=resolved)
            elif status == "in_progress":
                for _ in range(rng.choice([0, 1, 2])):
                    at = started + (now - started) * rng.random()
                    updates.append((cid, "progress", at, "处理中，已反馈投诉人", owner))
            if severity == "general":
                if status in ("received", "in_progress"):
                    resolve_deadline = clocks.stamp("Complaint", cid, "resolve", "CMP_GENERAL_RESOLVE",
                                                    received, now)
                elif resolved:
                    resolve_deadline = clocks.stamp("Complaint", cid, "resolve", "CMP_GENERAL_RESOLVE",
                                                    received, now, met_at=resolved)
                    if resolved > resolve_deadline:
                        alerts.append(("Complaint", cid, "CMP_GENERAL_RESOLVE", resolve_deadline,
                                       resolved, dept, "一般投诉解决已逾期：" + number))
            closed_at = None
            if status == "resolved":
                if now - resolved > timedelta(days=6):
                    resolved = now - timedelta(days=rng.random() * 6)
                callback_deadline = clocks.stamp("Complaint", cid, "callback", "CMP_CALLBACK", resolved, now)
            elif status == "closed":
                due = clocks.due("CMP_CALLBACK", resolved)
                closed_at = min(resolved + (due - resolved) * rng.random() * 1.1, now)
                callback_deadline = clocks.stamp("Complaint", cid, "callback", "CMP_CALLBACK", resolved,
                                                 now, met_at=closed_at)
                callbacks.append(("complaint", cid, closed_at, rng.choice(clerks), True,
                                  rng.choice([5, 5, 4, 4, 3, 2, 1])))
                audits.append((closed_at, clerk, "callback", "Complaint", cid, number,
                               {"status": ["resolved", "closed"]}))
            updated = closed_at or resolved or started or received
            yield (cid, ts(received), ts(updated), clerk, None, None, 1, number, contact, customer,
                   person(), phone(), rng.choice(CHANNELS), category, subject,
                   "投诉人反映：" + subject, request, None, severity, dept, owner, ts(received),
                   ts(start_deadline) if start_deadline else None, ts(started) if started else None,
                   ts(resolve_deadline) if resolve_deadline else None,
                   ts(resolved) if resolved else None, "已处理：" + request if resolved else None,
                   status, 0, "不在受理范围" if status == "refused" else None, None, None,
                   ts(callback_deadline) if callback_deadline else None,
                   ts(follow_up) if follow_up and status in ("received", "in_progress") else None,
                   None)

    w.insert("complaint", ("id", "created_at", "updated_at", "created_by_id", "archived_at",
                           "archive_reason", "version", "number", "contact_id", "customer_id",
                           "complainant_name", "complainant_phone", "channel", "category",
                           "subject", "description", "request", "requested_by", "severity",
                           "department_id", "owner_id", "received_at", "start_deadline",
                           "started_at", "resolve_deadline", "resolved_at", "result", "status",
                           "escalation_level", "refusal_reason", "routing_override_reason",
                           "on_hold_since", "callback_deadline", "follow_up_from",
                           "scope_checked"), complaints())
    w.insert("complaint_update", ("id", "created_at", "updated_at", "created_by_id", "archived_at",
                                  "archive_reason", "version", "complaint_id", "kind",
                                  "happened_at", "content", "told_complainant", "by_user_id"),
             ((i, ts(at), ts(at), by, None, None, 1, cid, kind, ts(at), text,
               "已告知投诉人" if kind == "feedback" else None, by)
              for i, (cid, kind, at, text, by) in enumerate(updates, 1)))
    del updates

    callbacks.sort(key=lambda c: c[2])
    w.insert("callback", ("id", "created_at", "updated_at", "created_by_id", "archived_at",
                          "archive_reason", "version", "number", "repair_order_id", "complaint_id",
                          "method", "called_at", "called_by_id", "person_reached", "accepted",
                          "satisfaction", "notes"),
             ((i, ts(at), ts(at), by, None, None, 1, numbers.next("HF", at),
               rid if kind == "repair" else None, rid if kind == "complaint" else None,
               "phone", ts(at), by, person(), accepted, sat, "客户确认已解决")
              for i, (kind, rid, at, by, accepted, sat) in enumerate(callbacks, 1)))
    del callbacks

    # ---------------------------------------------------------------- fees, charges, items, loans
    with db.atomic():
        for code, name, unit, price in FEES:
            db.execute_sql('INSERT INTO fee_item (created_at, updated_at, created_by_id, version, code, '
                           'name, unit, price, effective_from, is_active) VALUES (%s)' % ", ".join(
                               [("?" if sqlite else "%s")] * 10),
                           (ts(begin), ts(begin), users["admin"], 1, code, name, unit, price,
                            begin.date().isoformat(), True))
    fee_ids = [r[0] for r in db.execute_sql("SELECT id FROM fee_item ORDER BY id").fetchall()]
    fee_price = {fid: float(FEES[i][3]) for i, fid in enumerate(fee_ids)}
    n_charges = n(200_000)
    service_dept = departments["service"]

    def charges():
        for cid in range(1, n_charges + 1):
            r = rng.random()
            status = "recorded" if r < 0.02 else "voided" if r < 0.03 else "handed_over"
            at = when() if status != "recorded" else now - open_age(rng, timedelta(hours=8), 0.3, year / 6)
            fee = rng.choice(fee_ids)
            qty = rng.choice([1, 1, 1, 2, 3])
            amount = "%.2f" % (fee_price[fee] * qty)
            number = numbers.next("SF", at)
            end_of_day = datetime.combine(at.date(), time(23, 59, 59))
            handed = None
            if status == "handed_over":
                late = rng.random() < 0.05
                handed = (end_of_day + timedelta(hours=rng.randrange(8, 60)) if late
                          else at + (end_of_day - at) * rng.random())
                handed = min(handed, now)
                due = clocks.stamp("Charge", cid, "finance", "PAY_FINANCE", end_of_day, now, met_at=handed)
                if handed > due:
                    alerts.append(("Charge", cid, "PAY_FINANCE", due, handed, service_dept,
                                   "收费当日交财务已逾期：" + number))
            elif status == "voided":
                due = clocks.stamp("Charge", cid, "finance", "PAY_FINANCE", end_of_day, now,
                                   met_at=at + timedelta(minutes=10))
            else:
                due = clocks.stamp("Charge", cid, "finance", "PAY_FINANCE", end_of_day, now)
            clerk = rng.choice(clerks)
            yield (cid, ts(at), ts(handed or at), clerk, None, None, 1, number,
                   rng.choice(tenant_ids) if rng.random() < 0.7 else None, person(), fee,
                   "%d.00" % qty, "%.2f" % fee_price[fee], amount,
                   rng.choice(["cash", "wechat", "wechat", "alipay", "card"]), ts(at), clerk,
                   ts(handed) if handed else None, status, None, ts(due),
                   "录入错误" if status == "voided" else None)

    w.insert("charge", ("id", "created_at", "updated_at", "created_by_id", "archived_at",
                        "archive_reason", "version", "number", "customer_id", "payer_name",
                        "fee_item_id", "quantity", "unit_price", "amount", "payment_method",
                        "charged_at", "charged_by_id", "handed_to_finance_at", "status",
                        "override_reason", "finance_deadline", "void_reason"), charges())

    n_loans = n(200_000)
    n_out = n(2_000)
    n_items = n_out + n(1_000)
    w.insert("lendable_item", ("id", "created_at", "updated_at", "created_by_id", "archived_at",
                               "archive_reason", "version", "code", "name", "category", "deposit",
                               "fee_item_id", "location", "status"),
             ((i, ts(begin), ts(begin), users["admin"], None, None, 1, "WP-%05d" % i,
               ITEMS[i % len(ITEMS)][0] + " %d号" % i, ITEMS[i % len(ITEMS)][1],
               "%d.00" % rng.choice([50, 100, 200, 500]), fee_ids[-1], "客服中心",
               "on_loan" if i <= n_out else "available") for i in range(1, n_items + 1)))

    def loans():
        out_left = n_out
        for lid in range(1, n_loans + 1):
            r = rng.random()
            if out_left and r < n_out / n_loans * 1.2:
                status, item = "out", out_left
                out_left -= 1
                lent = now - open_age(rng, timedelta(hours=1), 0.4, year / 12)
            else:
                status = "returned" if r < 0.035 else "cancelled" if r < 0.05 else "refunded"
                item = rng.randrange(n_out + 1, n_items + 1) if n_items > n_out else 1
                lent = when()
            deposit = rng.choice([50, 100, 200, 500])
            number, receipt = numbers.next("JY", lent), numbers.next("YJ", lent)
            returned = refunded = None
            fee = 0.0
            if status == "out":
                due = clocks.stamp("ItemLoan", lid, "free", "LOAN_FREE", lent, now)
            elif status == "cancelled":
                due = clocks.stamp("ItemLoan", lid, "free", "LOAN_FREE", lent, now,
                                   met_at=lent + timedelta(minutes=1), status="cancelled")
            else:
                late = rng.random() < 0.12
                returned = lent + timedelta(minutes=rng.randrange(61, 400) if late else rng.randrange(5, 60))
                returned = min(returned, now)
                due = clocks.stamp("ItemLoan", lid, "free", "LOAN_FREE", lent, now, met_at=returned)
                if returned > due:
                    fee = 5.0 * -(-(returned - due).total_seconds() // 3600)
                    alerts.append(("ItemLoan", lid, "LOAN_FREE", due, returned, service_dept,
                                   "物品借用免费时长已逾期：" + number))
                if status == "refunded":
                    refunded = returned + timedelta(minutes=5)
            clerk = rng.choice(clerks)
            yield (lid, ts(lent), ts(refunded or returned or lent), clerk, None, None, 1, number,
                   receipt, item, rng.randrange(1, n_customers + 1) if rng.random() < 0.5 else None,
                   person(), phone(), ts(lent), ts(due), ts(returned) if returned else None,
                   "%d.00" % deposit, "%.2f" % fee,
                   "%.2f" % max(deposit - fee, 0) if refunded else None,
                   ts(refunded) if refunded else None, clerk, status)

    w.insert("item_loan", ("id", "created_at", "updated_at", "created_by_id", "archived_at",
                           "archive_reason", "version", "number", "receipt_no", "item_id",
                           "customer_id", "borrower_name", "borrower_phone", "lent_at",
                           "due_back_at", "returned_at", "deposit", "fee", "refund", "refunded_at",
                           "lent_by_id", "status"), loans())

    # ---------------------------------------------------------------- deadlines, alerts
    # In time order, as the console writes them: the time indexes grow at their end instead of
    # taking random inserts.
    clocks.rows.sort(key=lambda row: row[16])
    w.insert("deadline", Clocks.COLUMNS, ((i,) + row[1:] for i, row in enumerate(clocks.rows, 1)))
    del clocks.rows
    w.insert("alert", ("id", "created_at", "updated_at", "created_by_id", "archived_at",
                       "archive_reason", "version", "kind", "title", "record_type", "record_id",
                       "rule_id", "since", "department_id", "assignee_id", "level", "status",
                       "resolved_at", "resolved_by_id", "resolution_note", "mailed_level"),
             ((i, ts(since), ts(done), None, None, None, 1, "overdue", title[:200], rtype, rid,
               rules[code].id, ts(since), dept, None, 1, "resolved", ts(done), None,
               "办理完毕，系统自动解除", 0)
              for i, (rtype, rid, code, since, done, dept, title) in enumerate(
                  sorted(alerts, key=lambda a: a[3]), 1)))
    del alerts

    # ---------------------------------------------------------------- audit log
    # The registers' own events above, then logins, contact registrations and edits up to
    # the target, then everything in time order (ids grow with time, as in real life).
    admin = users["admin"]
    while len(audits) < reserve_audit:
        r = rng.random()
        at = when()
        if r < 0.02:
            user = rng.choice(clerks)
            audits.append((at, user, "login", None, None, "clerk", None))
        elif r < 0.021:
            audits.append((at, None, "login_failed", None, None, "clerk9", None))
        elif r < 0.8:
            cid = rng.randrange(1, n_contacts + 1)
            audits.append((at, rng.choice(clerks), "create", "Contact", cid, "接待登记",
                           {"status": ["", "open"], "subject": ["", "咨询停车收费标准"]}))
        else:
            cid = rng.randrange(1, n_customers + 1)
            audits.append((at, admin, "update", "Customer", cid, "客户档案",
                           {"phone2": ["", phone()], "version": ["1", "2"]}))
    audits.sort(key=lambda a: a[0])
    names = {v: k for k, v in users.items()}
    first = db.execute_sql("SELECT COALESCE(MAX(id), 0) FROM audit_log").fetchone()[0] + 1

    def chained():
        """The rows with their hash chain (audit.py), continuing the rows already there."""
        import audit
        prev = audit.last_hash()
        for i, (at, user, action, model, rid, summary, changes) in enumerate(audits, first):
            at = at.replace(microsecond=0)  # as ts() stores it
            values = dict(created_at=at, updated_at=at, user=user, username=names.get(user),
                          ip="10.0.0.%d" % (1 + i % 200), action=action, model=model,
                          record_id=str(rid) if rid is not None else None,
                          summary=(summary or "")[:200],
                          changes=json.dumps(changes, ensure_ascii=False) if changes else None)
            row_hash = audit.chain_hash(prev, values)
            yield (i, ts(at), ts(at), user, values["username"], values["ip"], action, model,
                   values["record_id"], values["summary"], values["changes"], prev, row_hash)
            prev = row_hash
    w.insert("audit_log", ("id", "created_at", "updated_at", "user_id", "username", "ip", "action",
                           "model", "record_id", "summary", "changes", "prev_hash", "row_hash"),
             chained())
    del audits

    # ---------------------------------------------------------------- document counters
    with db.atomic():
        rows = [(prefix, day, last) for (prefix, day), last in numbers.last.items()]
        db.connection().cursor().executemany(
            "INSERT INTO document_counter (prefix, day, last) VALUES (%s) ON CONFLICT (prefix, day) "
            "DO UPDATE SET last = excluded.last" % ", ".join([("?" if sqlite else "%s")] * 3), rows)
    print("  %-18s %9d rows" % ("document_counter", len(rows)))
    if args.analyze:
        started = _time.time()
        db.execute_sql("ANALYZE")
        print("ANALYZE: %.1f s" % (_time.time() - started))
    if not args.unswept:  # after the statistics: the jobs planned as on a running site
        catch_up(now)
    if sqlite:
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    total = sum(c for _, c, _ in w.timings)
    print("built %d rows in %.1f s (%s)" % (total, _time.time() - _build_started, url))
    if sqlite:
        print("database size: %.0f MB" % (os.path.getsize(path) / 1e6))
    print("open records: %d repair orders; overdue counts are computed at run time" % len(open_repairs))


def catch_up(now):
    """The console's own sweep at the build's `now`: a site swept every minute has an open alert
    for each miss still open, raised by its jobs (not written by this script), so the bench's
    first sweep is a running site's. Timed: the catch-up a site pays once, when years of history
    arrive never swept (`--unswept` leaves it to the bench's first sweep). The nightly upkeep
    (jobs.OWN_PROCESS) is not part of it: the build writes what it keeps."""
    import jobs
    from models import Alert, db
    schedule = jobs.SCHEDULE
    jobs.SCHEDULE = tuple((job, every) for job, every in schedule
                          if job.__name__ not in jobs.OWN_PROCESS)
    started = _time.time()
    try:
        with db.connection_context():
            before = Alert.select().count()
            results = jobs.run_due_jobs(now, force=True)
            raised = Alert.select().count() - before
    finally:
        jobs.SCHEDULE = schedule
    failed = sorted(name for name, result in results.items() if result == jobs.JobRun.FAILED)
    print("catch-up sweep (the console's jobs at the build's now): %d alerts raised in %.1f s%s"
          % (raised, _time.time() - started, "; FAILED: " + ", ".join(failed) if failed else ""),
          flush=True)


_build_started = _time.time()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--db", default=DEFAULT_DB, help="playhouse.db_url URL (default %(default)s)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--password", default=None, help="admin password (default: random, printed)")
    parser.add_argument("--force", action="store_true", help="replace an existing SQLite file")
    parser.add_argument("--analyze", action="store_true",
                        help="run ANALYZE at the end, as a running console's nightly "
                             "refresh_statistics would have (without it the jobs' rerun plans "
                             "on a stats-less database: 0.73 s against 0.18 s)")
    parser.add_argument("--unswept", action="store_true",
                        help="leave the open misses without their alerts (the console's sweep "
                             "at the build's now is skipped): bench/run.py's first sweep is "
                             "then the catch-up of the whole history")
    args = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)
    build(args)


if __name__ == "__main__":
    main()
