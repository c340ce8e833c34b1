"""Surveys: plans, questions, distribution, responses and corrective actions."""

import json
import secrets
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from peewee import (
    Check,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
    fn,
)

import access
import clock
import sla
import workflow
from domain.base import BaseModel, ChoiceField, DomainError, ValidationError
from domain.organisation import Department, User
from domain.register import Register, number_field
from domain.time import CalendarDay, SlaRule
from domain.system import Alert, Setting
from domain.customers import Customer, plain_number


# ---------------------------------------------------------------- surveys

class Survey(Register):
    CONSUMERS, TENANTS = "consumers", "tenants"
    TARGETS = ((CONSUMERS, "消费者"), (TENANTS, "商户"))
    WORKFLOW = workflow.SURVEY
    DRAFT, SUBMITTED, APPROVED, RUNNING, CLOSED, ARCHIVED = WORKFLOW.values
    STATUSES = WORKFLOW.choices
    # Which customers a survey of each target reaches.
    TARGET_KINDS = {CONSUMERS: ("consumer",), TENANTS: ("tenant", "anchor")}
    # Rating items scored below this average (of 5) each raise a corrective action (R-SUR-5).
    DEFAULT_THRESHOLD = Decimal("3.5")
    # A group (customer kind, area) with fewer answers than this is not shown on its own.
    MIN_GROUP = 3

    title = CharField(max_length=100, verbose_name="调查名称")
    target = ChoiceField(TARGETS, default="consumers", verbose_name="调查对象")
    purpose = TextField(null=True, verbose_name="调查目的")
    scope = TextField(null=True, verbose_name="调查范围")
    method = CharField(max_length=100, null=True, verbose_name="调查方式")
    start_date = DateField(verbose_name="开始日期")
    end_date = DateField(verbose_name="结束日期")
    staff = TextField(null=True, verbose_name="调查人员")
    sample_size = IntegerField(null=True, verbose_name="计划发放份数")
    paper_copies = IntegerField(null=True, default=0,  # nullable: added without a table rebuild
                                verbose_name="现场发放份数（未登记客户）")
    target_distribution_rate = DecimalField(max_digits=5, decimal_places=1,
                                            default=Decimal("100"), verbose_name="目标发放率（%）")
    target_return_rate = DecimalField(max_digits=5, decimal_places=1, default=Decimal("70"),
                                      verbose_name="目标回收率（%）")
    analysis_method = TextField(null=True, verbose_name="统计分析方法")
    submitted_at = DateTimeField(null=True, verbose_name="报批时间")
    approved_at = DateTimeField(null=True, verbose_name="批准时间")
    approved_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                  verbose_name="批准人")
    trained_at = DateTimeField(null=True, verbose_name="培训时间")
    training_note = TextField(null=True, verbose_name="培训记录")
    closed_at = DateTimeField(null=True, verbose_name="结束时间")
    filed_at = DateTimeField(null=True, verbose_name="资料归档时间")
    approve_deadline = DateTimeField(null=True, verbose_name="报批批准时限")
    training_deadline = DateTimeField(null=True, verbose_name="培训时限")
    filing_deadline = DateTimeField(null=True, verbose_name="资料归档时限")
    status = ChoiceField(STATUSES, default=DRAFT, verbose_name="状态")

    sample_size.min_value = 1
    paper_copies.min_value = 0
    date_ranges = (("start_date", "end_date"),)
    deadline_columns = {"approve": "approve_deadline", "train": "training_deadline",
                        "file": "filing_deadline"}
    PLAN_FIELDS = (("purpose", "调查目的"), ("scope", "调查范围"), ("method", "调查方式"),
                   ("staff", "调查人员"), ("sample_size", "计划发放份数"),
                   ("analysis_method", "统计分析方法"))

    class Meta:
        verbose_name = "满意度调查方案"
        indexes = ((("target", "start_date"), False),)

    def __str__(self):
        return self.title or "满意度调查"

    def clean_extra(self):
        errors = {}
        for name in ("target_distribution_rate", "target_return_rate"):
            value = getattr(self, name)
            if value is not None and not 0 <= Decimal(str(value)) <= 100:
                errors[name] = "比率须在 0 到 100 之间"
        return errors

    # ------------------------------------------------------------ the plan's clocks

    @staticmethod
    def _day_rule(code, default_days):
        """The rule `code` counted in whole days, in its own unit (working days on the calendar)."""
        rule = SlaRule.get_or_none(SlaRule.code == code)
        limit = rule.limit() if rule is not None else sla.Limit(code, default_days, sla.CALENDAR_DAYS)
        calendar = CalendarDay.work_calendar() if limit.unit == sla.WORKING_DAY_UNITS else None
        return sla.DayRule(limit, calendar)

    @classmethod
    def threshold(cls):
        """The average (of 5) under which an item needs a corrective action (系统参数)."""
        try:
            value = Decimal(Setting.read("survey_threshold", str(cls.DEFAULT_THRESHOLD)))
        except ArithmeticError:
            return cls.DEFAULT_THRESHOLD
        return value if value.is_finite() and 1 <= value <= 5 else cls.DEFAULT_THRESHOLD

    @classmethod
    def corrective_action_rule(cls):
        """How long a corrective action raised by the results has (SUR_CORRECTIVE, R-SUR-5;
        a month unless the admin changed it), as an sla.DayRule."""
        default = sla.CORRECTIVE_ACTION
        return cls._day_rule(default.code, default.amount)

    @classmethod
    def plan_lead(cls):
        """How long before its start a survey's plan must be submitted and approved (SUR_PLAN),
        as an sla.DayRule."""
        return cls._day_rule("SUR_PLAN", 20)

    @classmethod
    def latest_submission_for(cls, start_date, lead=None):
        """The last day a plan for a survey starting on `start_date` may be submitted and
        approved: 20 days before the start (R-SUR-1/2). `lead`: plan_lead(), read once."""
        return (lead or cls.plan_lead()).before(start_date)

    def latest_submission(self):
        """The last day the plan may be submitted: 20 days before the start (R-SUR-1)."""
        return self.latest_submission_for(self.start_date)

    @classmethod
    def required_periods(cls, years):
        """The surveys R-SUR-2 asks for in `years`, by start: consumers every May, tenants
        every quarter, as [(target, label, first day, last day)]."""
        periods = []
        for year in years:
            periods.append((cls.CONSUMERS, "%d年5月" % year, date(year, 5, 1), date(year, 5, 31)))
            for quarter in range(4):
                start = date(year, quarter * 3 + 1, 1)
                after = date(year + (quarter == 3), (quarter * 3 + 3) % 12 + 1, 1)
                periods.append((cls.TENANTS, "%d年第%d季度" % (year, quarter + 1), start,
                                after - timedelta(days=1)))
        return sorted(periods, key=lambda p: p[2])

    @classmethod
    def approved_plan_in(cls, target, start, end):
        """Is an approved (or later) plan of `target` starting within [start, end] on file?"""
        return cls.select(cls.id).where(
            (cls.target == target) & cls.start_date.between(start, end)
            & cls.approved_at.is_null(False) & cls.archived_at.is_null()).exists()

    def latest_training(self):
        """The last day staff may be trained: 2 days before the start (R-SUR-4)."""
        return self._day_rule("SUR_TRAINING", 2).before(self.start_date)

    def latest_filing(self):
        """The last day the records may be filed: 5 days after the end (R-SUR-6)."""
        return self._day_rule("SUR_ARCHIVE", 5).after(self.end_date)

    def plan_clocks(self, now):
        """(Re)stamp the plan's countdown clocks from its dates; call when they change."""
        end_of = lambda day: datetime.combine(day, time(23, 59, 59))  # noqa: E731
        if not self.approved_at:
            self.start_clock("approve", "SUR_PLAN", now, end_of(self.latest_submission()), now,
                             note="调查开始前报批并经总经理批准")
        if not self.trained_at:
            self.start_clock("train", "SUR_TRAINING", now, end_of(self.latest_training()), now,
                             note="调查开始前完成人员培训")
        if not self.filed_at:
            self.start_clock("file", "SUR_ARCHIVE", now, end_of(self.latest_filing()), now,
                             note="调查结束后资料归档")

    def start_clock(self, kind, rule_code, start, due, now, note=None):
        return super().start_clock(kind, rule_code, min(start, due), now, due=due, note=note)

    # ------------------------------------------------------------ workflow

    def submit(self, by, now):
        """报批: the complete plan goes to the general manager, at least 20 days ahead."""
        missing = {name: "报批前请填写%s" % label for name, label in self.PLAN_FIELDS
                   if getattr(self, name) in (None, "")}
        if missing:
            raise ValidationError(missing)
        if not self.questions.where(SurveyQuestion.archived_at.is_null()).exists():
            raise DomainError("报批前请先编制问卷题目")
        if now.date() > self.latest_submission():
            raise DomainError("调查方案须在开始日期前 %d 天报批（最迟 %s），请调整开始日期" % (
                (self.start_date - self.latest_submission()).days, self.latest_submission()))
        self.transition("submit", by, now, submitted_at=now)

    def approve(self, by, now):
        """批准: only the general manager approves a survey plan (R-SUR-1)."""
        if not by.has_role(*access.step_roles("Survey", "approve")):
            raise DomainError("调查方案须由总经理批准")
        self.transition("approve", by, now, approved_at=now, approved_by=by)
        self.stop_clock("approve", now)

    def return_plan(self, by, now, reason):
        """退回修改: the plan goes back to its author with the reason."""
        self.transition("return_plan", by, now, submitted_at=None)
        Alert.raise_for(self, "reminder", now, "调查方案退回修改：%s（%s）" % (self, reason[:80]),
                        assignee=self.created_by)

    def record_training(self, by, now, trained_at, note):
        """培训: the survey staff were trained (R-SUR-4); a training after the start is refused."""
        if trained_at > now:
            raise ValidationError({"trained_at": "培训时间不能晚于现在"})
        if trained_at.date() >= self.start_date:
            raise ValidationError({"trained_at": "培训须在调查开始前完成"})
        self.transition("train", by, now, trained_at=trained_at, training_note=note)
        self.stop_clock("train", trained_at)

    def begin(self, by, now):
        """开始实施: approved, staff trained, and the start date reached."""
        if not self.trained_at:
            raise DomainError("调查人员尚未培训，不能开始实施")
        if now.date() < self.start_date:
            raise DomainError("调查开始日期为 %s，尚未到期" % self.start_date)
        self.transition("begin", by, now)

    def copy_template(self, by, now, template):
        """Add the questions of a reusable template (SurveyQuestion rows without a survey)."""
        if self.status not in self.WORKFLOW.source("copy_template"):
            raise DomainError("只有草拟中的方案可以导入题目")
        rows = list(SurveyQuestion.select().where(
            SurveyQuestion.survey.is_null() & (SurveyQuestion.template == template)
            & SurveyQuestion.archived_at.is_null()).order_by(SurveyQuestion.seq))
        if not rows:
            raise ValidationError({"template": "模板“%s”没有题目" % template})
        first = (self.questions.select(fn.MAX(SurveyQuestion.seq)).scalar() or 0) + 1
        for offset, row in enumerate(rows):
            SurveyQuestion.create(survey=self, seq=first + offset, text=row.text, kind=row.kind,
                                  department=row.department, created_by=by, created_at=now,
                                  updated_at=now)
        return len(rows)

    def distribute(self, by, now, customers):
        """发放: record one questionnaire per customer (each with its own one-time link)."""
        if self.status not in self.WORKFLOW.source("distribute"):
            raise DomainError("方案批准后方可发放问卷")
        others = [c for c in customers if c.kind not in self.TARGET_KINDS[self.target]]
        if others:  # a tenants' survey is not answered by consumers, nor the other way round
            raise DomainError("本次调查对象为%s，%s等 %d 户不在其中" % (
                self.choice_label("target"), others[0], len(others)))
        already = {c for (c,) in SurveyDistribution.select(SurveyDistribution.customer)
                   .where(SurveyDistribution.survey == self.id).tuples()}
        rows = [dict(survey=self.id, customer=c.id, token=secrets.token_urlsafe(16),
                     distributed_at=now, distributed_by=by.id, created_at=now, updated_at=now)
                for c in customers if c.id not in already]
        for start in range(0, len(rows), 500):
            SurveyDistribution.insert_many(rows[start:start + 500]).execute()
        return len(rows)

    def record_response(self, by, now, answers, distribution=None, respondent_kind=None,
                        area=None):
        """Enter one returned questionnaire: answers {question id: rating 1-5 or text}.

        A distributed questionnaire is answered once: the first to use its link or its code
        wins, the second is refused."""
        if self.status != self.RUNNING:
            raise DomainError("调查“%s”当前状态为“%s”，不能回收问卷" % (self, self.choice_label("status")))
        questions = {q.id: q for q in self.questions.where(SurveyQuestion.archived_at.is_null())}
        errors, cleaned = {}, {}
        for qid, value in answers.items():
            question = questions.get(int(qid))
            text = ("" if value is None else str(value)).strip()
            if question is None or not text:
                continue
            if question.kind == SurveyQuestion.RATING:
                if text not in ("1", "2", "3", "4", "5"):
                    errors["q%d" % question.id] = "评分须为 1 到 5 的整数"
                    continue
                cleaned[question.id] = (int(text), None)
            else:
                cleaned[question.id] = (None, text[:2000])
        if errors:
            raise ValidationError(errors)
        if not any(rating for rating, _ in cleaned.values()):
            raise ValidationError({"answers": "请至少填写一项评分"})
        if distribution is not None:
            if distribution.survey_id != self.id:
                raise DomainError("问卷编码不属于本次调查")
            if SurveyDistribution.update(responded_at=now, updated_at=now).where(
                    (SurveyDistribution.id == distribution.id)
                    & SurveyDistribution.responded_at.is_null()).execute() != 1:
                raise DomainError("该问卷已回收，不能重复填写")
            customer = distribution.customer
            respondent_kind, area = customer.kind, customer.floor
        # The answers keep only the respondent's kind and floor, never who it was (R-SUR-3):
        # the one-time use lives on the distribution.
        response = SurveyResponse.create(
            survey=self, returned_at=now, entered_by=by, respondent_kind=respondent_kind or None,
            area=(area or None), created_by=by, created_at=now, updated_at=now)
        SurveyAnswer.insert_many([dict(response=response.id, question=qid, rating=rating, text=text)
                                  for qid, (rating, text) in cleaned.items()]).execute()
        return response

    def record_paper_copies(self, by, now, copies):
        """登记现场发放份数: questionnaires handed out on paper to people not on file."""
        if copies is None or copies < 0:
            raise ValidationError({"copies": "份数须为不小于 0 的整数"})
        self.transition("paper_copies", by, now, paper_copies=copies)

    def distribution_short(self, distributed):
        """Were fewer questionnaires handed out than the plan's target rate (100%, R-SUR-3)?"""
        if not self.sample_size:
            return False
        target = Decimal(str(self.target_distribution_rate or 100))
        return Decimal(distributed) * 100 < target * self.sample_size

    def close(self, by, now):
        """结束: no more questionnaires (flows.surveys.close compiles the results and raises
        what they show)."""
        self.transition("close", by, now, closed_at=now)

    def raise_findings(self, by, now, results):
        """Each item of the closed survey's `results` under the threshold raises a corrective
        action for its department, and a distribution or return rate under target alerts the
        planner (R-SUR-3). Returns the corrective actions raised."""
        threshold = self.threshold()
        due_date = sla.corrective_action_due(now.date(), self.corrective_action_rule())
        operations = Department.by_code(Department.OPERATIONS)
        raised = []
        for item in results["items"]:
            if item["average"] is None or item["average"] >= threshold:
                continue
            question = item["question"]
            action = CorrectiveAction(
                source="survey", survey=self, question=question,
                finding="满意度调查“%s”第 %d 题“%s”平均分 %.2f，低于 %s" % (
                    self, question.seq, question.text, item["average"], threshold),
                department=question.department or operations,
                due_date=due_date, created_by=by, created_at=now,
                updated_at=now)
            action.assign_number(now)
            action.save(force_insert=True)
            raised.append(action)
        if results["distribution_short"]:
            Alert.raise_for(self, "reminder", now, "调查“%s”发放率 %s%%（%d/%d 份），未达目标 %s%%" % (
                self, results["distribution_rate"], results["distributed"], self.sample_size,
                plain_number(self.target_distribution_rate)), assignee=self.created_by)
        if results["return_rate"] is not None and \
                results["return_rate"] < Decimal(str(self.target_return_rate)):
            Alert.raise_for(self, "reminder", now, "调查“%s”回收率 %.1f%%，低于目标 %s%%" % (
                self, results["return_rate"], self.target_return_rate), assignee=self.created_by)
        return raised

    def file_records(self, by, now):
        """资料归档: the closed survey becomes read-only (R-SUR-6: within 5 days of its end)."""
        self.transition("file", by, now, filed_at=now)
        self.stop_clock("file", now)

    def previous(self):
        """The last finished survey of the same target before this one."""
        return (Survey.select().where((Survey.target == self.target) & (Survey.id != self.id)
                                      & (Survey.end_date < self.start_date)
                                      & Survey.status.in_(self.WORKFLOW.group("finished"))
                                      & Survey.archived_at.is_null())
                .order_by(Survey.end_date.desc()).first())


class SurveyQuestion(Register):
    RATING, TEXT = "rating", "text"
    KINDS = ((RATING, "评分（1-5）"), (TEXT, "文字意见"))

    survey = ForeignKeyField(Survey, null=True, backref="questions", on_delete="RESTRICT",
                             verbose_name="调查方案（空=模板）")
    template = CharField(max_length=50, null=True, verbose_name="模板名称")
    seq = IntegerField(default=1, verbose_name="序号")
    text = CharField(max_length=200, verbose_name="题目")
    kind = ChoiceField(KINDS, default=RATING, verbose_name="题型")
    department = ForeignKeyField(Department, null=True, backref="+", on_delete="RESTRICT",
                                 verbose_name="整改责任部门")

    seq.min_value = 1

    class Meta:
        verbose_name = "调查问卷题目"

    def __str__(self):
        return f"{self.seq}. {self.text}" if self.text else "题目"

    def clean_extra(self):
        if self.survey_id is None and not (self.template or "").strip():
            return {"template": "模板题目须填写模板名称（或选择调查方案）"}
        return {}


class SurveyDistribution(Register):
    """One questionnaire handed to one customer, with its one-time answer link (R-SUR-3)."""
    survey = ForeignKeyField(Survey, backref="distributions", on_delete="RESTRICT",
                             verbose_name="调查方案")
    customer = ForeignKeyField(Customer, backref="+", on_delete="RESTRICT", verbose_name="客户")
    token = CharField(max_length=40, unique=True, verbose_name="问卷编码")
    distributed_at = DateTimeField(verbose_name="发放时间")
    distributed_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                     verbose_name="发放人")
    responded_at = DateTimeField(null=True, verbose_name="回收时间")

    class Meta:
        verbose_name = "问卷发放记录"
        indexes = ((("survey", "customer"), True),)

    def __str__(self):
        return f"问卷 {self.token[:6]}…" if self.token else "问卷发放"


class SurveyResponse(Register):
    survey = ForeignKeyField(Survey, backref="responses", on_delete="RESTRICT",
                             verbose_name="调查方案")
    customer = ForeignKeyField(Customer, null=True, backref="survey_responses",
                               on_delete="RESTRICT", verbose_name="受访客户")
    distribution = ForeignKeyField(SurveyDistribution, null=True, unique=True, backref="+",
                                   on_delete="RESTRICT", verbose_name="问卷发放记录")
    # Copied from the customer (or typed for a walk-up consumer) for the aggregate breakdowns.
    respondent_kind = ChoiceField(Customer.KINDS, null=True, verbose_name="受访者类别")
    area = CharField(max_length=20, null=True, verbose_name="区域（楼层）")
    returned_at = DateTimeField(default=clock.now, verbose_name="回收时间")
    entered_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                 verbose_name="录入人")
    answers = TextField(null=True, verbose_name="答卷（JSON，旧数据）")
    comments = TextField(null=True, verbose_name="意见建议")

    class Meta:
        verbose_name = "调查问卷答卷"

    def __str__(self):
        return f"答卷 #{self.id}" if self.id else "答卷"

    def clean_extra(self):
        if self.answers:
            try:
                json.loads(self.answers)
            except ValueError:
                return {"answers": "答卷不是有效的 JSON"}
        return {}


class SurveyAnswer(BaseModel):
    """One item of a returned questionnaire: a rating 1–5 or a text."""
    response = ForeignKeyField(SurveyResponse, backref="items", on_delete="CASCADE",
                               verbose_name="答卷")
    question = ForeignKeyField(SurveyQuestion, backref="answers", on_delete="RESTRICT",
                               verbose_name="题目")
    rating = IntegerField(null=True, constraints=[Check("rating BETWEEN 1 AND 5")],
                          verbose_name="评分")
    text = TextField(null=True, verbose_name="文字意见")

    class Meta:
        verbose_name = "答卷明细"
        indexes = ((("response", "question"), True), (("question", "rating"), False))


class CorrectiveAction(Register):
    SOURCES = (("survey", "满意度调查"), ("complaint", "投诉"), ("audit", "内部检查"),
               ("other", "其他"))
    WORKFLOW = workflow.CORRECTIVE_ACTION
    OPEN, DONE, VERIFIED, CANCELLED = WORKFLOW.values
    STATUSES = WORKFLOW.choices

    number_prefix = "JZ"
    number = number_field()
    source = ChoiceField(SOURCES, default="survey", verbose_name="来源")
    survey = ForeignKeyField(Survey, null=True, backref="corrective_actions",
                             on_delete="RESTRICT", verbose_name="调查方案")
    question = ForeignKeyField(SurveyQuestion, null=True, backref="+", on_delete="RESTRICT",
                               verbose_name="调查题目")
    finding = TextField(verbose_name="问题描述")
    department = ForeignKeyField(Department, backref="+", on_delete="RESTRICT",
                                 verbose_name="责任部门")
    action = TextField(null=True, verbose_name="纠正预防措施")
    due_date = DateField(null=True, verbose_name="完成期限")
    done_at = DateTimeField(null=True, verbose_name="完成时间")
    done_note = TextField(null=True, verbose_name="整改情况")
    verified_at = DateTimeField(null=True, verbose_name="验证时间")
    verified_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL",
                                  verbose_name="验证人")
    evidence = TextField(null=True, verbose_name="验证证据")
    status = ChoiceField(STATUSES, default=OPEN, verbose_name="状态")

    date_ranges = (("done_at", "verified_at"),)

    class Meta:
        verbose_name = "纠正和预防措施报告"
        indexes = ((("status", "due_date"), False),)

    def __str__(self):
        return f"{self.number or '纠正措施'}"

    def complete(self, by, now, action, note):
        """整改完成: the responsible department says what it did."""
        self.transition("complete_action", by, now, done_at=now, action=action or self.action,
                        done_note=note)

    def verify(self, by, now, evidence):
        """验证: operations checks the result and records the evidence (R-SUR-5)."""
        if not by.has_role(*access.step_roles("CorrectiveAction", "verify")) or not (
                by.has_role(User.ADMIN)
                or (by.department_id and by.department.code == Department.OPERATIONS)):
            raise DomainError("纠正措施须由营运部验证")
        self.transition("verify", by, now, verified_at=now, verified_by=by, evidence=evidence)

    def reject(self, by, now, reason):
        """验证不通过: back to the department to do it again."""
        self.transition("reject_verification", by, now, done_at=None,
                        evidence="验证不通过：" + reason)
