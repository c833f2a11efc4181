"""Fractional-credit release: one column set per model, the epsilon split recorded per
mechanism, micro-credits shown as credits, the threshold on noisy exposed users."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from cleanroom.engine import Attribution, CreditSettings, GroupKeys, Sources
from cleanroom.release import ConversionsRequest, ReleasePolicy, Result, release
from cleanroom.release._testing import exact_mode
from tests.unit.cleanroom.engine.reference import write_purchases
from tests.unit.cleanroom.engine.reference_attribution import write_exposures

MODELS = (Attribution.LINEAR, Attribution.LAST_TOUCH)


def _release(tmp_path: Path, k: int = 3) -> Result:
    exposures = [(u, "a", 0, False, False) for u in range(6)]
    exposures += [(u, "b", 2, False, False) for u in range(3)]
    purchases = [(u, 5, 12.34) for u in range(6)]
    sources = Sources(
        (write_exposures(tmp_path / "e.parquet", exposures),),
        (write_purchases(tmp_path / "p.parquet", purchases),),
    )
    policy = ReleasePolicy(Fraction(1, 2), k, 2, 4, Fraction(100), keys=GroupKeys(("a", "b", "c")))
    request = ConversionsRequest("email", 10, Attribution.LINEAR, credit=CreditSettings(MODELS))
    with exact_mode():
        return release(sources, request, policy)


def test_one_column_set_per_model_and_credits_in_whole_units(tmp_path: Path) -> None:
    result = _release(tmp_path)
    assert result.value_columns == (
        "exposed_users",
        "linear.credited_conversions", "linear.credited_revenue", "linear.roas",
        "last_touch.credited_conversions", "last_touch.credited_revenue", "last_touch.roas",
    )  # fmt: skip
    a, b, c = result.rows
    # users 0-2 saw a then b: linear gives each half; users 3-5 saw only a
    assert a.values["exposed_users"].value == 6
    assert a.values["linear.credited_conversions"].value == 4.5
    assert b.values["linear.credited_conversions"].value == 1.5
    assert (
        a.values["linear.credited_revenue"].value == (3 * 617 + 3 * 1234) / 100
    )  # half of 1234 cents each
    assert a.values["last_touch.credited_conversions"].value == 3.0
    assert b.values["last_touch.credited_conversions"].value == 3.0
    assert a.values["linear.roas"] is None  # no spend dataset
    assert c.suppressed and result.rows_suppressed == 1


def test_the_epsilon_is_split_over_every_released_statistic(tmp_path: Path) -> None:
    result = _release(tmp_path)
    mechanisms = result.mechanisms
    assert [m.statistic for m in mechanisms] == [
        "exposed",
        "credited_micro:linear", "credited_revenue_cents:linear",
        "credited_micro:last_touch", "credited_revenue_cents:last_touch",
    ]  # fmt: skip
    assert [m.epsilon for m in mechanisms] == [Fraction(1, 10)] * 5
    assert sum(m.epsilon for m in mechanisms) == result.epsilon_spent == Fraction(1, 2)
    assert [m.sensitivity for m in mechanisms] == [2, 4_000_000, 40_000, 4_000_000, 40_000]
    assert all(m.accounted <= m.epsilon for m in mechanisms)
    assert result.parameters["credit"] == {"models": ["linear", "last_touch"]}
    assert "rounded down" in result.derived["linear.credited_conversions"]
