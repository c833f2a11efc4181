"""The other members' public keys this party has seen and accepted (explicit trust on first use).

    HOME/known_keys.json   {collaboration: {party: {"x25519": fp, "ed25519": fp}}}, mode 0600

The agent wraps the match key only to keys recorded here (or pinned in the effective
policy, or its own), and trusts a match key only from a creator whose signing key is
recorded here. A key enters the file only when the user passes its fingerprint with
``--accept-fingerprint`` (after comparing it with the other party out of band); a
member whose key differs from the recorded one is refused loudly, because that is what
an operator who registers its own keys for a member looks like.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from party_agent.errors import ConfigError
from party_agent.home import PartyHome, write_private

KNOWN_KEYS_FILE = "known_keys.json"


class Sight(StrEnum):
    """How a member's key relates to what this home has accepted."""

    TRUSTED = "trusted"  # recorded, pinned in the effective policy, or this party's own
    ACCEPTED = "accepted"  # first sight (or a change) the user accepted on this run
    FIRST = "first"  # never seen, not accepted: refused
    CHANGED = "changed"  # differs from the recorded key, not accepted: refused


def same_fingerprint(a: str, b: str) -> bool:
    """Fingerprints compare without spaces and case (``3f2a 9c01 ...`` == ``3F2A9C01...``)."""
    return a.replace(" ", "").lower() == b.replace(" ", "").lower()


@dataclass(frozen=True)
class KeySighting:
    party: str
    kind: str
    fingerprint: str
    sight: Sight
    recorded: str | None = None

    def refusal(self) -> str:
        accept = f"--accept-fingerprint '{self.fingerprint}'"
        if self.sight is Sight.CHANGED:
            return (
                f"REFUSED: the server shows a CHANGED {self.kind} key for {self.party}: "
                f"{self.fingerprint} (this home accepted {self.recorded}). A replaced key can "
                f"be the server operator's own. Confirm the new fingerprint with {self.party} "
                f"out of band before passing {accept}"
            )
        return (
            f"first sight of {self.party}'s {self.kind} key {self.fingerprint}: compare it "
            f"with {self.party} out of band, then pass {accept}"
        )


class KnownKeys:
    """The known-keys file of one party home and one collaboration."""

    def __init__(self, home: PartyHome, collaboration: str) -> None:
        self.path: Path = home.path / KNOWN_KEYS_FILE
        self.collaboration = collaboration
        self._all = self._load()

    def _load(self) -> dict[str, dict[str, dict[str, str]]]:
        if not self.path.exists():
            return {}
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ConfigError(f"{self.path} is not a known-keys file") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"{self.path} is not a known-keys file")
        return loaded

    def recorded(self, party: str, kind: str) -> str | None:
        return self._all.get(self.collaboration, {}).get(party, {}).get(kind)

    def see(self, party: str, kind: str, fingerprint: str, accepted: list[str]) -> KeySighting:
        """Classify one key; an accepted one is recorded (call :meth:`save` to keep it)."""
        recorded = self.recorded(party, kind)
        if recorded is not None and same_fingerprint(recorded, fingerprint):
            return KeySighting(party, kind, fingerprint, Sight.TRUSTED)
        if any(same_fingerprint(fingerprint, fp) for fp in accepted):
            parties = self._all.setdefault(self.collaboration, {})
            parties.setdefault(party, {})[kind] = fingerprint
            return KeySighting(party, kind, fingerprint, Sight.ACCEPTED, recorded)
        sight = Sight.FIRST if recorded is None else Sight.CHANGED
        return KeySighting(party, kind, fingerprint, sight, recorded)

    def save(self) -> None:
        data = json.dumps(self._all, indent=2, sort_keys=True) + "\n"
        write_private(self.path, data.encode())
