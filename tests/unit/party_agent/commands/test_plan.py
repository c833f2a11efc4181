"""``--max-change`` reads as a share: ``20%`` or ``0.2``; anything else is one plain error."""

from __future__ import annotations

import pytest

from party_agent.commands.plan import parse_share
from party_agent.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "share"), [("20%", 0.2), ("0.2", 0.2), (" 5% ", 0.05), ("0", 0.0), ("100%", 1.0)]
)
def test_shares_read_as_fractions(text: str, share: float) -> None:
    assert parse_share(text) == pytest.approx(share)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("twenty", "--max-change must look like 20% or 0.2, got 'twenty'"),
        ("150%", "--max-change must be between 0% and 100%, got '150%'"),
        ("-0.1", "--max-change must be between 0% and 100%, got '-0.1'"),
    ],
)
def test_other_text_is_refused(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_share(text)
    assert str(raised.value) == message
