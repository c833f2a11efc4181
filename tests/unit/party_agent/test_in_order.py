"""map_in_order: results in item order whatever finishes first, bounded in flight,
failures raised in their turn."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from party_agent.in_order import map_in_order


def test_results_come_in_item_order_when_later_items_finish_first() -> None:
    def slow_evens(item: int) -> int:
        time.sleep(0.01 if item % 2 == 0 else 0)
        return item * 10

    assert list(map_in_order(slow_evens, range(20), threads=2)) == [i * 10 for i in range(20)]


def test_items_run_on_several_threads_at_once() -> None:
    both = threading.Barrier(2, timeout=5)
    names: set[str] = set()

    def meet(item: int) -> int:
        names.add(threading.current_thread().name)
        both.wait()  # times out (BrokenBarrierError) unless two items run at once
        return item

    assert list(map_in_order(meet, range(4), threads=2)) == [0, 1, 2, 3]
    assert len(names) == 2 and all(n.startswith("party-agent-tokenize") for n in names)


def test_at_most_threads_items_are_taken_ahead_of_the_consumer() -> None:
    taken: list[int] = []

    def source() -> Iterator[int]:
        for item in range(10):
            taken.append(item)
            yield item

    results = map_in_order(lambda item: item, source(), threads=2)
    assert next(results) == 0
    assert taken == [0, 1, 2]  # item 0 handed on, items 1 and 2 in flight
    assert next(results) == 1
    assert taken == [0, 1, 2, 3]
    results.close()


def test_a_failure_is_raised_in_its_turn_and_later_items_are_dropped() -> None:
    started: list[int] = []

    def fail_at_three(item: int) -> int:
        started.append(item)
        if item == 3:
            raise ValueError("bad row")
        return item

    got: list[int] = []
    with pytest.raises(ValueError, match="bad row"):
        for result in map_in_order(fail_at_three, range(100), threads=2):
            got.append(result)
    assert got == [0, 1, 2]
    assert max(started) <= 4  # nothing beyond the item in flight beside it


def test_an_earlier_failure_wins_over_a_later_one() -> None:
    def fail_slowly_at_one(item: int) -> int:
        if item == 1:
            time.sleep(0.05)
            raise ValueError("first")
        if item == 2:
            raise KeyError("second")
        return item

    with pytest.raises(ValueError, match="first"):
        list(map_in_order(fail_slowly_at_one, range(5), threads=2))


def test_one_thread_runs_in_the_caller() -> None:
    names = set()

    def record(item: int) -> int:
        names.add(threading.current_thread().name)
        return item

    assert list(map_in_order(record, range(5), threads=1)) == list(range(5))
    assert names == {threading.current_thread().name}


def test_closing_early_waits_for_running_items() -> None:
    finished: list[int] = []

    def slow(item: int) -> int:
        time.sleep(0.02)
        finished.append(item)
        return item

    results = map_in_order(slow, range(10), threads=2)
    assert next(results) == 0
    results.close()
    done = list(finished)
    time.sleep(0.1)
    assert finished == done  # nothing still running after close
    assert set(done) <= {0, 1, 2} and 0 in done
