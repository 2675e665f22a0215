"""The domain is pure Python: it imports nothing else of hoststand, and no Qt, HTTP or SQL."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import hoststand.domain

DOMAIN = Path(hoststand.domain.__file__).parent
ALLOWED_THIRD_PARTY = {"phonenumbers", "rapidfuzz"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_domain_modules_import_only_the_standard_library_the_domain_and_two_pure_libraries():
    offenders = {}
    for path in sorted(DOMAIN.glob("*.py")):
        for name in imported_roots(path):
            root = name.split(".")[0]
            if name.startswith("hoststand.domain") or root in sys.stdlib_module_names or root in ALLOWED_THIRD_PARTY:
                continue
            offenders.setdefault(path.name, []).append(name)
    assert offenders == {}


def test_every_domain_module_says_its_role():
    missing = [p.name for p in DOMAIN.glob("*.py") if not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))]
    assert missing == []
