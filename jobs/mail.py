"""E-mail each alert's assignee (or its department) once per level, when SMTP is configured.

Config (environment or app config): MAIL_SERVER, MAIL_PORT (25), MAIL_USE_TLS (STARTTLS),
MAIL_USE_SSL, MAIL_USERNAME, MAIL_PASSWORD, MAIL_DEFAULT_SENDER, KEFU_BASE_URL (for links)."""
import logging
import os
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr

from flask import current_app, has_app_context

from audit import audit_job
from database import write_transaction
from models import Alert, User

log = logging.getLogger("kefu.mail")
KEYS = ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_USERNAME",
        "MAIL_PASSWORD", "MAIL_DEFAULT_SENDER", "KEFU_BASE_URL")
BATCH = 200  # alerts mailed per run; the rest go in the next minute


def mail_config():
    """The SMTP settings from the app config, falling back to the environment."""
    config = {key: os.environ.get(key) for key in KEYS}
    if has_app_context():
        config.update({k: current_app.config[k] for k in KEYS if current_app.config.get(k)})
    return config


def _flag(value):
    return str(value or "").lower() in ("1", "true", "yes", "on")


def recipients(alert):
    """The assignee's address, or every active member of the alert's department with one."""
    if alert.assignee_id:
        users = User.select().where(User.id == alert.assignee_id)
    elif alert.department_id:
        users = User.select().where(User.department == alert.department_id)
    else:
        return []
    return [formataddr((one_line(u.full_name or u.username), one_line(u.email))) for u in users
            if u.is_active and u.email]


def one_line(text):
    """Header text without line breaks or control characters (a title is typed by users)."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", text or "").strip()


def message_for(alert, to, sender, base_url):
    msg = EmailMessage()
    msg["Subject"] = one_line("[客服台] %s（%s级）" % (alert.title, alert.level))
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    link = "%s/admin/%s/details/?id=%s" % (base_url.rstrip("/"), alert.record_type.lower(),
                                           alert.record_id) if base_url else ""
    msg.set_content("\n".join(line for line in (
        alert.title,
        "提醒类型：%s    升级级别：%s" % (alert.choice_label("kind"), alert.level),
        "起始时间：%s" % alert.since.strftime("%Y-%m-%d %H:%M") if alert.since else "",
        "责任部门：%s" % (alert.department.name if alert.department_id else "—"),
        "责任人：%s" % (alert.assignee.full_name if alert.assignee_id else "部门全体"),
        link, "", "本邮件由客服台自动发送，请登录客服台处理。") if line is not None))
    return msg


def _connect(config):
    port = int(config.get("MAIL_PORT") or (465 if _flag(config.get("MAIL_USE_SSL")) else 25))
    if _flag(config.get("MAIL_USE_SSL")):
        smtp = smtplib.SMTP_SSL(config["MAIL_SERVER"], port, timeout=20,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(config["MAIL_SERVER"], port, timeout=20)
        if _flag(config.get("MAIL_USE_TLS")):
            smtp.starttls(context=ssl.create_default_context())
    if config.get("MAIL_USERNAME"):
        smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    return smtp


def _claim(alert):
    """Take this alert's level for sending: of two overlapping runs only one sends it."""
    with write_transaction():
        return Alert.update(mailed_level=alert.level).where(
            (Alert.id == alert.id) & (Alert.mailed_level < alert.level)).execute() == 1


def _unclaim(alert, previous):
    with write_transaction():
        Alert.update(mailed_level=previous).where(
            (Alert.id == alert.id) & (Alert.mailed_level == alert.level)).execute()


def mail_alerts(now):
    """Send each open alert whose level was not yet e-mailed; returns how many were sent.

    Runs outside the write lock: the SMTP conversation never holds up the console. Each alert
    is claimed before it is sent, so overlapping runs never send it twice. A temporary failure
    (connection, 4xx) gives the claim back for the next run; a permanent one (5xx, a bad
    address) is logged and not tried again at that level."""
    config = mail_config()
    if not config.get("MAIL_SERVER"):
        return 0
    pending = list(Alert.select().where((Alert.status == Alert.OPEN)
                                        & (Alert.mailed_level < Alert.level))
                   .order_by(Alert.id).limit(BATCH))
    if not pending:
        return 0
    sender = config.get("MAIL_DEFAULT_SENDER") or "kefu@localhost"
    try:
        smtp = _connect(config)
    except (OSError, smtplib.SMTPException):
        log.exception("cannot reach the mail server %s", config["MAIL_SERVER"])
        return 0
    sent = 0
    with smtp:
        for alert in pending:
            previous = alert.mailed_level
            if not _claim(alert):
                continue  # another run has it
            to = recipients(alert)
            if not to:
                continue  # nobody to tell by e-mail: the alert is on their home page
            try:
                smtp.send_message(message_for(alert, to, sender, config.get("KEFU_BASE_URL")))
            except (smtplib.SMTPServerDisconnected, OSError):
                _unclaim(alert, previous)
                log.exception("mail server went away; alert %s waits for the next run", alert.id)
                break
            except smtplib.SMTPResponseException as err:
                if 400 <= err.smtp_code < 500:
                    _unclaim(alert, previous)
                log.error("alert %s not mailed: %s %s", alert.id, err.smtp_code, err.smtp_error)
                continue
            except (smtplib.SMTPException, ValueError, UnicodeError) as err:
                log.error("alert %s not mailed: %s", alert.id, err)  # permanent: not retried
                continue
            sent += 1
    if sent:  # each claim committed on its own; the run's row follows them
        with write_transaction():
            audit_job("mail_alerts", sent, now)
    return sent


mail_alerts.in_transaction = False  # run_due_jobs must not hold the write lock around SMTP
