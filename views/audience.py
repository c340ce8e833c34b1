"""Choosing customers: by kind, floor and business category, or by shop numbers typed in.

Used to publish a notice to its recipients, hand out a survey, and record who came to a meeting."""
from wtforms import SelectMultipleField, TextAreaField, validators
from wtforms.widgets import CheckboxInput, ListWidget

from i18n import _l
from models import Customer


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
