"""gunicorn settings for the console (README: Production). Each setting can be overridden on
the command line or by the KEFU_* variables below."""
import os

bind = os.environ.get("KEFU_BIND", "127.0.0.1:8000")
# One process per core: a page is CPU work (SQLite answers in the same process), and more
# processes than cores only share the cores out, so every page takes longer. Each process
# runs one page at a time (wsgi.py, KEFU_ACTIVE_REQUESTS); its threads stream exports and
# hold the connections of the pages waiting their turn. Peewee keeps one connection per
# thread. At 16 clerks on 2 cores (bench/RESULTS.md, session 6), on the same code: 4
# processes x 4 threads all at once, p95 496 ms; 2 x 1, 296 ms. This setup, with that
# session's faster pages: 137-180 ms.
worker_class = "gthread"
workers = int(os.environ.get("KEFU_WORKERS", os.cpu_count() or 2))
threads = int(os.environ.get("KEFU_THREADS", "4"))
# A process takes no more connections than it has threads, and closes each after its answer
# (no keep-alive; nginx does not keep upstream connections open by default either): the
# clerks waiting beyond that wait in the one queue of the listening socket, which every
# process takes from as it frees up. With kept-alive connections each stayed with the
# process that first took it, and one process could have a queue while the other idled.
worker_connections = threads
keepalive = 0
# A big export streams for minutes; gthread workers stay alive while a request runs, so
# this only bounds a worker that stopped answering its master.
timeout = 60
graceful_timeout = 30
accesslog = "-"
errorlog = "-"
# Not preloaded: each worker opens its own database connections after the fork.
preload_app = False
# The Server header says "kefu", not the server's name (gunicorn reads it per response).
import gunicorn.http.wsgi  # noqa: E402
gunicorn.http.wsgi.SERVER = "kefu"
