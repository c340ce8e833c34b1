"""Departments and users (who works here and in which role)."""

import secrets

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    DeferredForeignKey,
    ForeignKeyField,
    IntegerField,
)
from werkzeug.security import check_password_hash, generate_password_hash

import access
from domain.base import BaseModel, PhoneField


# ---------------------------------------------------------------- organisation

class Department(BaseModel):
    SERVICE, OPERATIONS, PROPERTY, FINANCE, WAREHOUSE, PROJECT, GENERAL = (
        "service", "operations", "property", "finance", "warehouse", "project", "general")
    CODES = (
        (SERVICE, "客服中心"), (OPERATIONS, "营运部"), (PROPERTY, "物业管理部"),
        (FINANCE, "财务部"), (WAREHOUSE, "仓库"), (PROJECT, "项目经理"), (GENERAL, "总经理办公室"),
    )
    code = CharField(max_length=20, unique=True, verbose_name="部门代码")
    name = CharField(max_length=50, unique=True, verbose_name="部门名称")
    head = DeferredForeignKey("User", null=True, on_delete="SET NULL", verbose_name="部门负责人")
    phone = PhoneField(verbose_name="部门电话")
    is_active = BooleanField(default=True, verbose_name="启用")
    created_by = DeferredForeignKey("User", null=True, on_delete="SET NULL", verbose_name="创建人")

    class Meta:
        verbose_name = "部门"

    def __str__(self):
        return self.name or self.code or "部门"

    @classmethod
    def by_code(cls, code):
        return cls.get(cls.code == code)


_DUMMY_HASH = []


def _dummy_password_hash():
    """A hash of no one's password, made like every real one (same method, same cost)."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(generate_password_hash(secrets.token_hex(16)))
    return _DUMMY_HASH[0]


class User(BaseModel):
    ADMIN, CLERK, STAFF, MANAGER, PM, GM, AUDITOR = access.ORDER
    ROLES = access.ROLES
    username = CharField(max_length=40, unique=True, verbose_name="登录名")
    full_name = CharField(max_length=50, verbose_name="姓名")
    department = ForeignKeyField(Department, backref="users", null=True, on_delete="SET NULL",
                                 verbose_name="部门")
    roles = CharField(max_length=100, default=CLERK, verbose_name="角色")
    password_hash = CharField(max_length=255, default="", verbose_name="密码摘要")
    phone = PhoneField(verbose_name="电话")
    email = CharField(max_length=120, null=True, verbose_name="电子邮件")
    is_active = BooleanField(default=True, verbose_name="启用")
    last_login_at = DateTimeField(null=True, verbose_name="最近登录")
    # A session carries the epoch it began in; logout, a new password or disabling bumps it,
    # and every session of the older epoch (a copied cookie too) stops working.
    session_epoch = IntegerField(default=0, verbose_name="会话代数")
    created_by = ForeignKeyField("self", null=True, backref="+", on_delete="SET NULL",
                                 verbose_name="创建人")

    class Meta:
        verbose_name = "员工"

    def __str__(self):
        return self.full_name or self.username or "员工"

    # Flask-Login protocol
    @property
    def is_authenticated(self):
        return True

    @property
    def is_anonymous(self):
        return False

    def get_id(self):
        return str(self.id)

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @classmethod
    def authenticate(cls, username, password):
        """The active user `username` if `password` is theirs, else None; one hash check either
        way, so an unknown name costs as long as a wrong password (no name guessing by time)."""
        user = cls.get_or_none(cls.username == username)
        stored = user.password_hash if user is not None and user.password_hash else None
        matches = check_password_hash(stored or _dummy_password_hash(), password)
        return user if stored and matches and user.is_active else None

    def change_account(self, new_password=None):
        """An administrator's edit of this login: a new password, or the login disabled, ends
        every session it has open (the save writes the next session generation)."""
        if new_password:
            self.set_password(new_password)
        if self.id is not None and (new_password or not self.is_active):
            stored = User.select(User.session_epoch).where(User.id == self.id).scalar()
            self.session_epoch = (stored or 0) + 1

    def end_sessions(self):
        """End every session of this user, on every browser (call inside the change's transaction)."""
        User.update(session_epoch=User.session_epoch + 1).where(User.id == self.id).execute()
        self.session_epoch = User.select(User.session_epoch).where(User.id == self.id).scalar()

    @property
    def role_set(self):
        return {r.strip() for r in (self.roles or "").split(",") if r.strip()}

    def has_role(self, *roles):
        return bool(self.role_set & set(roles))

    @classmethod
    def first_with_role(cls, role):
        """The first active user holding `role` (the project manager, the general manager)."""
        for user in cls.select().where(cls.is_active == True).order_by(cls.id):  # noqa: E712
            if user.has_role(role):
                return user
        return None

    def clean_extra(self):
        unknown = self.role_set - dict(self.ROLES).keys()
        if not self.role_set:
            return {"roles": "至少选择一个角色"}
        if unknown:
            return {"roles": "未知角色：%s" % "、".join(sorted(unknown))}
        return {}
