"""How the tests are laid out: shared helpers live in tests/support, and no test module imports another."""

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def is_test_module(name: str) -> bool:
    return name.split(".")[-1].startswith(("test_", "conftest"))


def test_no_test_module_or_conftest_is_imported_by_another_file():
    offending = {str(path.relative_to(TESTS)): sorted(filter(is_test_module, imported_modules(path))) for path in TESTS.rglob("*.py")}
    assert {path: names for path, names in offending.items() if names} == {}, "move what they share into tests/support"


def test_conftest_and_support_do_not_import_playwright_when_loaded():
    for path in [TESTS / "conftest.py", *(TESTS / "support").glob("*.py")]:
        top_level = [node for node in ast.parse(path.read_text(encoding="utf-8")).body if isinstance(node, ast.Import | ast.ImportFrom)]
        names = {alias.name for node in top_level if isinstance(node, ast.Import) for alias in node.names}
        names |= {node.module or "" for node in top_level if isinstance(node, ast.ImportFrom)}
        assert not {name for name in names if name.startswith("playwright")}, path
