"""Register every grid with Flask-Admin, grouped in menus by business area."""
from views import admin as settings, communication, complaints, customers, loans, reception, surveys

MENU = (
    (customers, "客户档案"),
    (reception, "咨询接待"),
    (loans, "有偿服务与借用"),
    (complaints, "投诉处理"),
    (surveys, "满意度调查"),
    (communication, "顾客沟通"),
    (settings, "系统管理"),
)


def register_views(admin):
    """Add every register's view to `admin`."""
    for module, category in MENU:
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
