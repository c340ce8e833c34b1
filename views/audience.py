"""Choosing customers: by kind, floor and business category, or by shop numbers typed in.

Used to publish a notice to its recipients, hand out a survey, and record who came to a meeting."""
import re

from wtforms import SelectMultipleField, TextAreaField, validators
from wtforms.widgets import CheckboxInput, ListWidget

from i18n import _l
from models import Customer, Notice, ValidationError


class LiveOptions(SelectMultipleField):
    """A multiple choice of the distinct values of a customer column, read when drawn."""
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label, column=None, options=None, **kw):
        super().__init__(label, validators=[validators.Optional()], **kw)
        self._column, self._options = column, options

    @property
    def choices(self):
        if self._options is not None:
            return [(code, _l(label)) for code, label in self._options]
        column = self._column
        values = (Customer.select(column).where(column.is_null(False) & (column != "")
                                                & Customer.archived_at.is_null())
                  .distinct().order_by(column).tuples())
        return [(v, v) for (v,) in values]

    @choices.setter
    def choices(self, value):
        pass

    def pre_validate(self, form):
        allowed = {code for code, _ in self.choices}
        for value in self.data or []:
            if value not in allowed:
                raise validators.ValidationError(_l("选项无效"))


def audience_fields():
    return {
        "kinds": LiveOptions(_l("客户类别"), options=Customer.KINDS),
        "floors": LiveOptions(_l("楼层"), column=Customer.floor),
        "categories": LiveOptions(_l("经营业态"), column=Customer.category),
        "shop_nos": TextAreaField(_l("指定铺位号（逗号、空格或换行分隔）"),
                                  validators=[validators.Length(max=5000)]),
    }


def shop_numbers(text):
    return [n for n in re.split(r"[\s,，、;；]+", text or "") if n]


def chosen_customers(data, only_kinds=None):
    """The customers `data` (from audience_fields) selects, and a description of the choice.
    Raises ValidationError for an unknown shop number or an empty choice."""
    numbers = shop_numbers(data.get("shop_nos"))
    known = {c.shop_no for c in Customer.select(Customer.shop_no).where(Customer.shop_no.in_(numbers))}
    unknown = [n for n in numbers if n not in known]
    if unknown:
        raise ValidationError({"shop_nos": "铺位号不存在：%s" % "、".join(unknown[:10])})
    query = Notice.recipients(data.get("kinds") or (), data.get("floors") or (),
                              data.get("categories") or (), numbers)
    if only_kinds:
        query = query.where(Customer.kind.in_(only_kinds))
    customers = list(query.order_by(Customer.id))
    if not customers:
        raise ValidationError({"kinds": "没有符合条件的客户，请重新选择"})
    labels = dict(Customer.KINDS)
    parts = ["、".join(labels[k] for k in data.get("kinds") or ()),
             "、".join(data.get("floors") or ()), "、".join(data.get("categories") or ()),
             ("铺位 " + "、".join(numbers[:10]) + ("等" if len(numbers) > 10 else "")) if numbers else ""]
    return customers, "；".join(p for p in parts if p) + "（%d 户）" % len(customers)
