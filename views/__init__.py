"""Register every grid with Flask-Admin, grouped in menus by business area."""
from flask_admin.menu import MenuDivider

from views import admin as settings, communication, complaints, customers, kpi, loans, reception, surveys

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
    from flask_login import current_user
    from i18n import request_locale
    roles = frozenset(current_user.role_set) if current_user.is_authenticated else None
    menus = admin_view.admin.__dict__.setdefault("kefu_menus", {})
    key = (admin_view.endpoint, roles, str(request_locale()))
    if key not in menus:
        menus[key] = render()
    return menus[key]


ROLE_ORDER = ("admin", "clerk", "staff", "manager", "pm", "gm", "auditor")


def access_matrix(admin):
    """Return the role matrix as Markdown table rows (the README shows the same table)."""
    from views.base import AU
    from views.scopes import HUB_ROLES, row_scope
    lines = ["| register | URL | " + " | ".join(ROLE_ORDER) + " |",
             "|---|---|" + "---|" * len(ROLE_ORDER)]
    for view in admin._views:
        model = getattr(view, "model", None)
        if model is None:
            continue
        scoped = row_scope(model, 0) is not None
        cells = []
        for role in ROLE_ORDER:
            if role not in view.read_roles:
                cells.append("–")
                continue
            cell = "edit" if role in view.write_roles and role != AU else "read"
            cells.append(cell + ("（本部门）" if scoped and role not in HUB_ROLES else ""))
        lines.append(f"| {model.verbose_name()} {model.__name__} | `/admin/{model.__name__.lower()}/` | "
                     + " | ".join(cells) + " |")
    return lines
