"""The closed-loop release tables: one histogram each with the whole epsilon and the stated
sensitivity; stage counts as suffix sums; rates whose intervals carry the covariance."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from cleanroom.engine import DelayCell, FrequencyCell, FunnelCell, GroupKeys
from cleanroom.release import (
    FunnelRequest,
    ReachFrequencyRequest,
    ReleasePolicy,
    Sources,
    TimeToConversionRequest,
    release,
)
from cleanroom.release._testing import exact_mode
from cleanroom.release.funnel import funnel_table, stage_counts, stage_values
from cleanroom.release.intervals import NoisyCount
from cleanroom.release.reach_frequency import reach_frequency_table
from cleanroom.release.time_to_conversion import time_to_conversion_table
from policies.intervals import score_interval
from tests.unit.cleanroom.engine.reference import write_exposures, write_purchases

KEYS = GroupKeys(("c0", "c1", "c2"))
POLICY = ReleasePolicy(Fraction(1, 2), 5, 2, 4, Fraction(250), keys=KEYS)


def test_reach_frequency_labels_and_thresholds_each_row() -> None:
    cells = [FrequencyCell("c0", 0, 40, 10), FrequencyCell("c0", 1, 3, 1)]
    with exact_mode():
        table = reach_frequency_table(cells, (1, 4), POLICY)
    (cal,) = table.mechanisms
    assert (cal.statistic, cal.sensitivity, cal.epsilon) == ("frequency_cells", 1, Fraction(1, 2))
    first, second = table.rows
    assert first.key == ("c0", "1-3") and second.key == ("c0", "4+")
    assert first.values["conversion_rate"] is not None
    assert first.values["conversion_rate"].value == 0.25
    assert second.suppressed and table.rows_suppressed == 1


def test_time_to_conversion_thresholds_a_campaign_on_its_total() -> None:
    cells = [DelayCell("c0", 0, 4), DelayCell("c0", 1, 2), DelayCell("c1", 0, 1)]
    cells += [DelayCell("c1", 1, 0)]
    with exact_mode():
        table = time_to_conversion_table(cells, ("0-1h", "1h+"), POLICY)
    (cal,) = table.mechanisms
    assert (cal.statistic, cal.sensitivity) == ("delay_cells", 4)  # P, not min(C, G)
    assert [r.suppressed for r in table.rows] == [False, False, True, True]
    share = table.rows[0].values["share"]
    assert share is not None and share.value == 4 / 6
    total = table.rows[1].values["campaign_purchases"]
    assert total is not None and total.value == 6


def test_funnel_stage_counts_are_suffix_sums_with_summed_variances() -> None:
    cells = [NoisyCount(v, 2.0, 3) for v in (50, 30, 15, 5)]
    counts = stage_counts(cells)
    assert [counts[s].value for s in ("exposed", "matched", "converted", "repeated")] == [
        100, 50, 20, 5,
    ]  # fmt: skip
    assert [counts[s].variance for s in ("exposed", "matched", "converted", "repeated")] == [
        8.0, 6.0, 4.0, 2.0,
    ]  # fmt: skip
    rate = stage_values(counts)["conversion_rate"]
    assert rate is not None and rate.value == 20 / 50
    # the covariance of converted and matched is converted's variance (a suffix)
    assert (rate.low, rate.high) == score_interval(20.0, 50.0, 4.0, 6.0, 4.0)


def test_funnel_is_one_histogram_thresholded_on_exposed() -> None:
    cells = [FunnelCell("c0", (10, 5, 3, 1)), FunnelCell("c1", (1, 1, 1, 1))]
    with exact_mode():
        table = funnel_table(cells, POLICY)
    (cal,) = table.mechanisms
    assert (cal.statistic, cal.sensitivity, cal.epsilon) == ("funnel_cells", 2, Fraction(1, 2))
    assert table.rows[0].values["repeated"] is not None
    assert table.rows[0].values["repeated"].value == 1
    assert not table.rows[0].suppressed and table.rows[1].suppressed


@pytest.fixture
def sources(tmp_path: Path) -> Sources:
    exposures = [(u, f"c{u % 3}", 100 + u, u % 4 == 0) for u in range(90)]
    purchases = [(u, 150 + u, 12.5) for u in range(0, 90, 2)]
    return Sources(
        (write_exposures(tmp_path / "e.parquet", exposures),),
        (write_purchases(tmp_path / "p.parquet", purchases),),
    )


@pytest.mark.parametrize(
    "request_",
    [
        ReachFrequencyRequest("email", 86_400, (1, 2), 5),
        TimeToConversionRequest("email", 86_400, (60,), ("0-1m", "1m+")),
        FunnelRequest("email", 86_400, 86_400),
    ],
    ids=lambda r: r.template,
)
def test_each_releases_with_the_whole_epsilon_through_opendp(
    sources: Sources, request_: ReachFrequencyRequest | TimeToConversionRequest | FunnelRequest
) -> None:
    result = release(sources, request_, POLICY)
    (mechanism,) = result.mechanisms
    assert mechanism.epsilon == POLICY.epsilon and mechanism.accounted <= mechanism.epsilon
    assert result.template == request_.template and not result.exact
    assert set(result.derived) == set(result.value_columns)
    assert result.parameters["join_family"] == "email"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ReachFrequencyRequest("email", 60, (2, 3), 5), "frequency buckets start at 1"),
        (lambda: ReachFrequencyRequest("email", 60, (1, 9), 5), "frequency buckets start at 1"),
        (lambda: TimeToConversionRequest("email", 60, (60,), ("a", "b")), "within the window"),
        (lambda: TimeToConversionRequest("email", 60, (10,), ("a",)), "one label per delay"),
        (lambda: FunnelRequest("email", 60, -1), "window_seconds must be a whole number"),
    ],
)
def test_requests_validate_themselves(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]
