"""The layering rules of DESIGN.md §2 hold: import-linter contracts (pyproject.toml) plus a direct check
that PySide6 is imported only in hoststand/ui/ and hoststand/app.py."""

from __future__ import annotations

import ast
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "hoststand"


def test_import_linter_contracts_are_kept(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_qt_is_imported_only_by_the_ui_and_the_composition_root():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        allowed = rel.parts[0] == "ui" or rel.as_posix() in ("app.py", "demo.py")
        if not allowed and {"PySide6", "qasync", "shiboken6"} & _imports(path):
            offenders.append(rel.as_posix())
    assert offenders == [], f"Qt imported outside ui/ and app.py: {offenders}"


def test_the_layering_check_would_catch_a_violation(tmp_path, monkeypatch):
    """The contracts are not vacuous: a domain module importing httpx is reported."""
    bad = PACKAGE / "domain" / "_layering_probe.py"
    bad.write_text('"""probe"""\nimport httpx  # noqa\n', encoding="utf-8")
    try:
        monkeypatch.chdir(ROOT)
        assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) != 0
    finally:
        bad.unlink()
