"""The CSRF-protected base form of every console form."""
from datetime import timedelta

from flask import current_app
from flask_admin.form import SecureForm


class KefuForm(SecureForm):
    """Flask-Admin's SecureForm with a token lifetime from KEFU_CSRF_TIME_LIMIT (seconds)."""

    class Meta(SecureForm.Meta):
        @property
        def csrf_time_limit(self):
            # WTForms' 30 minutes is too short for a complaint taken down during a long call.
            return timedelta(seconds=current_app.config.get("KEFU_CSRF_TIME_LIMIT", 4 * 3600))
