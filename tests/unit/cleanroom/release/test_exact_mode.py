"""Exact (no-noise) mode exists for tests only and nothing a server reads can reach it."""

from __future__ import annotations

import ast
import dataclasses
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

from cleanroom.release import ReleasePolicy, release
from cleanroom.release._testing import exact_mode
from cleanroom.release.noise import exact_mode_active, release_vector

ROOT = Path(__file__).resolve().parents[4]


def test_exact_mode_returns_true_values_and_restores() -> None:
    with exact_mode():
        assert release_vector("x", [3, 4], 1, Fraction(1, 100)).values == (3, 4)
    assert not exact_mode_active()


def test_exact_mode_refuses_outside_pytest() -> None:
    code = "from cleanroom.release._testing import exact_mode\nwith exact_mode():\n    pass\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode != 0
    assert "exact mode is for the test suite only" in done.stderr


def test_no_server_module_imports_the_testing_module() -> None:
    for path in sorted((ROOT / "cleanroom").rglob("*.py")):
        if path.name == "_testing.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            assert not any(n.endswith("_testing") for n in names), path


def test_no_setting_or_request_field_mentions_exactness() -> None:
    from cleanroom.settings import Settings

    fields = set(Settings.model_fields) | {f.name for f in dataclasses.fields(ReleasePolicy)}
    assert not {f for f in fields if "exact" in f or "noise" in f}
    assert "exact" not in release.__code__.co_varnames[: release.__code__.co_argcount]


def test_environment_cannot_switch_it_on(tmp_path: Path) -> None:
    code = (
        "import os\nfrom cleanroom.release.noise import exact_mode_active\n"
        "print(exact_mode_active())\n"
    )
    env = {"CLEANROOM_EXACT": "1", "CLEANROOM_EXACT_MODE": "true", "PATH": "/usr/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == "False"
