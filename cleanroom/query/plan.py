"""Planning one query: the datasets it reads, the effective policy, the decision, its key.

Everything here only reads the database. :func:`plan_query` resolves dataset names to
their newest published versions, combines the collaboration's effective policy with the
rules of every party whose dataset is read (strictest wins), evaluates the request
against the budget state of the current period, and names the identical-query class
(:attr:`Plan.key`): same datasets *versions*, template, parameters, epsilon and
effective policy. The requester is not part of the key, so two parties asking the same
question get the same noisy answer, never two independent draws to average.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

import policies
from cleanroom.audit import canonical_json
from cleanroom.errors import (
    BlindingPending,
    Conflict,
    NoEffectivePolicy,
    NormalizationMismatch,
    NotFound,
    RequestInvalid,
)
from cleanroom.policy.document import parse_policy
from cleanroom.policy.store import effective_policy as signed_policy
from cleanroom.query import ledger
from cleanroom.query.request import QuerySubmission
from cleanroom.release import ReleasePolicy, Sources, TemplateRequest, release_inputs
from cleanroom.storage.blinding_tables import is_blinded
from cleanroom.storage.dataset_files import query_file
from cleanroom.storage.models import Dataset, DatasetVersion, Member
from cleanroom.storage.query_tables import PartyRulesRow
from policies import (
    BudgetState,
    Decision,
    EffectivePolicy,
    PartyRules,
    QueryRequest,
    effective_policy_hash,
    fraction_text,
    query_to_canonical,
)
from protocols.binding import read_binding


@dataclass(frozen=True)
class DatasetRead:
    """One dataset version a query reads."""

    name: str
    kind: str
    version: int
    version_id: int
    sha256: str
    owner: str
    path: Path

    def public(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "version": self.version}


@dataclass(frozen=True)
class Plan:
    request: QueryRequest
    join_family: str
    datasets: tuple[DatasetRead, ...]
    policy_hash: str
    effective: EffectivePolicy
    effective_hash: str
    state: BudgetState
    decision: Decision
    remainder: bool = False

    @property
    def canonical(self) -> dict[str, Any]:
        """The request as stored and audited (resolved epsilon, join, datasets)."""
        data = query_to_canonical(self.request)
        data.update(epsilon=fraction_text(self.decision.epsilon), join=self.join_family)
        data["remainder"] = self.remainder
        data["datasets"] = [d.public() for d in self.datasets]
        return data

    @property
    def key(self) -> str:
        data = dict(self.canonical, requester=None, effective_policy=self.effective_hash)
        data["datasets"] = [[d.version_id, d.sha256] for d in self.datasets]
        return hashlib.sha256(canonical_json(data)).hexdigest()

    def sources(self, data_dir: Path) -> Sources:
        """The files the engine reads: each version's prepared form once it is written."""
        paths = {d.kind: (query_file(data_dir / d.path),) for d in self.datasets}
        return Sources(paths["exposures"], paths["purchases"], paths.get("spend", ()))

    def release_inputs(self) -> tuple[TemplateRequest, ReleasePolicy]:
        """What :func:`cleanroom.release.release` takes (the decision must be allowed)."""
        return release_inputs(self.decision, self.effective, self.join_family, self.remainder)


def _dataset(session: Session, collaboration_id: str, name: str, kind: str) -> DatasetRead:
    dataset = session.scalar(
        select(Dataset).where(Dataset.collaboration_id == collaboration_id, Dataset.name == name)
    )
    if dataset is None:
        raise NotFound(f"no dataset {name!r} in this collaboration")
    if dataset.kind != kind:
        raise RequestInvalid(f"dataset {name!r} holds {dataset.kind}, not {kind}")
    version = session.scalar(
        select(DatasetVersion)
        .where(DatasetVersion.dataset_id == dataset.id)
        .order_by(DatasetVersion.version.desc())
        .limit(1)
    )
    owner = session.get(Member, dataset.owner_id)
    if version is None or owner is None:
        raise Conflict(f"dataset {name!r} has no published version")
    return DatasetRead(
        name, kind, version.version, version.id, version.sha256, owner.party, Path(version.path)
    )


def require_blinded(effective: EffectivePolicy, datasets: tuple[DatasetRead, ...]) -> None:
    """Protocol v2: every token dataset must be doubly blinded before anything is charged."""
    if effective.protocol is not policies.MatchProtocol.V2:
        return
    pending = sorted(d.name for d in datasets if d.kind != "spend" and not is_blinded(str(d.path)))
    if pending:
        raise BlindingPending(
            f"dataset(s) {', '.join(pending)} hold once-blinded tokens: the other party has "
            "not blinded them yet ('party-agent blind'); nothing was charged"
        )


def require_one_normalization(datasets: tuple[DatasetRead, ...], data_dir: Path) -> None:
    """Refuse to join token files whose agents normalized identifiers by different rules.

    Each bound file names its normalization revision (``cleanroom.normalization``); the
    same person's email normalized under two revisions can give two tokens, so such a
    join would undercount matches silently. A bound file that names none predates the
    field (revision 1); an unbound one is not compared.
    """
    revisions = {}
    for dataset in datasets:
        if dataset.kind == "spend":
            continue
        binding = read_binding(pq.read_schema(data_dir / dataset.path))
        revision = binding.normalization or ("1" if binding.key_checks else None)
        if revision is not None:
            revisions[dataset.kind] = revision
    if len(set(revisions.values())) > 1:
        named = " and ".join(f"the {kind} {rev}" for kind, rev in sorted(revisions.items()))
        raise NormalizationMismatch(
            f"the datasets were tokenized under different normalization revisions ({named}), "
            "so the same identifier can give different tokens; both parties tokenize again "
            "with the same release of the party agent; nothing was charged"
        )


def party_rules(session: Session, collaboration_id: str, parties: set[str]) -> list[PartyRules]:
    """The newest rules each of ``parties`` attached to its datasets (if any)."""
    out = []
    for party in sorted(parties):
        row = session.scalar(
            select(PartyRulesRow)
            .where(PartyRulesRow.collaboration_id == collaboration_id, PartyRulesRow.party == party)
            .order_by(PartyRulesRow.version.desc())
            .limit(1)
        )
        if row is not None:
            out.append(policies.party_rules_from_yaml(row.text))
    return out


def plan_query(
    session: Session, collaboration_id: str, submission: QuerySubmission, at: datetime
) -> Plan:
    """Resolve, combine and evaluate (reads only); raises for unknown datasets."""
    wanted = submission.datasets_wanted()
    datasets = tuple(_dataset(session, collaboration_id, name, kind) for kind, name in wanted)
    version = signed_policy(session, collaboration_id)
    if version is None:
        raise NoEffectivePolicy("no policy version is approved by every party yet")
    rules = party_rules(session, collaboration_id, {d.owner for d in datasets})
    effective = policies.effective_policy(parse_policy(version.text), rules)
    require_blinded(effective, datasets)
    state = ledger.period_state(session, collaboration_id, effective.budget.period, at)
    decision = policies.evaluate(submission.query, effective, state)
    return Plan(
        submission.query,
        submission.join_family,
        datasets,
        version.policy_hash,
        effective,
        effective_policy_hash(effective),
        state,
        decision,
        submission.remainder,
    )
