"""Who may do what: the one declaration of the roles.

Every rule that names a role reads it from here: which grids a role opens and edits
(REGISTERS), which steps it may take (STEPS), and the powers that are neither (POWERS). The
admin views, the steps, the models' own checks and the README's tables (`python app.py
role-table`; tests/test_role_declaration.py) derive from it, so the documented table and the
code cannot drift apart. Which *rows* a department-bound role sees is the other
half (views/scopes.py: its own department's, on the registers listed there).

This module names roles only; it imports nothing of the console.
"""

ADMIN, CLERK, STAFF, MANAGER, PM, GM, AUDITOR = (
    "admin", "clerk", "staff", "manager", "pm", "gm", "auditor")
ROLES = (
    (ADMIN, "系统管理员"), (CLERK, "客服专员"), (STAFF, "部门员工"), (MANAGER, "部门经理"),
    (PM, "项目经理"), (GM, "总经理"), (AUDITOR, "审计员（只读）"),
)
ORDER = tuple(code for code, _ in ROLES)

A, C, S, M, AU = ADMIN, CLERK, STAFF, MANAGER, AUDITOR
EVERYONE = frozenset(ORDER)
NOBODY = frozenset()

DESK = frozenset({A, C})                    # the service center's desk
HANDLERS = frozenset({A, S, M})             # the department that does the work
SUPERVISORS = frozenset({A, M, PM, GM})     # reroute and escalate by hand (R-CMP-4, 6)
COMMUNICATION = frozenset({A, C, M, GM})    # notices, meetings, surveys' plans
PLANNERS = frozenset({A, C, M})             # run a satisfaction survey
BOTH_SIDES = frozenset({A, C, S, M})        # the desk and the departments


class Grant:
    """Who opens a register's grid (read) and who creates and edits its records (write).
    The auditor never writes, whatever a declaration says."""

    def __init__(self, read, write):
        self.read, self.write = frozenset(read), frozenset(write) - {AU}
        assert self.write <= self.read, "a role that writes must also read"


# register (model class name) -> Grant. The order is the README's.
REGISTERS = {
    "Customer": Grant(EVERYONE, {A, C, M}),
    "SegmentRule": Grant(EVERYONE, {A}),
    "Contact": Grant(EVERYONE, DESK),
    "RepairOrder": Grant(EVERYONE, BOTH_SIDES),
    "ServiceRequest": Grant(EVERYONE, BOTH_SIDES),
    "WorkLetter": Grant(EVERYONE, BOTH_SIDES),
    "Callback": Grant(EVERYONE, NOBODY),
    "CallScript": Grant(EVERYONE, {A, C, M}),
    "FeeItem": Grant(EVERYONE, {A}),
    "ShiftHandover": Grant({A, C, PM, GM, AU}, DESK),
    "Charge": Grant({A, C, PM, GM, AU}, DESK),
    "LendableItem": Grant(EVERYONE, DESK),
    "ItemLoan": Grant(EVERYONE, {A, C, S}),
    "Complaint": Grant(EVERYONE, {A, C, S, M, PM, GM}),
    # Any member of staff passes on a complaint they received (R-CMP-3); the desk registers it.
    "ComplaintPassOn": Grant(EVERYONE, EVERYONE - {AU}),
    "ComplaintUpdate": Grant(EVERYONE, NOBODY),
    "ComplaintGuideline": Grant(EVERYONE, {A, M}),
    "ComplaintReport": Grant(EVERYONE, SUPERVISORS),
    "Survey": Grant(EVERYONE, COMMUNICATION),
    "SurveyQuestion": Grant(EVERYONE, COMMUNICATION),
    "SurveyDistribution": Grant({A, C, M, PM, GM, AU}, NOBODY),
    "SurveyResponse": Grant({A, C, M, PM, GM, AU}, NOBODY),
    "CorrectiveAction": Grant(EVERYONE, BOTH_SIDES),
    "Notice": Grant(EVERYONE, COMMUNICATION),
    "NoticeReceipt": Grant(EVERYONE, NOBODY),
    "Meeting": Grant(EVERYONE, COMMUNICATION),
    "ActionItem": Grant(EVERYONE, COMMUNICATION | {S}),
    "Department": Grant(EVERYONE, {A}),
    "User": Grant({A, PM, GM, AU}, {A}),
    "SlaRule": Grant(EVERYONE, {A}),
    "CalendarDay": Grant(EVERYONE, {A}),
    "Alert": Grant(EVERYONE, NOBODY),
    "Deadline": Grant({A, C, PM, GM, AU}, NOBODY),
    "Hold": Grant({A, C, PM, GM, AU}, NOBODY),
    "AuditLog": Grant({A, PM, GM, AU}, NOBODY),
}

ON_HOLD = {"hold": BOTH_SIDES, "release": BOTH_SIDES}

# register -> {step name: the roles that may take it}. A step also needs the record in its
# department for department-bound roles (views/scopes.py, or the step's own scope).
STEPS = {
    "Contact": {"to_repair": DESK, "to_service_request": DESK, "to_complaint": DESK,
                "to_letter": DESK, "handled": DESK, "answer": DESK},
    "RepairOrder": {"dispatch": DESK, "accept": HANDLERS, "complete": HANDLERS,
                    "callback": DESK, "refuse": DESK, **ON_HOLD},
    # Approved by the approving department's head (models.ServiceRequest.may_approve) or by
    # those approving for every department; the desk runs the paperwork (R-SVC-1).
    "ServiceRequest": {"approve": HANDLERS | {PM, GM}, "decline": BOTH_SIDES, "hand_back": DESK,
                       "notify": DESK, **ON_HOLD},
    "WorkLetter": {"send": BOTH_SIDES, "acknowledge": BOTH_SIDES, "reply": BOTH_SIDES,
                   "close": DESK},
    # Both clerks sign the shift's handover; the desk hands its money to finance (R-PAY-2).
    # A charge reaches finance only inside its shift's handover.
    "ShiftHandover": {"take_over": DESK, "finance": DESK},
    "Charge": {"void": DESK},
    # The warehouse keeper (仓库保管员: staff of 仓库) issues and takes back the item (R-LOAN-2).
    "ItemLoan": {"issue": {A, S}, "return_item": {A, S}, "refund": DESK},
    "Complaint": {"scope": DESK, "correct": DESK, "start": HANDLERS | {PM, GM},
                  "progress": BOTH_SIDES | {PM, GM}, "feedback": DESK,
                  "follow_up": BOTH_SIDES | {PM, GM}, "resolve": HANDLERS | {PM, GM},
                  "callback": DESK, "escalate": SUPERVISORS, "reroute": SUPERVISORS, **ON_HOLD},
    "ComplaintPassOn": {"register": DESK},
    "ComplaintReport": {"regenerate": SUPERVISORS, "publish": SUPERVISORS},
    # The plan is the desk's; the general manager alone approves it (R-SUR-1).
    "Survey": {"copy_template": PLANNERS, "submit": PLANNERS, "approve": {GM},
               "return_plan": {GM}, "train": PLANNERS, "begin": PLANNERS,
               "distribute": PLANNERS, "paper_copies": PLANNERS, "close": PLANNERS,
               "file": PLANNERS},
    # The department does it; operations (营运部) verifies it (R-SUR-5): its manager, or the admin.
    "CorrectiveAction": {"complete_action": HANDLERS, "verify": {A, M},
                         "reject_verification": {A, M}},
    "Notice": {"publish": COMMUNICATION},
    "NoticeReceipt": {"confirm": COMMUNICATION, "sign": COMMUNICATION},
    "Meeting": {"attendance": COMMUNICATION},
    "ActionItem": {"complete_item": COMMUNICATION | {S}, "cancel_item": {A, M, GM}},
    "Alert": {"resolve": EVERYONE - {AU}},
}

# Narrower than a step's roles and its register's department scope (views/ enforces them).
STEP_NOTES = {
    ("CorrectiveAction", "verify"): {M: "营运部"},
    ("CorrectiveAction", "reject_verification"): {M: "营运部"},
    ("ItemLoan", "issue"): {S: "仓库"},
    ("ItemLoan", "return_item"): {S: "仓库"},
    ("ShiftHandover", "take_over"): {A: "接班人本人", C: "接班人本人"},
}

# Powers that are neither a grid nor a step: name -> (roles, what it means, for the README).
POWERS = {
    "personal_data": (BOTH_SIDES, "查看完整个人信息（电话、证件号、地址；其他角色看到的是遮蔽值）"),
    "reveal": ({PM, GM}, "逐条查看完整个人信息（查看完整个人信息，留痕）"),
    "all_departments": ({A, C, PM, GM, AU}, "查看所有部门的记录（其他角色只看本部门）"),
    "caller_screen": (DESK, "来电弹屏"),
    "override_price": ({A, M, PM, GM}, "按非标准价格收费（须填写原因）"),
    "enter_answers": (DESK, "录入答卷（答卷链接只给发放问卷的角色看）"),
    "kpi": ({A, M, PM, GM, AU}, "服务质量指标"),
    # 即时报告公司项目经理，由项目经理主持启动处理程序 (R-CMP-1); the general manager when it
    # comes back to him a second time.
    "lead_major_complaint": ({A, PM, GM}, "主持启动重大投诉的处理"),
    "approve_service_requests": ({A, PM, GM}, "审批任何部门的服务申请（部门负责人审批本部门的）"),
    "settings": ({A}, "系统参数、备份、员工账号"),
    "calendar_warning": ({A, M, PM, GM}, "首页提醒：工作日历某年未确认，期限为估算"),
}


def grant(register):
    """The Grant of `register` (a model class name); an undeclared register is an error."""
    return REGISTERS[register]


def step_roles(register, step):
    """The roles that may take `step` on `register`; an undeclared step is an error."""
    return frozenset(STEPS[register][step]) - {AU}


def power(name):
    return frozenset(POWERS[name][0])


def may(user, power_name):
    """Does `user` (anything with a role_set) hold the power `power_name`?"""
    return bool(getattr(user, "is_authenticated", False)
                and set(user.role_set) & POWERS[power_name][0])
