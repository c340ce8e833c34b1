"""Translations of the console's own labels (Chinese is the source language; English is a catalog)."""
import os

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import lazy_gettext

TRANSLATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "translations")


def _l(text, **variables):
    """Return `text` (Chinese) translated lazily into the request's language."""
    return lazy_gettext(text, **variables) if text else text


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


def _source(label):
    """The Chinese source text of a label, lazy or not."""
    return label._args[0] if hasattr(label, "_args") else str(label)


def ui_strings():
    """Return every label the grids show: register, field, choice, role and menu names."""
    from models import REGISTERS, ChoiceField, User
    from views import MENU
    strings = [category for _, category in MENU]
    strings += [label for _, label in User.ROLES]
    for model in REGISTERS:
        strings.append(model.verbose_name())
        for field in model._meta.sorted_fields:
            strings.append(field.verbose_name)
            if isinstance(field, ChoiceField):
                strings += [label for _, label in field.choices]
    from views.base import KefuModelView
    for module, _ in MENU:
        views = [v for v in vars(module).values()
                 if isinstance(v, type) and issubclass(v, KefuModelView)]
        for view in views:
            for step in view.steps:
                strings.append(step.label)
                strings += [_source(f.args[0]) for f in step.fields.values()]
            strings += [label for _, label in view.print_slips]
    import crm
    strings += [source.label for source in crm.SOURCES]  # the 360 timeline's kinds
    return sorted({s for s in strings if s})
