"""Upkeep of the database itself."""
from database import is_sqlite, refresh_planner_statistics, write_transaction
from models import db


def refresh_statistics(now):
    """Nightly: fresh planner statistics as the registers grow. On SQLite ANALYZE holds the
    write lock while it reads, so it goes one index at a time, each in a transaction of its own:
    the desk's saves wait for one index's scan at most (under a second for 2M clocks), not for
    a table's eight or the 8 s of the whole file. PostgreSQL's ANALYZE blocks no reader or
    writer and is left whole."""
    if not is_sqlite():
        refresh_planner_statistics(db.obj)
        return "analyzed"
    parts = []
    for table in db.get_tables():
        parts += [index.name for index in db.get_indexes(table)] or [table]
    for name in parts:
        with write_transaction():
            db.execute_sql('ANALYZE "%s"' % name)
    return "analyzed %d indexes" % len(parts)


refresh_statistics.in_transaction = False  # a transaction per index
