"""Adapters from the ``policies`` package to the release inputs.

The server evaluates a :class:`policies.QueryRequest` against the effective policy; when
it is allowed, these turn the request and the decision into what :func:`release` takes.
"""

from __future__ import annotations

from fractions import Fraction

from cleanroom.engine import Attribution, CreditSettings, GroupKeys
from cleanroom.errors import RequestInvalid
from cleanroom.release.model import (
    ConversionsRequest,
    FunnelRequest,
    LiftRequest,
    OverlapRequest,
    ReachFrequencyRequest,
    ReleasePolicy,
    TemplateRequest,
    TimeToConversionRequest,
)
from policies import MICRO, Decision, EffectivePolicy, QueryRequest, StageColumn, Template
from policies import Attribution as PolicyAttribution
from policies.buckets import delay_labels
from policies.keys import CAMPAIGN


def group_keys(policy: EffectivePolicy, query: QueryRequest) -> GroupKeys | None:
    """The declared groups of ``query`` (``None`` for overlap, which has none).

    Raises :class:`RequestInvalid` when a grouping column has no declared key;
    ``policies.evaluate`` denies such a query first, in plain words."""
    if query.template is Template.OVERLAP:
        return None
    campaigns = policy.keys.for_column(CAMPAIGN)
    by = query.dimensions[0] if query.dimensions else None
    column = policy.keys.for_column(by) if by else None
    if not campaigns or not campaigns.keys() or (by and not (column and column.keys())):
        raise RequestInvalid(f"no declared keys for `{by or CAMPAIGN}`")
    if column is None:
        return GroupKeys(tuple(campaigns.keys()))
    return GroupKeys(tuple(campaigns.keys()), tuple(sorted(column.values)), column.other)


def release_policy(
    policy: EffectivePolicy,
    epsilon: Fraction,
    remainder: bool = False,
    keys: GroupKeys | None = None,
) -> ReleasePolicy:
    """The release values of an effective policy, for a query charged ``epsilon``
    (``Decision.epsilon`` of an allowed decision) over the groups ``keys``."""
    bounds = policy.contribution
    return ReleasePolicy(
        epsilon=Fraction(epsilon),
        k=policy.k,
        max_campaigns_per_user=bounds.max_campaigns_per_user,
        max_purchases_per_user=bounds.max_purchases_per_user,
        amount_cap=Fraction(bounds.amount_cap),
        remainder=remainder,
        keys=keys,
        mechanism=policy.noise,
    )


def credit_settings(query: QueryRequest, stage: StageColumn | None = None) -> CreditSettings | None:
    """The fractional-credit settings of a ``conversions`` query (``None`` for a plain
    single-touch one); ``stage`` is the policy's declared stage column (``w_shaped``)."""
    models = query.credit_models
    if not models:
        return None
    first, last = query.position_weights or (Fraction(2, 5), Fraction(2, 5))
    return CreditSettings(
        tuple(Attribution(str(m)) for m in models),
        first_micro=int(first * MICRO),
        last_micro=int(last * MICRO),
        half_life_seconds=None if query.half_life is None else query.half_life.seconds,
        stage_column=None if stage is None else stage.column,
        milestone=None if stage is None else stage.milestone,
    )


def template_request(
    query: QueryRequest, join_family: str, stage: StageColumn | None = None
) -> TemplateRequest:
    """The template request of an evaluated policy query, joined on ``join_family``
    (``stage``: the policy's declared stage column, for ``w_shaped``)."""
    if query.template is Template.OVERLAP:
        return OverlapRequest(join_family)
    if query.window is None:  # QueryRequest already refuses this; keeps mypy honest
        raise RequestInvalid(f"{query.template} needs an attribution window")
    window = query.window.seconds
    if query.template is Template.LIFT:
        if query.dimensions:
            raise RequestInvalid("lift cannot be broken down by a dimension")
        return LiftRequest(join_family, window)
    attribution = (
        Attribution.FIRST_TOUCH
        if query.attribution is PolicyAttribution.FIRST_TOUCH
        else Attribution.LAST_TOUCH
    )
    loop = _loop_request(query, join_family, window, attribution)
    if loop is not None:
        return loop
    by = query.dimensions[0] if query.dimensions else None
    try:
        credit = credit_settings(query, stage)
    except ValueError as error:  # w_shaped without a stage column: the policy denies it first
        raise RequestInvalid(str(error)) from None
    return ConversionsRequest(join_family, window, Attribution(str(query.attribution)), by, credit)


def _loop_request(
    query: QueryRequest, join_family: str, window: int, attribution: Attribution
) -> TemplateRequest | None:
    """The closed-loop templates' requests (their buckets resolved by ``QueryRequest``)."""
    if query.template is Template.REACH_FREQUENCY:
        assert query.frequency_buckets and query.frequency_cap  # noqa: S101 -- resolved
        return ReachFrequencyRequest(
            join_family, window, query.frequency_buckets, query.frequency_cap
        )
    if query.template is Template.TIME_TO_CONVERSION:
        edges = query.delay_buckets or ()
        return TimeToConversionRequest(
            join_family,
            window,
            tuple(edge.seconds for edge in edges),
            delay_labels(edges),
            attribution,
        )
    if query.template is Template.FUNNEL:
        assert query.horizon is not None  # noqa: S101 -- resolved on construction
        return FunnelRequest(join_family, window, query.horizon.seconds)
    return None


def release_inputs(
    decision: Decision, policy: EffectivePolicy, join_family: str, remainder: bool = False
) -> tuple[TemplateRequest, ReleasePolicy]:
    """Both inputs of :func:`release` from an *allowed* decision (raises if denied)."""
    decision.raise_if_denied()
    keys = group_keys(policy, decision.request)
    return (
        template_request(decision.request, join_family, policy.attribution.stage),
        release_policy(policy, decision.epsilon, remainder, keys),
    )
