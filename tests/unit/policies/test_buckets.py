"""Bucket parameters of the closed-loop templates: parsing, labels, defaults, refusals."""

from __future__ import annotations

import pytest

from policies import Duration, InvalidQuery, parse_query, query_to_canonical
from policies.buckets import (
    default_delay_buckets,
    delay_buckets_of,
    delay_labels,
    frequency_buckets_of,
    frequency_labels,
)


@pytest.mark.parametrize(
    ("edges", "labels"),
    [
        ((1, 2, 3, 6, 11), ("1", "2", "3-5", "6-10", "11+")),
        ((1,), ("1+",)),
        ((1, 5), ("1-4", "5+")),
    ],
)
def test_frequency_labels(edges: tuple[int, ...], labels: tuple[str, ...]) -> None:
    assert frequency_labels(edges) == labels


def test_delay_labels() -> None:
    edges = (Duration(3600), Duration(86400), Duration(3 * 86400))
    assert delay_labels(edges) == ("0-1h", "1h-1d", "1d-3d", "3d+")
    assert delay_labels(()) == ("0+",)


def test_text_and_lists_read_alike() -> None:
    assert frequency_buckets_of("1, 2,5") == frequency_buckets_of([1, 2, 5]) == (1, 2, 5)
    assert delay_buckets_of("1h,2d") == (Duration(3600), Duration(2 * 86400))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([2, 3], "the first frequency bucket must start at 1 (one exposure)"),
        ([1, 3, 3], "frequency bucket edges must be strictly increasing"),
        ([1, "x"], "must be whole numbers, got 'x'"),
        (list(range(1, 15)), "at most 12 frequency buckets, got 14"),
        (7, "must be a list or comma-separated text, got 7"),
    ],
)
def test_bad_frequency_buckets(value: object, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        frequency_buckets_of(value)


def test_default_delays_stop_below_the_window() -> None:
    assert [str(d) for d in default_delay_buckets(Duration(3 * 86400))] == ["1h", "1d"]


def test_defaults_are_resolved_so_equal_questions_have_equal_keys() -> None:
    implicit = parse_query(template="reach_frequency", requester="brand", window="7d")
    explicit = parse_query(
        template="reach_frequency",
        requester="brand",
        window="7d",
        frequency_buckets="1,2,3,6,11",
        frequency_cap=20,
    )
    assert query_to_canonical(implicit) == query_to_canonical(explicit)
    funnel = parse_query(template="funnel", requester="brand", window="7d")
    assert query_to_canonical(funnel)["horizon"] == "30d"
    delays = parse_query(template="time_to_conversion", requester="brand", window="7d")
    assert query_to_canonical(delays)["delay_buckets"] == ["1h", "1d", "3d"]


def test_older_templates_keep_their_canonical_form() -> None:
    """No bucket field appears for them, so their repeat keys are unchanged."""
    query = parse_query(template="conversions", requester="brand", window="7d")
    assert set(query_to_canonical(query)) == {
        "template", "requester", "window", "attribution", "dimensions", "epsilon",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"template": "funnel", "frequency_cap": 3}, "frequency_cap is not a parameter of funnel"),
        ({"template": "reach_frequency", "frequency_buckets": [1, 8], "frequency_cap": 5},
         "frequency_buckets: the last edge 8 is above the frequency cap of 5"),
        ({"template": "reach_frequency", "frequency_cap": 0},
         "frequency_cap: must be between 1 and 1000, got 0"),
        ({"template": "time_to_conversion", "delay_buckets": ["3d", "1d"]},
         "delay_buckets: delay bucket edges must be strictly increasing"),
        ({"template": "time_to_conversion", "delay_buckets": ["8d"]},
         "delay_buckets: every boundary must be shorter than the window 7d, got 8d"),
        ({"template": "funnel", "dimensions": ["channel"]},
         "funnel groups by campaign only, not by a dimension"),
        ({"template": "overlap", "horizon": "3d", "window": None},
         "horizon is not a parameter of overlap"),
    ],
)  # fmt: skip
def test_bad_requests_are_refused_in_plain_words(fields: dict[str, object], message: str) -> None:
    wire: dict[str, object] = {"requester": "brand", "window": "7d", **fields}
    with pytest.raises(InvalidQuery) as caught:
        parse_query(**wire)  # type: ignore[arg-type]
    assert str(caught.value) == message
