"""``party-agent query overlap|conversions|lift|reach_frequency|time_to_conversion|funnel``,
``result ID``, ``export ID``, ``budget``.

Readable tables by default: every released number with its 95% interval, suppressed
groups marked. ``--json`` prints the server's reply unchanged (one JSON document), for
scripts and the demo. Commands read server, collaboration and token from the party home.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from party_agent.cli_support import HomeOption, reports_errors
from party_agent.commands.collaboration import connect

# httpx, pyarrow and pandas load when a command runs, not for ``--help``.
if TYPE_CHECKING:
    from party_agent.client import CleanRoomClient, Json

Exposures = Annotated[str, typer.Option("--exposures", help="Exposures dataset name.")]
Purchases = Annotated[str, typer.Option("--purchases", help="Purchases dataset name.")]
Spend = Annotated[
    str | None, typer.Option("--spend", help="Spend dataset name (adds ROAS to conversions).")
]
Join = Annotated[str, typer.Option("--join", help="Identifier to join on: email, phone, ...")]
Window = Annotated[str, typer.Option("--window", help="Attribution window, e.g. 7d.")]
By = Annotated[str | None, typer.Option("--by", help="Break down by one allowed dimension.")]
AttributionOpt = Annotated[str, typer.Option("--attribution", help="last_touch or first_touch.")]
Epsilon = Annotated[
    str | None,
    typer.Option(
        "--epsilon",
        help="One of the policy's allowed epsilons, e.g. 1/4 (default: the largest allowed).",
    ),
]
Receiver = Annotated[
    str | None, typer.Option("--receiver", help="Party the result is for (analysts).")
]
Remainder = Annotated[
    bool, typer.Option("--remainder", help="Fold suppressed groups into one remainder row.")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the server's JSON reply.")]
FrequencyBuckets = Annotated[
    str | None,
    typer.Option(
        "--frequency-buckets",
        help="Lower edges of the frequency buckets, from 1 (default 1,2,3,6,11: "
        "1, 2, 3-5, 6-10, 11+).",
    ),
]
FrequencyCap = Annotated[
    int | None,
    typer.Option(
        "--frequency-cap",
        help="Exposures counted per user and campaign at most (default 20).",
    ),
]
DelayBuckets = Annotated[
    str | None,
    typer.Option(
        "--delay-buckets",
        help="Inner delay boundaries (default 1h,1d,3d,7d, less those not shorter than "
        "the window).",
    ),
]
Horizon = Annotated[
    str | None,
    typer.Option(
        "--horizon",
        help="How long after the first conversion a purchase counts as a repeat (default 30d).",
    ),
]


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"


NON_NEGATIVE_SUFFIXES = (
    "users",
    "converted",
    "rate",
    "revenue",
    "roas",
    "purchases",
    "share",
    "exposed",
    "matched",
    "repeated",
)
"""Columns whose truth is never negative (counts, rates, revenue, ROAS)."""


def _bound(value: float | None, unbounded: str) -> str:
    return unbounded if value is None else _number(value)


def _cell(estimate: list[float | None] | None, suppressed: bool, column: str = "") -> str:
    """``value [low, high]``; a negative noisy count or rate (the stored value is not
    clamped) reads "< 0, not significant"; a ``null`` end is unbounded."""
    if suppressed:
        return "[dim]suppressed[/dim]"
    if estimate is None:
        return "—"
    value, low, high = estimate
    if value is None:
        return "—"
    shown = _number(value)
    if value < 0 and column.endswith(NON_NEGATIVE_SUFFIXES):
        shown = "< 0, not significant"
    return f"{shown} [dim][{_bound(low, '-∞')}, {_bound(high, '∞')}][/dim]"


def _console() -> Console:
    """The terminal's width on a terminal; wide enough not to wrap tables in a pipe."""
    console = Console()
    return console if console.is_terminal else Console(width=200)


def render(reply: Json, console: Console | None = None) -> None:
    """Print a result reply as a table (values with [95% interval]) plus a summary."""
    console = console or _console()
    inner = reply["result"]
    table = Table(
        title=f"{reply['template']} — result {reply['id']}",
        title_justify="left",
        caption="each number: value [95% interval]; values are not clamped, so noise can "
        "make a count or rate negative (shown as < 0, not significant)",
        caption_justify="left",
    )
    for name in inner["key_columns"]:
        table.add_column(name)
    for name in inner["value_columns"]:
        table.add_column(name, justify="right")
    for row in inner["rows"]:
        keys = ["(remainder)" if row["remainder"] and k is None else str(k) for k in row["key"]]
        cells = [_cell(row["values"].get(n), row["suppressed"], n) for n in inner["value_columns"]]
        table.add_row(*keys, *cells)
    console.print(table)
    suppressed = inner["rows_suppressed"]
    console.print(
        f"{suppressed} group(s) suppressed (noisy user count below k={inner['k']}); "
        f"epsilon of this result {reply['epsilon']}; digest {reply['digest'][:16]}…"
    )
    if "reused" in reply:
        charged = "nothing (identical query, stored result)" if reply["reused"] else None
        console.print(f"charged: {charged or reply['epsilon_charged']}", end="; ")
        budget = reply["budget"]
        console.print(f"budget left {budget['remaining']['value']:g} until {budget['period_end']}")


def _emit(reply: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(reply, indent=2, sort_keys=True))
    else:
        render(reply)


def _connect(home: Path) -> tuple[CleanRoomClient, str]:
    from party_agent.home import PartyHome

    return connect(PartyHome.open(home))


def _run(home: Path, template: str, as_json: bool, **params: Any) -> None:
    from party_agent import results

    client, collaboration = _connect(home)
    with client:
        reply = results.query(client, collaboration, template, **params)
    _emit(reply, as_json)


def overlap(
    home: HomeOption,
    exposures: Exposures,
    purchases: Purchases,
    join: Join = "email",
    epsilon: Epsilon = None,
    receiver: Receiver = None,
    as_json: AsJson = False,
) -> None:
    """Matched distinct users, and each side's distinct users."""
    _run(home, "overlap", as_json, exposures=exposures, purchases=purchases, join=join,
         epsilon=epsilon, receiver=receiver)  # fmt: skip


def conversions(
    home: HomeOption,
    exposures: Exposures,
    purchases: Purchases,
    window: Window = "7d",
    spend: Spend = None,
    by: By = None,
    attribution: AttributionOpt = "last_touch",
    join: Join = "email",
    epsilon: Epsilon = None,
    receiver: Receiver = None,
    remainder: Remainder = False,
    as_json: AsJson = False,
) -> None:
    """Per campaign: exposed, converted, conversion rate, revenue (and ROAS with --spend)."""
    _run(home, "conversions", as_json, exposures=exposures, purchases=purchases,
         window=window, spend=spend, by=by, attribution=attribution, join=join,
         epsilon=epsilon, receiver=receiver, remainder=remainder)  # fmt: skip


def lift(
    home: HomeOption,
    exposures: Exposures,
    purchases: Purchases,
    window: Window = "7d",
    join: Join = "email",
    epsilon: Epsilon = None,
    receiver: Receiver = None,
    as_json: AsJson = False,
) -> None:
    """Exposed vs holdout: conversion rate of each, absolute and relative lift."""
    _run(home, "lift", as_json, exposures=exposures, purchases=purchases, window=window,
         join=join, epsilon=epsilon, receiver=receiver)  # fmt: skip


def reach_frequency(
    home: HomeOption,
    exposures: Exposures,
    purchases: Purchases,
    window: Window = "7d",
    frequency_buckets: FrequencyBuckets = None,
    frequency_cap: FrequencyCap = None,
    join: Join = "email",
    epsilon: Epsilon = None,
    receiver: Receiver = None,
    remainder: Remainder = False,
    as_json: AsJson = False,
) -> None:
    """Per campaign and frequency bucket: exposed users and their conversion rate."""
    _run(home, "reach_frequency", as_json, exposures=exposures, purchases=purchases,
         window=window, frequency_buckets=frequency_buckets, frequency_cap=frequency_cap,
         join=join, epsilon=epsilon, receiver=receiver, remainder=remainder)  # fmt: skip


def time_to_conversion(
    home: HomeOption,
    exposures: Exposures,
    purchases: Purchases,
    window: Window = "7d",
    delay_buckets: DelayBuckets = None,
    attribution: AttributionOpt = "last_touch",
    join: Join = "email",
    epsilon: Epsilon = None,
    receiver: Receiver = None,
    as_json: AsJson = False,
) -> None:
    """Per campaign and delay bucket: purchases by time since the attributed exposure."""
    _run(home, "time_to_conversion", as_json, exposures=exposures, purchases=purchases,
         window=window, delay_buckets=delay_buckets, attribution=attribution, join=join,
         epsilon=epsilon, receiver=receiver)  # fmt: skip


def funnel(
    home: HomeOption,
    exposures: Exposures,
    purchases: Purchases,
    window: Window = "7d",
    horizon: Horizon = None,
    join: Join = "email",
    epsilon: Epsilon = None,
    receiver: Receiver = None,
    remainder: Remainder = False,
    as_json: AsJson = False,
) -> None:
    """Per campaign: exposed -> matched -> converted -> repeated, with step rates."""
    _run(home, "funnel", as_json, exposures=exposures, purchases=purchases, window=window,
         horizon=horizon, join=join, epsilon=epsilon, receiver=receiver,
         remainder=remainder)  # fmt: skip


def result(
    home: HomeOption,
    result_id: Annotated[str, typer.Argument(help="Result id (res_...).")],
    as_json: AsJson = False,
) -> None:
    """Show a stored result (receivers of the result and analysts only)."""
    from party_agent import results

    client, collaboration = _connect(home)
    with client:
        _emit(results.get_result(client, collaboration, result_id), as_json)


def export(
    home: HomeOption,
    result_id: Annotated[str, typer.Argument(help="Result id (res_...).")],
    out: Annotated[Path, typer.Option("--out", help="FILE.csv or FILE.parquet", dir_okay=False)],
) -> None:
    """Write a result as CSV or Parquet for your own CRM/BI tools."""
    from party_agent import results

    client, collaboration = _connect(home)
    with client:
        reply = results.get_result(client, collaboration, result_id)
    written = results.export(reply, out)
    typer.echo(f"wrote {len(reply['result']['rows'])} row(s) to {written}")


def lifetime_line(lifetime: Json) -> str:
    """``lifetime: spent 3.5 of 30, 26.5 left (never refreshes)`` or the no-cap wording."""
    spent = f"{lifetime['spent']['value']:g}"
    if lifetime.get("limit") is None:
        return f"lifetime: spent {spent}, no lifetime cap"
    return (
        f"lifetime: spent {spent} of {lifetime['limit']['value']:g}, "
        f"{lifetime['remaining']['value']:g} left (never refreshes)"
    )


def budget(home: HomeOption, as_json: AsJson = False) -> None:
    """Epsilon spent and left in the current budget period and over the lifetime."""
    from party_agent import results

    client, collaboration = _connect(home)
    with client:
        reply = results.budget(client, collaboration)
    if as_json:
        typer.echo(json.dumps(reply, indent=2, sort_keys=True))
        return
    typer.echo(
        f"period {reply['period']} {reply['period_start']} .. {reply['period_end']}: "
        f"spent {reply['spent']['value']:g} of {reply['limit']['value']:g}, "
        f"{reply['remaining']['value']:g} left"
    )
    typer.echo(lifetime_line(reply["lifetime"]))


def register(app: typer.Typer) -> None:
    """Add ``query``, ``result``, ``export`` and ``budget`` to the agent's Typer app."""
    query_app = typer.Typer(help="Run a measurement query (policy-checked, DP).")
    for command in (overlap, conversions, lift, reach_frequency, time_to_conversion, funnel):
        query_app.command(command.__name__)(reports_errors(command))
    app.add_typer(query_app, name="query")
    app.command("result")(reports_errors(result))
    app.command("export")(reports_errors(export))
    app.command("budget")(reports_errors(budget))
