"""The one release path every template goes through, minus the database.

``release`` = compute true aggregates with per-user contribution bounds enforced in the
SQL -> OpenDP noise calibrated to the bounded sensitivity -> noisy-threshold suppression
-> 95% intervals -> a typed, digested :class:`Result`. The server wraps it: authorize and
evaluate the policy before, and after, in one DB transaction, charge
``result.epsilon_spent``, store the result and append the audit entry. Nothing here
charges anything, so a query that raises has spent nothing.
"""

from __future__ import annotations

from dataclasses import replace

from cleanroom.engine import (
    EngineConfig,
    QueryEngine,
    Sources,
    conversion_cells,
    credit_cells,
    funnel_cells,
    lift_cells,
    open_engine,
    overlap_counts,
    reach_frequency_cells,
    time_to_conversion_cells,
)
from cleanroom.release.attribution import credit_table
from cleanroom.release.conversions import conversions_table
from cleanroom.release.funnel import funnel_table
from cleanroom.release.model import (
    ConversionsRequest,
    FunnelRequest,
    LiftRequest,
    OverlapRequest,
    ReachFrequencyRequest,
    ReleasePolicy,
    Result,
    TemplateRequest,
    TimeToConversionRequest,
    result_digest,
)
from cleanroom.release.noise import exact_mode_active
from cleanroom.release.reach_frequency import reach_frequency_table
from cleanroom.release.templates import Table, lift_table, overlap_table
from cleanroom.release.time_to_conversion import time_to_conversion_table


def _compute(engine: QueryEngine, request: TemplateRequest, policy: ReleasePolicy) -> Table:
    bounds, keys = policy.bounds(), policy.keys
    if isinstance(request, OverlapRequest):
        return overlap_table(overlap_counts(engine, request.join_family), policy)
    if keys is None:
        raise ValueError(f"{request.template} needs the declared group keys of the policy")
    if isinstance(request, ConversionsRequest) and request.credit is not None:
        credits = credit_cells(
            engine,
            request.join_family,
            request.window_seconds,
            request.credit,
            bounds,
            keys,
            by=request.by,
        )
        return credit_table(credits, policy, request.by)
    if isinstance(request, ConversionsRequest):
        cells = conversion_cells(
            engine,
            request.join_family,
            request.window_seconds,
            request.attribution,
            bounds,
            keys,
            by=request.by,
        )
        return conversions_table(cells, policy, request.by)
    if isinstance(request, LiftRequest):
        lifts = lift_cells(engine, request.join_family, request.window_seconds, bounds, keys)
        return lift_table(lifts, policy)
    return _compute_loop(engine, request, policy)


def _compute_loop(engine: QueryEngine, request: TemplateRequest, policy: ReleasePolicy) -> Table:
    """The closed-loop templates: reach and frequency, time to conversion, funnel."""
    bounds, keys, family = policy.bounds(), policy.keys, request.join_family
    assert keys is not None  # noqa: S101 -- checked by _compute
    if isinstance(request, ReachFrequencyRequest):
        window, buckets = request.window_seconds, request.buckets
        freq = reach_frequency_cells(engine, family, window, bounds, keys, buckets, request.cap)
        return reach_frequency_table(freq, buckets, policy)
    if isinstance(request, TimeToConversionRequest):
        delays = time_to_conversion_cells(
            engine,
            family,
            request.window_seconds,
            request.attribution,
            bounds,
            keys,
            request.boundaries,
        )
        return time_to_conversion_table(delays, request.labels, policy)
    if isinstance(request, FunnelRequest):
        window, horizon = request.window_seconds, request.horizon_seconds
        return funnel_table(funnel_cells(engine, family, window, horizon, bounds, keys), policy)
    raise TypeError(f"unknown template request {type(request).__name__}")


def release(
    sources: Sources,
    request: TemplateRequest,
    policy: ReleasePolicy,
    settings: EngineConfig | None = None,
) -> Result:
    """Run ``request`` over ``sources`` and return the differentially private result.

    ``settings`` chooses the engine: :class:`~cleanroom.engine.EngineSettings` (DuckDB,
    the default) or :class:`~cleanroom.engine.SparkSettings`; both compute the same true
    aggregates, and everything after them is this one path.

    Spends exactly ``policy.epsilon`` (``result.epsilon_spent``); every mechanism's
    OpenDP-accounted epsilon is at most its share (``result.mechanisms``). Under a
    Gaussian policy every mechanism's accounted rho is at most its share of
    ``result.rho_spent``, which is (``epsilon_spent``, ``result.delta``)-DP.
    """
    with open_engine(sources, settings) as engine:
        table = _compute(engine, request, policy)
    result = Result(
        template=request.template,
        parameters=request.parameters(),
        key_columns=table.key_columns,
        value_columns=table.value_columns,
        rows=tuple(table.rows),
        epsilon_spent=policy.epsilon,
        rows_suppressed=table.rows_suppressed,
        mechanisms=table.mechanisms,
        k=policy.k,
        exact=exact_mode_active(),
        derived=dict(table.derived),
        delta=policy.mechanism.delta,
        rho_spent=policy.mechanism.query_rho(policy.epsilon),
    )
    return replace(result, digest=result_digest(result))
