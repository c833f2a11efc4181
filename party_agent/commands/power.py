"""``party-agent power``: before spending budget, what a policy lets each campaign show.

Takes a policy (a YAML file, or the collaboration's effective policy from the server)
and the expected sizes, and prints per campaign the expected 95% half-width of every
number of ``lift`` and ``conversions``, the smallest lift it could detect (two-sided
95%, 80% power) and how many queries the budget allows. ``--json`` prints the plan as
one JSON document. The numbers come from :func:`policies.power.plan`, which uses the
release path's own calibration (:mod:`policies.calibration`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from party_agent.cli_support import reports_errors
from party_agent.errors import ConfigError
from policies import InvalidPolicy, Policy, load_policy, parse_fraction
from policies.power import Expected, Plan, plan

PolicyFile = Annotated[
    Path | None, typer.Option("--policy", help="Policy YAML file (default: the server's).")
]
HomeOpt = Annotated[
    Path | None,
    typer.Option(
        "--home", help="Party home: plan with the collaboration's policy.", file_okay=False
    ),
]
Audience = Annotated[
    str,
    typer.Option("--audience", help="People per campaign (exposed + holdout), e.g. 5000,20000."),
]
Holdout = Annotated[float, typer.Option("--holdout", help="Share held out, e.g. 0.1.")]
BaseRate = Annotated[float, typer.Option("--base-rate", help="Organic conversion rate.")]
Lift = Annotated[float, typer.Option("--lift", help="Expected relative lift, 0.1 = +10%.")]
OrderValue = Annotated[float, typer.Option("--order-value", help="Average order value.")]
Spend = Annotated[str | None, typer.Option("--spend", help="Spend per campaign, e.g. 1000,800.")]
Epsilon = Annotated[
    str | None, typer.Option("--epsilon", help="Epsilon per query (default: the policy's).")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")]


def _numbers(text: str, name: str, kind: type[float] | type[int]) -> tuple[float, ...]:
    try:
        return tuple(kind(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"{name} must be comma-separated numbers") from None


def _policy(policy_file: Path | None, home: Path | None) -> Policy:
    if policy_file is not None:
        try:
            return load_policy(policy_file)
        except InvalidPolicy as error:
            raise ConfigError(str(error)) from None
    if home is None:
        raise ConfigError("give --policy FILE or --home (the collaboration's policy)")
    from party_agent.commands.collaboration import connect
    from party_agent.home import PartyHome
    from party_agent.trust import verified_policy

    client, collaboration = connect(PartyHome.open(home))
    with client:
        return verified_policy(client.policy(collaboration, "current"))


def _value(unit: str, value: float) -> str:
    if unit == "people":
        return f"{value:,.0f}"
    if unit == "currency":
        return f"{value:,.2f}"
    if unit == "rate":
        return f"{100 * value:.2f}%"
    return f"{value:.3g}"


def _width(unit: str, value: float) -> str:
    return f"{100 * value:.2f} pp" if unit == "rate" else _value(unit, value)


def _mechanisms_text(result: Plan) -> str:
    gaussian = any(m.gaussian for m in result.mechanisms)
    return "discrete Gaussian, zCDP" if gaussian else "discrete Laplace, pure DP"


def render(result: Plan, console: Console) -> None:
    console.print(
        f"epsilon {result.epsilon} per query: the budget allows {result.queries_per_period} "
        f"queries per {result.period}. Sensitivities: "
        + ", ".join(f"{m.name} {m.sensitivity}" for m in result.mechanisms)
        + f" ({_mechanisms_text(result)})"
    )
    for campaign in result.campaigns:
        table = Table(
            title=f"campaign {campaign.campaign}: {campaign.exposed_users:,} exposed, "
            f"{campaign.holdout_users:,} holdout",
            title_justify="left",
        )
        for column in ("number", "expected", "noise sd", "95% half-width"):
            table.add_column(column, justify="left" if column == "number" else "right")
        for n in campaign.numbers:
            table.add_row(
                n.statistic,
                _value(n.unit, n.expected),
                _width(n.unit, n.noise_sd),
                "±" + _width(n.unit, n.half_width),
            )
        console.print(table)
        verdict = "detectable" if campaign.expected_lift_detectable else "NOT detectable"
        console.print(
            f"smallest detectable lift: {100 * campaign.detectable_absolute_lift:.2f} pp "
            f"({100 * campaign.detectable_relative_lift:+.0f}% relative); the expected lift is "
            f"{verdict}."
        )


def power(
    audience: Audience,
    policy_file: PolicyFile = None,
    home: HomeOpt = None,
    holdout: Holdout = 0.1,
    base_rate: BaseRate = 0.03,
    lift: Lift = 0.1,
    order_value: OrderValue = 50.0,
    spend: Spend = None,
    epsilon: Epsilon = None,
    as_json: AsJson = False,
) -> None:
    """Plan before spending: interval half-widths, detectable lift, queries per budget.

    Example: party-agent power --policy policy.yaml --audience 5000,20000 --base-rate 0.03
    """
    sizes = tuple(int(n) for n in _numbers(audience, "--audience", int))
    spends = _numbers(spend, "--spend", float) if spend else None
    try:
        expected = Expected(sizes, holdout, base_rate, lift, order_value, spends)
        eps = parse_fraction(epsilon) if epsilon is not None else None
    except ValueError as error:
        raise ConfigError(str(error)) from None
    result = plan(_policy(policy_file, home), expected, eps)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2, sort_keys=True))
    else:
        render(result, Console(width=100))


def register(app: typer.Typer) -> None:
    """Add ``power`` to the agent's Typer app."""
    app.command("power")(reports_errors(power))
