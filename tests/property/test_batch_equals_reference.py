"""The batch normalizer equals the scalar reference on messy inputs, row by row.

``protocols.normalize`` is the specification; ``normalize_array`` takes vectorized short
cuts for common shapes. Whatever the input, both must give the same normalized value or
the same rejection reason for every row, with ``fold_gmail`` on and off.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections import Counter

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols import IdType, NormalizeOptions, Reason, Rejected, normalize
from protocols.normalize import EMPTY_SHA256
from protocols.normalize_batch import normalize_array
from tests.hashing_paths import HMAC_PATHS, HmacMany

#: Whitespace and control characters the reference strips or rejects.
PAD = st.one_of(
    st.just(""),
    st.text(alphabet=" \t", max_size=2),
    st.text(alphabet=" \t\n\r\x0b\x0c\x1f\u00a0\u2003", max_size=3),
)
LOCAL = st.one_of(
    st.text(alphabet="abcXYZ019._+-", max_size=10),
    st.text(alphabet="abcXYZ019._+-'!#\"()@ \t\x00\x7fäéИ", max_size=12),
    st.sampled_from(["", ".", "+", "a.b+c", "A.B.+x", "ß"]),
    st.integers(min_value=228, max_value=256).map(lambda n: "a." * (n // 2) + "b" * (n % 2)),
)
DOMAIN = st.one_of(
    st.sampled_from(["gmail.com", "GMail.com", "googlemail.com", "example.org"]),
    st.sampled_from(
        [
            "gmail.com",
            "GMAIL.COM",
            "googlemail.com",
            "Gmail.Com",
            "gmail",
            "example.com",
            "x.co.uk",
            "-x.com",
            "x-.com",
            "a-b.c0",
            "a..b",
            ".com",
            "x.com.",
            "münchen.de",
            "x_y.com",
            "123.45",
            "gmail.com@gmail.com",
            "",
        ]
    ),
    st.text(alphabet="abZ09.-_@ ä", max_size=12),
)
AT = st.sampled_from(["@", "@", "@", "", "@@", " @", "\t@"])
EMAILS = st.one_of(
    st.builds(lambda *parts: "".join(parts), PAD, LOCAL, AT, DOMAIN, PAD),
    st.text(max_size=30),
    st.none(),
)

HEX = st.one_of(
    st.text(alphabet="0123456789abcdefABCDEF", min_size=62, max_size=66),
    st.text(alphabet="0123456789abcdefABCDEFg \t", min_size=62, max_size=66),
)
SHA256S = st.one_of(
    st.builds(lambda *parts: "".join(parts), PAD, HEX, PAD),
    st.builds(
        lambda p, h, q: p + h + q,
        PAD,
        st.sampled_from([EMPTY_SHA256, "E3B0C4" + EMPTY_SHA256[6:]]),
        PAD,
    ),
    st.text(max_size=70),
    st.none(),
)

DIGITS = st.text(alphabet="0123456789", min_size=7, max_size=7)
PHONES = st.one_of(
    st.builds(
        lambda p, area, d, fmt, q: p + fmt.format(area=area, a=d[:3], b=d[3:]) + q,
        PAD,
        st.one_of(
            st.sampled_from(["415", "212", "617", "020", "123", "800", "268", "787", "876"]),
            st.text(alphabet="0123456789", min_size=3, max_size=3),
        ),
        DIGITS,
        st.sampled_from(
            [
                "({area}) {a}-{b}",
                "+1 {area} {a} {b}",
                "{area}.{a}.{b}",
                "+44{area}{a}{b}",
                "{area}{a}{b}",
                "1{area}{a}{b}",
                "+1{area}{a}{b}",
                "1-{area}-{a}-{b}",
            ]
        ),
        PAD,
    ),
    st.text(alphabet="0123456789+-() .", max_size=16),
    st.none(),
)

MAIDS = st.one_of(
    st.builds(
        lambda p, u, upper, q: p + (str(u).upper() if upper else str(u)) + q,
        PAD,
        st.uuids(),
        st.booleans(),
        PAD,
    ),
    st.builds(lambda u: u.hex, st.uuids()),
    st.just(str(uuid.UUID(int=0))),
    st.text(max_size=40),
    st.none(),
)


def _check(id_type: IdType, raws: list[str | None], options: NormalizeOptions) -> None:
    expected = [normalize(id_type, raw, options) for raw in raws]
    column = normalize_array(id_type, pa.array(raws, pa.string()), options)
    assert column.values.to_pylist() == [e if isinstance(e, str) else None for e in expected]
    reasons: Counter[Reason] = Counter(e.reason for e in expected if isinstance(e, Rejected))
    assert column.rejected == reasons


@given(st.lists(EMAILS, max_size=25), st.booleans())
@settings(max_examples=300, deadline=None)
def test_batch_emails_equal_reference(raws: list[str | None], fold: bool) -> None:
    _check(IdType.EMAIL, raws, NormalizeOptions(fold_gmail=fold))


@given(
    st.lists(SHA256S, max_size=20),
    st.sampled_from([IdType.EMAIL_SHA256, IdType.PHONE_SHA256]),
    st.booleans(),
)
@settings(max_examples=150, deadline=None)
def test_batch_sha256_hex_equals_reference(
    raws: list[str | None], id_type: IdType, fold: bool
) -> None:
    _check(id_type, raws, NormalizeOptions(fold_gmail=fold))


@given(
    st.lists(PHONES, max_size=20),
    st.sampled_from(["US", "CA", "JM", "AG", "PR", "GB", None]),
    st.booleans(),
)
@settings(max_examples=150, deadline=None)
def test_batch_phones_equal_reference(
    raws: list[str | None], region: str | None, fold: bool
) -> None:
    _check(IdType.PHONE, raws, NormalizeOptions(region=region, fold_gmail=fold))


@given(st.lists(MAIDS, max_size=20), st.booleans())
@settings(max_examples=100, deadline=None)
def test_batch_maids_equal_reference(raws: list[str | None], fold: bool) -> None:
    _check(IdType.MAID, raws, NormalizeOptions(fold_gmail=fold))


def test_large_batches_take_the_same_paths_as_small_ones() -> None:
    """Many rows at once (the fast path's masks and filters at scale)."""
    raws = [f" User{i}.Name+tag@{'GMail.com' if i % 3 else 'x.org'} " for i in range(3000)]
    raws += ["", None, "no-at", "a@@b.com", "a b@c.com", "\tx@y.com", "é@x.com", "@gmail.com"]
    # Around the 254-character limit, before and after Gmail folding.
    raws += ["a" * n + "@example.org" for n in (241, 242, 243)]
    raws += ["a." * 125 + "b" * n + "@gmail.com" for n in (0, 1, 2, 3, 4, 5)]
    for fold in (False, True):
        _check(IdType.EMAIL, raws, NormalizeOptions(fold_gmail=fold))


@pytest.mark.parametrize("hmac_many", HMAC_PATHS)
@given(
    key=st.binary(max_size=100),
    values=st.lists(st.one_of(st.text(max_size=140), EMAILS.filter(bool)), max_size=20),
    prehash=st.booleans(),
)
@settings(max_examples=200, deadline=None)
def test_batch_hmac_equals_stdlib_on_every_path(
    hmac_many: HmacMany, key: bytes, values: list[str], prehash: bool
) -> None:
    """HMAC-SHA256 of each value (or of its hex SHA-256), as ``hmac`` computes it."""
    expected = b""
    for value in values:
        message = value.encode()
        if prehash:
            message = hashlib.sha256(message).hexdigest().encode()
        expected += hmac.new(key, message, hashlib.sha256).digest()
    assert hmac_many(key, pa.array(values, pa.string()), prehash) == expected
