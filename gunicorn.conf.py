"""gunicorn settings for the console (README: Production). Each setting can be overridden on
the command line or by the KEFU_* variables below."""
import os

bind = os.environ.get("KEFU_BIND", "127.0.0.1:8000")
# Threads serve several requests per process while one waits on the database; a few
# processes use the cores. Peewee keeps one connection per thread. On 2 cores the bench load
# (16 clerks) cost the same server CPU a request with 2 or 4 processes (24.7 and 24.0 ms),
# and 2 × 2 no better p95 than 4 × 4 within the machine's noise: 4 × 4 stays the default.
worker_class = "gthread"
workers = int(os.environ.get("KEFU_WORKERS", "4"))
threads = int(os.environ.get("KEFU_THREADS", "4"))
# A big export streams for minutes; gthread workers stay alive while a request runs, so
# this only bounds a worker that stopped answering its master.
timeout = 60
graceful_timeout = 30
accesslog = "-"
errorlog = "-"
# Not preloaded: each worker opens its own database connections after the fork.
preload_app = False
