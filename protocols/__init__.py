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
    from protocols.datasets import SCHEMAS, KindSchema
    from protocols.encoding import b64url_decode, b64url_encode
    from protocols.errors import (
        InvalidKey,
        KeyUnwrapError,
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
    from protocols.tokens import (
        TOKEN_TYPE,
        TOKEN_VERSION,
        TokenColumn,
        Tokenizer,
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
    "datasets": ("SCHEMAS", "KindSchema"),
    "encoding": ("b64url_decode", "b64url_encode"),
    "errors": (
        "InvalidKey",
        "KeyUnwrapError",
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
    "tokens": (
        "TOKEN_TYPE",
        "TOKEN_VERSION",
        "TokenColumn",
        "Tokenizer",
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
    "FAMILIES",
    "HASH_BLOCK",
    "KEY_ROTATION_PREFIX",
    "MATCH_KEY_PREFIX",
    "PROBLEM_PREFIX",
    "ROSTER_PREFIX",
    "SCHEMAS",
    "TOKEN_TYPE",
    "TOKEN_VERSION",
    "DatasetKind",
    "IdType",
    "InvalidKey",
    "KeyUnwrapError",
    "KindSchema",
    "MatchKey",
    "NormalizeOptions",
    "NormalizedColumn",
    "ProtocolError",
    "Reason",
    "Rejected",
    "RosterEntry",
    "TokenColumn",
    "TokenFileBinding",
    "Tokenizer",
    "TripwireHit",
    "UnknownIdentifierType",
    "UnsupportedVersion",
    "approval_message",
    "b64url_decode",
    "b64url_encode",
    "bind_schema",
    "check_token_field",
    "decode_ed25519_public_key",
    "decode_x25519_public_key",
    "derive_family_key",
    "encode_public_key",
    "file_sha256",
    "hmac_input",
    "key_check_value",
    "key_checks",
    "key_rotation_message",
    "kind_of",
    "match_key_message",
    "normalize",
    "normalize_array",
    "public_key_fingerprint",
    "read_binding",
    "roster_bytes",
    "roster_digest",
    "roster_message",
    "scan_column",
    "token_column_name",
    "token_field",
    "unsalted_count",
    "unwrap_match_key",
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
