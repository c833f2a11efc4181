"""Write-behind keeps order, re-raises writer errors, and lets a producer's error stand."""

from __future__ import annotations

import threading

import pytest

from party_agent.write_behind import WriteBehind


def test_items_are_written_in_order_in_another_thread() -> None:
    written: list[int] = []
    threads: set[str] = set()

    def write(item: int) -> None:
        threads.add(threading.current_thread().name)
        written.append(item)

    with WriteBehind(write, depth=2) as sink:
        for item in range(100):
            sink.put(item)
    assert written == list(range(100))
    assert threads == {"party-agent-writer"}


def test_a_writer_error_reaches_the_producer_and_nothing_more_is_written() -> None:
    written: list[int] = []

    def write(item: int) -> None:
        if item == 3:
            raise ValueError("disk full")
        written.append(item)

    with pytest.raises(ValueError, match="disk full"), WriteBehind(write, depth=1) as sink:
        for item in range(50):
            sink.put(item)
    assert written == [0, 1, 2]


def test_close_raises_an_error_of_the_last_item() -> None:
    def write(item: int) -> None:
        raise OSError("no space")

    sink = WriteBehind(write)
    sink.put(1)
    with pytest.raises(OSError, match="no space"):
        sink.close()


def test_a_producer_error_stands_and_the_thread_ends() -> None:
    release = threading.Event()

    def write(item: int) -> None:
        release.wait()
        raise OSError("the writer's error")

    with pytest.raises(KeyError), WriteBehind(write, depth=1) as sink:
        sink.put(1)
        release.set()
        raise KeyError("the producer's error")
    assert not any(t.name == "party-agent-writer" for t in threading.enumerate())
