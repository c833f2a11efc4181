"""Pieces every ``party-agent`` command shares: error reporting and common options.

Server-facing commands (:mod:`party_agent.commands`) use these too, so all commands fail
the same way: one line ``error: ...`` on stderr and the error's exit code.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn, ParamSpec, TypeVar

import typer

from party_agent.errors import AgentError

DEBUG_VARIABLE = "PARTY_AGENT_DEBUG"
HOME_VARIABLE = "PARTY_AGENT_HOME"
COLLABORATION_VARIABLE = "PARTY_AGENT_COLLABORATION"
#: Where the party home lives without ``--home`` or ``PARTY_AGENT_HOME``.
DEFAULT_HOME = "~/.party-agent"
P = ParamSpec("P")
R = TypeVar("R")


def default_home() -> Path:
    """``~/.party-agent``: the home of a party that keeps one per user account."""
    return Path(DEFAULT_HOME).expanduser()


HomeOption = Annotated[
    Path,
    typer.Option(
        "--home",
        envvar=HOME_VARIABLE,
        default_factory=default_home,
        show_default=DEFAULT_HOME,
        help=f"The party home directory (or set {HOME_VARIABLE}).",
        file_okay=False,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as one JSON document.")]
CollaborationOption = Annotated[
    str | None,
    typer.Option(
        "--collaboration",
        envvar=COLLABORATION_VARIABLE,
        help="Which of the home's collaborations (default: the home's default, "
        "see 'party-agent credentials list').",
    ),
]


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn any exception into one ``error: ...`` line and an exit code.

    An :class:`AgentError` carries a message written never to quote data, and its own
    exit code. An ``OSError`` shows only its reason and file name. Any other exception
    (a bug, or a library error whose text might quote a row of the input) shows only its
    type; set ``PARTY_AGENT_DEBUG=1`` to get the traceback on a machine you trust.
    """

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except AgentError as exc:
            _fail(str(exc), exc.exit_code)
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            _fail(f"{exc.strerror or type(exc).__name__}{where}", 1)
        except Exception as exc:
            if os.environ.get(DEBUG_VARIABLE):
                raise
            _fail(
                f"unexpected {type(exc).__name__} (details withheld: they may quote input "
                f"data; rerun with {DEBUG_VARIABLE}=1 to see them)",
                1,
            )

    return wrapper


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def currency_code(text: str | None) -> str | None:
    """``--currency``: an ISO 4217 code the reports know (``jpy`` -> ``JPY``), or a
    one-line ConfigError listing them."""
    from party_agent.errors import ConfigError
    from reports import ReportError
    from reports.style import currency_code as checked

    if text is None:
        return None
    try:
        return checked(text)
    except ReportError as error:
        raise ConfigError(str(error)) from None
