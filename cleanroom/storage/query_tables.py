"""Tables of the query layer: the privacy-budget ledger and stored results.

Both live on :class:`cleanroom.storage.models.Base` (``cleanroom.storage.db`` imports this module so
``create_all`` creates them). Epsilon is stored as exact ``"p/q"`` text, never a float.

- :class:`BudgetLedgerRow`: one row per (collaboration, refresh period); ``spent`` only
  grows, and only through :func:`cleanroom.query.ledger.charge`, which locks the row and
  checks ``version`` so two concurrent charges can never both pass on a stale read.
- :class:`StoredResult`: one released result with the dataset versions it read and the
  effective policy it ran under. ``request_key`` (unique per collaboration) names the
  identical-query class: a repeat returns this row and charges nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cleanroom.storage.clock import system_clock
from cleanroom.storage.models import Base


class BudgetLedgerRow(Base):
    __tablename__ = "budget_ledger"
    __table_args__ = (UniqueConstraint("collaboration_id", "period_start", "period_end"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    collaboration_id: Mapped[str] = mapped_column(ForeignKey("collaborations.id"), index=True)
    period_start: Mapped[int] = mapped_column(BigInteger)  # epoch seconds, UTC
    period_end: Mapped[int] = mapped_column(BigInteger)
    spent: Mapped[str] = mapped_column(String(200), default="0/1")
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=system_clock)


class StoredResult(Base):
    __tablename__ = "query_results"
    __table_args__ = (UniqueConstraint("collaboration_id", "request_key"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    collaboration_id: Mapped[str] = mapped_column(ForeignKey("collaborations.id"), index=True)
    request_key: Mapped[str] = mapped_column(String(64))
    template: Mapped[str] = mapped_column(String(20))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    datasets: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    policy_hash: Mapped[str] = mapped_column(String(64))
    effective_policy_hash: Mapped[str] = mapped_column(String(64))
    receivers: Mapped[list[str]] = mapped_column(JSON)
    requested_by: Mapped[str] = mapped_column(String(200))
    epsilon: Mapped[str] = mapped_column(String(200))
    rows_suppressed: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=system_clock)


class RepeatTally(Base):
    """How often one actor was served one stored result again (see query/repeats.py).

    ``count`` repeats happened; the audit chain accounts for the first ``sealed`` of them.
    """

    __tablename__ = "repeat_tallies"
    __table_args__ = (UniqueConstraint("collaboration_id", "result_id", "actor"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    collaboration_id: Mapped[str] = mapped_column(ForeignKey("collaborations.id"), index=True)
    result_id: Mapped[str] = mapped_column(ForeignKey("query_results.id"))
    actor: Mapped[str] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(Integer, default=0)
    sealed: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=system_clock)


class PartyRulesRow(Base):
    """The rules one party attaches to its datasets (YAML text); newest version applies."""

    __tablename__ = "party_rules"
    __table_args__ = (UniqueConstraint("collaboration_id", "party", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    collaboration_id: Mapped[str] = mapped_column(ForeignKey("collaborations.id"), index=True)
    party: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    rules_hash: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=system_clock)
