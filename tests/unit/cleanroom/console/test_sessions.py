from __future__ import annotations

from cleanroom.console.sessions import IDLE_SECONDS, MAX_SECONDS, SessionStore, same


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_holds_the_token_id_and_its_own_csrf_token() -> None:
    store = SessionStore(Clock())
    cookie, opened = store.open("tok_1")
    found = store.get(cookie)
    assert found is not None and found.token_id == "tok_1" and found.csrf == opened.csrf
    assert cookie != opened.csrf and len(cookie) >= 40
    other, _ = store.open("tok_1")
    again = store.get(other)
    assert other != cookie and again is not None and again.csrf != opened.csrf


def test_unknown_closed_idle_and_old_sessions_are_gone() -> None:
    clock = Clock()
    store = SessionStore(clock)
    assert store.get(None) is None and store.get("made-up") is None
    closed, _ = store.open("tok_1")
    store.close(closed)
    assert store.get(closed) is None
    idle, _ = store.open("tok_1")
    clock.now += IDLE_SECONDS + 1
    assert store.get(idle) is None
    busy, _ = store.open("tok_1")
    for _ in range(int(MAX_SECONDS / (IDLE_SECONDS / 2)) + 1):
        clock.now += IDLE_SECONDS / 2
        found = store.get(busy)
    assert found is None  # active all along, still ends after MAX_SECONDS


def test_csrf_comparison() -> None:
    assert same("abc", "abc") and not same("abc", "abd") and not same("", "abc")
