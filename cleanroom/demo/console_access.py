"""After the run: the web console's address and a sign-in token for each role.

In a terminal the demo starts the server again on the same data dir and keeps it up
until Enter, so a person can sign in at ``/ui`` and look around; otherwise (a pipe, CI,
``--json``, ``--no-wait``) it only says how to serve the console later.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping

from rich.console import Console

from cleanroom.demo.server_process import ServerProcess
from cleanroom.demo.steps import MEMBERS
from cleanroom.demo.workdir import Layout

CONSOLE_PATH = "/ui"


def sign_in_tokens(tokens: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """``{"admin": {"who": "server admin", "token": ...}, "party_admin": ...}``, one per role
    (the first member of each role)."""
    roles: dict[str, dict[str, str]] = {}
    if "admin" in tokens:
        roles["admin"] = {"who": "server admin", "token": tokens["admin"]}
    for party, role in MEMBERS.items():
        if party in tokens and role not in roles:
            roles[role] = {"who": party, "token": tokens[party]}
    return roles


def _print_tokens(out: Console, tokens: Mapping[str, str]) -> None:
    for role, entry in sign_in_tokens(tokens).items():
        out.print(
            f"  {role:<12} ({entry['who']}): {entry['token']}", highlight=False, soft_wrap=True
        )


def print_stopped(out: Console, layout: Layout, tokens: Mapping[str, str]) -> None:
    out.print(
        f"\n[bold]Web console:[/bold] the server is stopped; `cleanroom serve --data-dir "
        f"{layout.server}` serves it at http://127.0.0.1:8000{CONSOLE_PATH}. "
        "Sign in with:",
        highlight=False,
        soft_wrap=True,
    )
    _print_tokens(out, tokens)


def serve_until_enter(
    out: Console, layout: Layout, tokens: Mapping[str, str], wait: Callable[[str], str]
) -> None:
    """Serve the demo's data dir again until ``wait`` returns (Enter), EOF or Ctrl-C."""
    with ServerProcess(layout.server, layout.logs / "server.log") as server:
        out.print(
            f"\n[bold]Web console:[/bold] {server.url}{CONSOLE_PATH}  Sign in with:",
            highlight=False,
            soft_wrap=True,
        )
        _print_tokens(out, tokens)
        with contextlib.suppress(EOFError, KeyboardInterrupt):
            wait("Press Enter to stop the server. ")
    out.print("the server is stopped", highlight=False)
