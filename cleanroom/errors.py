"""Errors of the clean-room server; one handler in :mod:`cleanroom.server.problems` turns each into
``application/problem+json`` with ``type = "urn:cleanroom:problem:" + slug``.

Messages never contain a raw value, a token or key material: they name the column,
the count or the reason. Both query denials carry ``reasons`` (plain words, one per rule)
and ``denials`` (``code``, ``field``, ``message``, ``source``) next to ``detail``.

Errors of :mod:`policies` become server errors in one place, :func:`policy_errors`.

    CleanRoomError                       500  (base; never raised itself)
    +-- InternalError                    500  internal-error        a bug in the server
    +-- BadRequest                       400  bad-request
    |   +-- RequestInvalid               422  request-invalid       body/query fails its schema
    |   +-- InvalidKeyMaterial           422  invalid-key           a public key is malformed
    |   +-- InvalidSignature             422  invalid-signature     an approval does not verify
    |   +-- InvalidPolicy                422  invalid-policy        policy YAML is unusable
    |   +-- ChunkChecksumMismatch        400  chunk-checksum-mismatch
    |   +-- RelayRejected                422  relay-rejected        a v2 reply frame or point is bad
    +-- AuthError
    |   +-- Unauthenticated              401  unauthenticated       no or unknown bearer token
    |   +-- TokenRevoked                 401  token-revoked
    |   +-- Forbidden                    403  forbidden             role does not allow this
    |       +-- KeyNotAccepted           403  key-not-accepted      policy pins other keys
    |       +-- QueryDenied              403  query-denied          the policy refuses a query
    |       +-- KeyReplacementRefused    403  key-replacement-refused  not signed by the old key
    |       +-- KeyNotInRoster           403  key-not-in-roster     outside the fixed key roster
    +-- NotFound                         404  not-found
    |   +-- UnknownCollaboration         404  unknown-collaboration (also: not yours)
    |   +-- UnknownResult                404  unknown-result        (also: not yours)
    +-- Conflict                         409  conflict
    |   +-- UploadOffsetMismatch         409  upload-offset-mismatch
    |   +-- UploadNotOpen                409  upload-not-open       completed, failed, expired
    |   +-- KeysNotRegistered            409  keys-not-registered
    |   +-- BudgetExhausted              409  budget-exhausted      only the budget refuses it
    |   +-- NoEffectivePolicy            409  no-effective-policy   no version signed by all
    |   +-- BlindingOffsetMismatch       409  blinding-offset-mismatch
    |   +-- BlindingPending              409  blinding-pending      v2 tokens not yet blinded twice
    +-- PayloadTooLarge                  413  payload-too-large
    +-- InsufficientStorage              507  insufficient-storage  no disk for a declared upload
    +-- ServerBusy                       503  server-busy           saturated; has Retry-After
    +-- EngineUnavailable                503  engine-unavailable    Spark engine: no pyspark or Java
    +-- StartupRefused                   (never sent) another server, another key, a newer schema
    +-- DatasetRejected                  422  dataset-rejected      validation before publish
        +-- ChecksumMismatch             422  checksum-mismatch     whole-file SHA-256
        +-- MalformedParquet             422  malformed-parquet
        +-- SchemaMismatch               422  schema-mismatch
        +-- PiiDetected                  422  pii-detected          the PII tripwire fired
        +-- EmptyDataset                 422  empty-dataset
        +-- TokenFileMismatch            422  token-file-mismatch   other collaboration or key
        +-- UnsaltedDigest               422  unsalted-digest       token column holds plain hashes
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import policies
from protocols import PROBLEM_PREFIX


class CleanRoomError(Exception):
    """Base of every server error; ``slug``/``status``/``title`` define its problem+json."""

    slug: ClassVar[str] = "internal-error"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    @property
    def type_uri(self) -> str:
        return PROBLEM_PREFIX + self.slug


class InternalError(CleanRoomError):
    """A bug: the server reached a state it should not. The detail says so plainly."""


class BadRequest(CleanRoomError):
    slug, status, title = "bad-request", 400, "Bad request"


class RequestInvalid(BadRequest):
    slug, status, title = "request-invalid", 422, "Request does not match its schema"


class InvalidKeyMaterial(BadRequest):
    slug, status, title = "invalid-key", 422, "Invalid public key"


class InvalidSignature(BadRequest):
    slug, status, title = "invalid-signature", 422, "Signature does not verify"


class InvalidPolicy(BadRequest):
    slug, status, title = "invalid-policy", 422, "Invalid policy"


class ChunkChecksumMismatch(BadRequest):
    slug, status, title = "chunk-checksum-mismatch", 400, "Chunk checksum mismatch"


class AuthError(CleanRoomError):
    slug, status, title = "unauthenticated", 401, "Not authenticated"


class Unauthenticated(AuthError):
    pass


class TokenRevoked(AuthError):
    slug, status, title = "token-revoked", 401, "Token revoked"


class Forbidden(AuthError):
    slug, status, title = "forbidden", 403, "Forbidden"


class KeyNotAccepted(Forbidden):
    slug, status, title = "key-not-accepted", 403, "Key not accepted by the policy"


class QueryDenied(Forbidden):
    slug, status, title = "query-denied", 403, "Query denied by policy"


class KeyReplacementRefused(Forbidden):
    slug, status, title = "key-replacement-refused", 403, "Registered keys cannot be replaced"


class KeyNotInRoster(Forbidden):
    slug, status, title = "key-not-in-roster", 403, "Key is not in the key roster"


class NotFound(CleanRoomError):
    slug, status, title = "not-found", 404, "Not found"


class UnknownCollaboration(NotFound):
    slug, status, title = "unknown-collaboration", 404, "Unknown collaboration"


class UnknownResult(NotFound):
    slug, status, title = "unknown-result", 404, "Unknown result"


class Conflict(CleanRoomError):
    slug, status, title = "conflict", 409, "Conflict"


class UploadOffsetMismatch(Conflict):
    slug, status, title = "upload-offset-mismatch", 409, "Chunk offset does not match"


class UploadNotOpen(Conflict):
    slug, status, title = "upload-not-open", 409, "Upload session is not open"


class KeysNotRegistered(Conflict):
    slug, status, title = "keys-not-registered", 409, "Public keys not registered"


class BudgetExhausted(Conflict):
    slug, status, title = "budget-exhausted", 409, "Privacy budget exhausted"


class NoEffectivePolicy(Conflict):
    slug, status, title = "no-effective-policy", 409, "No policy is in effect"


class PayloadTooLarge(CleanRoomError):
    slug, status, title = "payload-too-large", 413, "Payload too large"


class InsufficientStorage(CleanRoomError):
    slug, status, title = "insufficient-storage", 507, "Insufficient storage"


class ServerBusy(CleanRoomError):
    """Every turn is taken (or the database is): retry after ``Retry-After`` seconds."""

    slug, status, title = "server-busy", 503, "Server busy"


class EngineUnavailable(CleanRoomError):
    """The configured query engine cannot run here (Spark without pyspark or Java)."""

    slug, status, title = "engine-unavailable", 503, "Query engine unavailable"


class StartupRefused(CleanRoomError):
    """The server will not open this data dir or database; the CLI prints it as one line."""

    slug, title = "startup-refused", "Startup refused"


class DatasetRejected(CleanRoomError):
    slug, status, title = "dataset-rejected", 422, "Dataset rejected"


class ChecksumMismatch(DatasetRejected):
    slug, title = "checksum-mismatch", "File checksum mismatch"


class MalformedParquet(DatasetRejected):
    slug, title = "malformed-parquet", "Not a readable Parquet file"


class SchemaMismatch(DatasetRejected):
    slug, title = "schema-mismatch", "Schema does not match the dataset kind"


class PiiDetected(DatasetRejected):
    slug, title = "pii-detected", "Column looks like raw identifiers"


class EmptyDataset(DatasetRejected):
    slug, title = "empty-dataset", "Dataset has no rows"


class TokenFileMismatch(DatasetRejected):
    slug, title = "token-file-mismatch", "Token file made for another collaboration or key"


class UnsaltedDigest(DatasetRejected):
    slug, title = "unsalted-digest", "Token column holds unsalted digests of identifiers"


def denial_error(decision: policies.Decision) -> QueryDenied | BudgetExhausted:
    """The problem for a refused decision: 409 when only the budget refuses, else 403."""
    body = decision.as_dict()
    reasons = list(decision.reasons)
    error = BudgetExhausted if decision.only_budget else QueryDenied
    return error("; ".join(reasons), reasons=reasons, denials=body["denials"])


def from_policy_error(error: policies.PolicyError) -> CleanRoomError:
    """The server error for an error of :mod:`policies` (the one mapping)."""
    if isinstance(error, policies.PolicyDenied):
        return denial_error(error.decision)
    if isinstance(error, policies.InvalidPolicy):
        return InvalidPolicy(str(error))
    if isinstance(error, policies.InvalidQuery):
        return RequestInvalid(str(error))
    if isinstance(error, policies.BudgetExceeded):
        return BudgetExhausted(str(error))
    return InternalError(f"unmapped policy error {type(error).__name__} (a bug)")


@contextmanager
def policy_errors() -> Iterator[None]:
    """Raise the server's error for any :mod:`policies` error raised inside the block."""
    try:
        yield
    except policies.PolicyError as error:
        raise from_policy_error(error) from None


class RelayRejected(BadRequest):
    """A protocol v2 reply frame is malformed, of another step or batch, or holds a point
    that is not a valid ristretto255 encoding (or is the identity)."""

    slug, status, title = "relay-rejected", 422, "Relay frame rejected"


class BlindingOffsetMismatch(Conflict):
    slug, status, title = "blinding-offset-mismatch", 409, "Reply offset does not match"


class BlindingPending(Conflict):
    """A v2 dataset's once-blinded tokens have not been blinded by the other party yet."""

    slug, status, title = "blinding-pending", 409, "Waiting for the other party to blind"


class NormalizationMismatch(Conflict):
    """The joined token files were normalized under different revisions of the rules."""

    slug, status, title = "normalization-mismatch", 409, "Token files normalized differently"
