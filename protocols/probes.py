"""Probes for unsalted digests in token columns: what a server *can* check without the key.

A token is ``HMAC-SHA256(family_key, input)``; without the key nobody can recompute one,
so the server cannot tell a real token from 32 other random-looking bytes. What it can
tell is when a token column holds something that is *not* keyed:

- a plain digest of a **common identifier**: the SHA-256 (raw), the SHA-256 of the
  SHA-256 hex, the MD5 hex as 32 ASCII bytes, or the SHA-1 padded with zero bytes, of a
  normalized form in the built-in probe list (:func:`probe_identifiers`: a few thousand
  common and synthetic email addresses and phone numbers);
- a value made only of ASCII hex digits (an MD5 or a truncated SHA hex written as bytes),
  which a real token is with probability 2^-113.

Any hit refuses the column. What it **cannot** detect: an unsalted digest of an
identifier that is not in the probe list (a column of real customers' SHA-256 with
none of the listed forms among them), a digest with a secret salt or pepper, or tokens
made under another key (the key check value catches those, see ``protocols.binding``).
A leak that avoids every listed form passes; the probes raise the cost of a broken
pipeline going unnoticed, they do not prove a column keyed.
"""

from __future__ import annotations

import hashlib
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    """james mary john patricia robert jennifer michael linda william elizabeth david barbara
    richard susan joseph jessica thomas sarah charles karen christopher lisa daniel nancy
    matthew betty anthony sandra mark ashley donald emily steven donna andrew michelle paul
    carol joshua amanda kenneth melissa kevin deborah brian laura george rebecca alice bob
    dave eve jane jdoe johndoe janedoe john.doe jane.doe john.smith"""
)
GENERIC_LOCALS = _words("test info admin contact sales support noreply hello mail user me a")
DOMAINS = _words(
    """gmail.com yahoo.com hotmail.com outlook.com icloud.com aol.com example.com example.org
    example.net test.com mail.com"""
)
SYNTHETIC_USERS = 1000
AREA_CODES = ("201", "202", "212", "213", "305", "310", "312", "415", "617", "650", "212")
TOKEN_BYTES = 32


def probe_identifiers() -> list[str]:
    """Normalized emails and E.164 phones that any large identifier column is likely to
    contain, plus the synthetic forms test data uses (``user17@example.com``, 555-01xx)."""
    locals_ = FIRST_NAMES + GENERIC_LOCALS
    emails = [f"{name}@{domain}" for name in locals_ for domain in DOMAINS]
    emails += [f"user{i}@example.com" for i in range(SYNTHETIC_USERS)]
    emails += [f"user.{i}@example.com" for i in range(SYNTHETIC_USERS)]
    phones = [f"+1{area}55501{i:02d}" for area in sorted(set(AREA_CODES)) for i in range(100)]
    phones += [f"+4477009001{i:02d}" for i in range(100)]
    phones += ["+15555555555", "+11234567890", "+10000000000"]
    return emails + phones + [p.lstrip("+") for p in phones]


def _digests(value: str) -> list[bytes]:
    data = value.encode()
    sha256 = hashlib.sha256(data)
    md5_hex = hashlib.md5(data, usedforsecurity=False).hexdigest().encode()
    sha1 = hashlib.sha1(data, usedforsecurity=False).digest()
    return [
        sha256.digest(),
        hashlib.sha256(sha256.hexdigest().encode()).digest(),
        md5_hex,
        sha1 + bytes(TOKEN_BYTES - len(sha1)),
    ]


@cache
def probe_digests() -> pa.Array:
    """Every 32-byte unsalted digest form of every probe identifier (built once)."""
    values = {d for value in probe_identifiers() for d in _digests(value)}
    return pa.array(sorted(values), pa.binary(TOKEN_BYTES))


def unsalted_count(tokens: pa.Array) -> int:
    """How many values of a token column are unsalted digests (or ASCII hex)."""
    if tokens.type == pa.binary(TOKEN_BYTES):
        return _count_fixed(tokens)
    return _count_any(tokens)


def _count_any(tokens: pa.Array) -> int:
    """Any binary-like column: a hash lookup and a regex per value."""
    known = pc.is_in(tokens, value_set=probe_digests())
    hexed = pc.match_substring_regex(tokens.cast(pa.binary()), r"^[0-9A-Fa-f]+$")
    hits = pc.or_(pc.fill_null(known, False), pc.fill_null(hexed, False))
    return int(pc.sum(pc.cast(hits, pa.int64())).as_py() or 0)


_HEX_BYTES = np.zeros(256, dtype=bool)
_HEX_BYTES[np.frombuffer(b"0123456789abcdefABCDEF", dtype=np.uint8)] = True
#: The prefilter keys a row by its first 20 bits (a 1 MiB table stays in cache).
_KEY_BITS = 20
_PROBE_HEAD, _HEX_HEAD = 1, 2


@cache
def _prefilter() -> tuple[np.ndarray, np.ndarray, frozenset[bytes]]:
    """A table over a row's first 20 bits: ``_PROBE_HEAD`` where some probe digest starts
    with them, ``_HEX_HEAD`` where the first two bytes are ASCII hex; the probe digests'
    first 8 bytes (sorted, as little-endian integers) and the digests themselves."""
    digests = [value for value in probe_digests().to_pylist() if value is not None]
    table = np.zeros(1 << _KEY_BITS, dtype=np.uint8)
    keys = np.arange(1 << _KEY_BITS, dtype=np.uint32)
    hex_pair = _HEX_BYTES[keys & 0xFF] & _HEX_BYTES[(keys >> 8) & 0xFF]
    table[hex_pair] |= _HEX_HEAD
    flat = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(-1, TOKEN_BYTES)
    table[_row_keys(flat)] |= _PROBE_HEAD
    heads = np.unique(np.ascontiguousarray(flat[:, :8]).view("<u8").ravel())
    return table, heads, frozenset(digests)


def _row_keys(rows: np.ndarray) -> np.ndarray:
    """Each row's first 20 bits, as an index into the prefilter table."""
    first = rows.reshape(-1).view("<u4")[:: TOKEN_BYTES // 4]  # a strided view, no copy
    return first & np.uint32((1 << _KEY_BITS) - 1)


def _count_fixed(tokens: pa.Array) -> int:
    """The same count as :func:`_count_any` for the token type itself (32 fixed bytes),
    on the value buffer. One lookup of each row's first 20 bits in a table leaves the
    rows that may be a probe digest (about 2% of random rows) or ASCII hex (0.7%); a
    probe candidate is matched on its first 8 bytes, then on all 32, and a hex candidate
    is checked byte column by byte column (about 9% of random rows survive each)."""
    count = len(tokens)
    if count == 0:
        return 0
    start = tokens.offset * TOKEN_BYTES
    flat = np.frombuffer(tokens.buffers()[1], dtype=np.uint8)[start:]
    rows = flat[: count * TOKEN_BYTES].reshape(count, TOKEN_BYTES)
    table, heads, digests = _prefilter()
    flags = np.take(table, _row_keys(rows))
    if tokens.null_count:
        flags[~np.asarray(tokens.is_valid(), dtype=bool)] = 0
    candidates = np.flatnonzero(flags)
    kinds = flags[candidates]
    hits = np.zeros(count, dtype=bool)
    hexed = candidates[(kinds & _HEX_HEAD) != 0]
    for column in range(2, TOKEN_BYTES):
        if hexed.size == 0:
            break
        hexed = hexed[_HEX_BYTES[rows[hexed, column]]]
    hits[hexed] = True
    maybe = candidates[(kinds & _PROBE_HEAD) != 0]
    first = np.ascontiguousarray(rows[maybe, :8]).view("<u8").ravel()
    found = np.searchsorted(heads, first)
    maybe = maybe[heads[np.minimum(found, heads.size - 1)] == first]
    for index in maybe:
        hits[index] |= rows[index].tobytes() in digests
    return int(hits.sum())
