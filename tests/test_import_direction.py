"""The import direction of DESIGN.md section 2, checked on the source of every module.

party_agent -> protocols, policies;  cleanroom -> protocols, policies;
policies -> protocols;  protocols -> nothing of ours.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"protocols", "policies", "party_agent", "cleanroom"}
ALLOWED = {
    "protocols": set(),
    "policies": {"protocols"},
    "party_agent": {"protocols", "policies"},
    "cleanroom": {"protocols", "policies"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_design_allows(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package} has no modules"
    for path in files:
        foreign = imported_packages(path) - ALLOWED[package] - {package}
        assert not foreign, f"{path.relative_to(ROOT)} imports {sorted(foreign)}"


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("import cleanroom.server.app\nfrom protocols import IdType\n")
    assert imported_packages(module) == {"cleanroom", "protocols"}
