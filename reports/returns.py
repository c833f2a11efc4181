"""Each campaign's return and spend, read from released results only (post-processing).

The return is ``incremental_roas`` where a result carries it (lift rows, with a holdout)
or else ``roas`` (conversions with spend); ``basis="auto"`` picks incremental ROAS when
any given result has it, so one plan never mixes the two. The spend is the row's
``spend`` column when released with it, else ``revenue / roas`` of the same row: the
server divides the released revenue by the public spend, so this gives the spend back
exactly, without reading anything but the result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from reports.errors import ReportError
from reports.number import Number
from reports.released import Released, Row

BASES = ("incremental_roas", "roas")
NUMERATOR = {"roas": "revenue", "incremental_roas": "incremental_revenue"}


@dataclass(frozen=True)
class CampaignReturn:
    """One campaign's released return (``None``: withheld or unbounded) and its spend."""

    campaign: str
    spend: float
    value: Number | None
    basis: str
    result_id: str


def choose_basis(results: Sequence[Released], basis: str) -> str:
    """``incremental_roas`` or ``roas`` (``auto``: the former when any result releases a
    value of it; lift without spend carries the column, empty)."""
    if basis not in ("auto", *BASES):
        raise ReportError(f"unknown basis {basis!r}; choose auto, incremental_roas or roas")
    released = [b for b in BASES if any(_releases(r, b) for r in results)]
    if basis != "auto":
        if not any(basis in r.value_columns for r in results):
            raise ReportError(f"no given result releases {basis}")
        return basis
    if released:
        return released[0]
    if any("roas" in r.value_columns for r in results):
        return "roas"  # conversions without spend: each campaign is then refused by name
    ids = ", ".join(r.result_id for r in results)
    raise ReportError(
        f"no spend: results {ids} release no roas or incremental_roas "
        "(run conversions with --spend, or lift with spend)"
    )


def _releases(result: Released, column: str) -> bool:
    """Whether some row of ``result`` has a value in ``column``."""
    if column not in result.value_columns:
        return False
    return any(
        (n := row.numbers.get(column)) is not None and n.value is not None for row in result.rows
    )


def _spend(row: Row, basis: str) -> float | None:
    spend = row.numbers.get("spend")
    if spend is not None and spend.value is not None:
        return spend.value
    ratio, amount = row.numbers.get(basis), row.numbers.get(NUMERATOR[basis])
    if ratio is None or amount is None or ratio.value is None or amount.value is None:
        return None
    if ratio.value != 0:
        return amount.value / ratio.value
    width = (ratio.high or 0.0) - (ratio.low or 0.0)
    if width > 0 and math.isfinite(width):
        return ((amount.high or 0.0) - (amount.low or 0.0)) / width
    return None


def _usable(number: Number | None) -> Number | None:
    if number is None or number.value is None or number.low is None or number.high is None:
        return None
    return number if math.isfinite(number.low) and math.isfinite(number.high) else None


def campaign_returns(
    results: Sequence[Released], basis: str = "auto"
) -> tuple[list[CampaignReturn], list[str]]:
    """The campaigns to plan, and a note for each campaign left out (spend unknown)."""
    chosen = choose_basis(results, basis)
    seen: dict[str, str] = {}
    found, notes = [], []
    for result in (r for r in results if chosen in r.value_columns):
        if result.key_columns != ("campaign",):
            extra = ", ".join(c for c in result.key_columns if c != "campaign")
            raise ReportError(
                f"result {result.result_id} is broken down by {extra}; a plan needs one "
                "row per campaign (ask without --by)"
            )
        for row in result.rows:
            if row.remainder or row.derived:
                continue
            campaign = row.key[0]
            if campaign in seen:
                raise ReportError(
                    f"campaign {campaign} is in results {seen[campaign]} and "
                    f"{result.result_id}; give one result per campaign"
                )
            seen[campaign] = result.result_id
            spend = None if row.suppressed else _spend(row, chosen)
            if spend is None or not spend >= 0:
                notes.append(f"{campaign}: left out, its spend is not in {result.result_id}")
                continue
            value = _usable(row.numbers.get(chosen))
            found.append(CampaignReturn(campaign, spend, value, chosen, result.result_id))
    if not found:
        ids = ", ".join(r.result_id for r in results)
        raise ReportError(
            f"no spend: no campaign of results {ids} has a released {chosen} "
            "(run conversions with --spend; a suppressed campaign has none)"
        )
    return found, notes
