"""The layers of the console: a module imports only its own layer or lower ones, so that a
phone page, a tenant page, an API or a job can use the workflow without the admin views.

An upward import is allowed only where KNOWN_UPWARD names it with its reason (debts of issue
21, to be paid off, never added to without a reason). An import of our own modules inside a
function says why in a comment (a cycle at import time); any other goes to the top."""
import ast
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Lowest first. Within a layer, modules may import each other.
LAYERS = (
    {"clock", "sla", "access", "holiday_notice", "workflow"},  # rules and time: import nothing
    {"models", "domain"},                                   # the registers (models re-exports domain/)
    {"audit", "privacy", "reports", "crm", "forms", "i18n", "database", "migrations_sql"},  # services on models
    {"flows"},                                              # every create, save and effect
    {"history", "importer", "kpi", "jobs", "demo"},         # what jobs and pages are made of
    {"views"},                                              # the admin console
    {"app", "wsgi"},                                        # the application
)

# (importer, imported): why it is still upward. Each is an import inside a function.
KNOWN_UPWARD = {}


def layer_of(module):
    top = module.split(".")[0]
    for number, layer in enumerate(LAYERS):
        if top in layer:
            return number
    return None


def console_modules():
    for folder in ("", "domain", "views", "jobs", "flows"):
        for name in sorted(os.listdir(os.path.join(ROOT, folder))):
            if name.endswith(".py") and name != "gunicorn.conf.py":
                module = ".".join(p for p in (folder, name[:-3]) if p).replace(".__init__", "")
                yield module or folder, os.path.join(ROOT, folder, name)


def import_statements(source):
    """[(import statement, [modules it names], inside a function?)] of a module's source."""
    found = []

    def visit(node, inside):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.append((child, [alias.name for alias in child.names], inside))
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.append((child, [child.module], inside))
            visit(child, inside or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))
    visit(ast.parse(source), False)
    return found


def imports_of(path):
    """[(imported module, inside a function?)] of the console's own modules."""
    with open(path, encoding="utf-8") as fh:
        statements = import_statements(fh.read())
    return [(name, inside) for _, names, inside in statements for name in names
            if layer_of(name) is not None]


def unexplained_imports_in_functions(path):
    """["line: statement"] of the imports of the console's own modules inside a function with
    no comment on their line or the line above."""
    with open(path, encoding="utf-8") as fh:
        source = fh.read()
    lines = source.split("\n")
    unexplained = []
    for statement, names, inside in import_statements(source):
        if not inside or all(layer_of(name) is None for name in names):
            continue
        line, above = lines[statement.lineno - 1], lines[statement.lineno - 2].strip()
        if "#" not in line and not above.startswith("#"):
            unexplained.append("%d: %s" % (statement.lineno, line.strip()))
    return unexplained


def registers(module):
    """A module's name in KNOWN_UPWARD: domain/ is the registers' home that models re-exports."""
    top = module.split(".")[0]
    return "models" if top == "domain" else top


def test_every_console_module_has_a_layer():
    assert [m for m, _ in console_modules() if layer_of(m) is None] == []


def test_no_module_imports_a_layer_above_its_own():
    upward, stale = [], set(KNOWN_UPWARD)
    for module, path in console_modules():
        for imported, inside in imports_of(path):
            if layer_of(imported) <= layer_of(module):
                continue
            key = (registers(module), registers(imported))
            if key in KNOWN_UPWARD and inside:
                stale.discard(key)
                continue
            upward.append((module, imported, "in a function" if inside else "at the top"))
    assert upward == [], "upward imports: %s" % upward
    assert stale == set(), "paid-off debts still listed in KNOWN_UPWARD: %s" % sorted(stale)


def test_an_import_inside_a_function_says_why():
    """An import of the console's own modules belongs at the top of the module; inside a
    function only where a comment on its line or the line above says why (a cycle, a later
    business area)."""
    unexplained = ["%s:%s" % (module, found) for module, path in console_modules()
                   for found in unexplained_imports_in_functions(path)]
    assert unexplained == [], "imports inside a function without a reason: %s" % unexplained


@pytest.mark.slow
@pytest.mark.parametrize("module", ["access", "sla", "models", "domain.complaints", "privacy",
                                    "audit", "database",
                                    "flows", "jobs", "views"])
def test_a_layer_imports_on_its_own(module):
    """Each module imports in a fresh interpreter without the app (no hidden order)."""
    result = subprocess.run([sys.executable, "-c", "import %s" % module], cwd=ROOT,
                            capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, KEFU_SECRET_KEY="layers"))
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_registers_audit_their_changes_through_the_writer_audit_installs():
    """models import nothing above them: audit.py installs the writer of their audit rows, and
    without it a state change refuses to go unaudited."""
    code = ("import models\n"
            "try:\n    models.journal('hold', None)\nexcept RuntimeError as e:\n    print('refused', e)\n"
            "import audit\n"
            "assert models.JOURNAL['audit'] is audit.audit and models.JOURNAL['snapshot'] is audit.snapshot\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env=dict(os.environ, KEFU_SECRET_KEY="layers"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("refused audit.py is not imported")
