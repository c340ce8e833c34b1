"""The test suite's own layout: test modules share helpers through conftest, helpers and
factories, never by importing one another (a test module imported by another runs its
module-level code twice and ties the two files' changes together)."""
import ast
import configparser
import os

TESTS = os.path.dirname(os.path.abspath(__file__))


def test_no_test_module_imports_another_test_module():
    offenders = []
    for name in sorted(os.listdir(TESTS)):
        if not (name.startswith("test_") and name.endswith(".py")):
            continue
        with open(os.path.join(TESTS, name), encoding="utf-8") as source:
            tree = ast.parse(source.read(), name)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            offenders += [f"{name}:{node.lineno} imports {m}" for m in modules
                          if m.split(".")[0].startswith("test_")]
    assert offenders == [], "move the shared helper to tests/helpers.py or factories.py"


def test_the_markers_the_suite_uses_are_registered():
    config = configparser.ConfigParser()
    config.read(os.path.join(os.path.dirname(TESTS), "pytest.ini"), encoding="utf-8")
    registered = {line.split(":")[0].strip() for line in config["pytest"]["markers"].splitlines()
                  if line.strip()}
    assert {"browser", "postgres", "slow"} <= registered
    assert "--strict-markers" in config["pytest"]["addopts"]


def test_every_browser_test_module_is_marked_browser():
    """`-m "not browser"` must leave out every Chromium test (they need no marker by hand)."""
    unmarked = []
    for name in sorted(os.listdir(TESTS)):
        if name.startswith("test_browser") and name.endswith(".py"):
            with open(os.path.join(TESTS, name), encoding="utf-8") as source:
                if "pytestmark = [pytest.mark.browser, pytest.mark.slow]" not in source.read():
                    unmarked.append(name)
    assert unmarked == []
