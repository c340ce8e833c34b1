"""Upkeep of the database itself."""
from database import refresh_planner_statistics
from models import db


def refresh_statistics(now):
    """Nightly: fresh planner statistics as the registers grow (a sampled ANALYZE on SQLite,
    milliseconds; PostgreSQL's autovacuum does the same on its own, this only hurries it)."""
    refresh_planner_statistics(db.obj)
    return "analyzed"
