"""Token files are bound to their collaboration and match key (Parquet metadata).

A token file names the collaboration it was made for (schema metadata
``cleanroom.collaboration``) and, on every token column, the **key check value** of the
family key that made it (field metadata ``cleanroom.key_check``)::

    key_check = hex(HMAC-SHA256(family_key, b"\\x00cleanroom key check v1")[:8])

A MAC of a fixed label reveals nothing about the key (HMAC is a PRF), yet lets the
server compare a file with the key check values the match key's creator registered
(``POST .../match-keys``) without ever seeing the key. The label starts with a NUL byte,
which no normalized identifier can contain, so a key check value is never the prefix of
a real token. The file also names the normalization revision its agent applied
(``cleanroom.normalization``, :data:`protocols.normalize.NORMALIZATION_REVISION`), so
files made under different rules can be told apart.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import pyarrow as pa

from protocols.datasets import SCHEMAS
from protocols.identifiers import FAMILIES
from protocols.keys import MatchKey
from protocols.kinds import DatasetKind
from protocols.normalize import NORMALIZATION_REVISION
from protocols.tokens import META_FAMILY, TokenMaker, derive_family_key

KEY_CHECK_LABEL = b"\x00cleanroom key check v1"
KEY_CHECK_BYTES = 8
META_COLLABORATION = b"cleanroom.collaboration"
META_KEY_CHECK = b"cleanroom.key_check"
META_NORMALIZATION = b"cleanroom.normalization"
#: The dataset kind a file was made as (``tokenize`` with a kind writes it).
META_KIND = b"cleanroom.kind"


def key_check_value(family_key: bytes) -> str:
    """The key check value of one family key: 16 lowercase hex digits."""
    mac = hmac.new(family_key, KEY_CHECK_LABEL, hashlib.sha256).digest()
    return mac[:KEY_CHECK_BYTES].hex()


def key_checks(match_key: MatchKey, collaboration_id: str) -> dict[str, str]:
    """Key check values of every token family: what the match key's creator registers."""
    return {
        family: key_check_value(derive_family_key(match_key, collaboration_id, family))
        for family in FAMILIES
    }


def bind_schema(schema: pa.Schema, tokenizer: TokenMaker) -> pa.Schema:
    """``schema`` with the collaboration id and each token column's key check value."""
    fields = []
    for field in schema:
        family = (field.metadata or {}).get(META_FAMILY)
        if family is not None:
            check = tokenizer.key_check(family.decode())
            field = field.with_metadata({**(field.metadata or {}), META_KEY_CHECK: check})
        fields.append(field)
    metadata = {
        **(schema.metadata or {}),
        META_COLLABORATION: tokenizer.collaboration_id,
        META_NORMALIZATION: str(NORMALIZATION_REVISION),
    }
    return pa.schema(fields, metadata=metadata)


@dataclass(frozen=True)
class TokenFileBinding:
    """What a token file says it was made for (``None`` where it says nothing)."""

    collaboration: str | None
    key_checks: dict[str, str | None]  # token column name -> key check value
    normalization: str | None = None  # the normalization revision its agent applied


def read_binding(schema: pa.Schema) -> TokenFileBinding:
    collaboration = (schema.metadata or {}).get(META_COLLABORATION)
    checks = {
        field.name: _text((field.metadata or {}).get(META_KEY_CHECK))
        for field in schema
        if META_FAMILY in (field.metadata or {})
    }
    revision = _text((schema.metadata or {}).get(META_NORMALIZATION))
    return TokenFileBinding(_text(collaboration), checks, revision)


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode(errors="replace")


def with_kind(schema: pa.Schema, kind: DatasetKind) -> pa.Schema:
    """``schema`` with the dataset kind it was made as in its metadata."""
    return schema.with_metadata({**(schema.metadata or {}), META_KIND: kind.value})


def kind_of(schema: pa.Schema) -> DatasetKind | None:
    """The kind a file says it is (``cleanroom.kind``), else the one kind whose required
    columns it holds (a spend file written by pandas says nothing); ``None`` if neither
    tells. A ``cleanroom.kind`` that names no kind is ``None`` too."""
    declared = _text((schema.metadata or {}).get(META_KIND))
    if declared is not None:
        return next((kind for kind in DatasetKind if kind.value == declared), None)
    names = set(schema.names)
    fitting = [kind for kind, spec in SCHEMAS.items() if set(spec.required) <= names]
    return fitting[0] if len(fitting) == 1 else None
