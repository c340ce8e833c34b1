"""System registers: logins, the SLA rules and the site's settings (系统参数)."""
from decimal import Decimal

from audit import audit
from database import write_transaction
from models import Alert, Setting, SlaRule, Survey, User, ValidationError
from flows.steps import calls
from flows.records import before_save


@before_save(User)
def change_account(user, created, by, now, extra):
    """A new login needs a password; a new password or a disabled login ends its sessions."""
    password = extra.get("password")
    if created and not password:
        raise ValidationError({"password": "新员工必须设置密码"})
    if password and len(password) < 8:
        raise ValidationError({"password": "密码至少 8 位"})
    user.change_account(password or None)


@before_save(SlaRule)
def code_fixed(rule, created, by, now, extra):
    # The workflows find their rule by code: renaming it would stop the clocks.
    if not created and rule.code != SlaRule.get_by_id(rule.id).code:
        raise ValidationError({"code": "规则代码不能修改"})



def set_survey_threshold(value, by, now):
    """The average (of 5) under which a survey item raises a corrective action (R-SUR-5), to the
    hundredth, with its audit row saying before and after."""
    value = str(Decimal(value).quantize(Decimal("0.01")))
    with write_transaction():
        before = Setting.read("survey_threshold", str(Survey.DEFAULT_THRESHOLD))
        Setting.write("survey_threshold", value)
        audit("setting", None, now=now, user=by,
              summary="survey_threshold：%s → %s" % (before, value),
              extra={"survey_threshold": [before, value]})


# The steps of this area's registers, each one function (flows.steps.take_step runs them);
# calls(Model, step, method, *fields): the model's method given (by, now, *those fields).

calls(Alert, "resolve", "resolve", "note")
