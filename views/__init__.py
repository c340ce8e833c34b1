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
