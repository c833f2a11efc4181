"""Messages that agent and server agree on byte for byte (each names its version).

- Signed by a party_admin's Ed25519 key:
  - policy approval: ``b"cleanroom policy approval v1|" + collaboration_id + b"|" + hash``
  - match key: ``b"cleanroom match-key v1|" + collaboration_id + b"|" + key fingerprint``
- Signed by a member's *previous* Ed25519 key, to replace its registered keys:
  ``b"cleanroom key rotation v1|" + collaboration_id + b"|" + member_id + b"|"
  + x25519_public + b"|" + ed25519_public`` (the new keys' base64url text)
- Signed by every rostered party_admin's Ed25519 key, to approve the key roster of
  ``pin_keys: on_registration``: ``b"cleanroom key roster v1|" + collaboration_id +
  b"|" + version + b"|" + roster digest``, where the digest is the SHA-256 hex of
  ``roster_bytes``: ``b"cleanroom key roster v1\n" + collaboration_id + "\n" + version``
  then one line ``member_id|party|x25519 fingerprint|ed25519 fingerprint`` per entry,
  sorted by party then member id.
- Problem types of the HTTP API: ``"urn:cleanroom:problem:" + slug`` (RFC 9457).
- File hashing: SHA-256 hex of the whole file, read in 4 MiB blocks.

Specified in ``docs/reference/protocol.md``; both sides import them from here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

APPROVAL_PREFIX = b"cleanroom policy approval v1|"
MATCH_KEY_PREFIX = b"cleanroom match-key v1|"
KEY_ROTATION_PREFIX = b"cleanroom key rotation v1|"
ROSTER_PREFIX = b"cleanroom key roster v1|"
PROBLEM_PREFIX = "urn:cleanroom:problem:"
HASH_BLOCK = 4 * 1024 * 1024


def approval_message(collaboration_id: str, policy_hash_hex: str) -> bytes:
    """What a party_admin signs to approve a policy version."""
    return APPROVAL_PREFIX + f"{collaboration_id}|{policy_hash_hex}".encode()


def match_key_message(collaboration_id: str, fingerprint: str) -> bytes:
    """What the creator of a match key signs, binding its fingerprint to the collaboration."""
    return MATCH_KEY_PREFIX + f"{collaboration_id}|{fingerprint}".encode()


def key_rotation_message(
    collaboration_id: str, member_id: str, x25519_public: str, ed25519_public: str
) -> bytes:
    """What a member signs with its previous Ed25519 key to replace its registered keys."""
    fields = (collaboration_id, member_id, x25519_public, ed25519_public)
    return KEY_ROTATION_PREFIX + "|".join(fields).encode()


@dataclass(frozen=True, order=True)
class RosterEntry:
    """One party_admin of a key roster: whose keys, and their fingerprints."""

    party: str
    member_id: str
    x25519_fingerprint: str
    ed25519_fingerprint: str

    def line(self) -> str:
        fields = (self.member_id, self.party, self.x25519_fingerprint, self.ed25519_fingerprint)
        if any("|" in f or "\n" in f for f in fields):
            raise ValueError("a roster field may not contain '|' or a newline")
        return "|".join(fields)


def roster_bytes(collaboration_id: str, version: int, entries: Iterable[RosterEntry]) -> bytes:
    """The canonical bytes of a key roster (entries sorted by party, then member id)."""
    lines = [f"cleanroom key roster v1\n{collaboration_id}\n{version}"]
    lines += [entry.line() for entry in sorted(entries)]
    return "\n".join(lines).encode()


def roster_digest(collaboration_id: str, version: int, entries: Iterable[RosterEntry]) -> str:
    """SHA-256 hex of :func:`roster_bytes`."""
    return hashlib.sha256(roster_bytes(collaboration_id, version, entries)).hexdigest()


def roster_message(collaboration_id: str, version: int, digest: str) -> bytes:
    """What each rostered party_admin signs to approve roster ``version``."""
    return ROSTER_PREFIX + f"{collaboration_id}|{version}|{digest}".encode()


def file_sha256(path: Path) -> str:
    """SHA-256 hex of a whole file (the upload checksum both sides compute)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()
