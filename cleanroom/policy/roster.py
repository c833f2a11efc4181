"""The key roster of ``pin_keys: on_registration``: fixed by the server, signed by every party.

When the effective policy says ``pin_keys: on_registration`` and every party_admin has
registered both keys, :func:`fix_roster_if_due` records their fingerprints as a new
roster version (``protocols.RosterEntry`` list, ``protocols.roster_digest``). The server
is not trusted to have done that honestly: each party's agent checks the roster against
the keys it knows and signs ``protocols.roster_message`` (:func:`sign_roster`); agents
wrap to, and accept match keys from, only a roster every listed party signed.

Server-side, a roster makes the rostered keys binding (:func:`rostered_entry`,
:func:`check_wrap_recipient`): a rostered key is replaced only when the effective policy
pins the new fingerprints, and a match key is held only for rostered keys. The callers
(``server/routes``) audit each event (``keys.roster.fixed``, ``keys.roster.signed``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

import policies
from cleanroom.errors import KeyNotInRoster
from cleanroom.policy.document import parse_policy
from cleanroom.policy.signatures import verify_member_signature
from cleanroom.policy.store import effective_policy, party_admins
from cleanroom.storage.models import KeyRoster, Member, PolicyVersion, RosterSignature
from protocols import (
    RosterEntry,
    decode_ed25519_public_key,
    decode_x25519_public_key,
    public_key_fingerprint,
    roster_digest,
    roster_message,
)


def pinning_version(session: Session, collaboration_id: str) -> PolicyVersion | None:
    """The effective policy version when it says ``pin_keys: on_registration``."""
    version = effective_policy(session, collaboration_id)
    if version is None:
        return None
    if parse_policy(version.text).pin_keys is not policies.KeyPinning.ON_REGISTRATION:
        return None
    return version


def entry_of(member: Member) -> RosterEntry | None:
    """The roster entry of ``member``'s registered keys (``None`` without both keys)."""
    if not member.x25519_public or not member.ed25519_public:
        return None
    x25519 = public_key_fingerprint(decode_x25519_public_key(member.x25519_public))
    ed25519 = public_key_fingerprint(decode_ed25519_public_key(member.ed25519_public))
    return RosterEntry(member.party, member.id, x25519, ed25519)


def registered_entries(session: Session, collaboration_id: str) -> list[RosterEntry] | None:
    """Every party_admin's entry, or ``None`` while one of them has not registered."""
    admins = party_admins(session, collaboration_id)
    entries = [entry_of(member) for member in admins]
    if not admins or any(e is None for e in entries):
        return None
    return sorted(e for e in entries if e is not None)


def latest_roster(session: Session, collaboration_id: str) -> KeyRoster | None:
    query = select(KeyRoster).where(KeyRoster.collaboration_id == collaboration_id)
    return session.scalar(query.order_by(KeyRoster.version.desc()).limit(1))


def roster_entries(roster: KeyRoster) -> list[RosterEntry]:
    return sorted(RosterEntry(**entry) for entry in roster.entries)


def fix_roster_if_due(session: Session, collaboration_id: str) -> KeyRoster | None:
    """Record a new roster version when the policy pins on registration, every party_admin
    has registered and the registered keys differ from the newest roster; returns it."""
    version = pinning_version(session, collaboration_id)
    entries = registered_entries(session, collaboration_id)
    if version is None or entries is None:
        return None
    latest = latest_roster(session, collaboration_id)
    if latest is not None and roster_entries(latest) == entries:
        return None
    number = (latest.version if latest else 0) + 1
    roster = KeyRoster(
        collaboration_id=collaboration_id,
        version=number,
        entries=[vars(e) for e in entries],
        digest=roster_digest(collaboration_id, number, entries),
        policy_hash=version.policy_hash,
    )
    session.add(roster)
    session.flush()
    return roster


def rostered_entry(roster: KeyRoster, member_id: str) -> RosterEntry | None:
    return next((e for e in roster_entries(roster) if e.member_id == member_id), None)


def check_wrap_recipient(session: Session, collaboration_id: str, member: Member) -> None:
    """Under a roster, a match key is held only for a rostered member's rostered X25519 key."""
    roster = latest_roster(session, collaboration_id)
    if roster is None:
        return
    entry, now = rostered_entry(roster, member.id), entry_of(member)
    if entry is None or now is None or now.x25519_fingerprint != entry.x25519_fingerprint:
        raise KeyNotInRoster(
            f"a recipient's key is not in key roster v{roster.version}; the match key is "
            "wrapped only to rostered keys"
        )


def check_rostered_creator(session: Session, collaboration_id: str, member: Member) -> None:
    """Under a roster, only a rostered party_admin with its rostered keys posts a match key."""
    roster = latest_roster(session, collaboration_id)
    if roster is None:
        return
    entry, now = rostered_entry(roster, member.id), entry_of(member)
    if entry is None or now != entry:
        raise KeyNotInRoster(
            f"this member's keys are not in key roster v{roster.version}; only a rostered "
            "party_admin posts the match key"
        )


def signatures_of(session: Session, roster: KeyRoster) -> list[RosterSignature]:
    query = select(RosterSignature).where(RosterSignature.roster_id == roster.id)
    return list(session.scalars(query.order_by(RosterSignature.created_at)))


def sign_roster(
    session: Session, roster: KeyRoster, member: Member, signature: str
) -> RosterSignature:
    """Verify and record ``member``'s signature of ``roster`` (its own rostered Ed25519
    key must be the one registered now)."""
    entry, now = rostered_entry(roster, member.id), entry_of(member)
    if entry is None or now is None or now != entry:
        raise KeyNotInRoster(f"this member's keys are not in key roster v{roster.version}")
    message = roster_message(roster.collaboration_id, roster.version, roster.digest)
    verify_member_signature(member, message, signature, "a key roster")
    existing = session.scalar(
        select(RosterSignature).where(
            RosterSignature.roster_id == roster.id, RosterSignature.member_id == member.id
        )
    )
    if existing is not None:
        return existing
    signed = RosterSignature(
        collaboration_id=roster.collaboration_id,
        roster_id=roster.id,
        member_id=member.id,
        signature=signature,
    )
    session.add(signed)
    session.flush()
    return signed


def unsigned_parties(session: Session, roster: KeyRoster) -> list[str]:
    signed = {s.member_id for s in signatures_of(session, roster)}
    return [e.party for e in roster_entries(roster) if e.member_id not in signed]
