"""The read-ahead limit in front of Arrow's CSV reader."""

from __future__ import annotations

import io
import threading

from party_agent.bounded import BoundedStream


def test_read_waits_until_the_consumer_catches_up() -> None:
    stream = BoundedStream(io.BytesIO(b"x" * 100), limit=20)
    assert stream.read(20) == b"x" * 20
    second: list[bytes] = []
    reader = threading.Thread(target=lambda: second.append(stream.read(20)))
    reader.start()
    reader.join(timeout=0.3)
    assert reader.is_alive() and second == []  # 20 bytes ahead: must wait
    stream.consumed(20)
    reader.join(timeout=5)
    assert second == [b"x" * 20]


def test_close_releases_a_waiting_reader() -> None:
    stream = BoundedStream(io.BytesIO(b"abc"), limit=1)
    stream.read(1)
    done = threading.Event()

    def read() -> None:
        stream.read(1)
        done.set()

    threading.Thread(target=read).start()
    assert not done.wait(0.2)
    stream.close()
    assert done.wait(5)
