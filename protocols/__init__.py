"""Wire formats and party-side crypto shared by the party agent and the server.

Everything a caller needs is importable from here; the submodules are the
implementation. ``tests/unit/protocols/test_public_api.py`` keeps ``__all__`` honest.

Names load on first use (PEP 562): ``from protocols import DatasetKind`` imports
:mod:`protocols.kinds` only, so a command line that needs an enum for its ``--help``
does not pay for pyarrow, phonenumbers or cryptography.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Bound now, not lazily: ``protocols.normalize`` is also a submodule, and importing a
# submodule sets the package attribute of its name (the module would hide the function).
from protocols.normalize import NormalizeOptions, Rejected, normalize

if TYPE_CHECKING:
    from protocols.binding import (
        TokenFileBinding,
        bind_schema,
        key_check_value,
        key_checks,
        kind_of,
        read_binding,
        with_kind,
    )
    from protocols.blind_tokens import (
        DOUBLY_BLINDED_VERSION,
        ONCE_BLINDED_VERSION,
        PROTOCOL_V2,
        Blinder,
        token_version,
        versioned_field,
    )
    from protocols.datasets import SCHEMAS, KindSchema
    from protocols.encoding import b64url_decode, b64url_encode
    from protocols.errors import (
        InvalidKey,
        InvalidPoint,
        KeyUnwrapError,
        MalformedMessage,
        ProtocolError,
        UnknownIdentifierType,
        UnsupportedVersion,
    )
    from protocols.identifiers import FAMILIES, IdType, Reason
    from protocols.keys import (
        MatchKey,
        decode_ed25519_public_key,
        decode_x25519_public_key,
        encode_public_key,
        public_key_fingerprint,
        unwrap_match_key,
        wrap_match_key,
    )
    from protocols.kinds import DatasetKind
    from protocols.messages import (
        APPROVAL_PREFIX,
        HASH_BLOCK,
        KEY_ROTATION_PREFIX,
        MATCH_KEY_PREFIX,
        PROBLEM_PREFIX,
        ROSTER_PREFIX,
        RosterEntry,
        approval_message,
        file_sha256,
        key_rotation_message,
        match_key_message,
        roster_bytes,
        roster_digest,
        roster_message,
    )
    from protocols.normalize_batch import NormalizedColumn, normalize_array
    from protocols.probes import unsalted_count
    from protocols.relay import RelayFrame, RelayStep, encode_frame, parse_frame
    from protocols.ristretto import BlindingScalar, blind_many, check_points, hash_to_group
    from protocols.tokens import (
        TOKEN_TYPE,
        TOKEN_VERSION,
        TokenColumn,
        Tokenizer,
        TokenMaker,
        check_token_field,
        derive_family_key,
        hmac_input,
        token_column_name,
        token_field,
    )
    from protocols.tripwire import TripwireHit, scan_column

#: Where each public name lives (the same table as the imports above, for run time).
_HOMES: dict[str, tuple[str, ...]] = {
    "tripwire": (
        "TripwireHit",
        "scan_column",
    ),
    "probes": ("unsalted_count",),
    "binding": (
        "TokenFileBinding",
        "bind_schema",
        "key_check_value",
        "key_checks",
        "kind_of",
        "read_binding",
        "roster_bytes",
        "roster_digest",
        "roster_message",
        "with_kind",
    ),
    "blind_tokens": (
        "DOUBLY_BLINDED_VERSION",
        "ONCE_BLINDED_VERSION",
        "PROTOCOL_V2",
        "Blinder",
        "token_version",
        "versioned_field",
    ),
    "datasets": ("SCHEMAS", "KindSchema"),
    "encoding": ("b64url_decode", "b64url_encode"),
    "errors": (
        "InvalidKey",
        "InvalidPoint",
        "KeyUnwrapError",
        "MalformedMessage",
        "ProtocolError",
        "UnknownIdentifierType",
        "UnsupportedVersion",
    ),
    "identifiers": ("FAMILIES", "IdType", "Reason"),
    "keys": (
        "MatchKey",
        "decode_ed25519_public_key",
        "decode_x25519_public_key",
        "encode_public_key",
        "public_key_fingerprint",
        "unwrap_match_key",
        "wrap_match_key",
    ),
    "kinds": ("DatasetKind",),
    "messages": (
        "APPROVAL_PREFIX",
        "HASH_BLOCK",
        "KEY_ROTATION_PREFIX",
        "MATCH_KEY_PREFIX",
        "PROBLEM_PREFIX",
        "ROSTER_PREFIX",
        "RosterEntry",
        "approval_message",
        "file_sha256",
        "key_rotation_message",
        "match_key_message",
        "roster_bytes",
        "roster_digest",
        "roster_message",
    ),
    "normalize_batch": ("NormalizedColumn", "normalize_array"),
    "relay": ("RelayFrame", "RelayStep", "encode_frame", "parse_frame"),
    "ristretto": ("BlindingScalar", "blind_many", "check_points", "hash_to_group"),
    "tokens": (
        "TOKEN_TYPE",
        "TOKEN_VERSION",
        "TokenColumn",
        "Tokenizer",
        "TokenMaker",
        "check_token_field",
        "derive_family_key",
        "hmac_input",
        "token_column_name",
        "token_field",
    ),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "APPROVAL_PREFIX",
    "DOUBLY_BLINDED_VERSION",
    "FAMILIES",
    "HASH_BLOCK",
    "KEY_ROTATION_PREFIX",
    "MATCH_KEY_PREFIX",
    "ONCE_BLINDED_VERSION",
    "PROBLEM_PREFIX",
    "PROTOCOL_V2",
    "ROSTER_PREFIX",
    "SCHEMAS",
    "TOKEN_TYPE",
    "TOKEN_VERSION",
    "Blinder",
    "BlindingScalar",
    "DatasetKind",
    "IdType",
    "InvalidKey",
    "InvalidPoint",
    "KeyUnwrapError",
    "KindSchema",
    "MalformedMessage",
    "MatchKey",
    "NormalizeOptions",
    "NormalizedColumn",
    "ProtocolError",
    "Reason",
    "Rejected",
    "RelayFrame",
    "RelayStep",
    "RosterEntry",
    "TokenColumn",
    "TokenFileBinding",
    "TokenMaker",
    "Tokenizer",
    "TripwireHit",
    "UnknownIdentifierType",
    "UnsupportedVersion",
    "approval_message",
    "b64url_decode",
    "b64url_encode",
    "bind_schema",
    "blind_many",
    "check_points",
    "check_token_field",
    "decode_ed25519_public_key",
    "decode_x25519_public_key",
    "derive_family_key",
    "encode_frame",
    "encode_public_key",
    "file_sha256",
    "hash_to_group",
    "hmac_input",
    "key_check_value",
    "key_checks",
    "key_rotation_message",
    "kind_of",
    "match_key_message",
    "normalize",
    "normalize_array",
    "parse_frame",
    "public_key_fingerprint",
    "read_binding",
    "roster_bytes",
    "roster_digest",
    "roster_message",
    "scan_column",
    "token_column_name",
    "token_field",
    "token_version",
    "unsalted_count",
    "unwrap_match_key",
    "versioned_field",
    "with_kind",
    "wrap_match_key",
]


def __getattr__(name: str) -> Any:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'protocols' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"protocols.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
