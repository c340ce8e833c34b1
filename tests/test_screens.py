"""What a clerk reads all day, through the test client: a record's page business first, the
icon every browser asks for, and a development log a person can read."""
import logging
import re

from app import QuietRequestLog
from models import RepairOrder


def field_labels(page, section_id):
    """The labels of a record page's field table (or folded block) with this id, in order."""
    section = re.search(r'id="%s".*?</(table|details)>' % section_id, page, re.S)
    assert section, f"no #{section_id} on the page"
    return re.findall(r'<th scope="row">([^<]+)</th>', section.group(0))


def test_a_record_page_shows_business_fields_first_and_the_stamps_folded_last(as_clerk):
    order = RepairOrder.get(RepairOrder.status == RepairOrder.REGISTERED)
    page = as_clerk.get(f"/admin/repairorder/details/?id={order.id}").text
    business = field_labels(page, "details-fields")
    technical = field_labels(page, "technical-fields")
    assert business[0] == "编号"
    assert {"报修客户", "维修地点", "状态"} <= set(business)
    assert not {"记录号", "版本", "创建时间", "更新时间", "创建人"} & set(business)
    assert technical[:2] == ["记录号", "版本"] and {"创建时间", "更新时间"} <= set(technical)
    assert page.index('id="details-fields"') < page.index('id="technical-fields"')
    assert re.search(r'<details[^>]*id="technical-fields"(?![^>]*\bopen\b)', page)  # folded


def test_a_record_page_leaves_out_empty_fields(as_clerk):
    order = RepairOrder.get(RepairOrder.status == RepairOrder.REGISTERED)
    assert order.accepted_at is None and order.completed_at is None and order.archived_at is None
    page = as_clerk.get(f"/admin/repairorder/details/?id={order.id}").text
    shown = field_labels(page, "details-fields") + field_labels(page, "technical-fields")
    assert "接单时间" not in shown and "完工时间" not in shown
    assert "归档时间" not in shown and "归档原因" not in shown
    assert "报修时间" in shown  # a filled field stays


def test_a_record_page_has_no_unexplained_filter_box(as_clerk):
    page = as_clerk.get("/admin/complaint/details/?id=1").text
    assert 'id="fa_filter"' not in page and "筛选器" not in page
    assert field_labels(page, "details-fields")[0] == "编号"


def test_the_favicon_is_served_and_linked(client, as_clerk):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.mimetype == "image/vnd.microsoft.icon" and icon.data[:4] == b"\x00\x00\x01\x00"
    assert '<link rel="icon" href="/favicon.ico">' in as_clerk.get("/admin/").text


def request_line(path, code, colour=""):
    """A log record as werkzeug's development server writes one for a request (it colours
    the request line of anything but a 200 on a terminal)."""
    line = "GET %s HTTP/1.1" % path
    if colour:
        line = "\x1b[%sm%s\x1b[0m" % (colour, line)
    return logging.LogRecord("werkzeug", logging.INFO, __file__, 1,
                             '127.0.0.1 - - [23/Nov/2026 10:00:00] "%s" %s %s',
                             (line, str(code), "-"), None)


def test_the_development_log_leaves_out_files_that_loaded_fine():
    quiet = QuietRequestLog()
    assert not quiet.filter(request_line("/static/kefu.css", 200))
    assert not quiet.filter(request_line("/admin/static/vendor/jquery.min.js?v=3.5.1", 304, "36"))
    assert not quiet.filter(request_line("/favicon.ico", 200))
    assert quiet.filter(request_line("/admin/repairorder/", 200))  # a page someone opened
    assert quiet.filter(request_line("/static/missing.js", 404, "33"))
    assert quiet.filter(request_line("/admin/static/broken.js", 500, "1;35"))
    assert quiet.filter(logging.LogRecord("werkzeug", logging.INFO, __file__, 1,
                                          " * Running on %s", ("http://127.0.0.1:5000",), None))
