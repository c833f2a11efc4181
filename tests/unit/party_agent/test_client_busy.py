"""Which requests the agent sends again after 503 + Retry-After, how long it waits."""

from __future__ import annotations

import httpx
import pytest

from party_agent.client import (
    BUSY_ATTEMPTS,
    BUSY_WAIT_CAP,
    BusyWait,
    CleanRoomClient,
    ServerError,
    busy_wait_seconds,
    retry_safe,
    say_on_stderr,
)

C = "/v1/collaborations/col_1"


@pytest.mark.parametrize(
    ("method", "path", "safe"),
    [
        ("GET", f"{C}/datasets", True),
        ("PUT", f"{C}/uploads/upl_1", True),
        ("DELETE", f"{C}/uploads/upl_1", True),
        ("POST", f"{C}/queries", True),
        ("POST", f"{C}/uploads", True),
        ("POST", f"{C}/uploads/upl_1/complete", True),
        ("POST", f"{C}/match-keys", False),
        ("POST", f"{C}/policies/abc/approvals", False),
        ("POST", f"{C}/roster/1/signatures", False),
        ("POST", f"{C}/blinding/batches", False),
        ("POST", f"{C}/queries/extra", False),
    ],
)
def test_only_requests_safe_to_repeat_are_sent_again(method: str, path: str, safe: bool) -> None:
    assert retry_safe(method, path) is safe


@pytest.mark.parametrize(
    ("status", "header", "wait"),
    [
        (503, "2", 2.0),
        (503, "0.5", 0.5),
        (503, "3600", BUSY_WAIT_CAP),
        (503, "Wed, 21 Oct 2026 07:28:00 GMT", None),  # a date: not waited on
        (503, None, None),
        (429, "1", None),
        (500, "1", None),
    ],
)
def test_retry_after_is_honoured_up_to_a_cap(
    status: int, header: str | None, wait: float | None
) -> None:
    headers = {"Retry-After": header} if header is not None else {}
    assert busy_wait_seconds(httpx.Response(status, headers=headers)) == wait


class Busy(httpx.BaseTransport):
    """Answers 503 + Retry-After ``busy`` times, then 200."""

    def __init__(self, busy: int) -> None:
        self.busy, self.sent = busy, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        if self.sent <= self.busy:
            problem = {"type": "urn:cleanroom:problem:server-busy", "detail": "busy"}
            return httpx.Response(503, headers={"Retry-After": "1"}, json=problem)
        return httpx.Response(200, json={"ok": True})


def client(transport: Busy, waits: list[BusyWait], slept: list[float]) -> CleanRoomClient:
    return CleanRoomClient(
        "http://room", "tok", transport=transport, on_busy=waits.append, sleep=slept.append
    )


def test_a_safe_request_waits_and_succeeds() -> None:
    waits: list[BusyWait] = []
    slept: list[float] = []
    transport = Busy(busy=2)
    with client(transport, waits, slept) as agent:
        assert agent.request("GET", f"{C}/datasets") == {"ok": True}
    assert transport.sent == 3 and slept == [1.0, 1.0]
    assert [w.attempt for w in waits] == [1, 2]


def test_attempts_are_bounded_and_the_last_refusal_is_raised() -> None:
    waits: list[BusyWait] = []
    slept: list[float] = []
    transport = Busy(busy=100)
    with client(transport, waits, slept) as agent, pytest.raises(ServerError) as error:
        agent.request("POST", f"{C}/queries", json={})
    assert error.value.status == 503 and error.value.slug == "server-busy"
    assert transport.sent == BUSY_ATTEMPTS and len(slept) == BUSY_ATTEMPTS - 1


def test_an_unsafe_post_is_sent_once() -> None:
    waits: list[BusyWait] = []
    slept: list[float] = []
    transport = Busy(busy=1)
    with client(transport, waits, slept) as agent, pytest.raises(ServerError):
        agent.request("POST", f"{C}/match-keys", json={})
    assert transport.sent == 1 and waits == [] and slept == []


def test_each_wait_is_said_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    say_on_stderr(BusyWait("GET", f"{C}/datasets", 2.0, 1, BUSY_ATTEMPTS))
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"server busy: GET {C}/datasets sent again in 2 s (attempt 2 of {BUSY_ATTEMPTS})\n"
    )
