"""What ``cleanroom policy ...`` prints: checks, diffs and presets in plain words.

Imported by the commands in :mod:`cleanroom.cli.policy` when they run, so ``cleanroom
--help`` does not load the policy model (pydantic, YAML; issue 17's start-up target)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from policies import (
    Change,
    Direction,
    EffectivePolicy,
    InvalidPolicy,
    PartyRules,
    Policy,
    describe_lines,
    diff,
    effective_policy,
    fraction_text,
    load_party_rules,
    load_policy,
    overall,
    policy_hash,
    preset_yaml,
    rules_to_canonical,
    to_canonical,
)
from policies.power import NoiseLine, default_groups, noise_lines
from policies.yamlio import read_yaml_file

_STYLE = {
    Direction.STRICTER: "green",
    Direction.LOOSER: "bold red",
    Direction.MIXED: "yellow",
    Direction.SAME: "",
}


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _is_rules(path: Path) -> bool:
    data = read_yaml_file(path)
    return isinstance(data, dict) and "party" in data and "name" not in data


def _load(path: Path) -> Policy | PartyRules:
    return load_party_rules(path) if _is_rules(path) else load_policy(path)


def _rules_lines(rules: PartyRules) -> list[str]:
    data = rules_to_canonical(rules)
    fields = {k: v for k, v in data.items() if k not in ("format", "party", "version")}
    lines = [f"Rules of {rules.party}, version {rules.version} (only these fields are set):"]
    lines += [f"  {key}: {json.dumps(value, sort_keys=True)}" for key, value in fields.items()]
    return lines


def _report(document: Policy | PartyRules, effective: EffectivePolicy | None) -> dict[str, Any]:
    canonical = (
        to_canonical(document) if isinstance(document, Policy) else rules_to_canonical(document)
    )
    report: dict[str, Any] = {
        "valid": True,
        "kind": "policy" if isinstance(document, Policy) else "party_rules",
        "hash": policy_hash(document),
        "canonical": canonical,
        "description": describe_lines(document)
        if isinstance(document, Policy)
        else _rules_lines(document),
    }
    if effective is not None:
        report["effective"] = {
            "description": describe_lines(effective),
            "provenance": effective.provenance(),
        }
    return report


def _noise_text(value: float, unit: str) -> str:
    return f"{value:,.2f} (currency)" if unit == "currency" else f"{value:,.1f} {unit}"


def _noise_block(
    policy: Policy | EffectivePolicy, groups: int | None, noise: list[NoiseLine]
) -> list[str]:
    """Per template and statistic, the noise sd and 95% half-width of one query."""
    if not policy.epsilon_choices:
        return ["No epsilon is allowed, so no query can run and nothing is noised."]
    count = groups if groups is not None else default_groups(policy)
    lines = [
        f"Noise of one query spending epsilon {fraction_text(max(policy.epsilon_choices))} "
        f"with {count} campaign(s) (--campaigns to change), {_mechanism_text(policy)}:"
    ]
    for line in noise:
        lines.append(
            f"  {line.template:<12} {line.statistic:<27} sd {_noise_text(line.noise_sd, line.unit)}"
            f", 95% ±{_noise_text(line.half_width, line.unit)}"
        )
    lines.append(
        "  Rates and lifts depend on group sizes: `party-agent power --policy FILE "
        "--audience N,...` gives their half-widths and the smallest detectable lift."
    )
    return lines + _threshold_lines(policy.k, noise)


def _mechanism_text(policy: Policy | EffectivePolicy) -> str:
    noise = policy.noise
    if noise.delta is None:
        return "discrete Laplace (pure DP)"
    return f"discrete Gaussian (zCDP, reported at delta {fraction_text(noise.delta)})"


def _threshold_lines(k: int, lines: list[NoiseLine]) -> list[str]:
    """How k compares with the noise of each count the threshold reads (a utility
    choice: the threshold acts on noisy counts only, so it costs no privacy)."""
    out = [f"Threshold k = {k} (acts on the noisy counts below; a utility choice):"]
    for line in (line for line in lines if line.thresholded):
        ratio = line.k_over_half_width(k)
        out.append(
            f"  k = {k} is {ratio:.1f}x the 95% noise half-width (±{line.half_width:,.0f}) "
            f"of {line.statistic} in {line.template}"
        )
    if any(line.thresholded and k < 2 * line.half_width for line in lines):
        out.append(
            "  Where k is below twice the half-width, groups near k are released or "
            "suppressed mostly by the noise, and small released groups carry large "
            "relative error."
        )
    return out


def _noise_json(k: int, lines: list[NoiseLine]) -> list[dict[str, Any]]:
    return [
        {
            "template": line.template,
            "statistic": line.statistic,
            "unit": line.unit,
            "noise_sd": line.noise_sd,
            "half_width": line.half_width,
            "thresholded": line.thresholded,
            "k_over_half_width": line.k_over_half_width(k) if line.thresholded else None,
        }
        for line in lines
    ]


def check(file: Path, rules: list[Path] | None, as_json: bool, campaigns: int | None) -> None:
    """``cleanroom policy check``."""
    try:
        document = _load(file)
        extra = [load_party_rules(path) for path in rules or []]
    except InvalidPolicy as error:
        if as_json:
            failure = {"valid": False, "error": str(error), "problems": list(error.problems)}
            typer.echo(json.dumps(failure))
            raise typer.Exit(2) from None
        _fail(str(error))
    effective = None
    if extra:
        if not isinstance(document, Policy):
            _fail("--rules needs a policy file, not party rules, as FILE")
        effective = effective_policy(document, extra)
    report = _report(document, effective)
    governing = effective if effective is not None else document
    noise = None
    if isinstance(governing, Policy | EffectivePolicy):
        noise = noise_lines(governing, campaigns)
        report["noise"] = _noise_json(governing.k, noise)
    if as_json:
        typer.echo(json.dumps(report, indent=2, sort_keys=True))
        return
    typer.echo("\n".join(report["description"]))
    typer.echo(f"policy hash (SHA-256): {report['hash']}")
    if effective is not None:
        parties = ", ".join(rule.party for rule in extra)
        typer.echo(f"\nEffective policy with the rules of {parties}:")
        typer.echo("\n".join(describe_lines(effective)[1:]))
        typer.echo("\nWhere each rule comes from:")
        typer.echo("\n".join(f"  {line}" for line in effective.provenance()))
    if isinstance(governing, Policy | EffectivePolicy) and noise is not None:
        typer.echo("")
        typer.echo("\n".join(_noise_block(governing, campaigns, noise)))


def _table(old: Policy, new: Policy, changes: list[Change]) -> Table:
    table = Table(
        title=f"{old.name} v{old.version} -> {new.name} v{new.version}", title_justify="left"
    )
    for column in ("field", "old", "new", "change"):
        table.add_column(column, overflow="fold")
    for change in changes:
        style = _STYLE[change.direction]
        table.add_row(change.noun, change.old, change.new, f"[{style}]{change.direction}[/]")
    return table


def diff_command(old: Path, new: Path, as_json: bool) -> None:
    """``cleanroom policy diff``."""
    try:
        before, after = load_policy(old), load_policy(new)
    except InvalidPolicy as error:
        _fail(str(error))
    changes = diff(before, after)
    verdict = overall(changes)
    if as_json:
        payload = {
            "old": {"name": before.name, "version": before.version, "hash": policy_hash(before)},
            "new": {"name": after.name, "version": after.version, "hash": policy_hash(after)},
            "overall": str(verdict),
            "changes": [
                {"field": c.field, "old": c.old, "new": c.new, "change": str(c.direction)}
                for c in changes
            ],
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    console = Console(width=120, soft_wrap=False)
    if not changes:
        console.print("No rule changed: the two policies allow exactly the same queries.")
    else:
        console.print(_table(before, after, changes))
        summary = {
            Direction.STRICTER: "Overall: stricter. Every change narrows what queries may do.",
            Direction.LOOSER: "Overall: looser. Every change widens what queries may do.",
            Direction.MIXED: "Overall: mixed. Some rules got stricter, others looser.",
        }[verdict]
        console.print(summary, highlight=False)
    console.print(f"old policy hash (SHA-256): {policy_hash(before)}", highlight=False)
    console.print(f"new policy hash (SHA-256): {policy_hash(after)}", highlight=False)


def preset_command(name: str) -> None:
    """``cleanroom policy preset``."""
    try:
        typer.echo(preset_yaml(name), nl=False)
    except InvalidPolicy as error:
        _fail(str(error))
