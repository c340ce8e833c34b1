"""A grid's rows drawn in Python (KefuModelView.list_row_html) are the rows Flask-Admin draws."""
import re

import jinja2
from flask_admin.model import BaseModelView

from models import Contact
from helpers import rows


def shown(html):
    """`html` without the whitespace a browser does not show: runs of it made one space, and
    none around a row's or a cell's tags (the two drawings space them differently); and
    without the CSRF tokens, which differ from request to request."""
    html = re.sub(r"\s+", " ", html)
    # The step buttons' CSRF tokens: each request signs its own.
    html = re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', 'name="csrf_token"', html)
    return re.sub(r" ?(</?t[dr]\b[^>]*>) ?", r"\1", html)


def grids(app):
    return [view for view in app.extensions["admin"][0]._views
            if isinstance(view, BaseModelView)]


def test_every_grid_draws_the_rows_flask_admin_draws(app, as_admin, monkeypatch):
    pages = [view.url + "/" for view in grids(app)]
    ours = {url: rows(as_admin.get(url).text) for url in pages}
    # Flask-Admin's own list_row block: our list template without its override.
    loader = app.jinja_env.loader
    source = loader.get_source(app.jinja_env, "kefu/list.html")[0]
    original = re.sub(r"{% block list_row scoped %}.*?{% endblock %}", "", source, flags=re.S)
    assert original != source
    monkeypatch.setattr(app.jinja_env, "loader", jinja2.ChoiceLoader(
        [jinja2.DictLoader({"kefu/list.html": original}), loader]))
    theirs = {url: rows(as_admin.get(url).text) for url in pages}
    for url in pages:
        assert shown(ours[url]) == shown(theirs[url]), url
    with_rows = [url for url in pages if 'class="col-' in ours[url]]
    assert len(with_rows) > len(pages) / 2
    assert all(ours[url] != theirs[url] for url in with_rows)  # each drawn both ways


def test_a_grid_with_an_editable_column_keeps_flask_admins_rows(app, as_admin, monkeypatch):
    view = next(view for view in grids(app) if getattr(view, "model", None) is Contact)
    monkeypatch.setattr(view, "column_editable_list", ["subject"])
    view._refresh_forms_cache()
    page = rows(as_admin.get("/admin/contact/").text)
    assert page.count('data-role="x-editable"') == page.count('class="col-subject"') > 1
