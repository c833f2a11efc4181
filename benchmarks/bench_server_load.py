"""The server under concurrent load: requests/s and latency percentiles (issue 14).

A real ``cleanroom serve`` (SQLite, access log off) and, in the same run, a trivial
FastAPI app under the same uvicorn (one sync route returning a constant: the ceiling of
framework + loopback + this load generator). Each workload runs at 1, 8, 32 and 128
concurrent clients for a fixed time; every client is an asyncio task with its own
keep-alive connection (one pool, all opened before the clock starts), sending its next
request as soon as the last one is answered.

- **cheap read**: ``GET /v1/me`` (token lookup in the database, one small JSON);
- **cached repeat**: ``POST .../queries`` of a question already answered (plan, policy
  evaluation, stored-result lookup, the repeat counter's one-row update, commit).

Reported per row: requests/s against the trivial route's at the same concurrency,
p50/p99 latency of both, and any non-2xx answers (503 ``server-busy`` when every turn is
taken). Then the server's RSS after the runs (``VmRSS``) and its peak (``VmHWM``).
The load generator shares the machine's two cores with the server, so the trivial route
is the fair yardstick, not an absolute number.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from benchmarks.common import Result

if TYPE_CHECKING:
    from tests.integration.server import ServerProcess

CONCURRENCY = (1, 8, 32, 128)

TRIVIAL_APP = textwrap.dedent(
    """
    import sys, uvicorn
    from fastapi import FastAPI
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
    """
)


@dataclass(frozen=True)
class Run:
    rate: float
    p50_ms: float
    p99_ms: float
    statuses: Counter[int]

    def describe(self) -> str:
        odd = {s: n for s, n in self.statuses.items() if not 200 <= s < 300}
        text = f"p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms"
        return text + (f", non-2xx {odd}" if odd else "")


@dataclass(frozen=True)
class Target:
    url: str
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, object] | None = None


async def _client(
    http: httpx.AsyncClient,
    target: Target,
    until: float,
    latencies: list[float],
    seen: Counter[int],
) -> None:
    while time.perf_counter() < until:
        started = time.perf_counter()
        try:
            reply = await http.request(target.method, target.path, json=target.body)
        except httpx.HTTPError:
            seen[0] += 1  # no answer (reported as status 0, never hidden)
            continue
        latencies.append(time.perf_counter() - started)
        seen[reply.status_code] += 1


async def _load(target: Target, clients: int, seconds: float) -> Run:
    """``clients`` tasks on one pool of as many keep-alive connections, opened beforehand."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=target.url, headers=target.headers, timeout=60, limits=limits
    ) as http:
        await asyncio.gather(  # warm up: open every connection before the clock starts
            *(http.request(target.method, target.path, json=target.body) for _ in range(clients))
        )
        latencies: list[float] = []
        seen: Counter[int] = Counter()
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(
            *(_client(http, target, until, latencies, seen) for _ in range(clients))
        )
        elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return Run(len(latencies) / elapsed, cuts[49] * 1000, cuts[98] * 1000, seen)


def measure(target: Target, clients: int, seconds: float) -> Run:
    return asyncio.run(_load(target, clients, seconds))


def _rss_mib(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


class TrivialServer:
    def __init__(self) -> None:
        from tests.integration.server import free_port

        self.port = free_port()
        args = [sys.executable, "-c", TRIVIAL_APP, str(self.port)]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/ping", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the trivial FastAPI app did not start")

    def target(self) -> Target:
        return Target(f"http://127.0.0.1:{self.port}", "GET", "/ping", {})

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _cleanroom_targets(data_dir: Path) -> tuple[ServerProcess, Target, Target]:
    from tests.integration.query_world import conversions, make_world
    from tests.integration.server import ServerProcess
    from tests.integration.world import api

    server = ServerProcess(data_dir, env={"CLEANROOM_LOG_LEVEL": "warning"}).start()
    world = make_world(lambda token: api(server.url, token), server.admin_token, "bench")
    token = {"Authorization": f"Bearer {world.party('ana').token}"}
    body = conversions("7d", receiver="brand")
    query = f"/v1/collaborations/{world.id}/queries"
    assert httpx.post(server.url + query, json=body, headers=token, timeout=60).status_code == 201
    read = Target(server.url, "GET", "/v1/me", token)
    repeat = Target(server.url, "POST", query, token, body)
    return server, read, repeat


def run(quick: bool) -> list[Result]:
    seconds = 1.0 if quick else 4.0
    levels = (1, 32) if quick else CONCURRENCY
    results: list[Result] = []
    trivial = TrivialServer()
    with tempfile.TemporaryDirectory() as tmp:
        server, read, repeat = _cleanroom_targets(Path(tmp) / "data")
        try:
            for clients in levels:
                baseline = measure(trivial.target(), clients, seconds)
                for name, target in (("cheap read GET /v1/me", read), ("cached repeat", repeat)):
                    measured = measure(target, clients, seconds)
                    results.append(
                        Result(
                            name=f"{name}, {clients} clients",
                            value=measured.rate,
                            unit="requests/s",
                            baseline_name="trivial FastAPI route",
                            baseline_value=baseline.rate,
                            notes=f"{measured.describe()}; trivial route {baseline.describe()}; "
                            f"{seconds:g} s per run",
                        )
                    )
            assert server.process is not None
            rss, peak = _rss_mib(server.process.pid)
        finally:
            server.stop()
            trivial.stop()
    results.append(
        Result(
            name="server RSS after the load runs",
            value=rss,
            unit="MiB",
            notes=f"peak {peak:,.0f} MiB (VmHWM); SQLite, max_concurrent_requests 32",
        )
    )
    return results
