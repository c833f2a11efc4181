"""The closed loop, in order: admin and parties set up, keys, approvals, tokens, uploads,
questions. Independent steps of the two parties run side by side, as two companies would.

Every step is a separate ``cleanroom`` or ``party-agent`` process (:mod:`steps`); the
server is a real ``cleanroom serve`` child that is stopped when :func:`run_loop` returns
or fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleanroom.demo import steps
from cleanroom.demo.policy_file import write_demo_policy
from cleanroom.demo.runner import Runner
from cleanroom.demo.server_process import ServerProcess
from cleanroom.demo.steps import BRAND, DATASETS, RETAILER, PartyFiles
from cleanroom.demo.workdir import Layout

QUESTIONS = tuple(name for name, _, _ in steps.QUESTIONS)
ASKED_BY = {
    "overlap": BRAND,
    "conversions": BRAND,
    "lift": RETAILER,
    "attribution": BRAND,
    "reach_frequency": BRAND,
    "time_to_conversion": BRAND,
    "funnel": RETAILER,
}


@dataclass
class LoopOutcome:
    """What the loop produced: ids, the parties' summaries and the query replies."""

    server_url: str = ""
    server_stopped: bool = False
    collaboration: str = ""
    tokens: dict[str, str] = field(default_factory=dict)  # API token by member (and admin)
    tokenized: dict[str, dict[str, Any]] = field(default_factory=dict)
    replies: dict[str, dict[str, Any]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def party_files(layout: Layout) -> dict[str, PartyFiles]:
    return {
        BRAND: PartyFiles(
            BRAND,
            layout.home(BRAND),
            layout.brand / "exposures.csv",
            layout.brand / "exposures.mapping.yaml",
            layout.brand / "exposures.parquet",
            "exposures",
        ),
        RETAILER: PartyFiles(
            RETAILER,
            layout.home(RETAILER),
            layout.retailer / "purchases.csv",
            layout.retailer / "purchases.mapping.yaml",
            layout.retailer / "purchases.parquet",
            "purchases",
        ),
    }


class _Clock:
    def __init__(self, timings: dict[str, float], announce: Callable[[str], None]) -> None:
        self.timings = timings
        self.announce = announce
        self._name = ""
        self._started = 0.0

    def phase(self, name: str) -> None:
        self.stop()
        self.announce(name)
        self._name, self._started = name, time.perf_counter()

    def stop(self) -> None:
        if self._name:
            self.timings[self._name] = round(time.perf_counter() - self._started, 2)
            self._name = ""


def run_loop(
    layout: Layout,
    runner: Runner,
    announce: Callable[[str], None],
    spend_file: str,
    protocol: str = "v1",
) -> LoopOutcome:
    """Run every step against a fresh server; the server is stopped on return or error.

    Protocol v2 has no match key: both parties approve the policy, then tokenize (the
    agent blinds with its own scalar), upload, and blind each other's relayed points."""
    outcome = LoopOutcome()
    clock = _Clock(outcome.timings, announce)
    files = party_files(layout)
    brand, retailer = files[BRAND], files[RETAILER]
    clock.phase("set up: admin token, policy file, party keys")
    admin = runner.run_all(
        [
            steps.admin_init(layout),
            steps.policy_preset(layout),
            steps.party_init(brand),
            steps.party_init(retailer),
        ]
    )[0]
    secret = steps.admin_secret(admin)
    write_demo_policy(layout.admin / "standard.yaml", layout.admin / "policy.yaml", protocol)
    clock.phase("start the server")
    with ServerProcess(layout.server, layout.logs / "server.log") as server:
        outcome.server_url = server.url
        clock.phase("create the collaboration; the parties join")
        collab = steps.create_collaboration(runner, layout, server.url, secret)
        outcome.collaboration = collab
        tokens = steps.add_members(runner, server.url, secret, collab)
        outcome.tokens = {"admin": secret, **tokens}
        joined = runner.run_all(
            [
                steps.join(brand, server.url, tokens[BRAND]),
                steps.join(retailer, server.url, tokens[RETAILER]),
            ]
        )
        brand_fp, retailer_fp = (steps.fingerprints(ran) for ran in joined)
        spend = layout.brand / spend_file
        if protocol == "v2":
            _double_blind(runner, clock, files, spend, outcome)
        else:
            _shared_key(runner, clock, files, spend, outcome, (brand_fp, retailer_fp))
        clock.phase("ask the questions")
        ran = runner.run_all([steps.query(files[ASKED_BY[q]], q) for q in QUESTIONS])
        outcome.replies = {q: steps.json_reply(r) for q, r in zip(QUESTIONS, ran, strict=True)}
        clock.phase("stop the server")
    outcome.server_stopped = not server.running
    clock.stop()
    return outcome


def _shared_key(
    runner: Runner,
    clock: _Clock,
    files: dict[str, PartyFiles],
    spend: Path,
    outcome: LoopOutcome,
    fingerprints: tuple[dict[str, str], dict[str, str]],
) -> None:
    """Protocol v1: a match key shared through HPKE, HMAC tokens."""
    brand, retailer = files[BRAND], files[RETAILER]
    brand_fp, retailer_fp = fingerprints
    clock.phase("policy approvals, the key roster and the match key")
    runner.run_all([steps.approve(brand), steps.approve(retailer)])
    runner.run_all([steps.keys_roster(brand, retailer_fp), steps.keys_roster(retailer, brand_fp)])
    runner.run(steps.keys_create(brand, accept=retailer_fp["x25519"]))
    clock.phase("tokenize and upload")
    fetching = steps.keys_fetch(retailer, accept=brand_fp["ed25519"])
    ran = runner.run_all([fetching, steps.tokenize(brand)])
    outcome.tokenized[BRAND] = steps.json_reply(ran[1])
    ran = runner.run_all(
        [
            steps.tokenize(retailer),
            steps.upload(brand, brand.tokens, DATASETS["exposures"], "exposures"),
            steps.upload(brand, spend, DATASETS["spend"], "spend"),
        ]
    )
    outcome.tokenized[RETAILER] = steps.json_reply(ran[0])
    runner.run(steps.upload(retailer, retailer.tokens, DATASETS["purchases"], "purchases"))


def _double_blind(
    runner: Runner,
    clock: _Clock,
    files: dict[str, PartyFiles],
    spend: Path,
    outcome: LoopOutcome,
) -> None:
    """Protocol v2: no match key; each party blinds its own tokens and the other's."""
    brand, retailer = files[BRAND], files[RETAILER]
    clock.phase("policy approvals")
    runner.run_all([steps.approve(brand), steps.approve(retailer)])
    clock.phase("tokenize (once-blinded) and upload")
    ran = runner.run_all([steps.tokenize(brand), steps.tokenize(retailer)])
    outcome.tokenized[BRAND], outcome.tokenized[RETAILER] = (steps.json_reply(r) for r in ran)
    runner.run_all(
        [
            steps.upload(brand, brand.tokens, DATASETS["exposures"], "exposures"),
            steps.upload(brand, spend, DATASETS["spend"], "spend"),
            steps.upload(retailer, retailer.tokens, DATASETS["purchases"], "purchases"),
        ]
    )
    clock.phase("blind each other's tokens (protocol v2)")
    runner.run_all([steps.blind(brand), steps.blind(retailer)])
