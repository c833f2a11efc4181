"""Property: in exact (no-noise) mode, DuckDB and Spark release identical results for
every template the policy language knows (:class:`policies.Template`, the one registry),
on generated worlds, with bounds small enough that users exceed them, so the
pseudo-random choice of kept rows is compared too.

A template added later is covered without touching this file: its requests are built
from the same generic query shapes (with or without window, attribution and one
dimension) through :func:`cleanroom.release.template_request`; a template for which no
shape is valid fails :func:`test_every_template_has_a_parity_case` until one is added.
"""

from __future__ import annotations

import math
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanroom.engine import GroupKeys, SparkSettings
from cleanroom.errors import RequestInvalid
from cleanroom.release import (
    EngineSettings,
    ReleasePolicy,
    Sources,
    TemplateRequest,
    release,
    template_request,
)
from cleanroom.release._testing import exact_mode
from cleanroom.uploads.prepare import prepare_for_queries
from policies import QueryRequest, Template
from policies.errors import InvalidQuery
from policies.exact import Duration
from tests.unit.cleanroom.engine import reference as ref

WINDOW = 15
CAMPAIGNS = ("a", "b", "c", "d")
DIMENSIONS = {"channel": ("tv", "web", "radio"), "store_region": ("north", "south", "east")}
SHAPES: tuple[dict[str, Any], ...] = tuple(
    {"window": window, "attribution": attribution, "dimensions": dims}
    for window in (None, Duration(WINDOW))
    for attribution in ("last_touch", "first_touch")
    for dims in ((), ("channel",), ("store_region",))
) + tuple(
    # fractional credit: a comparison of the splitting models whose weights are exact
    # (time_decay's floating-point weights may round differently between engines)
    {
        "window": Duration(WINDOW),
        "attribution": "last_touch",
        "compare": ("last_touch", "first_touch", "linear", "position_based"),
        "dimensions": dims,
    }
    for dims in ((), ("store_region",))
)


def parity_cases(template: Template) -> list[tuple[TemplateRequest, str | None]]:
    """Every distinct request of ``template`` the generic shapes make valid, with its
    dimension."""
    found: dict[TemplateRequest, str | None] = {}
    for shape in SHAPES:
        try:
            query = QueryRequest(template, "brand", **shape)
            request = template_request(query, "email")
        except (InvalidQuery, RequestInvalid, ValueError):
            continue
        found.setdefault(request, shape["dimensions"][0] if shape["dimensions"] else None)
    return list(found.items())


CASES = [(t, r, d) for t in Template for r, d in parity_cases(t)]


def test_every_template_has_a_parity_case() -> None:
    covered = {t for t, _, _ in CASES}
    assert covered == set(Template), f"no parity case for {set(Template) - covered}"


USERS = st.one_of(st.none(), st.integers(0, 6))
EXPOSURE = st.tuples(USERS, st.sampled_from(CAMPAIGNS[:3]), st.integers(0, 40), st.booleans())
PURCHASE = st.tuples(
    USERS,
    st.integers(0, 50),
    st.one_of(st.floats(-5, 300), st.sampled_from([float("nan"), float("inf")])),
)
WORLDS = st.tuples(st.lists(EXPOSURE, min_size=1, max_size=20), st.lists(PURCHASE, max_size=20))
BOUNDS = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 20_000))


def _world(directory: Path, exposures: list[Any], purchases: list[Any]) -> Sources:
    spend = directory / "s.parquet"
    pq.write_table(pa.table({"campaign_id": ["a", "b", "a"], "spend": [0.1, 50.0, 0.2]}), spend)
    return Sources(
        (ref.write_exposures(directory / "e.parquet", exposures),),
        (ref.write_purchases(directory / "p.parquet", purchases),),
        (spend,),
    )


def _policy(bounds: tuple[int, int, int], campaigns: list[str], dim: str | None) -> ReleasePolicy:
    values = DIMENSIONS[dim][:2] if dim else None
    keys = GroupKeys(tuple(campaigns), values, other=dim is not None)
    c, p, cap = bounds
    return ReleasePolicy(Fraction(1), 1, c, p, Fraction(cap, 100), keys=keys)


def _same(a: Any, b: Any) -> bool:
    """Equal, floats within 1e-9 relative (spend sums may add in another order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9)
    return bool(a == b)


def _rows(sources: Sources, request: TemplateRequest, policy: ReleasePolicy, config: Any) -> Any:
    with exact_mode():
        result = release(sources, request, policy, config)
    body = result.to_dict()
    body.pop("digest", None)
    return body


@pytest.mark.parametrize(
    ("template", "request_", "dim"), CASES, ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(CASES)]
)
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    world=WORLDS,
    bounds=BOUNDS,
    campaigns=st.lists(st.sampled_from(CAMPAIGNS), min_size=1, max_size=4, unique=True),
    prepared=st.booleans(),
)
def test_duckdb_and_spark_release_the_same_exact_results(
    spark_settings: SparkSettings,
    template: Template,
    request_: TemplateRequest,
    dim: str | None,
    world: tuple[list[Any], list[Any]],
    bounds: tuple[int, int, int],
    campaigns: list[str],
    prepared: bool,
) -> None:
    """With ``prepared``, the files then go through the publish step's preparation (user
    columns, rows sorted): DuckDB must release the same as before it, and Spark the same
    from the prepared files; otherwise Spark reads the files as published before."""
    policy = _policy(bounds, campaigns, dim)
    with tempfile.TemporaryDirectory() as tmp:
        sources = _world(Path(tmp), *world)
        duck = _rows(sources, request_, policy, EngineSettings(threads=1))
        if prepared:
            assert all(prepare_for_queries(p) for p in (*sources.exposures, *sources.purchases))
            again = _rows(sources, request_, policy, EngineSettings(threads=1))
            assert _same(duck, again), (duck, again)
        spark = _rows(sources, request_, policy, spark_settings)
    assert _same(duck, spark), (duck, spark)
