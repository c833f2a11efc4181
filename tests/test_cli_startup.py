"""``party-agent --help`` and ``cleanroom --help`` load no heavy module.

Each program's ``--help`` runs in a fresh interpreter, which then lists the heavy modules
it imported. Heavy modules load only inside the command that needs them (issue 17: a
second of imports per invocation, pandas pulled in by a module-level ``pa.scalar``).
The time itself is measured by ``benchmarks/bench_startup.py``, never asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "cryptography",
    "duckdb",
    "fastapi",
    "httpx",
    "numpy",
    "opendp",
    "pandas",
    "phonenumbers",
    "pyarrow",
    "pyspark",
    "rbcl",
    "nacl",
    "sqlalchemy",
    "uvicorn",
)
#: Not loaded by any ``--help`` either: the policy model (pydantic models, YAML) loads
#: only in the commands that read a policy (``power``, ``policy check``: 0.1-0.15 CPU-s).
POLICY_MODEL = (*HEAVY, "policies", "yaml")
PROBE = """
import json, sys
from {module} import {entry}
sys.argv = ["prog", *{args!r}]
try:
    {entry}()
except SystemExit:
    pass
loaded = sorted({{name.split(".")[0] for name in sys.modules}} & set({heavy!r}))
print("\\nLOADED=" + json.dumps(loaded))
"""


def loaded_by(
    module: str, entry: str, args: list[str], heavy: tuple[str, ...] = HEAVY
) -> list[str]:
    """The heavy modules a fresh interpreter holds after ``module.entry()`` with ``args``."""
    code = PROBE.format(module=module, entry=entry, args=args, heavy=heavy)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    line = done.stdout.rsplit("LOADED=", 1)[1]
    loaded: list[str] = json.loads(line)
    return loaded


@pytest.mark.parametrize(
    ("module", "args"),
    [
        ("party_agent.cli", ["--help"]),
        ("party_agent.cli", ["tokenize", "--help"]),
        ("party_agent.cli", ["upload", "--help"]),
        ("party_agent.cli", ["query", "conversions", "--help"]),
        ("party_agent.cli", ["plan-budget", "--help"]),
        ("party_agent.cli", ["report", "--help"]),
        ("party_agent.cli", ["power", "--help"]),
        ("cleanroom.cli.main", ["--help"]),
        ("cleanroom.cli.main", ["audit", "verify", "--help"]),
        ("cleanroom.cli.main", ["serve", "--help"]),
        ("cleanroom.cli.main", ["policy", "--help"]),
        ("cleanroom.cli.main", ["policy", "preset", "--help"]),
    ],
)
def test_help_loads_no_heavy_module(module: str, args: list[str]) -> None:
    assert loaded_by(module, "main", args, POLICY_MODEL) == []


def test_policy_preset_help_names_the_presets_the_policy_model_has() -> None:
    from cleanroom.cli.policy import PRESET_NAMES
    from policies import PRESETS

    assert tuple(PRESET_NAMES) == tuple(PRESETS)


def test_the_probe_sees_heavy_modules_when_a_command_needs_them() -> None:
    """The probe itself works: ``version`` needs the token module, hence pyarrow."""
    assert "pyarrow" in loaded_by("party_agent.cli", "main", ["version"])
