"""The console for a production WSGI server: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every worker runs the job scheduler too (unless KEFU_SCHEDULER=0): the claim rows in the
database let exactly one process, on any machine, run each job in each time slot. Each worker
runs KEFU_ACTIVE_REQUESTS pages at once (default 1; app.RequestGate): raise it when the
database is on another machine and a page spends its time waiting for it."""
import os

from app import RequestGate, create_app, start_scheduler

app = create_app()
app.wsgi_app = RequestGate(app.wsgi_app, int(os.environ.get("KEFU_ACTIVE_REQUESTS", "1")))
if os.environ.get("KEFU_SCHEDULER", "1") == "1":
    start_scheduler(app)
