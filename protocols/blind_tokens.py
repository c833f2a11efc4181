"""Protocol v2 tokens: identifiers blinded on ristretto255 by both parties in turn.

    input        = the v1 HMAC input (SHA-256 hex of a normalized email or phone, else
                   the normalized value; :func:`protocols.hmac_input`)
    once-blinded = a * H(collaboration, family, input)    # what party A uploads
    token        = b * (a * H(...)) = a * (b * H(...))    # what the server joins

``a`` and ``b`` are the two parties' :class:`~protocols.ristretto.BlindingScalar` of the
family. A :class:`Blinder` has the interface of :class:`protocols.Tokenizer` (the
pipeline calls ``tokenize_array``, ``token_field`` and ``key_check``), so the agent
writes a v2 file the way it writes a v1 file; only the tag of the token columns differs:

| tag                     | holds                                          | written by |
|-------------------------|------------------------------------------------|------------|
| ``v2/ristretto255-once`` | one party's once-blinded points                | the agent  |
| ``v2/ristretto255``      | doubly blinded points, the join key            | the server |

Both are ``fixed_size_binary(32)`` (a ristretto255 encoding), so the engine joins a v2
column exactly as a v1 one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from protocols.errors import InvalidKey
from protocols.identifiers import IdType
from protocols.normalize import DEFAULT_OPTIONS, NormalizeOptions, Rejected, normalize
from protocols.normalize_batch import as_strings, normalize_array
from protocols.ristretto import BlindingScalar, hash_and_blind_many
from protocols.tokens import (
    META_FAMILY,
    META_VERSION,
    TOKEN_TYPE,
    TokenColumn,
    hmac_input,
    token_column_name,
)

PROTOCOL_V2 = "v2"
ONCE_BLINDED_VERSION = "v2/ristretto255-once"
DOUBLY_BLINDED_VERSION = "v2/ristretto255"
#: Field metadata of a doubly blinded column: the key check of the other party's scalar.
META_BLINDER_KEY_CHECK = b"cleanroom.blinder_key_check"


def versioned_field(family: str, version: str) -> pa.Field:
    """A ``token_<family>`` field tagged with ``version``."""
    metadata = {META_VERSION: version.encode(), META_FAMILY: family.encode()}
    return pa.field(token_column_name(family), TOKEN_TYPE, nullable=True, metadata=metadata)


def token_version(column: pa.Field) -> str:
    """The version tag of a token column (``""`` when it has none)."""
    value: bytes = (column.metadata or {}).get(META_VERSION, b"")
    return value.decode(errors="replace")


@dataclass(frozen=True)
class Blinder:
    """Turns identifiers into once-blinded v2 tokens with this party's scalars."""

    scalars: Mapping[str, BlindingScalar] = field(repr=False)
    collaboration_id: str
    parallel: bool = True

    def scalar(self, family: str) -> BlindingScalar:
        if family not in self.scalars:
            raise InvalidKey(f"no blinding scalar for family {family!r}")
        return self.scalars[family]

    def key_check(self, family: str) -> str:
        return self.scalar(family).key_check()

    def token_field(self, family: str) -> pa.Field:
        return versioned_field(family, ONCE_BLINDED_VERSION)

    def token(
        self, id_type: IdType, raw: str | None, options: NormalizeOptions = DEFAULT_OPTIONS
    ) -> bytes | Rejected:
        """The once-blinded point of one value: the reference path, for tests."""
        normalized = normalize(id_type, raw, options)
        if isinstance(normalized, Rejected):
            return normalized
        inputs = pa.array([hmac_input(id_type, normalized)], pa.binary())
        family = id_type.family
        return hash_and_blind_many(
            self.scalar(family), self.collaboration_id, family, inputs, parallel=False
        )

    def tokenize_array(
        self,
        id_type: IdType,
        array: pa.Array | pa.ChunkedArray,
        options: NormalizeOptions = DEFAULT_OPTIONS,
    ) -> TokenColumn:
        """Once-blinded points of a whole column, null where the value was rejected."""
        strings = as_strings(array)
        column = normalize_array(id_type, strings, options)
        valid = pc.is_valid(column.values)
        values = column.values.filter(valid).to_pylist()
        inputs = pa.array([hmac_input(id_type, value) for value in values], pa.binary())
        family = id_type.family
        points = hash_and_blind_many(
            self.scalar(family), self.collaboration_id, family, inputs, self.parallel
        )
        compact = pa.FixedSizeBinaryArray.from_buffers(
            TOKEN_TYPE, len(values), [None, pa.py_buffer(points)]
        )
        tokens = pc.replace_with_mask(pa.nulls(len(valid), TOKEN_TYPE), valid, compact)
        return TokenColumn(family, tokens, column.rejected)
