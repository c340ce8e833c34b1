"""The tests' own plumbing (conftest): one app for the whole session, and for every test a
fresh copy of the demo database, the app's settings and the clock as they were.

The two tests run in this order (file order): the first leaves changes behind, the second
checks that none reached it."""
from datetime import datetime

import clock
from conftest import DEMO_NOW
from factories import make_customer
from models import Customer

MARK = "隔离检查商户"
seen = {}


def test_a_test_may_change_the_database_the_settings_and_the_clock(app):
    make_customer(name=MARK)
    app.config["KEFU_IDLE_MINUTES"] = 999
    clock.set_fixed_now(datetime(2030, 1, 1))
    seen.update(app=app, url=app.config["DATABASE_URL"])
    assert Customer.select().where(Customer.name == MARK).exists()


def test_the_next_test_gets_the_same_app_and_none_of_those_changes(app):
    assert not Customer.select().where(Customer.name == MARK).exists()
    assert app.config["KEFU_IDLE_MINUTES"] != 999
    assert clock.now() == DEMO_NOW
    if seen:  # run after the first: the same app, on another copy of the demo database
        assert app is seen["app"] and app.config["DATABASE_URL"] != seen["url"]
