"""Planning: the dataset versions a query reads, its effective policy, decision and key."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest

import policies
from cleanroom.errors import CleanRoomError, Conflict, NoEffectivePolicy, NotFound, RequestInvalid
from cleanroom.query import ledger
from cleanroom.query.plan import Plan, plan_query
from cleanroom.query.request import QuerySubmission
from cleanroom.release import Sources
from cleanroom.storage.models import Dataset
from cleanroom.storage.query_tables import PartyRulesRow
from tests.integration.query_world import exposures, policy_yaml, purchases
from tests.unit.cleanroom.query.queries import ask, stock
from tests.unit.cleanroom.room import NOW, Room, make_room


@pytest.fixture
def stocked(room: Room) -> Room:
    """A room of its own, for a test that changes it."""
    stock(room)
    return room


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Room]:
    """One stocked room the tests that only plan share, with an unpublished dataset."""
    room = make_room(tmp_path_factory.mktemp("plan") / "data")
    stock(room)
    with room.session() as session:
        owner = room.members["retailer"].id
        session.add(
            Dataset(collaboration_id=room.id, name="empty", kind="purchases", owner_id=owner)
        )
        session.commit()
    yield room
    room.storage.engine.dispose()


def plan(room: Room, submission: QuerySubmission | None = None) -> Plan:
    with room.session() as session:
        return plan_query(session, room.id, submission or ask(), room.clock())


def set_rules(room: Room, text: str) -> None:
    """Store a party's rules as ``PUT /rules`` does."""
    rules = policies.party_rules_from_yaml(text)
    with room.session() as session:
        session.add(
            PartyRulesRow(
                collaboration_id=room.id,
                party=rules.party,
                version=rules.version,
                rules_hash=policies.policy_hash(rules),
                text=text,
                created_by=f"{rules.party}:mem_test",
            )
        )
        session.commit()


def test_a_plan_reads_the_newest_version_of_each_named_dataset(stocked: Room) -> None:
    newest = stocked.publish("brand", "exp", "exposures", exposures(stocked.id).slice(0, 90))
    found = plan(stocked, ask(spend="spend"))
    assert [(d.name, d.kind, d.version, d.owner) for d in found.datasets] == [
        ("exp", "exposures", 2, "brand"),
        ("pur", "purchases", 1, "retailer"),
        ("spend", "spend", 1, "brand"),
    ]
    exp = found.datasets[0]
    assert (exp.version_id, exp.sha256, exp.path) == (newest.id, newest.sha256, Path(newest.path))
    assert found.canonical["datasets"] == [
        {"name": "exp", "kind": "exposures", "version": 2},
        {"name": "pur", "kind": "purchases", "version": 1},
        {"name": "spend", "kind": "spend", "version": 1},
    ]


def test_sources_are_the_files_under_the_data_dir(shared: Room) -> None:
    data_dir = shared.settings.data_dir
    base = data_dir / "datasets" / shared.id
    assert plan(shared).sources(data_dir) == Sources(
        (base / "exp" / "v1.parquet",), (base / "pur" / "v1.parquet",), ()
    )
    with_spend = plan(shared, ask(spend="spend")).sources(data_dir)
    assert with_spend.spend == (base / "spend" / "v1.parquet",)


@pytest.mark.parametrize(
    ("submission", "error", "message"),
    [
        (ask(exposures="nope"), NotFound, "no dataset 'nope' in this collaboration"),
        (ask(exposures="pur"), RequestInvalid, "dataset 'pur' holds purchases, not exposures"),
        (ask(spend="exp"), RequestInvalid, "dataset 'exp' holds exposures, not spend"),
        (ask(purchases="empty"), Conflict, "dataset 'empty' has no published version"),
    ],
    ids=["unknown", "other kind", "spend of other kind", "unpublished"],
)
def test_datasets_must_exist_hold_their_kind_and_be_published(
    shared: Room, submission: QuerySubmission, error: type[CleanRoomError], message: str
) -> None:
    with pytest.raises(error) as refused:
        plan(shared, submission)
    assert type(refused.value) is error
    assert str(refused.value) == message


def test_no_plan_without_a_policy_every_party_signed(room: Room) -> None:
    room.adopt(policy_yaml(), parties=("brand",))
    room.publish("brand", "exp", "exposures", exposures(room.id))
    room.publish("retailer", "pur", "purchases", purchases(room.id))
    with pytest.raises(NoEffectivePolicy) as refused:
        plan(room)
    assert str(refused.value) == "no policy version is approved by every party yet"


def test_the_rules_of_every_reading_party_tighten_the_policy(stocked: Room) -> None:
    base = plan(stocked)
    set_rules(stocked, "party: retailer\nversion: 1\nk: 5\n")
    set_rules(stocked, "party: retailer\nversion: 2\nk: 7\n")
    set_rules(stocked, 'party: brand\nversion: 1\nepsilon_per_query: "1/4"\n')
    tightened = plan(stocked)
    assert (base.effective.k, base.decision.epsilon) == (2, Fraction(1, 2))
    assert (tightened.effective.k, tightened.decision.epsilon) == (7, Fraction(1, 4))
    assert [r.version for r in tightened.effective.rules] == [1, 2]
    assert tightened.policy_hash == base.policy_hash
    assert tightened.effective_hash == policies.effective_policy_hash(tightened.effective)
    assert tightened.effective_hash != base.effective_hash


def test_a_party_whose_data_is_not_read_has_no_say(stocked: Room) -> None:
    set_rules(stocked, "party: media\nversion: 1\nk: 9\n")
    found = plan(stocked)
    assert (found.effective.k, found.effective.rules) == (2, ())


def test_the_decision_uses_the_budget_spent_in_the_current_period(stocked: Room) -> None:
    with stocked.session() as session:
        budget = policies.Budget(Fraction(1), policies.Period("monthly"))
        ledger.charge(session, stocked.id, budget, NOW, Fraction(3, 4))
        session.commit()
    spent = plan(stocked)
    assert spent.state.spent == Fraction(3, 4)
    assert [d.code for d in spent.decision.denials] == ["budget_exhausted"]
    stocked.clock.at = NOW.replace(year=2026, month=12, day=1)
    fresh = plan(stocked)
    assert (fresh.state.spent, fresh.decision.allowed) == (Fraction(0), True)


def test_the_decision_lists_every_denial(shared: Room) -> None:
    found = plan(shared, ask(requester="ana", window="60d", dimensions=("zip",), epsilon="2"))
    assert [d.code for d in found.decision.denials] == [
        "dimension_not_allowed",
        "window_too_long",
        "not_a_receiver",
        "epsilon_not_allowed",
    ]


def test_the_key_leaves_out_the_requester_and_resolves_the_epsilon(shared: Room) -> None:
    brand = plan(shared)
    assert plan(shared, ask(requester="retailer")).key == brand.key
    assert plan(shared, ask(epsilon="0.5")).key == brand.key
    assert brand.canonical["requester"] == "brand"
    assert brand.canonical["epsilon"] == "1/2"


@pytest.mark.parametrize(
    "other",
    [
        ask(epsilon="1/4"),
        ask(window="14d"),
        ask(attribution="first_touch"),
        ask(dimensions=("channel",)),
        ask("lift"),
        ask(remainder=True),
        ask(join="phone"),
        ask(spend="spend"),
    ],
    ids=["epsilon", "window", "attribution", "dimension", "template", "remainder", "join", "spend"],
)
def test_the_key_names_every_part_of_the_question(shared: Room, other: QuerySubmission) -> None:
    assert plan(shared, other).key != plan(shared).key


def test_the_key_changes_with_a_new_dataset_version_or_new_rules(stocked: Room) -> None:
    first = plan(stocked).key
    set_rules(stocked, "party: retailer\nversion: 1\nk: 3\n")
    with_rules = plan(stocked).key
    stocked.publish("brand", "exp", "exposures", exposures(stocked.id))
    republished = plan(stocked).key
    assert len({first, with_rules, republished}) == 3
