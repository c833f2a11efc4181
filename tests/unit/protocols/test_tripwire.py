"""The PII tripwire on single values: what trips it and what must not."""

from __future__ import annotations

import base64
import hashlib

import pyarrow as pa
import pytest

from protocols.tripwire import my_number_valid, scan_column, scan_rows

EMAIL, PHONE, HEX, B64 = "email addresses", "phone numbers", "hex digests", "base64 digests"
SSN, MY_NUMBER = "US social security numbers", "Japanese My Numbers"
JANE = b"jane.doe@example.com"


def _b64(algorithm: str, value: bytes, urlsafe: bool = False) -> str:
    digest = hashlib.new(algorithm, value).digest()
    if urlsafe:
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return base64.b64encode(digest).decode()


TRIPS = [
    ("jane.doe@example.com", EMAIL),
    ("Jane Doe <jane@example.co.uk>", EMAIL),
    ("jane.doe at example dot com", EMAIL),
    ("jane.doe [at] example [dot] com", EMAIL),
    ("JANE(AT)EXAMPLE.COM", EMAIL),
    ("jane.doe at example.com", EMAIL),
    ("jane.doe%40example.com", EMAIL),
    ("mailto:jane.doe%40Example.COM", EMAIL),
    ("+1 415 555 0100", PHONE),
    ("(415) 555-0100", PHONE),
    ("415.555.0100", PHONE),
    ("+44 20 7946 0958", PHONE),
    ("4155550100", PHONE),
    ("tel:+14155550100", PHONE),
    ("TEL:+1-415-555-0100", PHONE),
    ("(415) 555-0100 x12", PHONE),
    ("415-555-0100 ext. 7", PHONE),
    ("+1 415 555 0100 extension 1234", PHONE),
    ("415 555 0100#2", PHONE),
    (hashlib.md5(JANE).hexdigest(), HEX),  # noqa: S324 - the digest the tripwire must catch
    (hashlib.sha1(JANE).hexdigest(), HEX),  # noqa: S324 - the digest the tripwire must catch
    (hashlib.sha256(JANE).hexdigest(), HEX),
    (hashlib.sha256(b"x").hexdigest().upper(), HEX),
    ("sha:" + hashlib.sha256(b"x").hexdigest(), HEX),
    (hashlib.sha512(JANE).hexdigest(), HEX),
    ("f47ac10b58cc4372a5670e02b2c3d479", HEX),
    (_b64("md5", b"user0@example.com"), B64),
    (_b64("md5", b"user0@example.com").rstrip("="), B64),
    (_b64("sha1", b"user1@example.com"), B64),
    (_b64("sha256", b"user0@example.com"), B64),
    (_b64("sha256", b"user0@example.com", urlsafe=True), B64),
    (_b64("sha512", b"user3@example.com"), B64),
    ("123-45-6789", SSN),
    ("SSN 123 45 6789", SSN),
    ("1234-5678-9018", MY_NUMBER),
    ("123456789018", MY_NUMBER),
]
CLEAN = [
    "spring-sale-2026",
    "Summer-Sale-2024-Promo",
    "cmp-17",
    "cmp_0001",
    "SKU-12345",
    "AB-1234-XL",
    "f47ac10b-58cc-4372-a567-0e02b2c3d479",
    "F47AC10B-58CC-4372-A567-0E02B2C3D479",
    "Home & Garden",
    "Electronics/TV & Video",
    "north-east",
    "2026-03-15",
    "2026-03-15T10:00:00Z",
    "12345",
    "19.99",
    "@brand on social",
    "meet at noon",
    "back at school dot",
    "a" * 63,
    "0" * 65,
    "abc" * 11,
    "000-12-3456",
    "666-12-3456",
    "123-00-4567",
    "",
]


@pytest.mark.parametrize(("value", "pattern"), TRIPS)
def test_identifier_like_values_trip(value: str, pattern: str) -> None:
    hits = scan_column("channel", pa.array(["ok", value, None]))
    found = {h.pattern.split(" (")[0]: h.count for h in hits}
    assert found.get(pattern) == 1, found


@pytest.mark.parametrize("value", CLEAN)
def test_ordinary_attribute_values_pass(value: str) -> None:
    assert scan_column("channel", pa.array([value])) == []


def test_base64_of_every_digest_length_trips_across_a_column() -> None:
    """Per value the base64 check is strict (words must pass); a column of digests of many
    identifiers is caught with certainty."""
    emails = [f"user{i}@example.com".encode() for i in range(50)]
    for algorithm in ("md5", "sha1", "sha256", "sha512"):
        column = [base64.b64encode(hashlib.new(algorithm, e).digest()).decode() for e in emails]
        urlsafe = [base64.urlsafe_b64encode(hashlib.new(algorithm, e).digest()) for e in emails]
        for values in (column, [u.decode().rstrip("=") for u in urlsafe]):
            hits = scan_column("c", pa.array(values))
            assert [h.pattern for h in hits] == ["base64 digests (of identifiers)"]
            assert hits[0].count >= 10


def test_my_number_check_digit() -> None:
    assert my_number_valid("123456789018")
    assert not my_number_valid("123456789012")


def test_summary_names_column_and_count_never_the_value() -> None:
    hit = scan_column("category", pa.array(["a@b.io", "c@d.io"]))[0]
    text = hit.summary()
    assert text == "column 'category': 2 distinct value(s) look like email addresses"
    assert "a@b.io" not in text
    assert hit.summary("row(s)").startswith("column 'category': 2 row(s) look like")


def test_rows_are_counted_through_distinct_values() -> None:
    values = pa.array(["x@y.example.com", "cmp-1", None] * 5 + ["tel:+14155550100"])
    by_rows = {h.pattern.split(" (")[0]: h.count for h in scan_rows("c", values)}
    assert by_rows == {EMAIL: 5, PHONE: 1}
    assert [h.count for h in scan_column("c", values)] == [5, 1]
    assert scan_rows("c", values.dictionary_encode()) == scan_rows("c", values)
