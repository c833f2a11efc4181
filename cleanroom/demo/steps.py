"""The demo's commands, step by step, exactly as an operator and two parties would type them.

Every function here builds :class:`Command` values and runs them through the
:class:`Runner` (separate processes); nothing here touches the server or a party's
files in-process. The party names are those of the ``standard`` preset's receivers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cleanroom.demo.errors import DemoError
from cleanroom.demo.runner import Command, Ran, Runner
from cleanroom.demo.workdir import Layout

BRAND, RETAILER = "brand", "retailer"
PARTIES = (BRAND, RETAILER)
#: Every member and its role: the two parties, and an analyst and an auditor who only use
#: the web console (their tokens are printed at the end so a person can sign in).
MEMBERS = {BRAND: "party_admin", RETAILER: "party_admin", "agency": "analyst",
           "compliance": "auditor"}  # fmt: skip
COLLABORATION_NAME = "demo-summer-campaigns"
DATASETS = {"exposures": "exposures", "purchases": "purchases", "spend": "spend"}
WINDOW = "7d"
ADMIN_TOKEN_ENV = "CLEANROOM_ADMIN_TOKEN"

_ADMIN_LINE = re.compile(r"admin token \((tok_\w+)\), shown once: (\S+)")
_MEMBER_LINE = re.compile(r"member (\S+) token \((tok_\w+)\): (\S+)")
_FINGERPRINT_LINE = re.compile(r"^(x25519|ed25519) fingerprint:\s+([0-9a-f ]+)$", re.MULTILINE)


@dataclass(frozen=True)
class PartyFiles:
    """One party's files in its own folder."""

    party: str
    home: Path
    raw: Path
    mapping: Path
    tokens: Path
    kind: str


def _token_env(secret: str) -> dict[str, str]:
    return {ADMIN_TOKEN_ENV: secret}


def admin_init(layout: Layout) -> Command:
    return Command(
        "admin",
        "create the first admin token",
        "cleanroom",
        ("admin", "init", "--data-dir", str(layout.server)),
    )


def admin_secret(ran: Ran) -> str:
    match = _ADMIN_LINE.search(ran.stdout)
    if match is None:
        raise DemoError("cleanroom admin init printed no admin token")
    return match.group(2)


def policy_preset(layout: Layout) -> Command:
    return Command(
        "admin",
        "write the standard policy",
        "cleanroom",
        ("policy", "preset", "standard"),
        stdout_to=layout.admin / "standard.yaml",
    )


def party_init(files: PartyFiles) -> Command:
    return Command(
        files.party,
        "create the party's keys",
        "party-agent",
        ("init", "--home", str(files.home), "--party", files.party),
    )


def create_collaboration(runner: Runner, layout: Layout, url: str, secret: str) -> str:
    args: tuple[str, ...] = ("admin", "create-collaboration", "--name", COLLABORATION_NAME)
    args += ("--policy", str(layout.admin / "policy.yaml"), "--server", url)
    ran = runner.run(
        Command("admin", "create the collaboration", "cleanroom", args, env=_token_env(secret))
    )
    return ran.stdout.strip().splitlines()[-1]


def add_members(runner: Runner, url: str, secret: str, collaboration: str) -> dict[str, str]:
    """Add every member of :data:`MEMBERS` with its role; their API tokens, by party."""
    commands = [
        Command(
            "admin",
            f"add member {party}",
            "cleanroom",
            (
                "admin",
                "add-member",
                "--collaboration",
                collaboration,
                "--party",
                party,
                "--role",
                role,
                "--server",
                url,
            ),
            env=_token_env(secret),
        )
        for party, role in MEMBERS.items()
    ]
    tokens = {}
    for party, ran in zip(MEMBERS, runner.run_all(commands), strict=True):
        match = _MEMBER_LINE.search(ran.stdout)
        if match is None:
            raise DemoError(f"cleanroom admin add-member printed no token for {party}")
        tokens[party] = match.group(3)
    return tokens


def join(files: PartyFiles, url: str, token: str) -> Command:
    args = ("join", "--home", str(files.home), "--server", url, "--token", token)
    secret = {token: f"${files.party.upper()}_TOKEN"}
    return Command(files.party, "join the collaboration", "party-agent", args, secrets=secret)


def fingerprints(joined: Ran) -> dict[str, str]:
    """The fingerprints ``party-agent join`` printed (``x25519``, ``ed25519``): what a party
    reads to its partner on a call before the partner accepts them."""
    found = {kind: fp.strip() for kind, fp in _FINGERPRINT_LINE.findall(joined.stdout)}
    if set(found) != {"x25519", "ed25519"}:
        raise DemoError("party-agent join printed no key fingerprints")
    return found


def keys_create(files: PartyFiles, accept: str) -> Command:
    """Wrap the match key, accepting the partner's X25519 fingerprint read out of band."""
    return Command(
        files.party,
        "create and wrap the match key",
        "party-agent",
        ("keys", "create", "--home", str(files.home), "--accept-fingerprint", accept),
    )


def keys_fetch(files: PartyFiles, accept: str) -> Command:
    """Fetch the match key, accepting its creator's Ed25519 fingerprint read out of band."""
    return Command(
        files.party,
        "fetch the match key",
        "party-agent",
        ("keys", "fetch", "--home", str(files.home), "--accept-fingerprint", accept),
    )


def keys_roster(files: PartyFiles, partner: dict[str, str]) -> Command:
    """Sign the key roster (pin_keys: on_registration), accepting the partner's X25519 and
    Ed25519 fingerprints read out of band."""
    args: tuple[str, ...] = ("keys", "roster", "--home", str(files.home), "--yes")
    for kind in ("x25519", "ed25519"):
        args += ("--accept-fingerprint", partner[kind])
    return Command(files.party, "check and sign the key roster", "party-agent", args)


def approve(files: PartyFiles) -> Command:
    return Command(
        files.party,
        "sign the policy",
        "party-agent",
        ("policy", "approve", "--home", str(files.home), "--yes"),
    )


def tokenize(files: PartyFiles) -> Command:
    args: tuple[str, ...] = ("tokenize", "--home", str(files.home), "--mapping", str(files.mapping))
    args += ("--in", str(files.raw), "--out", str(files.tokens), "--json")
    return Command(files.party, f"tokenize {files.raw.name}", "party-agent", args)


def blind(files: PartyFiles) -> Command:
    """Protocol v2's extra step: blind the other party's relayed points."""
    args = ("blind", "--home", str(files.home), "--json")
    return Command(files.party, "blind the other party's tokens", "party-agent", args)


def upload(files: PartyFiles, file: Path, dataset: str, kind: str) -> Command:
    args = ("upload", "--home", str(files.home), "--dataset", dataset, "--kind", kind, str(file))
    return Command(files.party, f"upload {dataset}", "party-agent", args)


#: The comparison the demo asks: every model of the standard preset but first_touch.
COMPARED = ("last_touch", "linear", "position_based", "time_decay")
HALF_LIFE = "3d"
#: Each question: (name, template, extra arguments); the name keys the demo's results.
QUESTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("overlap", "overlap", ()),
    ("conversions", "conversions", ("--attribution", "last_touch", "--spend", "spend")),
    ("lift", "lift", ()),
    ("attribution", "conversions",
     ("--attribution", ",".join(COMPARED), "--half-life", HALF_LIFE, "--spend", "spend")),
    ("reach_frequency", "reach_frequency", ()),
    ("time_to_conversion", "time_to_conversion", ()),
    ("funnel", "funnel", ()),
)  # fmt: skip


def query(files: PartyFiles, name: str) -> Command:
    """The question ``name`` of :data:`QUESTIONS`, as the party's agent asks it."""
    template, extra = next((t, x) for n, t, x in QUESTIONS if n == name)
    args = ["query", template, "--home", str(files.home)]
    args += ["--exposures", DATASETS["exposures"], "--purchases", DATASETS["purchases"]]
    if template != "overlap":
        args += ["--window", WINDOW]
    return Command(files.party, f"query {name}", "party-agent", (*args, *extra, "--json"))


def json_reply(ran: Ran) -> dict[str, Any]:
    """The one JSON document a ``--json`` command printed."""
    try:
        reply = json.loads(ran.stdout)
    except ValueError:
        raise DemoError(f"{ran.command.label}: the output is not JSON") from None
    if not isinstance(reply, dict):
        raise DemoError(f"{ran.command.label}: expected a JSON object")
    return reply
