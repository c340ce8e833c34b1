"""Create realistic demo data for a new demo database (never for a real deployment)."""
import json
import random
from datetime import date, timedelta
from decimal import Decimal

import flows.cash
import flows.complaints
import jobs
import reports
from models import (ActionItem, Callback, Charge, Complaint, ComplaintGuideline, ComplaintPassOn,
                    ComplaintReport, ComplaintUpdate, Contact, CorrectiveAction, Customer,
                    Deadline, Department, FeeItem, ItemLoan, LendableItem, PAYMENT_METHODS, ShiftHandover, Meeting, Notice, NoticeReceipt,
                    MeetingAttendee, RepairOrder, ServiceRequest, Survey, SurveyAnswer,
                    SurveyDistribution, SurveyQuestion, SurveyResponse, User, WorkLetter,
                    next_number)

SHOPS = [
    ("优衣库", "服装", "anchor"), ("永辉超市", "超市", "anchor"), ("万达影城", "影院", "anchor"),
    ("星巴克", "餐饮", "tenant"), ("海底捞", "餐饮", "tenant"), ("周大福", "珠宝", "tenant"),
    ("安踏体育", "运动", "tenant"), ("名创优品", "生活百货", "tenant"), ("屈臣氏", "美妆", "tenant"),
    ("喜茶", "饮品", "tenant"), ("小米之家", "数码", "tenant"), ("李宁", "运动", "tenant"),
    ("太平鸟", "服装", "tenant"), ("西西弗书店", "文化", "tenant"), ("乐高", "玩具", "tenant"),
    ("满记甜品", "餐饮", "tenant"), ("华为体验店", "数码", "tenant"), ("老凤祥", "珠宝", "tenant"),
    ("绝味鸭脖", "小吃", "tenant"), ("瑞幸咖啡", "饮品", "tenant"),
]
PEOPLE = ["王伟", "李娜", "张磊", "刘芳", "陈静", "杨洋", "赵敏", "黄勇", "周婷", "吴刚",
          "徐丽", "孙强", "马超", "朱琳", "胡斌", "郭涛"]
REPAIRS = [("卫生间", "水龙头漏水", "utilities"), ("店铺门口", "卷帘门无法关闭", "equipment"),
           ("后仓", "照明灯不亮", "utilities"), ("收银台", "插座没电", "utilities"),
           ("店内", "空调不制冷", "hvac"), ("试衣间", "门锁损坏", "equipment"),
           ("厨房", "下水道堵塞", "utilities"), ("橱窗", "射灯闪烁", "utilities")]
COMPLAINTS = [("product", "购买的衬衫洗后褪色", "退货退款"),
              ("sales_staff", "营业员态度冷淡", "道歉"),
              ("property", "停车场收费与公示不符", "退还多收费用"),
              ("property", "卫生间长期无纸巾", "改进保洁"),
              ("product", "蛋糕过期仍在销售", "赔偿"),
              ("other", "商场广播音量过大", "调低音量")]


def _phone(rng):
    return "1%d%09d" % (rng.choice([3, 5, 8, 9]), rng.randrange(10 ** 9))


def create_demo_data(now):
    """Fill a new database with a month of plausible service-center work up to `now`."""
    rng = random.Random(20261122)
    dept = {d.code: d for d in Department.select()}
    users = {u.username: u for u in User.select()}
    clerk, prop = users["clerk"], users["property"]

    for code, head in ((Department.SERVICE, "clerk"), (Department.PROPERTY, "property"),
                       (Department.OPERATIONS, "ops"), (Department.PROJECT, "pm"),
                       (Department.GENERAL, "gm")):
        Department.update(head=users[head]).where(Department.id == dept[code].id).execute()

    def stamp(**kw):
        kw.setdefault("created_at", now)
        kw.setdefault("updated_at", now)
        kw.setdefault("created_by", clerk)
        return kw

    customers = []
    for i, (name, category, kind) in enumerate(SHOPS):
        floor = "B1" if category in ("超市", "小吃") else "%dF" % (1 + i % 4)
        start = date(now.year - 1 - i % 3, 1 + i % 12, 1)
        customers.append(Customer.create(**stamp(
            name=name, kind=kind, shop_no="%s-%03d" % (floor, 100 + i), floor=floor,
            category=category, contact_person=rng.choice(PEOPLE), phone=_phone(rng),
            lease_start=start, lease_end=start.replace(year=start.year + 3 + i % 3),
            area_sqm=Decimal(rng.choice([45, 80, 120, 260, 1800])),
            monthly_rent=Decimal(rng.randrange(8000, 90000, 500)))))
    for name, kind in (("业主委员会", Customer.OWNERS), ("商户委员会", Customer.MERCHANTS)):
        customers.append(Customer.create(**stamp(name=name, kind=kind, contact_person=rng.choice(PEOPLE),
                                                 phone=_phone(rng))))
    for person in PEOPLE[:8]:
        customers.append(Customer.create(**stamp(name=person, kind=Customer.CONSUMER,
                                                 phone=_phone(rng))))
    tenants = [c for c in customers if c.kind in (Customer.TENANT, Customer.ANCHOR)]

    fees = {}
    for code, name, unit, price in (("F01", "梯子/推车超时使用", "hour", "10.00"),
                                    ("F02", "广告位临时张贴", "day", "200.00"),
                                    ("F03", "店铺钥匙复制", "piece", "15.00"),
                                    ("F04", "延时营业空调费", "hour", "120.00"),
                                    ("F05", "货梯专用", "time", "50.00")):
        fees[code] = FeeItem.create(**stamp(code=code, name=name, unit=unit, price=Decimal(price),
                                            effective_from=date(now.year, 1, 1)))
    items = []
    for i, (name, deposit) in enumerate((("人字梯 2 米", "100"), ("人字梯 3 米", "150"),
                                         ("平板推车", "100"), ("折叠推车", "50"),
                                         ("液压叉车", "500"), ("工具箱", "100"))):
        items.append(LendableItem.create(**stamp(
            code="JY%02d" % (i + 1), name=name, category="工具" if "梯" not in name else "梯子",
            deposit=Decimal(deposit), fee_item=fees["F01"], location="客服中心仓库")))

    def number(prefix, when):
        return next_number(prefix, when)

    # A month of reception work, oldest first so document numbers follow the dates.
    repair_states = [RepairOrder.CLOSED] * 8 + [RepairOrder.DONE] * 3 + \
        [RepairOrder.ACCEPTED] * 3 + [RepairOrder.DISPATCHED] * 3 + [RepairOrder.REGISTERED, RepairOrder.REFUSED]
    for i, state in enumerate(repair_states):
        when = now - timedelta(days=len(repair_states) - i, hours=rng.randrange(0, 6))
        if i >= len(repair_states) - 5:
            when = now - timedelta(minutes=20 + 15 * (len(repair_states) - i))
        cust = rng.choice(tenants)
        place, problem, category = rng.choice(REPAIRS)
        contact = Contact.create(**stamp(
            number=number("JD", when), customer=cust, visitor_name=cust.contact_person,
            phone=cust.phone, channel=rng.choice(["phone", "visit", "hotline"]), kind="repair",
            subject=f"{cust.name}{place}{problem}", received_at=when, received_by=clerk,
            department=dept[Department.PROPERTY], status=Contact.TRANSFERRED, created_at=when))
        order = dict(number=number("WX", when), contact=contact, customer=cust,
                     reporter_name=cust.contact_person, reporter_phone=cust.phone,
                     location=f"{cust.shop_no} {place}", description=problem, category=category,
                     reported_at=when,
                     department=dept[Department.PROPERTY], status=state, created_at=when)
        if state == RepairOrder.REFUSED:
            order["refusal_reason"] = "属于商户自有设备，不在物业维修范围，已向商户解释"
        if state not in (RepairOrder.REGISTERED, RepairOrder.REFUSED):
            order["dispatched_at"] = when + timedelta(minutes=3)
            order["accept_deadline"] = when + timedelta(minutes=33)
        if state in (RepairOrder.ACCEPTED, RepairOrder.DONE, RepairOrder.CLOSED):
            order["accepted_at"] = when + timedelta(minutes=rng.choice([10, 20, 25, 45]))
            order["accepted_by"] = prop
        if state in (RepairOrder.DONE, RepairOrder.CLOSED):
            order["completed_at"] = when + timedelta(hours=3)
            order["result"] = "已更换配件，恢复正常"
        if state == RepairOrder.CLOSED:
            order["closed_at"] = when + timedelta(days=1)
        ro = RepairOrder.create(**stamp(**order))
        if state == RepairOrder.CLOSED:
            Callback.create(**stamp(number=number("HF", when + timedelta(days=1)), repair_order=ro,
                                    called_at=when + timedelta(days=1), called_by=clerk,
                                    person_reached=cust.contact_person, accepted=True,
                                    satisfaction=rng.choice([4, 5, 5]), notes="维修及时，满意",
                                    created_at=when + timedelta(days=1)))

    for i in range(6):
        when = now - timedelta(days=6 - i, hours=2)
        cust = rng.choice(tenants)
        status = [ServiceRequest.HANDED_BACK, ServiceRequest.HANDED_BACK, ServiceRequest.APPROVED,
                  ServiceRequest.REFUSED, ServiceRequest.SUBMITTED, ServiceRequest.SUBMITTED][i]
        kind = ["renovation", "overtime", "goods", "advertising", "event", "renovation"][i]
        sr = ServiceRequest.create(**stamp(
            number=number("FW", when), customer=cust, applicant_name=cust.contact_person,
            applicant_phone=cust.phone, kind=kind, description=f"{cust.name}申请{dict(ServiceRequest.KINDS)[kind]}",
            wanted_from=(when + timedelta(days=3)).date(), wanted_to=(when + timedelta(days=5)).date(),
            submitted_at=when, department=dept[Department.OPERATIONS], status=status,
            handback_deadline=when + timedelta(days=1),
            decided_at=when + timedelta(hours=4) if status != ServiceRequest.SUBMITTED else None,
            decided_by=users["ops"] if status != ServiceRequest.SUBMITTED else None,
            decision_note="同意，请遵守施工管理规定" if status != ServiceRequest.REFUSED else "超出服务范围，不予批准",
            handed_back_at=when + timedelta(hours=6) if status == ServiceRequest.HANDED_BACK else None,
            approved={ServiceRequest.SUBMITTED: None, ServiceRequest.REFUSED: False}.get(status, True),
            created_at=when))
        if status in (ServiceRequest.APPROVED, ServiceRequest.HANDED_BACK):
            WorkLetter.create(**stamp(
                number=number("LXH", when), service_request=sr,
                from_department=dept[Department.SERVICE], to_department=dept[Department.PROPERTY],
                subject=f"请配合：{sr.description}", body="请物业管理部安排配合，详见服务申请单。",
                status=WorkLetter.ACKNOWLEDGED, sent_at=when + timedelta(hours=5),
                forward_deadline=when + timedelta(hours=6), acknowledged_at=when + timedelta(hours=7),
                acknowledged_by=prop, created_at=when))

    for i, subject in enumerate(("咨询停车收费标准", "咨询会员积分规则", "寻找失物：黑色钱包",
                                 "咨询商场营业时间", "咨询招商政策")):
        when = now - timedelta(hours=5 * (5 - i))
        cust = rng.choice(customers)
        c = Contact.create(**stamp(
            number=number("JD", when), customer=cust, visitor_name=cust.contact_person or cust.name,
            phone=cust.phone, channel=rng.choice(["phone", "visit", "hotline", "web"]),
            kind="enquiry", subject=subject, received_at=when, received_by=clerk,
            status=Contact.HANDLED if i < 3 else Contact.OPEN, outcome="已当场答复" if i < 3 else None,
            department=dept[Department.OPERATIONS] if i == 4 else None, created_at=when))
        if i == 4:
            WorkLetter.create(**stamp(
                number=number("LXH", when), contact=c, from_department=dept[Department.SERVICE],
                to_department=dept[Department.OPERATIONS], subject=subject,
                body="客户咨询招商政策，请营运部联系答复。", status=WorkLetter.SENT,
                sent_at=when + timedelta(minutes=20), forward_deadline=when + timedelta(hours=1),
                created_at=when))

    for i in range(10):
        when = now - timedelta(days=i % 4, hours=rng.randrange(1, 8))
        fee = rng.choice(list(fees.values()))
        qty = Decimal(rng.choice([1, 1, 2, 3]))
        Charge.create(**stamp(
            number=number("SF", when), customer=rng.choice(tenants), payer_name=rng.choice(PEOPLE),
            fee_item=fee, quantity=qty, unit_price=fee.price, amount=(fee.price * qty).quantize(Decimal("0.01")),
            payment_method=rng.choice(["cash", "wechat", "alipay"]), charged_at=when, charged_by=clerk,
            status=Charge.HANDED_OVER if i >= 3 else Charge.RECORDED,
            handed_to_finance_at=when.replace(hour=17, minute=30) if i >= 3 else None, created_at=when))

    # The shift handovers (R-PAY-2): last week's, handed to finance with the handed-over
    # charges; yesterday's, signed by both clerks and not yet at finance.
    handed = list(Charge.select().where(Charge.status == Charge.HANDED_OVER))
    done_at = (now - timedelta(days=4)).replace(second=0, microsecond=0)
    cash = sum((c.amount for c in handed if c.payment_method == "cash"), Decimal("0.00"))
    totals = {code: [0, Decimal("0.00")] for code, _ in PAYMENT_METHODS}
    for c in handed:
        totals[c.payment_method][0] += 1
        totals[c.payment_method][1] += c.amount
    old_shift = ShiftHandover.create(**stamp(
        number=number("JB", done_at), handed_by=clerk, taken_by=users["clerk2"],
        period_from=done_at.replace(hour=8, minute=30), period_to=done_at.replace(hour=17, minute=30),
        charge_count=len(handed), totals=ShiftHandover.describe_totals(totals),
        system_total=sum((c.amount for c in handed), Decimal("0.00")), system_cash=cash,
        cash_counted=cash, difference=Decimal("0.00"),
        handed_signed_at=done_at.replace(hour=17, minute=30),
        taken_signed_at=done_at.replace(hour=17, minute=35), finance_receiver="财务部 吴会计",
        finance_amount=cash, finance_received_at=done_at.replace(hour=17, minute=50),
        status=ShiftHandover.FINANCE, created_at=done_at))
    Charge.update(handover=old_shift).where(Charge.id.in_([c.id for c in handed])).execute()
    shift_end = (now - timedelta(days=1)).replace(hour=18, minute=0, second=0, microsecond=0)
    figures = ShiftHandover.shift_figures(clerk.id, shift_end.replace(hour=8, minute=30), shift_end)
    signed = flows.cash.hand_over(
        clerk, users["clerk2"], shift_end.replace(hour=8, minute=30), shift_end,
        figures["totals"]["cash"][1] + Decimal("2.00"), "找零多收 2 元，已登记", shift_end)
    signed.take_over(users["clerk2"], shift_end + timedelta(minutes=5))

    for i, item in enumerate(items[:5]):
        when = now - timedelta(days=4 - i, hours=2 - i % 2)
        out = i >= 3
        cust = rng.choice(tenants)
        fee = Decimal("0") if i % 2 else Decimal("10.00")
        ItemLoan.create(**stamp(
            number=number("JY", when), receipt_no=number("YJ", when), item=item, customer=cust,
            borrower_name=cust.contact_person, borrower_phone=cust.phone, lent_at=when,
            due_back_at=when + timedelta(hours=1), lent_by=clerk, deposit=item.deposit,
            returned_at=None if out else when + timedelta(minutes=50 if i % 2 else 95),
            fee=Decimal("0") if out else fee,
            refund=None if out else item.deposit - fee,
            refunded_at=None if out else when + timedelta(minutes=100),
            status=ItemLoan.OUT if out else ItemLoan.REFUNDED, created_at=when))
        if out:
            LendableItem.update(status=LendableItem.ON_LOAN).where(LendableItem.id == item.id).execute()
    # Registered at the desk a moment ago: waiting for the warehouse keeper (R-LOAN-2).
    waiting = now - timedelta(minutes=10)
    cust = rng.choice(tenants)
    ItemLoan.create(**stamp(
        number=number("JY", waiting), receipt_no=number("YJ", waiting), item=items[5], customer=cust,
        borrower_name=cust.contact_person, borrower_phone=cust.phone, lent_at=waiting,
        lent_by=clerk, deposit=items[5].deposit, status=ItemLoan.ISSUING, created_at=waiting))
    LendableItem.update(status=LendableItem.ON_LOAN).where(LendableItem.id == items[5].id).execute()

    for seq, text in enumerate(("商品购于本商场，且能提供购物凭证", "投诉在商品三包期或约定退换期内",
                                "非人为损坏或使用不当造成", "诉求与商品质量、价格或服务相关"), 1):
        ComplaintGuideline.create(**stamp(seq=seq, text=text, created_by=users["ops"]))

    severities = [Complaint.GENERAL, Complaint.IMPORTANT, Complaint.GENERAL, Complaint.MAJOR,
                  Complaint.GENERAL, Complaint.IMPORTANT]
    statuses = [Complaint.CLOSED, Complaint.CLOSED, Complaint.RESOLVED, Complaint.IN_PROGRESS,
                Complaint.IN_PROGRESS, Complaint.RECEIVED]
    for i, (category, subject, request) in enumerate(COMPLAINTS):
        when = now - timedelta(days=(6 - i) * 2, hours=rng.randrange(0, 5))
        cust = rng.choice(customers[-8:])
        severity, status = severities[i], statuses[i]
        routed = dept[Department.PROPERTY if category == "property" else Department.OPERATIONS]
        start_limit = {Complaint.MAJOR: timedelta(0), Complaint.IMPORTANT: timedelta(hours=1),
                       Complaint.GENERAL: None}[severity]
        comp = Complaint.create(**stamp(
            number=number("TS", when), customer=cust, complainant_name=cust.name,
            complainant_phone=cust.phone, channel=rng.choice(["visit", "phone", "hotline"]),
            category=category, subject=subject, description=f"顾客反映：{subject}", request=request,
            severity=severity, department=routed,
            owner=users["pm"] if severity == Complaint.MAJOR else None, received_at=when,
            start_deadline=when + start_limit if start_limit is not None else None,
            started_at=when + timedelta(minutes=40) if status != Complaint.RECEIVED else None,
            resolve_deadline=when + timedelta(days=2),
            resolved_at=when + timedelta(days=1) if status in (Complaint.CLOSED, Complaint.RESOLVED) else None,
            result="已与商户协调，按顾客诉求处理" if status in (Complaint.CLOSED, Complaint.RESOLVED) else None,
            status=status, created_at=when))
        if status != Complaint.RECEIVED:
            ComplaintUpdate.create(**stamp(complaint=comp, kind="start", happened_at=when + timedelta(minutes=40),
                                           content="责任部门已启动处理", by_user=users["ops"], created_at=when))
            ComplaintUpdate.create(**stamp(complaint=comp, kind="feedback", happened_at=when + timedelta(hours=3),
                                           content="向投诉人通报处理进度", told_complainant="已联系商户，明日答复",
                                           by_user=clerk, created_at=when))
        if status == Complaint.CLOSED:
            Callback.create(**stamp(number=number("HF", when + timedelta(days=2)), complaint=comp,
                                    called_at=when + timedelta(days=2), called_by=clerk,
                                    person_reached=cust.name, accepted=True, satisfaction=4,
                                    notes="投诉人认可处理结果", created_at=when + timedelta(days=2)))

    # A complaint property staff received on their round and passed on; the desk has yet to
    # register it (R-CMP-3).
    received = now - timedelta(minutes=20)
    passed = ComplaintPassOn(**stamp(
        complainant_name="赵女士", complainant_phone=_phone(rng), channel="visit",
        subject="三楼卫生间长时间无人保洁", content="顾客在巡场时当面向物业人员反映",
        received_at=received, received_by=prop, department=prop.department_id,
        created_by=prop))
    passed.assign_number(now)
    passed.save(force_insert=True)
    passed.pass_on(prop, now)

    # Last month's analysis as the job on the 1st compiled it, and this month's so far.
    last_month = (now.replace(day=1) - timedelta(days=1)).date()
    report = reports.generate_complaint_report(last_month, now.replace(day=1, hour=1), users["ops"])
    report.status = ComplaintReport.PUBLISHED
    report.save()
    reports.generate_complaint_report(now.date(), now, users["ops"])

    import secrets
    survey = Survey.create(**stamp(
        title=f"{now.year}年第三季度商户满意度调查", target="tenants", purpose="了解商户对物业服务的满意度",
        scope="全体在营商户", method="问卷上门发放", start_date=date(now.year, 9, 1),
        end_date=date(now.year, 9, 15), staff="客服中心全体", sample_size=len(tenants),
        analysis_method="按题目计算平均分，与上季度对比",
        submitted_at=now.replace(month=8, day=1), approved_at=now.replace(month=8, day=5),
        approved_by=users["gm"], trained_at=now.replace(month=8, day=28),
        closed_at=now.replace(month=9, day=15), filed_at=now.replace(month=9, day=18),
        status=Survey.ARCHIVED, created_by=users["ops"]))
    owners = (dept[Department.PROPERTY], dept[Department.PROPERTY], dept[Department.SERVICE],
              dept[Department.PROPERTY])
    questions = []
    for seq, text in enumerate(("物业维修及时性", "公共区域清洁", "客服人员服务态度", "安全秩序"), 1):
        questions.append(SurveyQuestion.create(**stamp(survey=survey, seq=seq, text=text,
                                                       department=owners[seq - 1])))
    remarks = SurveyQuestion.create(**stamp(survey=survey, seq=5, text="其他意见和建议", kind="text"))
    for seq, text in enumerate(("物业维修及时性", "公共区域清洁", "客服人员服务态度", "安全秩序",
                                "其他意见和建议"), 1):
        SurveyQuestion.create(**stamp(template="商户季度调查", seq=seq, text=text,
                                      kind="text" if seq == 5 else "rating",
                                      department=owners[seq - 1] if seq < 5 else None))

    def hand_out(target_survey, people, when, answered, score):
        for i, cust in enumerate(people):
            handed = SurveyDistribution.create(**stamp(
                survey=target_survey, customer=cust, token=secrets.token_urlsafe(16),
                distributed_at=when, distributed_by=clerk,
                responded_at=when + timedelta(days=3) if i < answered else None))
            if i >= answered:
                continue
            response = SurveyResponse.create(**stamp(
                survey=target_survey, customer=cust, distribution=handed,
                respondent_kind=cust.kind, area=cust.floor, returned_at=when + timedelta(days=3),
                entered_by=clerk))
            for q in target_survey.questions:
                if q.kind == "rating":
                    SurveyAnswer.create(response=response, question=q, rating=score(q))
                elif i % 3 == 0:
                    SurveyAnswer.create(response=response, question=q,
                                        text=rng.choice(["希望增加货梯", "停车位紧张", "保洁很及时"]))

    hand_out(survey, tenants, now.replace(month=9, day=2), 12,
             lambda q: rng.choice([3, 4, 4, 5]) if q.seq != 2 else rng.choice([2, 3, 3, 4]))
    CorrectiveAction.create(**stamp(
        number=number("JZ", now.replace(month=9, day=20)), source="survey", survey=survey,
        question=questions[1], finding="公共区域清洁平均分 3.1，低于 3.5",
        department=dept[Department.PROPERTY], action="增加保洁巡查频次至每小时一次",
        due_date=(now - timedelta(days=10)).date(), status=CorrectiveAction.DONE,
        done_at=now - timedelta(days=12), done_note="已调整排班，每小时巡查一次"))
    # This quarter's survey is out among the tenants now.
    running = Survey.create(**stamp(
        title=f"{now.year}年第四季度商户满意度调查", target="tenants", purpose="跟踪上季度整改效果",
        scope="全体在营商户", method="问卷上门发放及线上链接", start_date=(now - timedelta(days=7)).date(),
        end_date=(now + timedelta(days=7)).date(), staff="客服中心全体", sample_size=len(tenants),
        analysis_method="按题目计算平均分，与上季度对比",
        submitted_at=now - timedelta(days=40), approved_at=now - timedelta(days=35),
        approved_by=users["gm"], trained_at=now - timedelta(days=10), status=Survey.RUNNING,
        created_by=users["ops"]))
    for seq, text in enumerate(("物业维修及时性", "公共区域清洁", "客服人员服务态度", "安全秩序"), 1):
        SurveyQuestion.create(**stamp(survey=running, seq=seq, text=text, department=owners[seq - 1]))
    SurveyQuestion.create(**stamp(survey=running, seq=5, text="其他意见和建议", kind="text"))
    hand_out(running, tenants, now - timedelta(days=6), len(tenants) // 2,
             lambda q: rng.choice([3, 4, 5, 5]))
    Survey.create(**stamp(
        title=f"{now.year + 1}年消费者满意度调查", target="consumers", purpose="年度消费者满意度",
        scope="到店消费者", method="现场拦访", start_date=date(now.year + 1, 5, 1),
        end_date=date(now.year + 1, 5, 31), status=Survey.DRAFT, created_by=users["ops"]))

    notice = Notice.create(**stamp(
        number=number("TZ", now - timedelta(days=3)), kind=Notice.IMPORTANT, title="消防安全检查通知",
        body="本周五 14:00 进行消防安全检查，请各商户做好准备。", audience="全体商户", posted_publicly=True,
        published_at=now - timedelta(days=3), department=dept[Department.PROPERTY], status=Notice.PUBLISHED))
    for i, cust in enumerate(tenants[:8]):
        confirmed = i < 6
        NoticeReceipt.create(**stamp(
            notice=notice, customer=cust, status=NoticeReceipt.CONFIRMED if confirmed else NoticeReceipt.PENDING,
            method=rng.choice(["signed", "phone"]) if confirmed else None,
            confirmed_at=now - timedelta(days=2) if confirmed else None,
            confirmed_person=cust.contact_person if confirmed else None, recorded_by=clerk if confirmed else None))
    Notice.create(**stamp(number=number("TZ", now - timedelta(days=1)), kind=Notice.REMINDER,
                          title="雨天防滑提示", body="近日有雨，请注意店铺门口防滑。", audience="全体商户",
                          published_at=now - timedelta(days=1), department=dept[Department.SERVICE],
                          status=Notice.PUBLISHED))

    meeting = Meeting.create(**stamp(
        number=number("ZT", now - timedelta(days=9)), kind="tenants", title="商户月度座谈会",
        held_at=now - timedelta(days=9), location="三楼会议室", department=dept[Department.OPERATIONS],
        attendees="营运部、物业管理部、商户代表 15 人", minutes="商户反映货梯等候时间长、促销活动宣传不足。",
        created_by=users["ops"]))
    for cust in tenants[:6]:
        MeetingAttendee.create(meeting=meeting, customer=cust, person=cust.contact_person)
    meeting.record_staff([users["ops"], prop], now)
    meeting.record_attendance(now)
    # The committees were registered long ago and last met fourteen months back: overdue.
    long_ago = now - timedelta(days=430)
    committees = list(Customer.select().where(Customer.kind.in_((Customer.OWNERS, Customer.MERCHANTS))))
    Customer.update(created_at=long_ago).where(Customer.id.in_([c.id for c in committees])).execute()
    annual = Meeting.create(**stamp(
        number=number("ZT", long_ago), kind="owners_committee", title="业委会、商委会年度座谈会",
        held_at=long_ago, location="五楼会议室", department=dept[Department.GENERAL],
        attendees="总经理、业委会及商委会委员", gm_attended=True,
        minutes="通报年度经营情况，听取委员意见。", created_by=users["gm"], created_at=long_ago))
    for cust in committees:
        MeetingAttendee.create(meeting=annual, customer=cust, person=cust.contact_person)
    annual.record_staff([users["gm"], users["ops"]], now)
    annual.record_attendance(now)
    ActionItem.create(**stamp(meeting=meeting, description="高峰时段增加货梯专人调度",
                              department=dept[Department.PROPERTY], owner=prop,
                              due_date=(now - timedelta(days=2)).date(), status=ActionItem.OPEN))
    ActionItem.create(**stamp(meeting=meeting, description="在公众号增加商户促销专栏",
                              department=dept[Department.OPERATIONS], owner=users["ops"],
                              due_date=(now + timedelta(days=10)).date(), status=ActionItem.OPEN))

    # A few records moved through the real workflow, so their clocks and holds are stamped.
    order = RepairOrder.create(**stamp(
        number=number("WX", now - timedelta(minutes=50)), customer=tenants[0],
        reporter_name=tenants[0].contact_person, reporter_phone=tenants[0].phone,
        location=f"{tenants[0].shop_no} 配电箱", description="跳闸，店铺断电", category="utilities",
        reported_at=now - timedelta(minutes=50), department=dept[Department.PROPERTY],
        created_at=now - timedelta(minutes=50)))
    order.dispatch(clerk, now - timedelta(minutes=45))
    order.accept(prop, now - timedelta(minutes=20))
    request = ServiceRequest.create(**stamp(
        number=number("FW", now - timedelta(hours=3)), customer=tenants[1],
        applicant_name=tenants[1].contact_person, kind="renovation",
        description=f"{tenants[1].name}申请夜间更换招牌", submitted_at=now - timedelta(hours=3),
        department=dept[Department.OPERATIONS], created_at=now - timedelta(hours=3)))
    request.submit(clerk, now - timedelta(hours=3))
    request.hold(clerk, now - timedelta(hours=2), "等待商户补交施工图纸")

    for plan in Survey.select():
        plan.plan_clocks(now)
    _stamp_clocks(clerk)
    jobs.run_due_jobs(now)


def _stamp_clocks(by):
    """Stamp the deadlines the demo records would have had, had they gone through the steps."""
    for order in RepairOrder.select().where(RepairOrder.dispatched_at.is_null(False)
                                            & RepairOrder.id.not_in(_clocked("RepairOrder"))):
        order.start_clock("accept", "REP_ACCEPT", order.dispatched_at, order.dispatched_at)
        if order.accepted_at:
            order.stop_clock("accept", order.accepted_at)
            order.start_clock("resolve", order.completion_rule(), order.accepted_at,
                              order.accepted_at)
            if order.completed_at:
                order.stop_clock("resolve", order.completed_at)
        if order.completed_at:
            order.start_clock("callback", "REP_CALLBACK", order.completed_at, order.completed_at)
            if order.closed_at:
                order.stop_clock("callback", order.closed_at)
    for request in ServiceRequest.select().where(ServiceRequest.id.not_in(_clocked("ServiceRequest"))):
        request.submit(by, request.submitted_at)
        if request.handed_back_at:
            request.stop_clock("handback", request.handed_back_at)
    for letter in WorkLetter.select().where(WorkLetter.contact.is_null(False)):
        letter.start(by, letter.contact.received_at)
    for charge in Charge.select():
        charge.start(by, charge.charged_at)
        if charge.handed_to_finance_at:
            charge.stop_clock("finance", charge.handed_to_finance_at)
    for loan in ItemLoan.select().where(ItemLoan.status != ItemLoan.ISSUING):
        loan.start(by, loan.lent_at)
        if loan.returned_at:
            loan.stop_clock("free", loan.returned_at)
    for complaint in Complaint.select():
        flows.complaints.register(complaint, by, complaint.received_at)
        for kind, at in (("start", complaint.started_at), ("resolve", complaint.resolved_at),
                         ("follow_up", complaint.resolved_at)):
            if at:
                complaint.stop_clock(kind, at)
        if complaint.resolved_at:
            complaint.start_clock("callback", "CMP_CALLBACK", complaint.resolved_at,
                                  complaint.resolved_at)
            if complaint.status == Complaint.CLOSED:
                complaint.stop_clock("callback", complaint.resolved_at + timedelta(days=1))


def _clocked(record_type):
    return Deadline.select(Deadline.record_id).where(Deadline.record_type == record_type)
