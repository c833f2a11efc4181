"""``party-agent query overlap|conversions|lift|reach_frequency|time_to_conversion|funnel``,
``result ID``, ``export ID``, ``budget``.

Readable tables by default: every released number with its 95% interval, suppressed
groups marked. ``--json`` prints the server's reply unchanged (one JSON document), for
scripts and the demo. Commands read server, collaboration and token from the party home.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from party_agent.cli_support import CollaborationOption, HomeOption, reports_errors
from party_agent.commands.collaboration import connect
from reports.number import Number
from reports.style import Style, currency_code

# httpx, pyarrow and pandas load when a command runs, not for ``--help``.
if TYPE_CHECKING:
    from party_agent.client import CleanRoomClient, Json

Exposures = Annotated[str, typer.Option("--exposures", help="Exposures dataset name.")]
Purchases = Annotated[str, typer.Option("--purchases", help="Purchases dataset name.")]
Spend = Annotated[
    str | None, typer.Option("--spend", help="Spend dataset name (adds ROAS to conversions).")
]
Join = Annotated[str, typer.Option("--join", help="Identifier to join on: email, phone, ...")]


def _check_window(value: str | None) -> str | None:
    """A malformed window is a usage error (exit 2) before anything is sent."""
    from policies import Duration

    if value is None:
        return None
    try:
        Duration.parse(value)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    return value


Window = Annotated[
    str,
    typer.Option("--window", help="Attribution window, e.g. 7d.", callback=_check_window),
]
By = Annotated[str | None, typer.Option("--by", help="Break down by one allowed dimension.")]
AttributionOpt = Annotated[
    str,
    typer.Option(
        "--attribution",
        help="Attribution model: last_touch, first_touch, linear, position_based, "
        "time_decay or w_shaped; several separated by commas to compare them side by side "
        "in one query (e.g. last_touch,linear,position_based).",
    ),
]
PositionWeights = Annotated[
    str | None,
    typer.Option(
        "--position-weights",
        help="position_based: FIRST,LAST shares, e.g. 0.4,0.4 (the default).",
    ),
]
HalfLife = Annotated[
    str | None, typer.Option("--half-life", help="time_decay: the half-life, e.g. 3d.")
]
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


Currency = Annotated[
    str | None,
    typer.Option(
        "--currency",
        help="ISO 4217 code of money columns, e.g. JPY (default: the home's currency).",
    ),
]
Wide = Annotated[
    bool, typer.Option("--wide", help="Every number to full precision; no 100-column limit.")
]
TABLE_WIDTH = 100


def _cell(
    estimate: list[float | None] | None,
    suppressed: bool,
    column: str = "",
    style: Style | None = None,
    stacked: bool = False,
) -> str:
    """One table cell, ``value [low, high]`` with the interval dimmed (rich markup);
    ``stacked``: the interval on a line of its own, for narrow columns."""
    if suppressed:
        return "[dim]suppressed[/dim]"
    style = style or Style(None)
    parts = style.released_parts(column, Number.from_triple(estimate), short=True)
    if parts is None:
        return "—"
    shown, low, high = parts
    return f"{shown}{chr(10) if stacked else ' '}[dim][{low}, {high}][/dim]"


#: Value columns in one terminal table at most; a wider result (funnel, lift) is split
#: into its counts and its rates, so every table fits 100 columns.
MAX_COLUMNS = 4


def column_groups(columns: list[str]) -> list[list[str]]:
    """``columns`` as one group, or counts then rates, each in chunks of MAX_COLUMNS."""
    if len(columns) <= MAX_COLUMNS:
        return [columns]
    rates = [c for c in columns if Style().formatter(c) not in (Style().count, Style().money)]
    counts = [c for c in columns if c not in rates]
    return [
        part[i : i + MAX_COLUMNS]
        for part in (counts, rates)
        for i in range(0, len(part), MAX_COLUMNS)
        if part
    ]


def _console(wide: bool = False) -> Console:
    """100 columns (fewer on a narrower terminal); with ``wide`` the terminal's width, or
    wide enough not to wrap in a pipe."""
    console = Console()
    if wide:
        return console if console.is_terminal else Console(width=250)
    width = min(console.width, TABLE_WIDTH) if console.is_terminal else TABLE_WIDTH
    return Console(width=width)


def _keys(row: Json) -> list[str]:
    return ["(remainder)" if row["remainder"] and k is None else str(k) for k in row["key"]]


def _render_models(reply: Json, console: Console, style: Style) -> None:
    """A comparison (columns ``model.statistic``): one table per statistic, one column
    per model, so the models stand side by side."""
    inner = reply["result"]
    plain = [n for n in inner["value_columns"] if "." not in n]
    split = [n.split(".", 1) for n in inner["value_columns"] if "." in n]
    models = list(dict.fromkeys(m for m, _ in split))
    for i, stat in enumerate(dict.fromkeys(s for _, s in split)):
        table = Table(title=f"{stat} by attribution model", title_justify="left")
        shown = [*(plain if i == 0 else []), *(f"{m}.{stat}" for m in models)]
        for name in inner["key_columns"]:
            table.add_column(name)
        for name in shown:
            table.add_column(name.split(".", 1)[0] if "." in name else name, justify="right")
        for row in inner["rows"]:
            cells = [_cell(row["values"].get(n), row["suppressed"], n, style) for n in shown]
            table.add_row(*_keys(row), *cells)
        console.print(table)


def style_for(home: Path, currency: str | None, wide: bool) -> Style:
    """``--currency`` (checked), else the home's ``currency``; and ``--wide``."""
    from party_agent.errors import ConfigError
    from party_agent.home import PartyHome
    from reports import ReportError

    try:
        code = currency_code(currency) if currency else PartyHome.open(home).currency
        return Style(code, wide=wide)
    except ReportError as error:
        raise ConfigError(str(error)) from None


def render(reply: Json, console: Console | None = None, style: Style | None = None) -> None:
    """Print a result reply as a table (values with [95% interval]) plus a summary."""
    style = style or Style(None)
    console = console or _console(style.wide)
    inner = reply["result"]
    if any("." in name for name in inner["value_columns"]):
        console.print(f"{reply['template']} — result {reply['id']}")
        _render_models(reply, console, style)
        _summary(reply, console)
        return
    groups = column_groups(list(inner["value_columns"]))
    for i, columns in enumerate(groups):
        title = f"{reply['template']} — result {reply['id']}"
        if len(groups) > 1:
            title += f" ({i + 1}/{len(groups)})"
        caption = None
        if i == len(groups) - 1:
            caption = (
                "each number: value [95% interval]; values are not clamped, so noise can "
                "make a count or rate negative (shown as < 0, not significant)"
            )
        table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
        for name in inner["key_columns"]:
            table.add_column(name)
        for name in columns:
            table.add_column(name.replace("_", " "), justify="right")
        for row in inner["rows"]:
            cells = [
                _cell(row["values"].get(n), row["suppressed"], n, style, len(groups) > 1)
                for n in columns
            ]
            table.add_row(*_keys(row), *cells, end_section=len(groups) > 1)
        console.print(table)
    _summary(reply, console)


def _summary(reply: Json, console: Console) -> None:
    inner = reply["result"]
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


def _emit(reply: Any, as_json: bool, style: Style | None = None) -> None:
    if as_json:
        typer.echo(json.dumps(reply, indent=2, sort_keys=True))
    else:
        render(reply, style=style)


def _connect(home: Path, collaboration: str | None = None) -> tuple[CleanRoomClient, str]:
    from party_agent.home import PartyHome

    return connect(PartyHome.open(home), collaboration)


def _run(
    home: Path,
    template: str,
    as_json: bool,
    collab: str | None = None,
    style: Style | None = None,
    **params: Any,
) -> None:
    from party_agent import results

    client, collaboration = _connect(home, collab)
    with client:
        reply = results.query(client, collaboration, template, **params)
    _emit(reply, as_json, style)


_FIRST = (("home", HomeOption), ("exposures", Exposures), ("purchases", Purchases))
_LAST = (
    ("join", Join, "email"),
    ("epsilon", Epsilon, None),
    ("receiver", Receiver, None),
    ("as_json", AsJson, False),
    ("collaboration", CollaborationOption, None),
    ("currency", Currency, None),
    ("wide", Wide, False),
)


def query_command(template: str) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., None]]:
    """``party-agent query <template>`` from a function of the template's own options
    that returns their request parameters. The command takes those options between the
    ones every template shares (home, datasets; then join, epsilon, receiver, --json,
    collaboration, currency, --wide), with the function's name and docstring."""

    def make(own_params: Callable[..., dict[str, Any]]) -> Callable[..., None]:
        own = list(inspect.signature(own_params, eval_str=True).parameters.values())

        def command(**options: Any) -> None:
            mine = {p.name: options.pop(p.name) for p in own}
            home, as_json = options.pop("home"), options.pop("as_json")
            collaboration = options.pop("collaboration")
            style = style_for(home, options.pop("currency"), options.pop("wide"))
            _run(home, template, as_json, collaboration, style, **options, **own_params(**mine))

        keyword = inspect.Parameter.KEYWORD_ONLY
        parameters = [
            *(inspect.Parameter(name, keyword, annotation=kind) for name, kind in _FIRST),
            *(p.replace(kind=keyword) for p in own),
            *(inspect.Parameter(n, keyword, annotation=k, default=d) for n, k, d in _LAST),
        ]
        command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in parameters}
        command.__name__ = command.__qualname__ = own_params.__name__
        command.__doc__ = own_params.__doc__
        return command

    return make


@query_command("overlap")
def overlap() -> dict[str, Any]:
    """Matched distinct users, and each side's distinct users.

    Example: party-agent query overlap --home brand/home --exposures exposures --purchases purchases
    """
    return {}


@query_command("conversions")
def conversions(
    window: Window = "7d",
    spend: Spend = None,
    by: By = None,
    attribution: AttributionOpt = "last_touch",
    remainder: Remainder = False,
    position_weights: PositionWeights = None,
    half_life: HalfLife = None,
) -> dict[str, Any]:
    """Per campaign: exposed, converted, conversion rate, revenue (and ROAS with --spend);
    with a credit-splitting model or several models: credited conversions and revenue,
    one column set per model.

    Example: party-agent query conversions --home brand/home --exposures exposures
    --purchases purchases --window 7d --spend spend --attribution last_touch,linear
    """
    models = [m.strip() for m in attribution.split(",")]
    weights = None if position_weights is None else position_weights.split(",")
    return {"window": window, "spend": spend, "by": by,
            "attribution": models if len(models) > 1 else models[0], "remainder": remainder,
            "position_weights": weights, "half_life": half_life}  # fmt: skip


@query_command("lift")
def lift(window: Window = "7d") -> dict[str, Any]:
    """Exposed vs holdout: conversion rate of each, absolute and relative lift.

    Example: party-agent query lift --home retailer/home --exposures exposures
    --purchases purchases --window 7d
    """
    return {"window": window}


@query_command("reach_frequency")
def reach_frequency(
    window: Window = "7d",
    frequency_buckets: FrequencyBuckets = None,
    frequency_cap: FrequencyCap = None,
    remainder: Remainder = False,
) -> dict[str, Any]:
    """Per campaign and frequency bucket: exposed users and their conversion rate.

    Example: party-agent query reach_frequency --home brand/home --exposures exposures
    --purchases purchases --window 7d
    """
    return {"window": window, "frequency_buckets": frequency_buckets,
            "frequency_cap": frequency_cap, "remainder": remainder}  # fmt: skip


@query_command("time_to_conversion")
def time_to_conversion(
    window: Window = "7d",
    delay_buckets: DelayBuckets = None,
    attribution: AttributionOpt = "last_touch",
) -> dict[str, Any]:
    """Per campaign and delay bucket: purchases by time since the attributed exposure.

    Example: party-agent query time_to_conversion --home brand/home --exposures exposures
    --purchases purchases --window 7d
    """
    return {"window": window, "delay_buckets": delay_buckets, "attribution": attribution}


@query_command("funnel")
def funnel(
    window: Window = "7d", horizon: Horizon = None, remainder: Remainder = False
) -> dict[str, Any]:
    """Per campaign: exposed -> matched -> converted -> repeated, with step rates.

    Example: party-agent query funnel --home retailer/home --exposures exposures
    --purchases purchases --window 7d
    """
    return {"window": window, "horizon": horizon, "remainder": remainder}


def result(
    home: HomeOption,
    result_id: Annotated[str, typer.Argument(help="Result id (res_...).")],
    as_json: AsJson = False,
    collab: CollaborationOption = None,
    currency: Currency = None,
    wide: Wide = False,
) -> None:
    """Show a stored result (receivers of the result and analysts only).

    Example: party-agent result res_2f1c... --home brand/home
    """
    from party_agent import results

    client, collaboration = _connect(home, collab)
    with client:
        reply = results.get_result(client, collaboration, result_id)
    _emit(reply, as_json, style_for(home, currency, wide))


def export(
    home: HomeOption,
    result_id: Annotated[str, typer.Argument(help="Result id (res_...).")],
    out: Annotated[Path, typer.Option("--out", help="FILE.csv or FILE.parquet", dir_okay=False)],
    collab: CollaborationOption = None,
    as_json: AsJson = False,
) -> None:
    """Write a result as CSV or Parquet for your own CRM/BI tools.

    Example: party-agent export res_2f1c... --home brand/home --out conversions.csv
    """
    from party_agent import results

    client, collaboration = _connect(home, collab)
    with client:
        reply = results.get_result(client, collaboration, result_id)
    written = results.export(reply, out)
    rows = len(reply["result"]["rows"])
    if as_json:
        typer.echo(json.dumps({"result_id": result_id, "rows": rows, "path": str(written)}))
        return
    typer.echo(f"wrote {rows} row(s) to {written}")


def lifetime_line(lifetime: Json) -> str:
    """``lifetime: spent 3.5 of 30, 26.5 left (never refreshes)`` or the no-cap wording."""
    spent = f"{lifetime['spent']['value']:g}"
    if lifetime.get("limit") is None:
        return f"lifetime: spent {spent}, no lifetime cap"
    return (
        f"lifetime: spent {spent} of {lifetime['limit']['value']:g}, "
        f"{lifetime['remaining']['value']:g} left (never refreshes)"
    )


def budget(home: HomeOption, as_json: AsJson = False, collab: CollaborationOption = None) -> None:
    """Epsilon spent and left in the current budget period and over the lifetime.

    Example: party-agent budget --home brand/home
    """
    from party_agent import results

    client, collaboration = _connect(home, collab)
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
    typer.echo(noise_line(reply))


def noise_line(budget: Json) -> str:
    """The noise the policy sets and the delta the spent epsilon holds at."""
    noise, delta = budget["noise"], budget["delta"]["value"]
    if noise["mechanism"] == "gaussian":
        mechanism = f"discrete Gaussian (zCDP) at delta {noise['delta']['value']:g}"
    else:
        mechanism = "discrete Laplace (pure DP)"
    held = f"delta {delta:g} (the largest of the queries charged)" if delta else "delta 0"
    return f"noise: {mechanism}; the epsilon spent holds with {held}"


def register(app: typer.Typer) -> None:
    """Add ``query``, ``result``, ``export`` and ``budget`` to the agent's Typer app."""
    query_app = typer.Typer(help="Run a measurement query (policy-checked, DP).")
    for command in (overlap, conversions, lift, reach_frequency, time_to_conversion, funnel):
        query_app.command(command.__name__)(reports_errors(command))
    app.add_typer(query_app, name="query")
    app.command("result")(reports_errors(result))
    app.command("export")(reports_errors(export))
    app.command("budget")(reports_errors(budget))
