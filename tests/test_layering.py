"""The layering rules of DESIGN.md §2 hold: import-linter contracts (pyproject.toml) plus a direct check
that PySide6 is imported only in hoststand/ui/ and hoststand/app.py."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "hoststand"


def lint_imports() -> subprocess.CompletedProcess:
    """import-linter in its own process (in-process it reconfigures logging for the tests that follow)."""
    return subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())",
         "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )


def test_import_linter_contracts_are_kept():
    result = lint_imports()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


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
        result = lint_imports()
        assert result.returncode != 0 and "_layering_probe" in result.stdout
    finally:
        bad.unlink()
