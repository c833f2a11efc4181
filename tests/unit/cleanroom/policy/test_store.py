"""Policy versions take effect only when every current party_admin signed them."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import func, select

import policies
from cleanroom.errors import InvalidSignature, KeyNotAccepted, KeysNotRegistered, NotFound
from cleanroom.policy.document import parse_policy
from cleanroom.policy.store import (
    allowed_dimensions,
    approve,
    check_pinned,
    effective_policy,
    get_version,
    missing_parties,
    propose_policy,
)
from cleanroom.storage.models import PolicyApproval, PolicyVersion, Role
from protocols import DatasetKind, public_key_fingerprint
from tests.integration.query_world import policy_yaml
from tests.integration.test_server_keys_policy import pinned_policy
from tests.unit.cleanroom.room import NOW, Room, make_room

POLICY = policy_yaml()
STRICTER = policy_yaml(k=5)
OTHER_KEY = "0000 " * 7 + "0000"


def version_of(room: Room, digest: str) -> PolicyVersion:
    with room.session() as session:
        return get_version(session, room.id, digest)


def approvals(room: Room) -> int:
    with room.session() as session:
        return session.scalar(select(func.count()).select_from(PolicyApproval)) or 0


def test_proposals_are_numbered_and_the_same_text_is_the_same_version(room: Room) -> None:
    with room.session() as session:
        first = propose_policy(session, room.id, POLICY, "admin:tok_1")
        second = propose_policy(session, room.id, STRICTER, "brand:mem_1")
        again = propose_policy(session, room.id, POLICY, "retailer:mem_2")
        session.commit()
    assert (first.seq, second.seq, again.id) == (1, 2, first.id)
    assert first.policy_hash == policies.policy_hash(parse_policy(POLICY))
    assert (first.proposed_by, first.effective_at) == ("admin:tok_1", None)


def test_a_version_takes_effect_only_when_every_party_admin_signed(room: Room) -> None:
    digest = room.adopt(POLICY, parties=("brand",))
    with room.session() as session:
        version = get_version(session, room.id, digest)
        assert missing_parties(session, version) == ["retailer"]
        assert effective_policy(session, room.id) is None
        assert version.effective_at is None
        room.clock.at = NOW.replace(minute=30)
        approve(session, version, room.members["retailer"], room.sign("retailer", digest))
        session.commit()
    with room.session() as session:
        version = get_version(session, room.id, digest)
        assert missing_parties(session, version) == []
        effective = effective_policy(session, room.id)
    assert effective is not None and effective.id == version.id
    assert version.effective_at is not None
    assert version.effective_at.replace(tzinfo=NOW.tzinfo) == NOW.replace(minute=30)


def test_approving_twice_keeps_the_first_approval(room: Room) -> None:
    digest = room.adopt(POLICY)
    version = version_of(room, digest)
    with room.session() as session:
        brand = room.members["brand"].id
        first = session.scalars(
            select(PolicyApproval).where(PolicyApproval.member_id == brand)
        ).one()
        again = approve(session, version, room.members["brand"], room.sign("brand", digest))
        session.commit()
    assert (again.id, again.signature) == (first.id, first.signature)
    assert approvals(room) == 2


def test_a_new_party_admin_suspends_older_approvals_until_it_signs(room: Room) -> None:
    digest = room.adopt(POLICY)
    room.add_member("media", Role.PARTY_ADMIN)
    with room.session() as session:
        version = get_version(session, room.id, digest)
        assert missing_parties(session, version) == ["media"]
        assert effective_policy(session, room.id) is None
        approve(session, version, room.members["media"], room.sign("media", digest))
        session.commit()
        assert effective_policy(session, room.id) is not None


def test_without_a_party_admin_nothing_takes_effect(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    room = make_room(tmp_path_factory.mktemp("data"), {"ana": Role.ANALYST})
    with room.session() as session:
        version = propose_policy(session, room.id, POLICY, "admin:tok_1")
        assert missing_parties(session, version) == ["(no party_admin member yet)"]
        assert effective_policy(session, room.id) is None
    room.storage.engine.dispose()


def test_the_effective_policy_is_the_newest_fully_approved_version(room: Room) -> None:
    old = room.adopt(POLICY)
    newer = room.adopt(STRICTER, parties=("retailer",))
    with room.session() as session:
        current = effective_policy(session, room.id)
        assert current is not None and current.policy_hash == old
        version = get_version(session, room.id, newer)
        approve(session, version, room.members["brand"], room.sign("brand", newer))
        session.commit()
        current = effective_policy(session, room.id)
    assert current is not None and current.policy_hash == newer


def test_a_fully_approved_version_overtakes_an_unfinished_older_one(room: Room) -> None:
    room.adopt(POLICY, parties=("brand",))
    newest = room.adopt(STRICTER)
    with room.session() as session:
        current = effective_policy(session, room.id)
    assert current is not None and (current.seq, current.policy_hash) == (2, newest)


def signature_cases(room: Room, digest: str, other: str) -> dict[str, str]:
    return {
        "another member's key": room.sign("retailer", digest),
        "another version's hash": room.sign("brand", other),
        "not base64": "not a signature!",
        "truncated": room.sign("brand", digest)[:40],
    }


@pytest.mark.parametrize(
    "case", ["another member's key", "another version's hash", "not base64", "truncated"]
)
def test_a_bad_signature_is_refused_and_records_nothing(room: Room, case: str) -> None:
    digest = room.adopt(POLICY, parties=())
    other = room.adopt(STRICTER, parties=())
    signature = signature_cases(room, digest, other)[case]
    with room.session() as session:
        version = get_version(session, room.id, digest)
        with pytest.raises(InvalidSignature) as refused:
            approve(session, version, room.members["brand"], signature)
    assert str(refused.value) == (
        "the signature of a policy approval does not verify against your registered Ed25519 key"
    )
    assert approvals(room) == 0


def test_a_member_without_a_registered_key_cannot_approve(room: Room) -> None:
    member = room.add_member("media", Role.PARTY_ADMIN, keys=False)
    digest = room.adopt(POLICY, parties=())
    with room.session() as session, pytest.raises(KeysNotRegistered) as refused:
        approve(session, get_version(session, room.id, digest), member, "AAAA")
    assert str(refused.value) == "register your Ed25519 public key before signing a policy approval"


def test_pinned_keys_refuse_an_approval_by_any_other_key(room: Room) -> None:
    brand_key = room.keys["brand"].public_key()
    wrong = room.adopt(pinned_policy({"brand": [OTHER_KEY]}), parties=())
    right = room.adopt(pinned_policy({"brand": [public_key_fingerprint(brand_key)]}), parties=())
    with room.session() as session:
        version = get_version(session, room.id, wrong)
        with pytest.raises(KeyNotAccepted) as refused:
            approve(session, version, room.members["brand"], room.sign("brand", wrong))
        approve(
            session,
            get_version(session, room.id, right),
            room.members["brand"],
            room.sign("brand", right),
        )
        session.commit()
    assert str(refused.value) == (
        f"the policy pins other keys for 'brand'; key {public_key_fingerprint(brand_key)} "
        "is not accepted"
    )
    assert approvals(room) == 1


def test_check_pinned_applies_to_pinned_parties_only() -> None:
    key = X25519PrivateKey.generate().public_key()
    fingerprint = public_key_fingerprint(key)
    policy = parse_policy(pinned_policy({"brand": [fingerprint]}))
    check_pinned(policy, "brand", key)
    check_pinned(policy, "retailer", X25519PrivateKey.generate().public_key())
    stranger = X25519PrivateKey.generate().public_key()
    with pytest.raises(KeyNotAccepted) as refused:
        check_pinned(policy, "brand", stranger)
    assert str(refused.value) == (
        f"the policy pins other keys for 'brand'; key {public_key_fingerprint(stranger)} "
        "is not accepted"
    )


def test_an_unknown_version_is_not_found(room: Room) -> None:
    with room.session() as session, pytest.raises(NotFound) as missing:
        get_version(session, room.id, "ab" * 32)
    assert str(missing.value) == f"no policy version {'ab' * 32!r} in this collaboration"


def test_allowed_dimensions_come_from_the_effective_policy(room: Room) -> None:
    with room.session() as session:
        assert allowed_dimensions(session, room.id, DatasetKind.EXPOSURES) == frozenset()
    room.adopt(POLICY)
    with room.session() as session:
        found = {kind: allowed_dimensions(session, room.id, kind) for kind in DatasetKind}
    assert found == {
        DatasetKind.EXPOSURES: frozenset({"channel"}),
        DatasetKind.PURCHASES: frozenset({"category"}),
        DatasetKind.SPEND: frozenset(),
    }
