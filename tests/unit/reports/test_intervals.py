from __future__ import annotations

from reports import Number, Series, Style, interval_chart


def chart(truth: float | None) -> str:
    numbers = [Number(10.0, 5.0, 15.0, truth), None]
    return interval_chart("t <&>", ["a", "b"], [Series("n", "#000", numbers)], Style().count, True)


def test_the_true_value_is_drawn_and_explained_only_where_known() -> None:
    assert "true value" in chart(12.0) and "true value" not in chart(None)


def test_suppressed_groups_are_marked_and_text_is_escaped() -> None:
    svg = chart(None)
    assert "suppressed (group below the threshold)" in svg
    assert "t &lt;&amp;&gt;" in svg and "<&>" not in svg
