"""Protocol v2 blinding scalars: one per collaboration and token family, in the home.

    HOME/blinding/<collaboration>/<family>.scalar    64 hex digits, mode 0600

A scalar is created the first time the party tokenizes (or blinds) for a collaboration
and family, and never leaves this directory: the agent multiplies by it, nothing else
reads it. Both steps of one family must use the same scalar (the doubly blinded values
of the two parties only meet if each side used its one scalar on both), so a scalar is
never replaced silently; rotating it means removing the file and redoing every step of
the collaboration (``docs/reference/protocol.md``, key rotation).
"""

from __future__ import annotations

from pathlib import Path

from party_agent.errors import ConfigError
from party_agent.home import PartyHome, check_collaboration_id, write_private
from protocols import FAMILIES, BlindingScalar, InvalidKey

SCALAR_DIR = "blinding"


def scalar_path(home: PartyHome, collaboration_id: str, family: str) -> Path:
    if family not in FAMILIES:
        raise ConfigError(f"unknown token family {family!r}")
    folder = home.path / SCALAR_DIR / check_collaboration_id(collaboration_id)
    return folder / f"{family}.scalar"


def load_scalar(home: PartyHome, collaboration_id: str, family: str) -> BlindingScalar:
    """This party's scalar for the family, created (mode 0600) if it has none yet."""
    path = scalar_path(home, collaboration_id, family)
    if not path.exists():
        write_private(path, BlindingScalar.generate().hex().encode() + b"\n")
    try:
        return BlindingScalar.from_hex(path.read_text(encoding="ascii"))
    except (InvalidKey, UnicodeDecodeError):
        raise ConfigError(f"{path} does not hold a blinding scalar (64 hex digits)") from None


def load_scalars(
    home: PartyHome, collaboration_id: str, families: tuple[str, ...] | list[str]
) -> dict[str, BlindingScalar]:
    return {family: load_scalar(home, collaboration_id, family) for family in families}
