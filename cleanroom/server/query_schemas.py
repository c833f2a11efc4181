"""Wire models of the query layer (``/queries``, ``/results``, ``/budget``).

Epsilon travels as exact text: ``"1/4"`` or ``"0.25"`` in requests, always ``"p/q"`` in
replies (plus a rounded float for display). Denials are problem+json
(:class:`cleanroom.errors.QueryDenied`, :class:`~cleanroom.errors.BudgetExhausted`).
A request converts itself to the query layer's domain value with
:meth:`QueryCreate.to_request`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

import policies
from cleanroom.errors import policy_errors
from cleanroom.query.request import QuerySubmission, join_family
from cleanroom.query.service import BudgetAfter
from cleanroom.storage.query_tables import StoredResult
from policies import fraction_text, lifetime_remaining, remaining
from protocols import FAMILIES, IdType

Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Model = Literal["first_touch", "last_touch", "linear", "position_based", "time_decay", "w_shaped"]
JOIN_CHOICES = tuple(sorted({*FAMILIES, *(t.value for t in IdType)}))


class QueryCreate(BaseModel):
    """One measurement query over published datasets of the collaboration."""

    model_config = ConfigDict(extra="forbid")

    template: Literal[
        "overlap", "conversions", "lift", "reach_frequency", "time_to_conversion", "funnel"
    ]
    exposures: Name = Field(description="Name of an exposures dataset")
    purchases: Name = Field(description="Name of a purchases dataset")
    spend: Name | None = Field(default=None, description="Optional spend dataset (ROAS)")
    join: str = Field(default="email", description=f"Identifier to join on: {JOIN_CHOICES}")
    window: str | None = Field(default=None, description='Attribution window, e.g. "7d"')
    by: Name | None = Field(default=None, description="One allowed dimension")
    attribution: Model | list[Model] = Field(
        default="last_touch",
        description="conversions: one attribution model, or a list of models to compare "
        "side by side in one query (its epsilon split over every model it releases); a "
        "list, or a model that splits credit, releases credited conversions and revenue, "
        "one column set per model",
    )
    position_weights: list[str | float] | None = Field(
        default=None,
        description='position_based: [first, last] shares, e.g. ["0.4", "0.4"] (the '
        "default); the touches in between share the rest",
    )
    half_life: str | None = Field(
        default=None, description='time_decay: the half-life of a touch\'s weight, e.g. "3d"'
    )
    epsilon: str | float | None = Field(
        default=None,
        description='One of the allowed epsilons, as exact text such as "1/4" '
        "(default: the largest allowed)",
    )
    receiver: Name | None = Field(
        default=None, description="Party the result is for (default: the caller's party)"
    )
    remainder: bool = Field(
        default=False, description="Fold suppressed groups into one (thresholded) row"
    )
    frequency_buckets: list[int] | None = Field(
        default=None,
        description="reach_frequency: lower edges of the frequency buckets, from 1 "
        "(default [1, 2, 3, 6, 11]: 1, 2, 3-5, 6-10, 11+)",
    )
    frequency_cap: int | None = Field(
        default=None,
        description="reach_frequency: exposures counted per user and campaign at most "
        "(default 20; at least the last bucket edge)",
    )
    delay_buckets: list[str] | None = Field(
        default=None,
        description='time_to_conversion: inner delay boundaries, e.g. ["1h", "1d", "3d", '
        '"7d"] (the default, less those not shorter than the window)',
    )
    horizon: str | None = Field(
        default=None,
        description="funnel: how long after the first conversion a purchase counts as a "
        'repeat, e.g. "30d" (the default; within the policy\'s window bounds)',
    )

    def to_request(self, requester: str) -> QuerySubmission:
        """The domain request for ``requester``; malformed values raise ``RequestInvalid``."""
        with policy_errors():
            query = policies.parse_query(
                template=self.template,
                requester=requester,
                window=self.window,
                attribution=self.attribution,
                dimensions=(self.by,) if self.by else (),
                epsilon=self.epsilon,
                position_weights=self.position_weights,
                half_life=self.half_life,
                frequency_buckets=self.frequency_buckets,
                frequency_cap=self.frequency_cap,
                delay_buckets=self.delay_buckets,
                horizon=self.horizon,
            )
        return QuerySubmission(
            query,
            self.exposures,
            self.purchases,
            self.spend,
            join_family(self.join),
            self.remainder,
        )


def _number(value: Any) -> dict[str, Any]:
    return {"exact": fraction_text(value), "value": float(value)}


def budget_public(collaboration_id: str, after: BudgetAfter) -> dict[str, Any]:
    """``/budget`` body and the ``budget`` member of query replies."""
    budget, state, noise = after.limits, after.state, after.noise
    left = lifetime_remaining(budget.lifetime, state)
    return {
        "collaboration_id": collaboration_id,
        "period": budget.period.name,
        "period_start": state.period_start.isoformat(),
        "period_end": state.period_end.isoformat(),
        "limit": _number(budget.epsilon),
        "spent": _number(state.spent),
        "remaining": _number(remaining(budget.epsilon, state)),
        "lifetime": {
            "limit": None if budget.lifetime is None else _number(budget.lifetime),
            "spent": _number(state.lifetime_spent),
            "remaining": None if left is None else _number(left),
        },
        "noise": {
            "mechanism": noise.mechanism.value,
            "delta": None if noise.delta is None else _number(noise.delta),
        },
        "delta": _number(after.delta),
    }


def result_public(stored: StoredResult) -> dict[str, Any]:
    """A stored result as the API returns it (``result`` is ``Result.to_dict()``)."""
    return {
        "id": stored.id,
        "collaboration_id": stored.collaboration_id,
        "template": stored.template,
        "request": stored.request,
        "datasets": stored.datasets,
        "policy_hash": stored.policy_hash,
        "effective_policy_hash": stored.effective_policy_hash,
        "receivers": stored.receivers,
        "requested_by": stored.requested_by,
        "epsilon": stored.epsilon,
        "rows_suppressed": stored.rows_suppressed,
        "digest": stored.digest,
        "created_at": stored.created_at.isoformat(),
        "result": stored.body,
    }


class ExactNumber(BaseModel):
    exact: str = Field(description='Exact value as "p/q"')
    value: float = Field(description="The same, rounded to a float for display")


class LifetimePublic(BaseModel):
    limit: ExactNumber | None = Field(description="The lifetime cap; null when there is none")
    spent: ExactNumber = Field(description="Spent over every period together")
    remaining: ExactNumber | None = Field(description="Left under the cap; null: no cap")


class NoisePublic(BaseModel):
    mechanism: str = Field(description="laplace (pure DP) or gaussian (zCDP)")
    delta: ExactNumber | None = Field(description="The Gaussian's delta; null for laplace")


class BudgetPublic(BaseModel):
    collaboration_id: str
    period: str = Field(description="daily, weekly, monthly or a fixed length such as 30d")
    period_start: str = Field(description="ISO time, inclusive")
    period_end: str = Field(description="ISO time, exclusive: the budget refreshes then")
    limit: ExactNumber
    spent: ExactNumber
    remaining: ExactNumber
    lifetime: LifetimePublic = Field(
        description="The total over the whole lifetime; never refreshes"
    )
    noise: NoisePublic = Field(description="The noise the policy gives the next queries")
    delta: ExactNumber = Field(
        description="Every spent epsilon here is an (epsilon, delta) guarantee at this "
        "delta: the largest delta of the Gaussian queries charged; 0 when all were pure DP"
    )


class DatasetUsed(BaseModel):
    name: str
    kind: str
    version: int


class ResultSummary(BaseModel):
    id: str
    template: str
    request: dict[str, Any] = Field(description="The canonical request (resolved epsilon)")
    epsilon: str
    digest: str
    created_at: str
    requested_by: str


class ResultPublic(ResultSummary):
    collaboration_id: str
    datasets: list[DatasetUsed] = Field(description="The dataset versions the result read")
    policy_hash: str = Field(description="The collaboration policy version in effect")
    effective_policy_hash: str = Field(description="That policy plus the parties' rules")
    receivers: list[str] = Field(description="Parties whose party_admins may read it")
    rows_suppressed: int
    result: dict[str, Any] = Field(
        description="key_columns, value_columns, rows of {key, values: {name: [value, "
        "low, high] | null}, suppressed, remainder}, epsilon_spent, k, mechanisms, digest; "
        "a discrete Gaussian release (policy noise: gaussian) adds delta and rho_spent"
    )


class QueryReply(ResultPublic):
    reused: bool = Field(description="True: an identical query's stored result, free")
    epsilon_charged: str = Field(description='"0/1" for a reused result')
    budget: BudgetPublic = Field(description="The budget after this query")


class RulesPublic(BaseModel):
    party: str
    version: int
    rules_hash: str
    text: str
    created_by: str
    created_at: str
