"""The ground every register stands on: the database handle, errors, field types,
the base model and document numbers."""

import re
from decimal import Decimal

from peewee import (
    BooleanField,
    Check,
    CharField,
    DatabaseProxy,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
    CompositeKey,
)

import clock


db = DatabaseProxy()


class DomainError(Exception):
    """A business rule refused an operation; the message is for the user (Chinese)."""


class StaleRecord(DomainError):
    """The row was changed (or archived) after the copy being saved was read: nothing written."""

    def __init__(self, record, seen):
        super().__init__("%s已被他人修改或办理，请刷新页面查看最新情况后再操作" % record)
        self.record, self.seen = record, seen


class AlreadySubmitted(DomainError):
    """A form whose one-time token was used already: `record_type`/`record_id` is its result."""

    def __init__(self, record_type, record_id):
        super().__init__("该表单已提交过，未重复保存")
        self.record_type, self.record_id = record_type, record_id


class ValidationError(DomainError):
    """Bad input: `errors` maps field names to Chinese messages."""

    def __init__(self, errors):
        self.errors = dict(errors)
        super().__init__("；".join(f"{k}: {v}" for k, v in self.errors.items()))


# ---------------------------------------------------------------- field types

TEXT_MAX = 20000  # characters in one free-text field: a long letter, never a pasted book
INT_MAX = 2 ** 31 - 1

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|[48]00-?\d{3}-?\d{4}|\d{5})$")


class ChoiceField(CharField):
    """A coded value from a fixed list; the database refuses any other (CHECK)."""

    def __init__(self, choices, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(choices=choices, **kwargs)

    def bind(self, model, name, set_attribute=True):
        super().bind(model, name, set_attribute)
        values = ", ".join("'%s'" % code for code, _ in self.choices)
        self.constraints = [Check("%s IN (%s)" % (self.column_name, values))]

    def label(self, value):
        return dict(self.choices).get(value, value or "")


class MoneyField(DecimalField):
    """An amount in yuan, never negative (CHECK), exact to the fen."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("auto_round", True)
        super().__init__(**kwargs)

    def bind(self, model, name, set_attribute=True):
        super().bind(model, name, set_attribute)
        self.constraints = [Check("%s >= 0" % self.column_name)]


class PhoneField(CharField):
    """A Chinese mobile, landline or service number."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("null", True)
        super().__init__(**kwargs)


# ---------------------------------------------------------------- base models

class BaseModel(Model):
    created_at = DateTimeField(default=clock.now, index=True, verbose_name="创建时间")
    updated_at = DateTimeField(default=clock.now, verbose_name="更新时间")

    # Pairs of (start, end) fields where end may not come before start.
    date_ranges = ()

    class Meta:
        database = db
        legacy_table_names = False

    def clean(self):
        """Return {field name: Chinese message} for every bad value; empty when valid."""
        errors = {}
        for field in self._meta.sorted_fields:
            value = getattr(self, field.name, None) if not isinstance(field, ForeignKeyField) \
                else getattr(self, field.name + "_id", None)
            label = field.verbose_name or field.name
            if value is None or value == "":
                if not field.null and field.default is None and not field.primary_key \
                        and not getattr(field, "auto_assigned", False) \
                        and not isinstance(field, (BooleanField,)):
                    errors[field.name] = f"{label}不能为空"
                continue
            if isinstance(field, ChoiceField) and value not in dict(field.choices):
                errors[field.name] = f"{label}的值“{value}”不在可选范围内"
            elif isinstance(field, PhoneField) and not PHONE_RE.match(str(value)):
                errors[field.name] = f"{label}格式不正确（例如 13800138000 或 021-12345678）"
            elif isinstance(field, CharField) and field.max_length and len(str(value)) > field.max_length:
                errors[field.name] = f"{label}不能超过 {field.max_length} 个字符"
            elif isinstance(field, TextField) and len(str(value)) > TEXT_MAX:
                errors[field.name] = f"{label}不能超过 {TEXT_MAX} 个字符"
            elif isinstance(field, DecimalField):
                try:
                    amount = Decimal(str(value))
                except Exception:
                    errors[field.name] = f"{label}必须是数字"
                    continue
                if not amount.is_finite():
                    errors[field.name] = f"{label}必须是有效的数字"
                elif isinstance(field, MoneyField) and amount < 0:
                    errors[field.name] = f"{label}不能为负数"
                elif amount.adjusted() >= field.max_digits - field.decimal_places:
                    errors[field.name] = f"{label}数值过大"
            elif isinstance(field, IntegerField) and not isinstance(field, ForeignKeyField) \
                    and not field.primary_key:
                if getattr(field, "min_value", None) is not None and value < field.min_value:
                    errors[field.name] = f"{label}不能小于 {field.min_value}"
                elif abs(value) > INT_MAX:
                    errors[field.name] = f"{label}数值过大"
        for start, end in self.date_ranges:
            a, b = getattr(self, start), getattr(self, end)
            if a and b and b < a:
                errors[end] = "%s不能早于%s" % (
                    self._meta.fields[end].verbose_name, self._meta.fields[start].verbose_name)
        errors.update(self.clean_extra())
        return errors

    def clean_extra(self):
        """Return errors of rules that span several fields (overridden per model)."""
        return {}

    def full_clean(self):
        """Raise ValidationError unless every value is acceptable."""
        errors = self.clean()
        if errors:
            raise ValidationError(errors)

    @classmethod
    def verbose_name(cls):
        return getattr(cls._meta, "verbose_name", cls.__name__)

    def choice_label(self, name):
        """Return the Chinese label of a coded field's current value."""
        return self._meta.fields[name].label(getattr(self, name))


class DocumentCounter(Model):
    """The last number issued per document prefix and day (WX-20261122-0001)."""
    prefix = CharField(max_length=8)
    day = CharField(max_length=8)
    last = IntegerField(default=0)

    class Meta:
        database = db
        legacy_table_names = False
        primary_key = CompositeKey("prefix", "day")


def next_number(prefix, when):
    """Issue the next document number for `prefix` on the day of `when` (call in a transaction)."""
    day = when.strftime("%Y%m%d")
    (DocumentCounter.insert(prefix=prefix, day=day, last=1)
     .on_conflict(conflict_target=[DocumentCounter.prefix, DocumentCounter.day],
                  update={DocumentCounter.last: DocumentCounter.last + 1})
     .execute())
    last = DocumentCounter.get((DocumentCounter.prefix == prefix) & (DocumentCounter.day == day)).last
    return f"{prefix}-{day}-{last:04d}"
