"""System registers: logins and the SLA rules."""
from models import Alert, SlaRule, User, ValidationError
from flows.steps import runs
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


# The steps of this area's registers, each one function (flows.steps.take_step runs them).

@runs(Alert, "resolve")
def _alert_resolve(record, by, now, fields):
    return record.resolve(by, now, fields["note"])
