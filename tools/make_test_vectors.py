"""Regenerate ``protocols/test_vectors.json`` from the case list below.

Run ``python tools/make_test_vectors.py`` only when the protocol version changes: the
file is a pinned contract, and the tests check the code against it (and against an
independent stdlib implementation of HKDF and HMAC), not the other way round.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import rbcl

from protocols import (
    FAMILIES,
    Blinder,
    BlindingScalar,
    IdType,
    MatchKey,
    NormalizeOptions,
    Rejected,
    Tokenizer,
    blind_many,
    hash_to_group,
    hmac_input,
    normalize,
)
from protocols.binding import key_checks
from protocols.normalize import NORMALIZATION_REVISION
from protocols.ristretto import hash_input

MATCH_KEY_HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
COLLABORATION_ID = "collab-test-vectors"
OUT = Path(__file__).resolve().parents[1] / "protocols" / "test_vectors.json"

# (id_type, raw, region, fold_gmail, note)
CASES: list[tuple[str, str, str | None, bool, str]] = [
    ("email", "alice@example.com", None, False, "already normalized"),
    ("email", "  Alice@Example.COM \t", None, False, "whitespace and case"),
    ("email", "ALICE@EXAMPLE.COM", None, False, "upper case meets lower case"),
    ("email", "alice+newsletter@example.com", None, False, "plus-addressing kept"),
    ("email", "a.l.i.c.e+promo@gmail.com", None, True, "gmail dots and plus folded"),
    ("email", "a.l.i.c.e+promo@gmail.com", None, False, "gmail without folding"),
    ("email", "Bob.Smith@GoogleMail.com", None, True, "googlemail folded, written as gmail.com"),
    ("email", "bob.smith+news@googlemail.com", None, True, "googlemail plus folded to gmail"),
    ("email", "bobsmith@gmail.com", None, True, "gmail folded meets googlemail folded"),
    ("email", "Bob.Smith@GoogleMail.com", None, False, "googlemail without folding kept"),
    (
        "email",
        "\uff41\uff4c\uff49\uff43\uff45\uff20\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\uff0e\uff43\uff4f\uff4d",
        None,
        False,
        "full-width ASCII read as ASCII",
    ),
    (
        "email",
        "\uff34\uff41\uff52\uff4f.Yamada@Example.JP",
        None,
        False,
        "full-width letters in the local part",
    ),
    (
        "email",
        "\uff22\uff4f\uff42.Smith@googlemail.com",
        None,
        True,
        "full-width, folded googlemail",
    ),
    ("email", "bob.smith@example.org", None, True, "folding leaves other domains"),
    ("email", "Jos\u00e9@exampl\u00e9.fr", None, False, "unicode, precomposed"),
    ("email", "Jose\u0301@example\u0301.fr", None, False, "unicode, decomposed (NFC)"),
    ("email", "\u00dcBER@m\u00fcnchen.de", None, False, "unicode upper case"),
    ("email", "\u00a0carol@example.com\u2003", None, False, "unicode whitespace trimmed"),
    ("email", "o'brien@example.ie", None, False, "apostrophe in local part"),
    ("email", "user@sub.domain.example.co.uk", None, False, "many labels"),
    ("email", "", None, False, "empty"),
    ("email", "   ", None, False, "blank"),
    ("email", "not-an-email", None, False, "no at sign"),
    ("email", "a@b@example.com", None, False, "two at signs"),
    ("email", "@example.com", None, False, "empty local part"),
    ("email", "+@gmail.com", None, True, "folds to empty local part"),
    ("email", "dave@localhost", None, False, "single-label domain"),
    ("email", "dave@-example.com", None, False, "label starts with hyphen"),
    ("email", "dave smith@example.com", None, False, "inner space"),
    ("email", "dave\x00@example.com", None, False, "control character"),
    ("email", "x" * 250 + "@example.com", None, False, "too long"),
    ("phone", "+1 (415) 555-2671", None, False, "international, formatted"),
    ("phone", "(415) 555-2671", "US", False, "national, US region"),
    ("phone", "415.555.2671", "US", False, "national with dots"),
    ("phone", "+14155552671", "GB", False, "E.164 ignores region"),
    ("phone", "090-1234-5678", "JP", False, "national, JP mobile"),
    ("phone", "03-1234-5678", "JP", False, "national, Tokyo landline"),
    ("phone", "020 7946 0018", "GB", False, "national, London"),
    ("phone", "07700 900123", "GB", False, "UK mobile in the reserved drama range: invalid"),
    ("phone", "020 7946 0018", "JP", False, "UK national number read as JP: another valid number"),
    ("phone", "020 7946 0018", "GB", False, "UK national"),
    ("phone", "+44 20 7946 0018", None, False, "UK international"),
    ("phone", "0044 20 7946 0018", "DE", False, "international dialing prefix"),
    ("phone", "030 1234567", "DE", False, "German national"),
    ("phone", "+49 30 1234567", None, False, "German international"),
    ("phone", "(415) 555-2671", None, False, "national without region"),
    ("phone", "12345", "US", False, "too short"),
    ("phone", "call me maybe", "US", False, "not a number"),
    ("phone", "", "US", False, "empty"),
    ("maid", "6D92078A-8246-4BA4-AE5B-76104861E7DC", None, False, "IDFA upper case"),
    ("maid", "6d92078a82464ba4ae5b76104861e7dc", None, False, "no hyphens"),
    ("maid", "{6d92078a-8246-4ba4-ae5b-76104861e7dc}", None, False, "braces"),
    ("maid", "00000000-0000-0000-0000-000000000000", None, False, "limit-ad-tracking zero"),
    ("maid", "6d92078a-8246-4ba4-ae5b", None, False, "truncated"),
    ("customer_id", "  CUST-00042 ", None, False, "trimmed, case kept"),
    ("customer_id", "cust-00042", None, False, "different case, different id"),
    ("customer_id", "x" * 300, None, False, "too long"),
    (
        "email_sha256",
        "ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976",
        None,
        False,
        "sha256 of alice@example.com",
    ),
    (
        "email_sha256",
        " FF8D9819FC0E12BF0D24892E45987E249A28DCE836A85CAD60E28EAAA8C6D976 ",
        None,
        False,
        "upper-case hex with spaces",
    ),
    (
        "email_sha256",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        None,
        False,
        "sha256 of the empty string",
    ),
    ("email_sha256", "ff8d9819fc0e12bf", None, False, "too short"),
    (
        "email_sha256",
        "zz8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976",
        None,
        False,
        "not hex",
    ),
    (
        "phone_sha256",
        "cb6880e416769253645cb9c6b8989154bf66a56a77fc14c81fb1019663cbb928",
        None,
        False,
        "sha256 of +14155552671 meets the raw phone",
    ),
]


def build() -> dict[str, object]:
    key = MatchKey.from_hex(MATCH_KEY_HEX)
    tokenizer = Tokenizer(key, COLLABORATION_ID, parallel=False)
    cases = []
    for id_type_name, raw, region, fold, note in CASES:
        id_type = IdType.parse(id_type_name)
        options = NormalizeOptions(region=region, fold_gmail=fold)
        outcome = normalize(id_type, raw, options)
        token = tokenizer.token(id_type, raw, options)
        case: dict[str, object] = {
            "id_type": id_type.value,
            "raw": raw,
            "region": region,
            "fold_gmail": fold,
            "note": note,
        }
        if isinstance(outcome, Rejected):
            case["reason"] = outcome.reason.value
        else:
            case["normalized"] = outcome
            case["token_hex"] = token.hex() if isinstance(token, bytes) else None
        cases.append(case)
    return {
        "protocol": "cleanroom token v1 (hmac-sha256)",
        "normalization_revision": NORMALIZATION_REVISION,
        "match_key_hex": MATCH_KEY_HEX,
        "collaboration_id": COLLABORATION_ID,
        "key_checks": key_checks(key, COLLABORATION_ID),
        "cases": cases,
    }


#: Protocol v2 cases: (id_type, raw, region, fold_gmail, note); every family, raw and
#: pre-hashed forms meeting.
V2_CASES: list[tuple[str, str, str | None, bool, str]] = [
    ("email", "  Alice@Example.COM \t", None, False, "whitespace and case"),
    (
        "email_sha256",
        "ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976",
        None,
        False,
        "sha256 of alice@example.com meets the raw email",
    ),
    ("email", "a.l.i.c.e+promo@gmail.com", None, True, "gmail dots and plus folded"),
    ("email", "Jose\u0301@example\u0301.fr", None, False, "unicode, decomposed (NFC)"),
    ("phone", "(415) 555-2671", "US", False, "national, US region"),
    (
        "phone_sha256",
        "cb6880e416769253645cb9c6b8989154bf66a56a77fc14c81fb1019663cbb928",
        None,
        False,
        "sha256 of +14155552671 meets the raw phone",
    ),
    ("maid", "6D92078A-8246-4BA4-AE5B-76104861E7DC", None, False, "IDFA upper case"),
    ("customer_id", "  CUST-00042 ", None, False, "trimmed, case kept"),
]


def vector_scalar(party: str, family: str) -> BlindingScalar:
    """A fixed, public scalar for the vectors only: SHA-512 of a label, reduced mod L."""
    wide = hashlib.sha512(f"cleanroom v2 test vector scalar|{party}|{family}".encode()).digest()
    return BlindingScalar(rbcl.crypto_core_ristretto255_scalar_reduce(wide))


def build_v2() -> dict[str, object]:
    scalars = {p: {f: vector_scalar(p, f) for f in FAMILIES} for p in ("a", "b")}
    cases = []
    for id_type_name, raw, region, fold, note in V2_CASES:
        id_type = IdType.parse(id_type_name)
        options = NormalizeOptions(region=region, fold_gmail=fold)
        normalized = normalize(id_type, raw, options)
        assert isinstance(normalized, str), note
        family = id_type.family
        value = hmac_input(id_type, normalized)
        point = hash_to_group(COLLABORATION_ID, family, [value])
        once = {p: blind_many(scalars[p][family], point, parallel=False) for p in scalars}
        twice = blind_many(scalars["b"][family], once["a"], parallel=False)
        assert twice == blind_many(scalars["a"][family], once["b"], parallel=False)
        assert Blinder(scalars["a"], COLLABORATION_ID).token(id_type, raw, options) == once["a"]
        cases.append(
            {
                "id_type": id_type.value,
                "raw": raw,
                "region": region,
                "fold_gmail": fold,
                "note": note,
                "normalized": normalized,
                "input": value.decode(),
                "hash_input_hex": hash_input(COLLABORATION_ID, family, value).hex(),
                "point_hex": point.hex(),
                "once_a_hex": once["a"].hex(),
                "once_b_hex": once["b"].hex(),
                "twice_hex": twice.hex(),
            }
        )
    return {
        "protocol": "cleanroom token v2 (ristretto255, double-blind)",
        "collaboration_id": COLLABORATION_ID,
        "scalars_hex": {p: {f: s.hex() for f, s in fs.items()} for p, fs in scalars.items()},
        "key_checks": {p: {f: s.key_check() for f, s in fs.items()} for p, fs in scalars.items()},
        "cases": cases,
    }


if __name__ == "__main__":
    vectors = build()
    vectors["v2"] = build_v2()
    OUT.write_text(json.dumps(vectors, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
