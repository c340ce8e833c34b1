"""The one clock of Kefu Desk: naive local time of the configured zone."""
from datetime import datetime
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"
_zone = ZoneInfo(DEFAULT_TIMEZONE)
_fixed = None  # a chosen `now` (tests): every later now() returns it


def set_fixed_now(when):
    """Make every later now() return `when` (None: the real clock again)."""
    global _fixed
    _fixed = when


def set_timezone(name):
    """Use the named IANA zone for every later now()."""
    global _zone
    _zone = ZoneInfo(name)


def now():
    """Return the current naive local time, to the second."""
    if _fixed is not None:
        return _fixed
    return datetime.now(_zone).replace(tzinfo=None, microsecond=0)
