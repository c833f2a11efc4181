"""Pieces every ``party-agent`` command shares: error reporting and common options.

Server-facing commands (``party_agent.online``) use these too, so all commands fail
the same way: one line ``error: ...`` on stderr and the error's exit code.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer

from party_agent.errors import AgentError

P = ParamSpec("P")
R = TypeVar("R")

HomeOption = Annotated[
    Path, typer.Option("--home", help="The party home directory.", file_okay=False)
]


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn an :class:`AgentError` into ``error: <message>`` and its exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except AgentError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper
