"""Loading policies and party rules from YAML files, and the named presets.

This is the only module of :mod:`policies` that touches the file system.
"""

from __future__ import annotations

from pathlib import Path

from policies.errors import InvalidPolicy
from policies.model import Policy
from policies.parse import parse_party_rules, parse_policy
from policies.rules import PartyRules
from policies.yamlio import read_yaml, read_yaml_file

PRESETS = ("standard", "strict")
_PRESET_DIR = Path(__file__).resolve().parent / "presets"


def _labelled(error: InvalidPolicy, source: str) -> InvalidPolicy:
    return InvalidPolicy(error.problems, f"{error.subject} in {source}")


def policy_from_yaml(text: str) -> Policy:
    """Parse a policy from YAML text (as a server receives it)."""
    return parse_policy(read_yaml(text))


def party_rules_from_yaml(text: str) -> PartyRules:
    """Parse one party's rules from YAML text."""
    return parse_party_rules(read_yaml(text))


def load_policy(path: Path | str) -> Policy:
    """Read and validate a policy file; problems name the file."""
    path = Path(path)
    data = read_yaml_file(path)
    try:
        return parse_policy(data)
    except InvalidPolicy as error:
        raise _labelled(error, str(path)) from None


def load_party_rules(path: Path | str) -> PartyRules:
    """Read and validate a party-rules file; problems name the file."""
    path = Path(path)
    data = read_yaml_file(path)
    try:
        return parse_party_rules(data)
    except InvalidPolicy as error:
        raise _labelled(error, str(path)) from None


def preset_yaml(name: str) -> str:
    """The YAML text of a named preset (``standard`` or ``strict``)."""
    if name not in PRESETS:
        raise InvalidPolicy([f"`{name}` is not a preset; choose from {', '.join(PRESETS)}"])
    return (_PRESET_DIR / f"{name}.yaml").read_text(encoding="utf-8")


def preset(name: str) -> Policy:
    """The named preset as a :class:`Policy`."""
    return policy_from_yaml(preset_yaml(name))
