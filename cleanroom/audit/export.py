"""Reading the audit log back: signed exports and the compliance report's inputs.

Exports emit the sealed records exactly as they were signed (``record_json``), in chain
order, then a head record signed now, so ``cleanroom audit verify`` can check them
offline with only the server's public key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

import policies
from cleanroom.audit.append import chain_of, utc_text
from cleanroom.audit.chain import GENESIS_HASH, AuditRecord, seal_head
from cleanroom.audit.report import PolicyVersion as ReportPolicy
from cleanroom.audit.report import ReportInput
from cleanroom.policy.document import parse_policy
from cleanroom.storage.clock import session_now
from cleanroom.storage.models import AuditEntry, Member, PolicyApproval, PolicyVersion


def export_lines(
    session: Session, collaboration_id: str, key: Ed25519PrivateKey, now: datetime | None = None
) -> Iterator[str]:
    """Every sealed entry of the collaboration's chain, then a freshly signed head."""
    chain = chain_of(collaboration_id)
    rows = session.execute(
        select(AuditEntry.record_json, AuditEntry.chain_seq, AuditEntry.entry_hash)
        .where(AuditEntry.chain == chain)
        .order_by(AuditEntry.chain_seq)
    )
    last_seq, last_hash = 0, GENESIS_HASH
    for record_json, seq, digest in rows:
        yield record_json
        last_seq, last_hash = seq, digest
    exported_at = utc_text(now or session_now(session))
    yield seal_head(chain, last_seq, last_hash, exported_at, key)


def records_of(lines: list[str]) -> list[AuditRecord]:
    """The entry records of an export (the head record is left out)."""
    records = [json.loads(line) for line in lines]
    return [AuditRecord.from_json(r) for r in records if r.get("type") == "entry"]


def _party_names(session: Session, collaboration_id: str) -> dict[str, str]:
    members = session.scalars(select(Member).where(Member.collaboration_id == collaboration_id))
    return {m.id: m.party for m in members}


def policy_history(session: Session, collaboration_id: str) -> list[ReportPolicy]:
    """Every proposed policy version in words, with approvals and changes to the last."""
    versions = session.scalars(
        select(PolicyVersion)
        .where(PolicyVersion.collaboration_id == collaboration_id)
        .order_by(PolicyVersion.seq)
    ).all()
    parties = _party_names(session, collaboration_id)
    history: list[ReportPolicy] = []
    previous: policies.Policy | None = None
    for version in versions:
        policy = parse_policy(version.text)
        approvals = session.scalars(
            select(PolicyApproval)
            .where(PolicyApproval.policy_version_id == version.id)
            .order_by(PolicyApproval.created_at)
        )
        changes = [c.message for c in policies.diff(previous, policy)] if previous else []
        history.append(
            ReportPolicy(
                version=str(version.seq),
                policy_hash=version.policy_hash,
                proposed_at=utc_text(version.created_at),
                description=policies.describe_lines(policy),
                approvals=[
                    (
                        parties.get(a.member_id, a.member_id),
                        utc_text(a.created_at),
                    )
                    for a in approvals
                ],
                changes=changes,
                effective=version.effective_at is not None,
            )
        )
        previous = policy
    return history


def report_input(
    session: Session, collaboration_id: str, lines: list[str], verified: str
) -> ReportInput:
    """Everything the compliance report shows, from the database and a verified export."""
    history = policy_history(session, collaboration_id)
    effective = [p for p in history if p.effective]
    current = effective[-1] if effective else (history[-1] if history else None)
    budget: policies.Budget | None = None
    if current is not None:
        version = session.scalars(
            select(PolicyVersion).where(
                PolicyVersion.collaboration_id == collaboration_id,
                PolicyVersion.policy_hash == current.policy_hash,
            )
        ).one()
        budget = parse_policy(version.text).budget
    return ReportInput(
        collaboration=collaboration_id,
        generated_at=utc_text(session_now(session)),
        entries=records_of(lines),
        policies=history,
        current=current,
        budget_per_period=budget.epsilon if budget else None,
        period_start=(lambda t: budget.period.bounds(t)[0]) if budget else None,
        verified=verified,
    )
