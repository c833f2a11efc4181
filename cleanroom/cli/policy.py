"""``cleanroom policy ...``: check a policy file and compare two versions, in plain words.

The commands' work (and the policy model it needs: pydantic, YAML) lives in
:mod:`cleanroom.cli.policy_output` and loads only when a command runs, so ``cleanroom
--help`` stays fast (issue 17).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

PRESET_NAMES = ("standard", "strict")
"""The presets ``policy preset`` prints, for its help text (``policies.PRESETS``, which
a test holds equal, would load the policy model)."""

policy_app = typer.Typer(help="Check, compare and explain policies.", no_args_is_help=True)


@policy_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="Policy or party-rules YAML file.")],
    rules: Annotated[
        list[Path] | None,
        typer.Option("--rules", help="Party rules to combine with the policy (repeatable)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    campaigns: Annotated[
        int | None,
        typer.Option("--campaigns", min=1, help="Groups per query for the noise block."),
    ] = None,
) -> None:
    """Validate FILE and print it in plain words with its hash (what the parties sign).

    With --rules, also print the effective policy (strictest combination) and which
    document set each field. A policy also gets the noise each query's numbers carry
    (sd and 95% half-width, in people or currency). Exits 2 when a file is invalid.

    Example: cleanroom policy check policy.yaml --rules brand-rules.yaml
    """
    from cleanroom.cli import policy_output

    policy_output.check(file, rules, as_json, campaigns)


@policy_app.command("diff")
def diff_command(
    old: Annotated[Path, typer.Argument(help="The policy in force.")],
    new: Annotated[Path, typer.Argument(help="The proposed policy.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Show, field by field, what got stricter or looser from OLD to NEW.

    Example: cleanroom policy diff admin/standard.yaml admin/policy.yaml
    """
    from cleanroom.cli import policy_output

    policy_output.diff_command(old, new, as_json)


@policy_app.command("preset")
def preset_command(
    name: Annotated[str, typer.Argument(help=f"One of: {', '.join(PRESET_NAMES)}.")],
) -> None:
    """Print a named preset's YAML, ready to copy and adapt (`> policy.yaml`).

    Example: cleanroom policy preset standard > policy.yaml
    """
    from cleanroom.cli import policy_output

    policy_output.preset_command(name)
