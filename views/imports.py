"""导入表格: upload a clerk's CSV or XLSX sheet, preview what it would change, then confirm."""
import json
import os
import re
import secrets
import time
from urllib.parse import quote

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import FileField, HiddenField, SelectField, validators

import access
import clock
import importer
from forms import KefuForm
from i18n import _l
from models import DomainError
from views.admin import CalendarDayView
from privacy import mask, personal_fields, sees_personal_data
from views.customers import CustomerView
from views.dashboard import LoginRequired
from views.loans import FeeItemView, LendableItemView

# Whoever may write a register in its grid may import it; nobody else.
GRIDS = {"customer": CustomerView, "feeitem": FeeItemView, "lendableitem": LendableItemView,
         "calendarday": CalendarDayView}
UPLOAD_MAX_AGE = 4 * 3600  # seconds an uploaded file waits for its confirm, like a CSRF token
PREVIEW_LIMIT = 500  # rows other than errors listed in the preview (errors are always listed)
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def importable():
    """[(register, label)] the logged-in user may import, in menu order."""
    if not current_user.is_authenticated:
        return []
    return [(name, importer.SPECS[name].model.verbose_name()) for name in GRIDS
            if current_user.role_set & access.grant(importer.SPECS[name].model.__name__).write]


class UploadForm(KefuForm):
    register = SelectField(_l("导入到"))
    sheet = FileField(_l("文件（.xlsx 或 .csv，最大 5 MB）"),
                      validators=[validators.InputRequired(message=_l("请选择文件"))])


class ConfirmForm(KefuForm):
    token = HiddenField()
    fingerprint = HiddenField()


# ---------------------------------------------------------------- the uploaded file

def _upload_folder():
    return current_app.config.get("KEFU_IMPORT_FOLDER") or os.path.join(current_app.instance_path,
                                                                         "imports")


def _upload_path(token, ext):
    # The user id in the name: one user's token never opens another user's upload.
    return os.path.join(_upload_folder(), "%d-%s.%s" % (current_user.id, token, ext))


def _private(path):
    """Create `path` empty, readable by the console's own user only (0600); return it."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    return path


def keep_upload(register, filename, data):
    """Store an upload until it is confirmed (not in the session: sessions are small cookies)."""
    os.makedirs(_upload_folder(), mode=0o700, exist_ok=True)
    os.chmod(_upload_folder(), 0o700)  # customers' sheets: only the console's own user reads them
    _forget_old_uploads()
    token = secrets.token_urlsafe(24)
    with open(_private(_upload_path(token, "bin")), "wb") as fh:
        fh.write(data)
    with open(_private(_upload_path(token, "json")), "w", encoding="utf-8") as fh:
        json.dump({"register": register, "filename": filename}, fh, ensure_ascii=False)
    return token


def load_upload(token):
    """Return (register, filename, data) of this user's stored upload, or None."""
    if not TOKEN_RE.match(token or ""):
        return None
    try:
        if time.time() - os.path.getmtime(_upload_path(token, "bin")) > UPLOAD_MAX_AGE:
            return None
        with open(_upload_path(token, "json"), encoding="utf-8") as fh:
            meta = json.load(fh)
        with open(_upload_path(token, "bin"), "rb") as fh:
            return meta["register"], meta["filename"], fh.read()
    except (OSError, ValueError, KeyError):
        return None


def forget_upload(token):
    for ext in ("bin", "json"):
        try:
            os.unlink(_upload_path(token, ext))
        except OSError:
            pass


def _forget_old_uploads():
    """Delete every user's uploads left unconfirmed longer than UPLOAD_MAX_AGE."""
    folder = _upload_folder()
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        try:
            if time.time() - os.path.getmtime(path) > UPLOAD_MAX_AGE:
                os.unlink(path)
        except OSError:
            pass  # another worker removed it first


def clean_filename(name):
    """The uploaded file's own name, for the preview and the audit (Chinese kept)."""
    name = os.path.basename((name or "").replace("\\", "/"))
    return re.sub(r"[\x00-\x1f\x7f]", "", name)[:100] or "upload"


# ---------------------------------------------------------------- the page

def preview_rows(plan):
    """The rows the preview lists: every error, then the first PREVIEW_LIMIT others, with
    personal data masked for roles that see it masked."""
    personal = personal_fields(plan.spec.model)
    shown = sees_personal_data()

    def masked(name, value):
        return value if shown or name not in personal else mask(value, personal[name])

    errors = [r for r in plan.rows if r.action == importer.ERROR]
    others = [r for r in plan.rows if r.action != importer.ERROR][:PREVIEW_LIMIT]
    return [{"row": r.row, "action": r.action, "action_label": r.action_label, "title": r.title,
             "errors": r.errors,
             "changes": [(label, masked(name, old), masked(name, new))
                         for name, label, old, new in r.changes]}
            for r in sorted(errors + others, key=lambda r: r.row)]


class ImportView(LoginRequired, BaseView):
    """Upload → preview (counts, every bad row with its number and reasons) → confirm."""

    def is_accessible(self):
        return super().is_accessible() and bool(importable())

    def inaccessible_callback(self, name, **kwargs):
        if current_user.is_authenticated:
            abort(403)
        return super().inaccessible_callback(name, **kwargs)

    def _upload_form(self, formdata=None):
        form = UploadForm(formdata)
        form.register.choices = [(name, _l(label)) for name, label in importable()]
        if formdata is None and request.args.get("register") in dict(importable()):
            form.register.data = request.args["register"]
        return form

    @expose("/", methods=("GET", "POST"))
    def index(self):
        if request.method == "GET":
            return self._choose(self._upload_form())
        if (request.content_length or 0) > importer.MAX_BYTES + 64 * 1024:
            return self._refuse_file(self._upload_form(), _l("文件超过 5 MB，请分成几个文件导入"))
        request.max_content_length = importer.MAX_BYTES + 64 * 1024  # a chunked upload too
        try:
            form = self._upload_form(CombinedMultiDict((request.files, request.form)))
        except RequestEntityTooLarge:
            return self._refuse_file(self._upload_form(), _l("文件超过 5 MB，请分成几个文件导入"))
        if not form.validate() or not form.sheet.data:
            return self._choose(form)
        filename = clean_filename(form.sheet.data.filename)
        data = form.sheet.data.read(importer.MAX_BYTES + 1)
        try:
            plan = importer.plan(form.register.data, data, filename)
        except importer.SheetError as err:
            return self._refuse_file(form, str(err))
        token = keep_upload(form.register.data, filename, data)
        return self._preview(plan, token)

    def _refuse_file(self, form, message):
        """Draw the upload page again with the file's problem under the file field."""
        form.sheet.errors = [message]
        return self._choose(form)

    def _choose(self, form, problem=None):
        return self.render("kefu/import.html", form=form, problem=problem, registers=importable())

    def _preview(self, plan, token):
        form = ConfirmForm(token=token, fingerprint=plan.fingerprint())
        return self.render("kefu/import_preview.html", plan=plan, form=form,
                           rows=preview_rows(plan), counts=plan.counts,
                           grid_url=url_for(plan.spec.name + ".index_view"),
                           register=plan.spec.model.verbose_name(),
                           listed_all=len(plan.rows) - plan.count(importer.ERROR) <= PREVIEW_LIMIT,
                           limit=PREVIEW_LIMIT)

    @expose("/confirm/", methods=("POST",))
    def confirm(self):
        """Import the stored file, re-read now, if it still says what the preview said."""
        form = ConfirmForm(request.form)
        if not form.validate():
            abort(400)
        token, user = form.token.data, current_user._get_current_object()
        stored = load_upload(token)
        if stored is None:
            return self._already_imported(token) or self._expired()
        register, filename, data = stored
        if register not in dict(importable()):
            abort(403)
        plan = importer.plan(register, data, filename)
        if plan.fingerprint() != form.fingerprint.data:
            # A first click that has just imported the file changed what it would do.
            done = self._already_imported(token)
            if done:
                return done
            flash(_l("预览之后数据已有变化，请核对下面新的预览后再确认"), "error")
            return self._preview(plan, token)
        try:
            counts = importer.apply(plan, user, clock.now(),
                                    only_valid=request.form.get("mode") == "valid", token=token)
        except importer.AlreadyImported:
            return self._already_imported(token)
        except DomainError as err:
            flash(str(err), "error")
            return self._preview(importer.plan(register, data, filename), token)
        forget_upload(token)
        flash(_l("导入完成：新增 %(create)s 条，更新 %(update)s 条，无变化 %(unchanged)s 条，"
                 "跳过错误行 %(error)s 行", **counts), "success")
        return redirect(url_for(plan.spec.name + ".index_view"))

    def _already_imported(self, token):
        """Land a second click of 导入 on the first's result; None when the upload is not imported."""
        first = importer.ImportedUpload.find(current_user.id, token) if TOKEN_RE.match(token or "") \
            else None
        if first is None:
            return None
        forget_upload(token)
        counts = json.loads(first.counts)
        flash(_l("该文件已于 %(time)s 导入，未重复导入：新增 %(create)s 条，更新 %(update)s 条，"
                 "无变化 %(unchanged)s 条，跳过错误行 %(error)s 行",
                 time=first.imported_at.strftime("%H:%M:%S"), **counts), "warning")
        return redirect(url_for(first.register + ".index_view"))

    def _expired(self):
        flash(_l("上传的文件已过期，请重新上传"), "error")
        return redirect(url_for(".index"))

    @expose("/template/<register>.csv")
    def template(self, register):
        """The empty sheet of a register, with its Chinese headers (UTF-8 with BOM for Excel)."""
        if register not in dict(importable()):
            abort(404)
        spec = importer.SPECS[register]
        name = "%s导入模板.csv" % spec.model.verbose_name()
        return Response(importer.template_csv(spec), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": "attachment; filename=%s_template.csv; "
                                 "filename*=UTF-8''%s" % (register, quote(name))})
