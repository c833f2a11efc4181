"""Wire formats and party-side crypto shared by the party agent and the server.

Everything a caller needs is importable from here; the submodules are the
implementation. ``tests/unit/protocols/test_public_api.py`` keeps ``__all__`` honest.
"""

from protocols.datasets import SCHEMAS, DatasetKind, KindSchema
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
from protocols.messages import (
    APPROVAL_PREFIX,
    HASH_BLOCK,
    MATCH_KEY_PREFIX,
    PROBLEM_PREFIX,
    approval_message,
    file_sha256,
    match_key_message,
)
from protocols.normalize import NormalizeOptions, Rejected, normalize
from protocols.normalize_batch import NormalizedColumn, normalize_array
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

__all__ = [
    "APPROVAL_PREFIX",
    "FAMILIES",
    "HASH_BLOCK",
    "MATCH_KEY_PREFIX",
    "PROBLEM_PREFIX",
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
    "TokenColumn",
    "Tokenizer",
    "UnknownIdentifierType",
    "UnsupportedVersion",
    "approval_message",
    "b64url_decode",
    "b64url_encode",
    "check_token_field",
    "decode_ed25519_public_key",
    "decode_x25519_public_key",
    "derive_family_key",
    "encode_public_key",
    "file_sha256",
    "hmac_input",
    "match_key_message",
    "normalize",
    "normalize_array",
    "public_key_fingerprint",
    "token_column_name",
    "token_field",
    "unwrap_match_key",
    "wrap_match_key",
]
