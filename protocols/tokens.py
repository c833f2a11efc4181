"""Protocol v1 tokens: keyed HMAC-SHA256 of normalized identifiers.

    family_key = HKDF-SHA256(ikm=match_key, salt=collaboration_id, info="v1|" + family)
    token      = HMAC-SHA256(family_key, input)                       # 32 bytes

``input`` is the lowercase hex SHA-256 of the normalized value for the email and phone
families (so raw and pre-hashed forms meet) and the normalized value otherwise. Token
columns are Arrow ``fixed_size_binary(32)`` fields named ``token_<family>`` and tagged
with the version in their field metadata.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from protocols.errors import UnsupportedVersion
from protocols.hmac_batch import DIGEST_BYTES, hmac_many, tokenize_column
from protocols.identifiers import IdType, Reason
from protocols.keys import MatchKey
from protocols.normalize import DEFAULT_OPTIONS, NormalizeOptions, Rejected, normalize

TOKEN_VERSION = "v1"
TOKEN_ALGORITHM = "hmac-sha256"
TOKEN_TYPE = pa.binary(DIGEST_BYTES)
#: Arrow field metadata keys on every token column.
META_VERSION = b"cleanroom.token_version"
META_FAMILY = b"cleanroom.token_family"
V1_VERSION = f"{TOKEN_VERSION}/{TOKEN_ALGORITHM}"
#: Every token column tag this implementation reads (v2: :mod:`protocols.blind_tokens`).
SUPPORTED_VERSIONS = frozenset({V1_VERSION, "v2/ristretto255-once", "v2/ristretto255"})


def derive_family_key(match_key: MatchKey, collaboration_id: str, family: str) -> bytes:
    """The per-collaboration, per-family HMAC key (HKDF-SHA256, 32 bytes)."""
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=collaboration_id.encode(),
        info=f"{TOKEN_VERSION}|{family}".encode(),
    )
    return hkdf.derive(match_key.secret)


def hmac_input(id_type: IdType, normalized: str) -> bytes:
    """The exact bytes that are HMAC-ed for a normalized value."""
    if _prehash(id_type):
        return hashlib.sha256(normalized.encode()).hexdigest().encode()
    return normalized.encode()


def token_column_name(family: str) -> str:
    return f"token_{family}"


def token_field(family: str) -> pa.Field:
    """The Arrow field of a token column, tagged with the protocol version."""
    metadata = {META_VERSION: f"{TOKEN_VERSION}/{TOKEN_ALGORITHM}".encode(), META_FAMILY: family}
    return pa.field(token_column_name(family), TOKEN_TYPE, nullable=True, metadata=metadata)


def check_token_field(column: pa.Field) -> str:
    """Return the family of a token column or raise if its version is not spoken here."""
    metadata = column.metadata or {}
    version = metadata.get(META_VERSION, b"").decode(errors="replace")
    if version not in SUPPORTED_VERSIONS:
        shown = version or "none"
        raise UnsupportedVersion(f"column {column.name!r} has token version {shown!r}")
    if column.type != TOKEN_TYPE:
        raise UnsupportedVersion(f"column {column.name!r} is not fixed_size_binary(32)")
    family: bytes = metadata.get(META_FAMILY, b"")
    return family.decode(errors="replace")


@dataclass(frozen=True)
class TokenColumn:
    """Tokens aligned with the input rows (null where the value was rejected)."""

    family: str
    tokens: pa.FixedSizeBinaryArray
    rejected: Counter[Reason]

    @property
    def valid_count(self) -> int:
        return int(len(self.tokens) - self.tokens.null_count)


class TokenMaker(Protocol):
    """What the agent's pipeline needs of a token protocol: v1 :class:`Tokenizer` or v2
    :class:`protocols.blind_tokens.Blinder`."""

    @property
    def collaboration_id(self) -> str: ...

    def key_check(self, family: str) -> str: ...

    def token_field(self, family: str) -> pa.Field: ...

    def tokenize_array(
        self,
        id_type: IdType,
        array: pa.Array | pa.ChunkedArray,
        options: NormalizeOptions = ...,
    ) -> TokenColumn: ...


@dataclass(frozen=True)
class Tokenizer:
    """Turns identifiers into v1 tokens for one collaboration under one match key."""

    match_key: MatchKey = field(repr=False)
    collaboration_id: str
    parallel: bool = True
    _keys: dict[str, bytes] = field(default_factory=dict, init=False, repr=False, compare=False)

    def family_key(self, family: str) -> bytes:
        if family not in self._keys:
            self._keys[family] = derive_family_key(self.match_key, self.collaboration_id, family)
        return self._keys[family]

    def key_check(self, family: str) -> str:
        """The key check value of the family key (:mod:`protocols.binding`)."""
        from protocols.binding import key_check_value

        return key_check_value(self.family_key(family))

    def token_field(self, family: str) -> pa.Field:
        return token_field(family)

    def token(
        self, id_type: IdType, raw: str | None, options: NormalizeOptions = DEFAULT_OPTIONS
    ) -> bytes | Rejected:
        """Token of one value: the reference path, for tests and documentation."""
        normalized = normalize(id_type, raw, options)
        if isinstance(normalized, Rejected):
            return normalized
        return hmac_many(self.family_key(id_type.family), [normalized], _prehash(id_type))

    def tokenize_array(
        self,
        id_type: IdType,
        array: pa.Array | pa.ChunkedArray,
        options: NormalizeOptions = DEFAULT_OPTIONS,
    ) -> TokenColumn:
        """Tokens of a whole column: the main path (vectorized, multi-process)."""
        key = self.family_key(id_type.family)
        valid, digests, rejected = tokenize_column(
            key, id_type, array, options, _prehash(id_type), parallel=self.parallel
        )
        compact = pa.FixedSizeBinaryArray.from_buffers(
            TOKEN_TYPE, len(digests) // DIGEST_BYTES, [None, pa.py_buffer(digests)]
        )
        tokens = pc.replace_with_mask(pa.nulls(len(valid), TOKEN_TYPE), valid, compact)
        return TokenColumn(id_type.family, tokens, rejected)


def _prehash(id_type: IdType) -> bool:
    """Raw emails and phones are SHA-256-hexed before the HMAC (pre-hashed forms already are)."""
    return id_type in (IdType.EMAIL, IdType.PHONE)
