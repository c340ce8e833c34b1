"""The CSRF-protected base form of every console form, and what every field of it refuses."""
import math
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import current_app
from flask_admin.form import SecureForm
from wtforms import validators
from wtfpeewee.fields import SelectQueryField

from i18n import _l
from sla import date_in_range

# The range is sla.FIRST_DAY to sla.LAST_DAY (a catalog entry is a fixed text).
DATE_MESSAGE = _l("日期须在 2000-01-01 至 2100-12-31 之间")
# No amount, quantity or count of ours comes near this; past it numbers overflow the database.
NUMBER_LIMIT = Decimal(10) ** 12
NUMBER_MESSAGE = _l("请输入有效的数字（不超过 1 万亿）")
# PostgreSQL refuses NUL in text (an error page); nobody types one on purpose.
NUL_MESSAGE = _l("含有无效的空字符（\\0），请删除后重新输入")


def contains_nul(value):
    """Does a submitted text (or name) hold a NUL character?"""
    return isinstance(value, str) and "\x00" in value


def request_has_nul(request):
    """Does the request's path or query string (search boxes, filters, lookups) hold a NUL?"""
    return contains_nul(request.path) or any(
        contains_nul(name) or contains_nul(value) for name, value in request.args.items(multi=True))


def sane_number(value):
    """Is a number finite and of a size an amount, quantity or count can have?"""
    if isinstance(value, float) and not math.isfinite(value):
        return False
    if isinstance(value, Decimal) and not value.is_finite():
        return False
    return abs(value) < NUMBER_LIMIT


def sane_input(form, field):
    """First on every field, before validators that compare or query with the value: refuse
    a NUL, a date outside sla.FIRST_DAY to LAST_DAY, NaN, Infinity and endless numbers.

    Messages are plain str (translated now): Flask-Admin shows only str errors by a field."""
    if any(contains_nul(value) for value in getattr(field, "raw_data", None) or ()):
        raise validators.StopValidation(str(NUL_MESSAGE))
    value = field.data
    if isinstance(value, (date, datetime)) and not date_in_range(value):
        raise validators.StopValidation(str(DATE_MESSAGE))
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) \
            and not sane_number(value):
        raise validators.StopValidation(str(NUMBER_MESSAGE))


def record_by_typed_id(get_model):
    """A related-record choice looks up only an id that is a number an id column holds:
    PostgreSQL fails the whole request on `id = 'abc'` or an id past bigint; anything else is
    "not a valid choice" (or blank)."""
    def get(pk):
        text = str(pk).strip()
        return get_model(int(text)) if text.isdigit() and len(text) <= 18 else None
    return get


class KefuForm(SecureForm):
    """Flask-Admin's SecureForm with a token lifetime from KEFU_CSRF_TIME_LIMIT (seconds).

    Every field of every console form refuses NUL characters, dates outside 2000 to
    2100 and endless numbers, with a Chinese message next to the field; a NUL in a value
    the form has no field for (pages that read request.form themselves) fails the whole form
    with NUL_MESSAGE in form_errors."""

    class Meta(SecureForm.Meta):
        @property
        def csrf_time_limit(self):
            # WTForms' 30 minutes is too short for a complaint taken down during a long call.
            return timedelta(seconds=current_app.config.get("KEFU_CSRF_TIME_LIMIT", 4 * 3600))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self:
            # A new list per bound field: the unbound field's list is shared by every form.
            field.validators = [sane_input, *field.validators]
            if isinstance(field, SelectQueryField):
                field.get_model = record_by_typed_id(field.get_model)

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        self._submitted = self.meta.wrap_formdata(self, formdata)
        super().process(formdata, obj, data=data, extra_filters=extra_filters, **kwargs)

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        submitted = getattr(self, "_submitted", None)
        bound = {field.name for field in self}  # inline rows post as "<field>-0-<name>"
        if submitted is not None and any(
                contains_nul(name) or contains_nul(value)
                for name, value in submitted.items(multi=True)
                if name not in bound and name.split("-", 1)[0] not in bound):
            self.form_errors.append(str(NUL_MESSAGE))
            return False
        return valid

    def refusal(self, default):
        """Why the form was refused, for pages that show one message: its own, or `default`."""
        return self.form_errors[0] if self.form_errors else default
