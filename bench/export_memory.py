"""Measure a CSV export's speed and peak memory on N contacts (default 1,000,000).

    python bench/export_memory.py [--rows N] [--format csv|xlsx]

Builds a fresh SQLite database in a temporary folder (bulk inserts, not the ORM row by row),
logs in as the admin and streams /admin/contact/export/<format>/ through the test client,
counting rows as they arrive. Prints rows, seconds, rows per second and the process's peak
RSS before and after the export."""
import argparse
import os
import resource
import secrets
import sys
import tempfile
import time
from datetime import datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", default="csv", choices=("csv", "xlsx"))
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="kefu-bench-")
    os.environ.update(DATABASE_URL="sqlite:///%s/kefu.db" % folder, KEFU_DEMO="1",
                      KEFU_SECRET_KEY=secrets.token_hex(16))
    from app import create_app
    from models import Contact, Customer, db
    app = create_app()
    customers = [c.id for c in Customer.select(Customer.id)]
    start = datetime(2025, 1, 1, 9, 0)
    built = time.time()
    with db.connection_context(), db.atomic():
        batch = []
        for i in range(args.rows):
            at = start + timedelta(minutes=i % 500000)
            batch.append(dict(number="JD-B-%07d" % i, customer=customers[i % len(customers)],
                              phone="138%08d" % (i % 10**8), channel="phone", kind="enquiry",
                              subject="咨询停车优惠 %d" % i, content="顾客询问周末停车收费标准",
                              received_at=at, status="closed", created_at=at, updated_at=at))
            if len(batch) == 1000:
                Contact.insert_many(batch).execute()
                batch = []
        if batch:
            Contact.insert_many(batch).execute()
    print("built %d contacts in %.1f s" % (args.rows, time.time() - built))
    client = app.test_client()
    from tests.conftest import csrf_token
    page = client.get("/login")
    client.post("/login", data={"username": "admin", "password": "demo",
                                "csrf_token": csrf_token(page.text)})
    before = peak_mb()
    began = time.time()
    response = client.get("/admin/contact/export/%s/" % args.format, buffered=False)
    size = 0
    lines = 0
    for block in response.response:
        size += len(block)
        if args.format == "csv":
            lines += block.count("\n") if isinstance(block, str) else block.count(b"\n")
    response.close()
    took = time.time() - began
    rows = lines - 1 if args.format == "csv" else args.rows
    print("exported %s: %d rows, %.1f MB in %.1f s = %.0f rows/s; peak RSS %.0f MB before, %.0f MB after"
          % (args.format, rows, size / 1e6, took, rows / took, before, peak_mb()))


if __name__ == "__main__":
    main()
