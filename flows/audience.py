"""The customers an audience chosen on a form selects: by kind, floor and business category, or
by shop numbers typed in. A notice's recipients, a survey's respondents, a meeting's attendees."""
import re

from models import Customer, Notice, ValidationError


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
