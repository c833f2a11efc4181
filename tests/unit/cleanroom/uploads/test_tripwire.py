"""The PII tripwire on single values: what trips it and what must not."""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pytest

from cleanroom.uploads.tripwire import describe, scan_column

TRIPS = [
    ("jane.doe@example.com", "email addresses"),
    ("Jane Doe <jane@example.co.uk>", "email addresses"),
    ("+1 415 555 0100", "phone numbers"),
    ("(415) 555-0100", "phone numbers"),
    ("415.555.0100", "phone numbers"),
    ("+44 20 7946 0958", "phone numbers"),
    ("4155550100", "phone numbers"),
    (hashlib.sha256(b"jane@example.com").hexdigest(), "64-hex-digit"),
    (hashlib.sha256(b"x").hexdigest().upper(), "64-hex-digit"),
    ("sha:" + hashlib.sha256(b"x").hexdigest(), "64-hex-digit"),
]
CLEAN = [
    "spring-sale-2026",
    "cmp-17",
    "2026-03-15",
    "12345",
    "@brand on social",
    "north-east",
    "a" * 63,
    "0" * 65,
    "",
]


@pytest.mark.parametrize(("value", "pattern"), TRIPS)
def test_identifier_like_values_trip(value: str, pattern: str) -> None:
    hits = scan_column("channel", pa.array(["ok", value, None]))
    assert [h.pattern.startswith(pattern) for h in hits] == [True]
    assert hits[0].count == 1


@pytest.mark.parametrize("value", CLEAN)
def test_ordinary_attribute_values_pass(value: str) -> None:
    assert scan_column("channel", pa.array([value])) == []


def test_description_names_column_and_count_never_the_value() -> None:
    hit = scan_column("category", pa.array(["a@b.io", "c@d.io"]))[0]
    text = describe(hit)
    assert text.startswith("column 'category': 2 distinct value(s) look like email addresses")
    assert "a@b.io" not in text
