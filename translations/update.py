"""Add every new Chinese UI string to translations/en/LC_MESSAGES/messages.po (run by hand)."""
import os
import re
import sys

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

CALL_RE = re.compile(r"""\b_l?\(\s*(["'])(.+?)\1\s*[,)]""")


def source_strings():
    """Strings marked with _() or _l() in templates and Python files."""
    found = set()
    for folder in ("templates", "views", "."):
        base = os.path.join(ROOT, folder)
        for dirpath, _, files in os.walk(base):
            if folder == "." and dirpath != base:
                continue
            for name in files:
                if name.endswith((".html", ".py")):
                    with open(os.path.join(dirpath, name), encoding="utf-8") as fh:
                        found.update(m.group(2) for m in CALL_RE.finditer(fh.read()))
    return found


def main():
    import views
    po_path = os.path.join(HERE, "en", "LC_MESSAGES", "messages.po")
    if os.path.exists(po_path):
        with open(po_path, "rb") as fh:
            catalog = read_po(fh, locale="en")
    else:
        catalog = Catalog(locale="en", project="Kefu Desk", charset="utf-8")
    wanted = set(views.ui_strings()) | source_strings()
    added = [s for s in sorted(wanted) if s not in catalog]
    for msgid in added:
        catalog.add(msgid, "")
    with open(po_path, "wb") as fh:
        write_po(fh, catalog, width=0, sort_output=True)
    print(f"{len(added)} new strings; {len(catalog)} in {po_path}")


if __name__ == "__main__":
    main()
