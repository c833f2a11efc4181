"""Invariants of protocol v1, checked on generated inputs (hypothesis)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols import (
    IdType,
    KeyUnwrapError,
    MatchKey,
    NormalizeOptions,
    Rejected,
    Tokenizer,
    normalize,
    unwrap_match_key,
    wrap_match_key,
)
from protocols.encoding import b64url_decode
from protocols.keys import WRAP_PREFIX

KEY = MatchKey(bytes(range(32)))

local_parts = st.text(alphabet=st.sampled_from("abcXYZ019._+-'ÄéßИ"), min_size=1, max_size=12)
domains = st.sampled_from(["example.com", "Gmail.com", "googlemail.com", "münchen.de", "x.co.uk"])
padding = st.text(alphabet=" \t\u00a0\u2003", max_size=3)
emails = st.builds(lambda p, lo, d, q: f"{p}{lo}@{d}{q}", padding, local_parts, domains, padding)
any_text = st.text(max_size=40)
phones = st.builds(
    lambda area, rest, fmt: fmt.format(area=area, a=rest[:3], b=rest[3:]),
    st.sampled_from(["415", "212", "617", "020", "030"]),
    st.text(alphabet="0123456789", min_size=7, max_size=7),
    st.sampled_from(["({area}) {a}-{b}", "+1 {area} {a} {b}", "{area}.{a}.{b}", "+44{area}{a}{b}"]),
)


@given(st.sampled_from(list(IdType)), st.one_of(emails, phones, any_text), st.booleans())
@settings(max_examples=400)
def test_normalization_is_idempotent(id_type: IdType, raw: str, fold: bool) -> None:
    options = NormalizeOptions(region="US", fold_gmail=fold)
    once = normalize(id_type, raw, options)
    if isinstance(once, str):
        assert normalize(id_type, once, options) == once


@given(emails, st.booleans())
def test_raw_email_and_its_sha256_form_give_the_same_token(raw: str, fold: bool) -> None:
    options = NormalizeOptions(fold_gmail=fold)
    tokenizer = Tokenizer(KEY, "collab", parallel=False)
    normalized = normalize(IdType.EMAIL, raw, options)
    if isinstance(normalized, Rejected):
        return
    hashed = hashlib.sha256(normalized.encode()).hexdigest()
    assert tokenizer.token(IdType.EMAIL, raw, options) == tokenizer.token(
        IdType.EMAIL_SHA256, hashed.upper()
    )


@given(phones)
def test_raw_phone_and_its_sha256_form_give_the_same_token(raw: str) -> None:
    options = NormalizeOptions(region="US")
    tokenizer = Tokenizer(KEY, "collab", parallel=False)
    normalized = normalize(IdType.PHONE, raw, options)
    if isinstance(normalized, Rejected):
        return
    hashed = hashlib.sha256(normalized.encode()).hexdigest()
    assert tokenizer.token(IdType.PHONE, raw, options) == tokenizer.token(
        IdType.PHONE_SHA256, hashed
    )


@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=30, unique=True))
def test_different_collaborations_give_unrelated_tokens(ids: list[str]) -> None:
    one = Tokenizer(KEY, "collab-one", parallel=False)
    two = Tokenizer(KEY, "collab-two", parallel=False)
    tokens_one = {one.token(IdType.CUSTOMER_ID, i) for i in ids}
    tokens_two = {two.token(IdType.CUSTOMER_ID, i) for i in ids}
    shared = {t for t in tokens_one & tokens_two if isinstance(t, bytes)}
    assert not shared


_RECIPIENT = X25519PrivateKey.generate()
_MATCH_KEY = MatchKey.generate()
_WRAPPED = wrap_match_key(_MATCH_KEY, _RECIPIENT.public_key(), "collab")
_BLOB = b64url_decode(_WRAPPED[len(WRAP_PREFIX) :])


def test_wrap_unwrap_round_trips() -> None:
    assert unwrap_match_key(_WRAPPED, _RECIPIENT, "collab") == _MATCH_KEY


@given(st.integers(min_value=0, max_value=len(_BLOB) * 8 - 1))
@settings(max_examples=len(_BLOB) * 8)
def test_any_flipped_bit_is_rejected(bit: int) -> None:
    tampered = bytearray(_BLOB)
    tampered[bit // 8] ^= 1 << (bit % 8)
    text = WRAP_PREFIX + base64.urlsafe_b64encode(bytes(tampered)).decode()
    try:
        unwrap_match_key(text.rstrip("="), _RECIPIENT, "collab")
    except KeyUnwrapError:
        return
    raise AssertionError(f"bit {bit} flipped and the wrapped key still opened")
