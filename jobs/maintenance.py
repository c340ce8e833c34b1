"""Upkeep of the database itself."""
from database import is_sqlite, refresh_planner_statistics, write_transaction
from models import db


def refresh_statistics(now):
    """Nightly: fresh planner statistics as the registers grow. On SQLite ANALYZE writes its
    statistics under the write lock, so each table goes in a transaction of its own (the
    biggest takes about 2 s a year of a busy mall) and the desk's saves wait that long at most,
    not the 8 s of the whole database. PostgreSQL's ANALYZE blocks no reader or writer."""
    if not is_sqlite():
        refresh_planner_statistics(db.obj)
        return "analyzed"
    tables = db.get_tables()
    for table in tables:
        with write_transaction():
            db.execute_sql('ANALYZE "%s"' % table)
    return "analyzed %d tables" % len(tables)


refresh_statistics.in_transaction = False  # a transaction per table
