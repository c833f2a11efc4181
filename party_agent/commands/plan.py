"""``party-agent plan-budget RESULT_ID...`` and ``party-agent report RESULT_ID...``.

Both read stored results (free: no query, no budget) and post-process them with
:mod:`party_agent.reporting`. ``plan-budget`` prints the plan as a table and writes it as
CSV or JSON for the party's ad tools; ``report`` writes one self-contained HTML page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from party_agent.cli_support import HomeOption, reports_errors
from party_agent.errors import ConfigError

# pandas, httpx and the reports load when a command runs, not for ``--help``.
if TYPE_CHECKING:
    from reports import BudgetPlan

ResultIds = Annotated[list[str], typer.Argument(help="Stored result ids (res_...).")]
MaxChange = Annotated[
    str, typer.Option("--max-change", help="Largest change per campaign, e.g. 20% or 0.2.")
]
MinSpend = Annotated[
    float, typer.Option("--min-spend", help="Least spend per campaign, in the currency.")
]
Total = Annotated[
    float | None,
    typer.Option("--total", help="Next period's total spend (default: today's total)."),
]
Currency = Annotated[
    str, typer.Option("--currency", help="ISO code of the spend: USD, EUR, JPY (no decimals).")
]
Basis = Annotated[
    str,
    typer.Option(
        "--basis", help="auto (incremental ROAS where released), roas or incremental_roas."
    ),
]


def parse_share(text: str) -> float:
    """``20%`` or ``0.2`` as a fraction; a one-line ConfigError otherwise."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise ConfigError(f"--max-change must look like 20% or 0.2, got {text!r}") from None
    if not 0 <= value <= 1:
        raise ConfigError(f"--max-change must be between 0% and 100%, got {text!r}")
    return value


def _replies(home: Path, ids: list[str]) -> list[dict[str, Any]]:
    from party_agent.commands.collaboration import connect
    from party_agent.home import PartyHome
    from party_agent.reporting import fetch_results

    client, collaboration = connect(PartyHome.open(home))
    with client:
        return fetch_results(client, collaboration, ids)


def _print_plan(plan: BudgetPlan, currency: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from party_agent.reporting import style_for

    style = style_for(currency)
    table = Table(title=f"Budget plan ({plan.basis}), total {style.money(plan.total)}")
    ratio = "iROAS" if plan.basis == "incremental_roas" else "ROAS"
    for name in (
        "campaign",
        "current",
        "suggested",
        "change",
        "P(beats avg)",
        f"{ratio} [95%]",
        "basis",
    ):
        table.add_column(name, justify="left" if name in ("campaign", "basis") else "right")
    for row in plan.rows:
        chance = row.probability_beats_average
        fraction = row.change_fraction
        change = style.money(row.change)
        if fraction is not None:
            change += f" ({style.signed_percent(fraction)})"
        table.add_row(
            row.campaign,
            style.money(row.current_spend),
            style.money(row.suggested_spend),
            change,
            "held" if chance is None else style.probability(chance),
            "—" if row.estimate is None else style.released(plan.basis, row.estimate),
            row.basis,
        )
    console = Console()
    console = console if console.is_terminal else Console(width=200)  # no wrap in a pipe
    console.print(table)
    if plan.average is not None:
        console.print(f"portfolio average {ratio} (spend-weighted): "
                      f"{style.released(plan.basis, plan.average)}")  # fmt: skip
    for note in plan.notes:
        console.print(note, style="dim")
    console.print("post-processing of released results: no budget was charged")


def plan_budget(
    home: HomeOption,
    result_ids: ResultIds,
    max_change: MaxChange = "20%",
    min_spend: MinSpend = 0.0,
    total: Total = None,
    currency: Currency = "USD",
    basis: Basis = "auto",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write FILE.csv or FILE.json.", dir_okay=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """Next period's spend per campaign from released ROAS or incremental ROAS (free)."""
    from party_agent.reporting import budget_plan, write_plan
    from reports.plan_view import plan_json

    share = parse_share(max_change)
    if out is not None and out.suffix not in (".csv", ".json"):
        raise ConfigError(f"--out must end in .csv or .json, got {out.name!r}")
    replies = _replies(home, result_ids)
    plan = budget_plan(replies, max_change=share, min_spend=min_spend, total=total,
                       currency=currency, basis=basis)  # fmt: skip
    if as_json:
        typer.echo(json.dumps(plan_json(plan), indent=2))
    else:
        _print_plan(plan, currency)
    if out is not None:
        written = write_plan(plan, out)
        typer.echo(f"wrote the plan for {len(plan.rows)} campaign(s) to {written}", err=as_json)


def report(
    home: HomeOption,
    result_ids: ResultIds,
    out: Annotated[Path, typer.Option("--out", help="FILE.html to write.", dir_okay=False)],
    currency: Currency = "USD",
    locale: Annotated[
        str, typer.Option("--locale", help="Number marks: en-US, de-DE, fr-FR, ja-JP, ...")
    ] = "en-US",
    max_change: MaxChange = "20%",
    min_spend: MinSpend = 0.0,
    total: Total = None,
    title: Annotated[str, typer.Option("--title", help="The page's title.")] = "Campaign results",
) -> None:
    """One self-contained HTML page (no network) from stored results, with the plan (free)."""
    from party_agent.commands.collaboration import connect
    from party_agent.home import PartyHome
    from party_agent.reporting import fetch_results, policy_terms, render_html, style_for
    from reports.page import write_report

    share = parse_share(max_change)
    if out.suffix not in (".html", ".htm"):
        raise ConfigError(f"--out must end in .html, got {out.name!r}")
    style = style_for(currency, locale)
    client, collaboration = connect(PartyHome.open(home))
    with client:
        replies = fetch_results(client, collaboration, result_ids)
        terms = policy_terms(client, collaboration, replies, style)
    page = render_html(replies, currency=currency, locale=locale, terms=terms, title=title,
                       max_change=share, min_spend=min_spend, total=total)  # fmt: skip
    written = write_report(out, page)
    typer.echo(f"wrote the report of {len(replies)} result(s) to {written}")


def register(app: typer.Typer) -> None:
    """Add ``plan-budget`` and ``report`` to the agent's Typer app."""
    app.command("plan-budget")(reports_errors(plan_budget))
    app.command("report")(reports_errors(report))
