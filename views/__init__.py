"""Register every grid with Flask-Admin, grouped in menus by business area."""
from flask_admin.menu import MenuDivider
from flask_login import current_user

import access
# Aliased: a plain name here would shadow a views submodule of that name (views.crm).
import history as audit_history
import workflow
from crm import SOURCES as TIMELINE_SOURCES
from i18n import request_locale
from models import REGISTERS, ChoiceField, User
from views import admin as settings, communication, complaints, customers, kpi, loans, reception, surveys
from views.base import KefuModelView
from views.scopes import HUB_ROLES, row_scope

# Six menus, so that the top bar stays one line at 1366 px wide in Chinese and in English for
# every role; areas sharing a menu are parted by a line.
MENU = (
    (customers, "客户与沟通"),
    (communication, "客户与沟通"),
    (reception, "咨询接待"),
    (loans, "有偿与借用"),
    (complaints, "投诉处理"),
    (kpi, "服务质量"),
    (surveys, "服务质量"),
    (settings, "系统管理"),
)


class AreaDivider(MenuDivider):
    """The line between two areas of one menu, drawn only when the user sees items on both sides."""

    def is_accessible(self):
        siblings = self.parent._children
        at = siblings.index(self)

        def seen(items):
            return any(item.is_accessible() and item.is_visible() for item in items
                       if not isinstance(item, MenuDivider))
        return seen(siblings[:at]) and seen(siblings[at + 1:])


def register_views(admin):
    """Add every register's view to `admin`, in the menus of MENU."""
    menus = set()
    for module, category in MENU:
        if category in menus:
            admin.add_menu_item(AreaDivider(), category)
        menus.add(category)
        module.register(admin, category)


def menu_html(admin_view, render):
    """The main menu (render()) for this view, the user's roles and the language, rendered once:
    it is the same on every page they open there, and drawing it took ~3 ms a request."""
    roles = frozenset(current_user.role_set) if current_user.is_authenticated else None
    menus = admin_view.admin.__dict__.setdefault("kefu_menus", {})
    key = (admin_view.endpoint, roles, str(request_locale()))
    if key not in menus:
        menus[key] = render()
    return menus[key]


def role_tables(admin):
    """The README's tables of who may do what, in Markdown, made from access.py (the one
    declaration) and the registers' own labels and department scopes."""
    order = access.ORDER
    views = [view for view in admin._views if getattr(view, "model", None) is not None]

    def header(first):
        return [f"| {first} | " + " | ".join(order) + " |", "|---|" + "---|" * len(order)]

    def dept(model, role):
        return "（本部门）" if row_scope(model, 0) is not None and role not in HUB_ROLES else ""

    grids = ["| register | URL | " + " | ".join(order) + " |", "|---|---|" + "---|" * len(order)]
    steps = header("register: step")
    for view in views:
        model = view.model
        name = f"{model.verbose_name()} {model.__name__}"
        granted = access.grant(model.__name__)
        cells = [("edit" if role in granted.write else "read") + dept(model, role)
                 if role in granted.read else "–" for role in order]
        grids.append(f"| {name} | `/admin/{model.__name__.lower()}/` | " + " | ".join(cells) + " |")
        for step in view.steps:
            roles = access.step_roles(model.__name__, step.name)
            notes = access.STEP_NOTES.get((model.__name__, step.name), {})
            cells = ["✓" + (f"（{notes[role]}）" if role in notes else dept(model, role))
                     if role in roles else "" for role in order]
            steps.append(f"| {model.verbose_name()}：{step.label} `{step.name}` | "
                         + " | ".join(cells) + " |")
    powers = header("power")
    for name, (roles, meaning) in access.POWERS.items():
        powers.append(f"| {meaning} `{name}` | "
                      + " | ".join("✓" if role in roles else "" for role in order) + " |")
    return "\n".join(grids + ["", "Steps (a button on the record's page; `✓（本部门）`: on "
                              "the records of the user's own department only):", ""]
                     + steps + ["", "Other powers:", ""] + powers) + "\n"


def _source(label):
    """The Chinese source text of a label, lazy or not."""
    return label._args[0] if hasattr(label, "_args") else str(label)


def ui_strings():
    """Return every label the console shows (the English catalog's completeness check):
    register, field, choice, role and menu names, steps, slips, timeline kinds, audit rows."""
    strings = [category for _, category in MENU]
    strings += [label for _, label in User.ROLES]
    for model in REGISTERS:
        strings.append(model.verbose_name())
        for field in model._meta.sorted_fields:
            strings.append(field.verbose_name)
            if isinstance(field, ChoiceField):
                strings += [label for _, label in field.choices]
    for module, _ in MENU:
        views = [v for v in vars(module).values()
                 if isinstance(v, type) and issubclass(v, KefuModelView)]
        for view in views:
            for step in view.steps:
                strings.append(step.label)
                strings += [_source(f.args[0]) for f in step.fields.values()]
            strings += [label for _, label in view.print_slips]
    # The labels of the declared steps (a declared register's view leaves them to workflow.py).
    strings += [transitions[0].label for flow in workflow.WORKFLOWS.values()
                for transitions in flow.steps().values()]
    strings += [source.label for source in TIMELINE_SOURCES]  # the 360 timeline's kinds
    strings += audit_history.ui_strings()  # what the audit rows read as
    return sorted({s for s in strings if s})
