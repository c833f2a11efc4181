"""The pinned vectors hold for the reference path, the batch path and the stdlib."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pyarrow as pa
import pytest

from protocols import IdType, MatchKey, NormalizeOptions, Rejected, Tokenizer, normalize
from protocols.binding import key_checks
from protocols.hmac_batch import PURE_PYTHON_ENV
from protocols.normalize_batch import normalize_array
from tests.hashing_paths import ENV_PATHS
from tests.vectors import load_vectors, stdlib_hkdf_sha256, stdlib_token

VECTORS = load_vectors()
CASES: list[dict[str, Any]] = VECTORS["cases"]
KEY = bytes.fromhex(VECTORS["match_key_hex"])
COLLAB = VECTORS["collaboration_id"]


def _options(case: dict[str, Any]) -> NormalizeOptions:
    return NormalizeOptions(region=case["region"], fold_gmail=case["fold_gmail"])


def test_there_are_enough_vectors_of_every_kind() -> None:
    assert len(CASES) >= 40
    assert {case["id_type"] for case in CASES} == {t.value for t in IdType}
    assert any("reason" in case for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["note"] for c in CASES])
def test_reference_normalization_matches_vector(case: dict[str, Any]) -> None:
    outcome = normalize(IdType(case["id_type"]), case["raw"], _options(case))
    if "reason" in case:
        assert outcome == Rejected(case["reason"])
    else:
        assert outcome == case["normalized"]


@pytest.fixture(params=ENV_PATHS)
def hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each token test runs on the compiled kernel (where built) and on hashlib."""
    monkeypatch.setenv(PURE_PYTHON_ENV, request.param)
    return str(request.param)


@pytest.mark.parametrize("case", [c for c in CASES if "token_hex" in c], ids=lambda c: c["note"])
def test_token_matches_vector_and_stdlib(case: dict[str, Any], hashing: str) -> None:
    tokenizer = Tokenizer(MatchKey(KEY), COLLAB, parallel=False)
    token = tokenizer.token(IdType(case["id_type"]), case["raw"], _options(case))
    assert token == bytes.fromhex(case["token_hex"])
    assert token == stdlib_token(KEY, COLLAB, case["id_type"], case["normalized"])


@pytest.mark.parametrize("id_type", list(IdType))
def test_batch_path_matches_vectors(id_type: IdType, hashing: str) -> None:
    for fold in (False, True):
        cases = [c for c in CASES if c["id_type"] == id_type and c["fold_gmail"] == fold]
        for region in {c["region"] for c in cases}:
            group = [c for c in cases if c["region"] == region]
            options = NormalizeOptions(region=region, fold_gmail=fold)
            raw = pa.array([c["raw"] for c in group])
            column = normalize_array(id_type, raw, options)
            assert column.values.to_pylist() == [c.get("normalized") for c in group]
            tokens = Tokenizer(MatchKey(KEY), COLLAB).tokenize_array(id_type, raw, options)
            assert [t.hex() if t else None for t in tokens.tokens.to_pylist()] == [
                c.get("token_hex") for c in group
            ]
            expected_rejects = sum(1 for c in group if "reason" in c)
            assert sum(tokens.rejected.values()) == expected_rejects


def test_raw_and_prehashed_forms_meet_in_the_vectors() -> None:
    emails = [c for c in CASES if c["id_type"] == "email" and "token_hex" in c]
    by_normalized = {c["normalized"]: c["token_hex"] for c in emails}
    prehashed = next(c for c in CASES if c["note"] == "sha256 of alice@example.com")
    assert prehashed["token_hex"] == by_normalized["alice@example.com"]
    phone = next(c for c in CASES if c["id_type"] == "phone" and "token_hex" in c)
    phone_hashed = next(c for c in CASES if c["id_type"] == "phone_sha256")
    assert phone["normalized"] == "+14155552671"
    assert phone_hashed["token_hex"] == phone["token_hex"]


def test_key_check_values_match_vector_and_stdlib() -> None:
    """Key check values (protocols.binding) pinned per family, re-derived with the stdlib."""
    expected = VECTORS["key_checks"]
    assert key_checks(MatchKey(KEY), COLLAB) == expected
    for family, check in expected.items():
        family_key = stdlib_hkdf_sha256(KEY, COLLAB.encode(), f"v1|{family}".encode())
        label = b"\x00cleanroom key check v1"
        assert hmac.new(family_key, label, hashlib.sha256).digest()[:8].hex() == check
