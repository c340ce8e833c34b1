"""Every register of the service center, with its Chinese labels, choices and checks.

The registers live in `domain/`, one module per business area; this module re-exports
every name of them, so `from models import Complaint` stays the way in."""
from domain.base import (
    AlreadySubmitted,
    BaseModel,
    ChoiceField,
    DocumentCounter,
    DomainError,
    INT_MAX,
    MoneyField,
    PHONE_RE,
    PhoneField,
    StaleRecord,
    TEXT_MAX,
    ValidationError,
    db,
    next_number,
)
from domain.organisation import (
    Department,
    User,
    _DUMMY_HASH,
    _dummy_password_hash,
)
from domain.register import (
    ACTION_LABELS,
    AUDIT_ACTIONS,
    JOB_LABELS,
    JOURNAL,
    Register,
    action_label,
    job_label,
    journal,
    number_field,
    snapshot_of,
)
from domain.time import (
    CalendarDay,
    CalendarYear,
    Deadline,
    Hold,
    SlaRule,
)
from domain.system import (
    Alert,
    AuditLog,
    FormToken,
    JobRun,
    LoginAttempt,
    Setting,
    _index,
)
from domain.customers import (
    Customer,
    SegmentRule,
    plain_number,
)
from domain.reception import (
    CHANNELS,
    Contact,
    RepairOrder,
    ServiceRequest,
    WorkLetter,
)
from domain.cash import (
    Charge,
    DIGITS_UPPER,
    FeeItem,
    ItemLoan,
    LendableItem,
    PAYMENT_METHODS,
    PrintedAmounts,
    ShiftHandover,
    amount_in_words,
)
from domain.complaints import (
    Callback,
    Complaint,
    ComplaintGuideline,
    ComplaintPassOn,
    ComplaintReport,
    ComplaintUpdate,
)
from domain.surveys import (
    CorrectiveAction,
    Survey,
    SurveyAnswer,
    SurveyDistribution,
    SurveyQuestion,
    SurveyResponse,
)
from domain.communication import (
    ActionItem,
    CallScript,
    Meeting,
    MeetingAttendee,
    MeetingStaff,
    Notice,
    NoticeReceipt,
    PLACEHOLDER_NAMES,
    PLACEHOLDER_RE,
)


REGISTERS = (
    Customer, Department, User, Contact, RepairOrder, ServiceRequest, WorkLetter, FeeItem,
    ShiftHandover, Charge, LendableItem, ItemLoan, Complaint, ComplaintPassOn, ComplaintUpdate, ComplaintGuideline, Callback,
    ComplaintReport,
    Survey, SurveyQuestion, SurveyDistribution, SurveyResponse, CorrectiveAction, Notice,
    NoticeReceipt, Meeting,
    ActionItem, CallScript, SegmentRule, SlaRule, CalendarDay, Alert, AuditLog, Deadline, Hold,
)
_REGISTER_BY_NAME = {model.__name__: model for model in REGISTERS}


def register_name(class_name):
    """A register's Chinese name from its class name (as clocks, holds and alerts store it)."""
    model = _REGISTER_BY_NAME.get(class_name)
    if model is None:  # what else an alert may be about: the log's chain, a job's run
        return {"AuditLog": "操作日志", "JobRun": "定时任务"}.get(class_name, class_name or "")
    return model.verbose_name()


ALL_MODELS = (DocumentCounter,) + REGISTERS + (SurveyAnswer, MeetingAttendee, MeetingStaff, LoginAttempt,
                                                CalendarYear, FormToken)


# What `from models import …` finds: every register and helper of domain/.
__all__ = [
    'AlreadySubmitted',
    'BaseModel',
    'ChoiceField',
    'DocumentCounter',
    'DomainError',
    'INT_MAX',
    'MoneyField',
    'PHONE_RE',
    'PhoneField',
    'StaleRecord',
    'TEXT_MAX',
    'ValidationError',
    'db',
    'next_number',
    'Department',
    'User',
    '_DUMMY_HASH',
    '_dummy_password_hash',
    'ACTION_LABELS',
    'AUDIT_ACTIONS',
    'JOB_LABELS',
    'JOURNAL',
    'Register',
    'action_label',
    'job_label',
    'journal',
    'number_field',
    'snapshot_of',
    'CalendarDay',
    'CalendarYear',
    'Deadline',
    'Hold',
    'SlaRule',
    'Alert',
    'AuditLog',
    'FormToken',
    'JobRun',
    'LoginAttempt',
    'Setting',
    '_index',
    'Customer',
    'SegmentRule',
    'plain_number',
    'CHANNELS',
    'Contact',
    'RepairOrder',
    'ServiceRequest',
    'WorkLetter',
    'Charge',
    'DIGITS_UPPER',
    'FeeItem',
    'ItemLoan',
    'LendableItem',
    'PAYMENT_METHODS',
    'PrintedAmounts',
    'ShiftHandover',
    'amount_in_words',
    'Callback',
    'Complaint',
    'ComplaintGuideline',
    'ComplaintPassOn',
    'ComplaintReport',
    'ComplaintUpdate',
    'CorrectiveAction',
    'Survey',
    'SurveyAnswer',
    'SurveyDistribution',
    'SurveyQuestion',
    'SurveyResponse',
    'ActionItem',
    'CallScript',
    'Meeting',
    'MeetingAttendee',
    'MeetingStaff',
    'Notice',
    'NoticeReceipt',
    'PLACEHOLDER_NAMES',
    'PLACEHOLDER_RE',
    'ALL_MODELS',
    'REGISTERS',
    '_REGISTER_BY_NAME',
    'register_name',
]
