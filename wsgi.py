"""The console for a production WSGI server: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every worker runs the job scheduler too (unless KEFU_SCHEDULER=0): the claim rows in the
database let exactly one process, on any machine, run each job in each time slot."""
import os

from app import create_app, start_scheduler

app = create_app()
if os.environ.get("KEFU_SCHEDULER", "1") == "1":
    start_scheduler(app)
