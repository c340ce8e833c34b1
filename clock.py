"""The one clock of Kefu Desk: naive local time of the configured zone."""
from datetime import datetime
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"
_zone = ZoneInfo(DEFAULT_TIMEZONE)


def set_timezone(name):
    """Use the named IANA zone for every later now()."""
    global _zone
    _zone = ZoneInfo(name)


def now():
    """Return the current naive local time, to the second."""
    return datetime.now(_zone).replace(tzinfo=None, microsecond=0)
