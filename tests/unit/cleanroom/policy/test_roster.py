"""The key roster on the server: fixed when due, versioned on change, signed per member."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from cleanroom.errors import InvalidSignature, KeyNotInRoster
from cleanroom.policy.roster import (
    check_wrap_recipient,
    fix_roster_if_due,
    latest_roster,
    roster_entries,
    sign_roster,
    unsigned_parties,
)
from cleanroom.storage.models import KeyRoster, Member
from protocols import b64url_encode, encode_public_key, roster_digest, roster_message
from tests.integration.query_world import policy_yaml
from tests.unit.cleanroom.room import Room

PINNING = policy_yaml() + "pin_keys: on_registration\n"


def give_x25519(room: Room, party: str) -> None:
    with room.session() as session:
        member = session.get(Member, room.members[party].id)
        assert member is not None
        member.x25519_public = encode_public_key(X25519PrivateKey.generate().public_key())
        session.commit()


def fix(room: Room) -> KeyRoster | None:
    with room.session() as session:
        roster = fix_roster_if_due(session, room.id)
        session.commit()
        return roster


def test_no_roster_without_a_pinning_policy_or_before_everyone_registered(room: Room) -> None:
    room.adopt(policy_yaml())
    give_x25519(room, "brand")
    give_x25519(room, "retailer")
    assert fix(room) is None  # the policy does not pin on registration
    room.adopt(PINNING)
    with room.session() as session:
        member = session.get(Member, room.members["retailer"].id)
        assert member is not None
        member.x25519_public = None
        session.commit()
    assert fix(room) is None  # retailer has no X25519 key yet


def test_the_roster_lists_every_party_admin_and_is_fixed_once(room: Room) -> None:
    policy_hash = room.adopt(PINNING)
    give_x25519(room, "brand")
    give_x25519(room, "retailer")
    roster = fix(room)
    assert roster is not None and roster.version == 1 and roster.policy_hash == policy_hash
    entries = roster_entries(roster)
    assert [e.party for e in entries] == ["brand", "retailer"]  # the analyst is not in it
    assert roster.digest == roster_digest(room.id, 1, entries)
    assert fix(room) is None  # unchanged keys: no new version
    give_x25519(room, "retailer")  # (as after a policy-pinned replacement)
    again = fix(room)
    assert again is not None and again.version == 2


def test_signatures_verify_with_the_rostered_key_only(room: Room) -> None:
    room.adopt(PINNING)
    give_x25519(room, "brand")
    give_x25519(room, "retailer")
    roster = fix(room)
    assert roster is not None
    message = roster_message(room.id, roster.version, roster.digest)
    with room.session() as session:
        brand = session.get(Member, room.members["brand"].id)
        assert brand is not None
        forged = b64url_encode(Ed25519PrivateKey.generate().sign(message))
        with pytest.raises(InvalidSignature):
            sign_roster(session, roster, brand, forged)
        sign_roster(session, roster, brand, b64url_encode(room.keys["brand"].sign(message)))
        session.commit()
        assert unsigned_parties(session, roster) == ["retailer"]


def test_wraps_go_only_to_rostered_keys(room: Room) -> None:
    room.adopt(PINNING)
    give_x25519(room, "brand")
    give_x25519(room, "retailer")
    assert fix(room) is not None
    give_x25519(room, "retailer")  # the operator writes another key into the database
    with room.session() as session:
        retailer = session.get(Member, room.members["retailer"].id)
        brand = session.get(Member, room.members["brand"].id)
        assert retailer is not None and brand is not None
        check_wrap_recipient(session, room.id, brand)
        with pytest.raises(KeyNotInRoster, match="not in key roster v1"):
            check_wrap_recipient(session, room.id, retailer)
        assert latest_roster(session, room.id) is not None
