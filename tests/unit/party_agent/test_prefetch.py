"""Read-ahead keeps order, re-raises reader errors, and stops the reader when closed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from party_agent.prefetch import prefetch


def test_items_arrive_in_order() -> None:
    assert list(prefetch(iter(range(100)), depth=3)) == list(range(100))


def test_an_error_in_the_reader_reaches_the_consumer() -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise ValueError("reader broke")

    consumer = prefetch(failing())
    assert next(consumer) == 1
    with pytest.raises(ValueError, match="reader broke"):
        next(consumer)


def test_closing_early_stops_and_closes_the_source() -> None:
    closed: list[bool] = []

    def endless() -> Iterator[int]:
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.append(True)

    consumer = prefetch(endless(), depth=1)
    assert next(consumer) == 0
    consumer.close()
    assert closed == [True]
