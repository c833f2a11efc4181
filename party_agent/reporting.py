"""Budget plans and HTML reports from stored results: the Python API behind
``party-agent plan-budget`` and ``party-agent report``.

    from party_agent import reporting, results

    with CleanRoomClient(url, token) as client:
        replies = reporting.fetch_results(client, collab, ["res_1", "res_2"])
    frame = reporting.plan_budget(replies, max_change=0.2, min_spend=500)
    reporting.write_plan(reporting.budget_plan(replies), "plan.csv")
    reporting.write_html(replies, "report.html", currency="JPY", locale="ja-JP")

Post-processing only: these read the released results they are given (and, for the
report's privacy terms, the policy version the results name), never query, never
charge budget. The arithmetic lives in :mod:`reports` (shared with the server's demo).
A frame has the columns of :data:`reports.plan_view.COLUMNS`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from party_agent.client import CleanRoomClient, Json, ServerError
from party_agent.errors import ConfigError, InputError
from reports import BudgetPlan, Limits, Released, ReportError, Style, read_result
from reports import plan_budget as _plan
from reports.page import ReportContext, render_report, write_report
from reports.plan_view import COLUMNS, plan_csv, plan_json, plan_records
from reports.returns import BASES
from reports.summary import contribution_terms


@contextmanager
def _plain_errors() -> Iterator[None]:
    """A :class:`reports.ReportError` is the user's input: one line, exit 1."""
    try:
        yield
    except ReportError as exc:
        raise InputError(str(exc)) from None


def style_for(currency: str = "USD", locale: str = "en-US") -> Style:
    """The report's number style; an unknown code is a one-line InputError."""
    with _plain_errors():
        return Style(currency, locale)


def fetch_results(client: CleanRoomClient, collaboration: str, ids: Sequence[str]) -> list[Json]:
    """The stored results ``ids`` (each once, in order); an unknown id is the server's 404."""
    from party_agent.results import get_result

    return [get_result(client, collaboration, i) for i in dict.fromkeys(ids)]


def read(replies: Sequence[Mapping[str, Any]]) -> list[Released]:
    with _plain_errors():
        return [read_result(reply) for reply in replies]


def budget_plan(
    replies: Sequence[Mapping[str, Any]],
    *,
    max_change: float = 0.2,
    min_spend: float = 0.0,
    total: float | None = None,
    currency: str = "USD",
    basis: str = "auto",
) -> BudgetPlan:
    """The reallocation plan (see :mod:`reports.plan` for the rule)."""
    with _plain_errors():
        limits = Limits(max_change, min_spend, total)
        decimals = Style(currency).decimals
        return _plan(read(replies), limits, decimals=decimals, basis=basis)


def plan_budget(replies: Sequence[Mapping[str, Any]], **limits: Any) -> pd.DataFrame:
    """The plan as a DataFrame, one row per campaign (``budget_plan``'s keywords)."""
    records = plan_records(budget_plan(replies, **limits))
    return pd.DataFrame.from_records(records, columns=list(COLUMNS))


def write_plan(plan: BudgetPlan, path: Path | str) -> Path:
    """``.csv`` (one row per campaign) or ``.json`` (with the limits), written atomically."""
    path = Path(path)
    if path.suffix == ".csv":
        text = plan_csv(plan)
    elif path.suffix == ".json":
        text = json.dumps(plan_json(plan), indent=2) + "\n"
    else:
        raise ConfigError(f"--out must end in .csv or .json, got {path.name!r}")
    return write_report(path, text)


def policy_terms(
    client: CleanRoomClient, collaboration: str, replies: Sequence[Json], style: Style
) -> tuple[tuple[str, str], ...]:
    """Contribution bounds of the policy version the first result names (best effort)."""
    from policies import policy_from_yaml

    hashes = list(dict.fromkeys(str(r.get("policy_hash", "")) for r in replies))
    if not hashes or not hashes[0]:
        return ()
    try:
        text = client.policy(collaboration, hashes[0])["text"]
        terms = contribution_terms(policy_from_yaml(text), hashes[0], style)
    except (ServerError, ValueError, KeyError) as exc:
        return (("contribution bounds", f"not shown: the policy could not be read ({exc})"),)
    if len(hashes) > 1:
        terms += (("note", f"the results were released under {len(hashes)} policy versions"),)
    return terms


def render_html(
    replies: Sequence[Mapping[str, Any]],
    *,
    currency: str = "USD",
    locale: str = "en-US",
    terms: tuple[tuple[str, str], ...] = (),
    title: str = "Campaign results",
    **limits: Any,
) -> str:
    """The report page; the plan is included when the results release a return."""
    with _plain_errors():
        style = Style(currency, locale)
        released = read(replies)
        plan: BudgetPlan | None = None
        notes: tuple[str, ...] = ()
        if any(b in r.value_columns for r in released for b in BASES):
            plan = budget_plan(replies, currency=currency, **limits)
        else:
            notes = ("No reallocation plan: no result releases roas or incremental_roas.",)
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        context = ReportContext(title, now, "party-agent report", notes, terms)
        return render_report(released, style, plan, context)


def write_html(replies: Sequence[Mapping[str, Any]], path: Path | str, **options: Any) -> Path:
    """Write the report page (``render_html``'s keywords) atomically."""
    path = Path(path)
    if path.suffix not in (".html", ".htm"):
        raise ConfigError(f"--out must end in .html, got {path.name!r}")
    return write_report(path, render_html(replies, **options))
