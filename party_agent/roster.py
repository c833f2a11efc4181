"""The key roster of ``pin_keys: on_registration``, checked by the agent, never taken on
the server's word.

The server fixes the roster (every party_admin's member id, party and fingerprints) and
relays the parties' signatures of ``protocols.roster_message``. The agent:

- recomputes the roster's digest from its entries (:func:`verified_roster`), and checks
  each entry against the raw public keys the server lists for that member (fingerprints
  computed here);
- before signing (``party-agent keys roster``): its own entry must be its own keys
  exactly, and every other key must be one this home trusts (``known_keys.json``,
  ``--accept-fingerprint``) - the same rule as wrapping;
- before wrapping or accepting a match key: every rostered party's signature must verify
  with the Ed25519 key the roster lists for it (:meth:`Roster.require_signed`), and the
  key must be in the roster (:meth:`Roster.require_x25519`, :meth:`Roster.require_ed25519`).

An operator who edits the roster in the database, or adds a member of its own after the
roster was fixed, cannot produce the other parties' signatures, so every agent refuses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature

from party_agent.client import Json
from party_agent.errors import ConfigError
from party_agent.home import PartyHome, write_private
from party_agent.known_keys import same_fingerprint
from party_agent.trust import UntrustedReply
from protocols import (
    RosterEntry,
    b64url_decode,
    decode_ed25519_public_key,
    decode_x25519_public_key,
    public_key_fingerprint,
    roster_digest,
    roster_message,
)


@dataclass(frozen=True)
class Roster:
    collaboration: str
    version: int
    digest: str
    entries: tuple[RosterEntry, ...]
    members: dict[str, Json]
    signatures: dict[str, str]

    @property
    def message(self) -> bytes:
        return roster_message(self.collaboration, self.version, self.digest)

    def entry(self, member_id: str) -> RosterEntry | None:
        return next((e for e in self.entries if e.member_id == member_id), None)

    def unsigned(self) -> list[str]:
        """Rostered parties without a signature that verifies with their rostered key."""
        return [e.party for e in self.entries if not self._signed_by(e)]

    def _signed_by(self, entry: RosterEntry) -> bool:
        signature = self.signatures.get(entry.member_id)
        if signature is None:
            return False
        public = decode_ed25519_public_key(self.members[entry.member_id]["ed25519_public"])
        try:
            public.verify(b64url_decode(signature), self.message)
        except (ValueError, InvalidSignature):
            return False
        return True

    def require_signed(self, outcome: str) -> None:
        missing = self.unsigned()
        if missing:
            raise UntrustedReply(
                f"key roster v{self.version} is not signed by every party it lists "
                f"(missing or invalid: {', '.join(missing)}); each party runs "
                f"'party-agent keys roster' first; {outcome}"
            )

    def require_x25519(self, member: Json, fingerprint: str, outcome: str) -> None:
        entry = self.entry(str(member["id"]))
        if entry is None or not same_fingerprint(entry.x25519_fingerprint, fingerprint):
            raise UntrustedReply(
                f"REFUSED: {member['party']}'s x25519 key {fingerprint} is not in the signed "
                f"key roster v{self.version}; {outcome}"
            )

    def require_ed25519(self, member: Json, fingerprint: str, outcome: str) -> None:
        entry = self.entry(str(member["id"]))
        if entry is None or not same_fingerprint(entry.ed25519_fingerprint, fingerprint):
            raise UntrustedReply(
                f"REFUSED: {member['party']}'s ed25519 key {fingerprint} is not in the signed "
                f"key roster v{self.version}; {outcome}"
            )


ROSTERS_FILE = "rosters.json"
"""``{collaboration: newest roster version this home signed}``, mode 0600: once a home
signed a roster, it requires a signed roster for that collaboration from then on, even if
the server later shows no roster or no pinning policy (what an operator who deletes the
roster or suspends the policy would do)."""


def signed_version(home: PartyHome, collaboration: str) -> int | None:
    path = home.path / ROSTERS_FILE
    if not path.exists():
        return None
    try:
        found = json.loads(path.read_text(encoding="utf-8")).get(collaboration)
    except (OSError, ValueError, AttributeError):
        raise ConfigError(f"{path} is not a rosters file") from None
    return None if found is None else int(found)


def record_signed(home: PartyHome, collaboration: str, version: int) -> None:
    path = home.path / ROSTERS_FILE
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data[collaboration] = max(version, int(data.get(collaboration, 0)))
    write_private(path, json.dumps(data, indent=2, sort_keys=True).encode())


def _member_entry(member: Json) -> RosterEntry:
    try:
        x25519 = public_key_fingerprint(decode_x25519_public_key(member["x25519_public"]))
        ed25519 = public_key_fingerprint(decode_ed25519_public_key(member["ed25519_public"]))
    except Exception:
        raise UntrustedReply(f"member {member['party']!r} has malformed keys") from None
    return RosterEntry(str(member["party"]), str(member["id"]), x25519, ed25519)


def verified_roster(reply: Json, members: list[Json], collaboration: str) -> Roster:
    """The server's roster after checking its digest and each entry against the raw keys
    the server lists for that member (signatures are checked by :meth:`Roster.unsigned`)."""
    entries = tuple(sorted(RosterEntry(**entry) for entry in reply["entries"]))
    version = int(reply["version"])
    if roster_digest(collaboration, version, entries) != reply["digest"]:
        raise UntrustedReply("the key roster does not hash to the digest the server names")
    by_id = {str(m["id"]): m for m in members}
    for entry in entries:
        member = by_id.get(entry.member_id)
        if member is None or _member_entry(member) != entry:
            raise UntrustedReply(
                f"the key roster's entry for {entry.party} does not match the keys the server "
                "lists for that member; not trusting it"
            )
    signatures = {str(s["member_id"]): str(s["signature"]) for s in reply["signatures"]}
    return Roster(collaboration, version, str(reply["digest"]), entries, by_id, signatures)
