"""The progress bar and the summary show counts only."""

from __future__ import annotations

import io
import json
from collections import Counter

from rich.console import Console

from party_agent.progress import BarProgress, wants_bar
from party_agent.summary import TokenizeSummary
from protocols import Reason


def test_bar_draws_bytes_and_rows_on_a_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    with BarProgress(2_000_000, console) as bar:
        bar.update(1_000_000, 12_345)
        bar._progress.refresh()
    assert "tokenizing" in out.getvalue()
    assert "12,345 rows" in out.getvalue()


def test_no_bar_when_quiet_json_or_not_a_terminal() -> None:
    assert not wants_bar(quiet=True, json_output=False)
    assert not wants_bar(quiet=False, json_output=True)
    assert not wants_bar(quiet=False, json_output=False)  # pytest's stderr is not a TTY


def _summary() -> TokenizeSummary:
    summary = TokenizeSummary(rows_read=10, rows_written=7, rows_dropped_no_identifier=2)
    summary.rows_dropped_invalid_attribute["amount"] = 1
    summary.count_rejected("email", Counter({Reason.NO_AT_SIGN: 2, Reason.EMPTY: 1}))
    summary.count_rejected("email", Counter({Reason.NO_AT_SIGN: 1}))
    summary.count_rejected("phone", Counter())
    summary.tokens_written["email"] = 7
    summary.seconds = 2.0
    return summary


def test_summary_json_fields() -> None:
    assert json.loads(_summary().to_json()) == {
        "rows_read": 10,
        "rows_written": 7,
        "rows_dropped_no_identifier": 2,
        "rows_dropped_invalid_attribute": {"amount": 1},
        "rows_dropped_null": {},
        "invalid_identifiers": {"email": {"empty": 1, "no_at_sign": 3}, "phone": {}},
        "invalid_identifier_examples": {},
        "tokens_written": {"email": 7},
        "warnings": [],
        "seconds": 2.0,
        "rows_per_second": 5.0,
    }


def test_summary_text() -> None:
    assert _summary().to_text().splitlines() == [
        "rows read:      10",
        "rows written:   7",
        "rows dropped (no valid identifier): 2",
        "rows dropped (invalid 'amount'): 1",
        "tokens written (email): 7",
        "invalid 'email': 4 (no_at_sign 3, empty 1)",
        "time: 2.00 s (5 rows/s)",
    ]
