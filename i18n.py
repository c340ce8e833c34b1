"""Translations of the console's own labels (Chinese is the source language; English is a catalog)."""
import os

import flask_babel
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask.globals import _cv_app
from flask_babel.speaklater import LazyString

TRANSLATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "translations")

# (locale, text) -> translation. The catalogs are compiled before the app serves and never
# change while it runs, and a grid page looks up the same few hundred labels on every request.
_translated = {}
_TRANSLATED_MAX = 20_000  # labels are a fixed set; this only bounds a caller passing data


def request_locale():
    """The locale flask_babel chose for this request, without its proxy lookups once chosen."""
    ctx = _cv_app.get(None)
    if ctx is None:
        return None
    chosen = getattr(ctx.g.__dict__.get("_flask_babel"), "babel_locale", None)
    return chosen if chosen is not None else flask_babel.get_locale()


def gettext(text):
    """flask_babel.gettext(text), looked up once per language."""
    key = (request_locale(), text)
    found = _translated.get(key)
    if found is None:
        found = flask_babel.gettext(text)
        if len(_translated) < _TRANSLATED_MAX:
            _translated[key] = found
    return found


class Label(LazyString):
    """A lazy label (flask_babel's LazyString) whose translation is looked up once per language."""

    def __init__(self, text, **variables):
        super().__init__(flask_babel.gettext, text, **variables)

    def __str__(self):
        return formatted(gettext(self._args[0]), self._args[0], self._kwargs)

    def __html__(self):
        return str(self)


def formatted(text, source, variables):
    """`text` with its %(name)s placeholders filled; text without variables is taken as it is,
    so a label or a record's data may hold "%", "%s" or "{0}" and still show."""
    if not variables:
        return text
    try:
        return text % variables
    except (KeyError, ValueError, TypeError):
        # A translation whose placeholders do not match: the source text, filled, is better
        # than an error page.
        try:
            return source % variables
        except (KeyError, ValueError, TypeError):
            return source


def template_gettext(text, **variables):
    """A template's _(text, name=value): translated, and filled only when given variables.

    Jinja's own newstyle gettext %-formats every string, so a label such as "预警比例（%）"
    passed as _(label) broke the page."""
    return formatted(gettext(text), text, variables)


def _l(text, **variables):
    """Return `text` (Chinese) translated lazily into the request's language."""
    return Label(text, **variables) if text else text


def install_template_gettext(app):
    """Let templates' _() use the cached lookup (flask_babel installs its own uncached one)."""
    translations = flask_babel.get_translations
    app.jinja_env.install_gettext_callables(
        gettext=template_gettext,
        ngettext=lambda s, p, n, **v: formatted(translations().ungettext(s, p, n), s,
                                               dict(v, num=n)),
        newstyle=False,  # the callables fill in variables themselves, only when given
        pgettext=lambda c, s, **v: formatted(translations().upgettext(c, s), s, v),
        npgettext=lambda c, s, p, n, **v: formatted(translations().unpgettext(c, s, p, n), s,
                                                    dict(v, num=n)))


def compile_catalogs():
    """Compile every translations/*/LC_MESSAGES/*.po whose .mo is missing or older."""
    for lang in os.listdir(TRANSLATIONS_DIR):
        folder = os.path.join(TRANSLATIONS_DIR, lang, "LC_MESSAGES")
        for name in os.listdir(folder) if os.path.isdir(folder) else ():
            if name.endswith(".po"):
                _compile(os.path.join(folder, name), lang)


def _compile(po_path, lang):
    """Write the .mo beside a .po file when it is missing or older."""
    mo_path = po_path[:-3] + ".mo"
    if os.path.exists(mo_path) and os.path.getmtime(mo_path) >= os.path.getmtime(po_path):
        return
    with open(po_path, "rb") as fh:
        catalog = read_po(fh, locale=lang)
    # A temporary name per process: several workers may start at once.
    tmp = "%s.%d.tmp" % (mo_path, os.getpid())
    with open(tmp, "wb") as fh:
        write_mo(fh, catalog)
    os.replace(tmp, mo_path)

