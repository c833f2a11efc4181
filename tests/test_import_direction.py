"""The import direction of ``docs/architecture.md``, checked on the source of every module.

Between packages: party_agent -> reports, protocols, policies;  cleanroom -> reports,
protocols, policies;  reports -> policies, protocols (pure presentation and post-processing
of released results, shared by the agent's reports and the server's console and demo);
policies -> protocols;  protocols -> nothing of ours.

Inside ``cleanroom``: cli -> console -> server -> query -> release -> engine; server ->
uploads, blinding; query, uploads, blinding -> audit -> policy -> storage;
every layer may use ``settings`` and ``errors``; nothing imports ``demo`` or ``cli``
except their entry points (``cleanroom/cli/main.py`` registers the demo command,
``__main__`` runs the CLI).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"protocols", "policies", "reports", "party_agent", "cleanroom"}
ALLOWED = {
    "protocols": set(),
    "policies": {"protocols"},
    "reports": {"protocols", "policies"},
    "party_agent": {"protocols", "policies", "reports"},
    "cleanroom": {"protocols", "policies", "reports"},
}
BASE = {"settings", "errors"}
INSIDE = {
    "settings": set(),
    "errors": set(),
    "storage": set(),
    "policy": {"storage"},
    "audit": {"policy", "storage"},
    "uploads": {"audit", "storage"},
    "blinding": {"audit", "storage"},
    "engine": set(),
    "release": {"engine"},
    "query": {"release", "engine", "audit", "policy", "storage"},
    "server": {"query", "release", "uploads", "blinding", "audit", "policy", "storage"},
    "cli": {"console", "server", "query", "uploads", "audit", "policy", "storage"},
    "console": {"server", "query", "release", "uploads", "audit", "policy", "storage"},
    "demo": set(),
    "__main__": set(),
}
#: The only modules that may import ``demo`` or ``cli``.
ENTRY_POINTS = {"cleanroom/cli/main.py": "demo", "cleanroom/__main__.py": "cli"}


def imported_modules(path: Path) -> set[str]:
    """Every module of ours ``path`` imports, anywhere in it (lazy imports too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in OURS}


def imported_packages(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path)}


def cleanroom_layers(path: Path) -> set[str]:
    """The layers of ``cleanroom`` (its subpackages and top modules) that ``path`` uses."""
    layers = set()
    for name in imported_modules(path):
        parts = name.split(".")
        if parts[0] == "cleanroom" and len(parts) > 1 and parts[1] in INSIDE:
            layers.add(parts[1])
    return layers


def layer_of(path: Path) -> str:
    return path.relative_to(ROOT / "cleanroom").with_suffix("").parts[0]


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_design_allows(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package} has no modules"
    for path in files:
        foreign = imported_packages(path) - ALLOWED[package] - {package}
        assert not foreign, f"{path.relative_to(ROOT)} imports {sorted(foreign)}"


def test_cleanroom_layers_import_downwards_only() -> None:
    """No layer lists ``cli`` or ``demo``: only the two entry points may import them."""
    files = sorted((ROOT / "cleanroom").rglob("*.py"))
    assert {layer_of(path) for path in files} - {"__init__"} <= set(INSIDE)
    for path in files:
        layer, name = layer_of(path), str(path.relative_to(ROOT))
        if layer == "__init__":
            continue
        allowed = INSIDE[layer] | BASE | {layer} | {ENTRY_POINTS.get(name, layer)}
        foreign = cleanroom_layers(path) - allowed
        assert not foreign, f"{name} ({layer}) imports {sorted(foreign)}"


PACKAGES = sorted(
    str(init.parent.relative_to(ROOT)).replace("/", ".")
    for package in ALLOWED
    for init in (ROOT / package).rglob("__init__.py")
    if init.parent.parent == ROOT or init.parent.parent.parent == ROOT
)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_says_what_it_offers(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__doc__ and module.__doc__.strip(), f"{package} has no docstring"
    if (
        package.count(".") == 1
        and package.startswith("cleanroom.")
        and package
        not in (
            "cleanroom.cli",
            "cleanroom.demo",
        )
    ):
        exported = getattr(module, "__all__", None)
        assert exported, f"{package} has no __all__"
        missing = [name for name in exported if not hasattr(module, name)]
        assert not missing, f"{package}.__all__ names what it lacks: {missing}"


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("import cleanroom.server.app\nfrom protocols import IdType\n")
    assert imported_packages(module) == {"cleanroom", "protocols"}
    lazy = tmp_path / "lazy.py"
    lazy.write_text("def f():\n    from cleanroom import demo\n")
    assert cleanroom_layers(lazy) == {"demo"}
