"""Per-collaboration credentials of a party home: ``HOME/credentials.json``.

One home can belong to several collaborations (on one server or several). Each has its
own server URL and API token; ``party.json``'s ``collaboration`` names the default, the
one a command uses without ``--collaboration``::

    {"version": 2,
     "collaborations": {"col_...": {"server": "https://...", "token": "crt_...",
                                    "member_id": "mem_...", "party": "brand",
                                    "role": "party_admin"}}}

A home written before this format holds ``{"token": "crt_..."}`` for the collaboration
and server of ``party.json``; :func:`load` reads it as that one entry, and the home
rewrites the file in the new format on first use (:meth:`PartyHome.credentials`).
Writes go through a temp file and a rename (mode 0600), so a failed ``join`` or
``credentials set`` leaves the file as it was. Tokens are secrets: nothing here prints
or logs one, and :class:`Credential`'s ``repr`` hides it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from party_agent.errors import ConfigError

FORMAT_VERSION = 2


@dataclass(frozen=True)
class Credential:
    """How this home talks to one collaboration: server URL and API token."""

    server: str
    token: str = field(repr=False)
    member_id: str | None = None
    party: str | None = None
    role: str | None = None

    def to_json(self) -> dict[str, str]:
        entry = {"server": self.server, "token": self.token}
        for name in ("member_id", "party", "role"):
            value = getattr(self, name)
            if value is not None:
                entry[name] = value
        return entry

    @classmethod
    def from_json(cls, entry: object, where: str) -> Credential:
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} is not a credentials entry")
        server, token = entry.get("server"), entry.get("token")
        if not isinstance(server, str) or not isinstance(token, str):
            raise ConfigError(f"{where} needs a server and a token")
        optional = {n: entry.get(n) for n in ("member_id", "party", "role")}
        return cls(server, token, **{n: v for n, v in optional.items() if isinstance(v, str)})


@dataclass(frozen=True)
class Loaded:
    """What :func:`load` read: the entries, and whether the file was the old format."""

    entries: dict[str, Credential]
    legacy: bool


def load(path: Path, config: dict[str, Any]) -> Loaded:
    """The credentials in ``path`` (none if it does not exist); ``config`` is party.json,
    which names the collaboration and server of an old single-token file."""
    if not path.exists():
        return Loaded({}, legacy=False)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ConfigError(f"{path} is not a credentials file") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} is not a credentials file")
    if "collaborations" not in data:
        return Loaded(_legacy(data, config), legacy=True)
    entries = data["collaborations"]
    if not isinstance(entries, dict):
        raise ConfigError(f"{path} is not a credentials file")
    return Loaded(
        {str(k): Credential.from_json(v, f"{path} entry {k!r}") for k, v in entries.items()},
        legacy=False,
    )


def _legacy(data: dict[str, Any], config: dict[str, Any]) -> dict[str, Credential]:
    token, server = data.get("token"), config.get("server")
    collaboration = config.get("collaboration")
    if not all(isinstance(v, str) for v in (token, server, collaboration)):
        return {}
    return {str(collaboration): Credential(str(server), str(token))}


def dump(entries: dict[str, Credential]) -> bytes:
    """The file's bytes for ``entries``."""
    body = {
        "version": FORMAT_VERSION,
        "collaborations": {k: entries[k].to_json() for k in sorted(entries)},
    }
    return (json.dumps(body, indent=2, sort_keys=True) + "\n").encode()
