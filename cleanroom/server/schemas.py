"""Pydantic wire models of the HTTP API (``...Create`` for requests, ``...Public`` for replies)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from protocols import FAMILIES, DatasetKind

Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Family = Literal["email", "phone", "maid", "customer_id"]
KeyCheck = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]
PublicKeyText = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{43}=?$")]
Signature = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{86}(==)?$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class CollaborationCreate(Model):
    name: str = Field(min_length=1, max_length=200)
    policy_yaml: str | None = Field(default=None, max_length=200_000)


class CollaborationPublic(Model):
    id: str
    name: str
    created_at: datetime


class MemberCreate(Model):
    party: Name
    role: Annotated[str, StringConstraints(pattern=r"^(party_admin|analyst|auditor)$")]


class MemberPublic(Model):
    id: str
    collaboration_id: str
    party: str
    role: str
    x25519_public: str | None
    ed25519_public: str | None
    x25519_fingerprint: str | None = None
    ed25519_fingerprint: str | None = None
    created_at: datetime


class TokenIssued(Model):
    token_id: str
    token: str = Field(description="Shown once; the server keeps only its SHA-256")
    role: str
    member: MemberPublic | None = None


class Me(Model):
    token_id: str
    role: str
    member_id: str | None
    collaboration_id: str | None
    party: str | None


class KeysRegister(Model):
    x25519_public: PublicKeyText
    ed25519_public: PublicKeyText
    #: Needed to replace registered keys: the previous Ed25519 key's signature (base64url)
    #: of ``key_rotation_message`` (unless the effective policy pins the new keys).
    rotation_signature: Signature | None = None


class MatchKeyWraps(Model):
    wrapped: dict[str, Annotated[str, StringConstraints(max_length=400)]] = Field(
        description="member id -> protocols.wrap_match_key text", min_length=1
    )
    fingerprint: Annotated[str, StringConstraints(pattern=r"^([0-9a-f]{4} ){7}[0-9a-f]{4}$")] = (
        Field(description="MatchKey.fingerprint of the wrapped key")
    )
    signature: Signature = Field(
        description="creator's Ed25519 signature over the match-key message (see docs)"
    )
    key_checks: dict[Family, KeyCheck] = Field(
        description="token family -> protocols.key_checks value of this key; every family"
    )

    @field_validator("key_checks")
    @classmethod
    def _every_family(cls, value: dict[str, str]) -> dict[str, str]:
        if set(value) != set(FAMILIES):
            raise ValueError(f"needs one key check value for each of {', '.join(FAMILIES)}")
        return value


class MatchKeyPublic(Model):
    collaboration_id: str
    generation: int
    recipient_id: str
    created_by: str
    wrapped: str
    fingerprint: str
    signature: str
    key_checks: dict[str, str]
    created_at: datetime


class MatchKeyPosted(Model):
    generation: int
    recipients: list[str]


class PolicyCreate(Model):
    text: str = Field(min_length=1, max_length=200_000)


class ApprovalCreate(Model):
    signature: Signature


class ApprovalPublic(Model):
    member_id: str
    party: str
    signature: str
    public_key: str
    created_at: datetime


class PolicyPublic(Model):
    collaboration_id: str
    seq: int
    policy_hash: str
    text: str
    proposed_by: str
    created_at: datetime
    effective: bool
    approvals: list[ApprovalPublic]
    missing_approvals: list[str] = Field(description="parties whose signature is still needed")
    signed_message: str = Field(description="The exact UTF-8 message each party signs")


class UploadCreate(Model):
    dataset: Name
    kind: DatasetKind
    size: int = Field(gt=0)
    sha256: Sha256Hex | None = Field(
        default=None, description="The whole file's SHA-256, here or at complete"
    )
    footer: str | None = Field(
        default=None,
        max_length=6 * 1024 * 1024,
        description="Base64 of the file's last bytes (Parquet footer, length, magic): "
        "the server then validates row groups while the chunks arrive",
    )


class UploadComplete(Model):
    sha256: Sha256Hex | None = Field(
        default=None, description="The whole file's SHA-256, if not given at create"
    )


class DatasetVersionPublic(Model):
    dataset: str
    kind: str
    version: int
    size: int
    sha256: str
    rows: int
    columns: list[str]
    uploaded_by: str
    created_at: datetime


class UploadPublic(Model):
    id: str
    collaboration_id: str
    dataset: str
    kind: str
    size: int
    sha256: str | None = Field(description="The declared SHA-256 (none until declared)")
    received: int
    status: str
    failure: str | None
    max_chunk_bytes: int
    published: DatasetVersionPublic | None = Field(
        default=None, description="The version this upload published, once complete"
    )


class UploadCompletePublic(DatasetVersionPublic):
    published: bool = Field(
        description="True: published as this new version; false: the bytes equal the "
        "newest version's, so nothing new was published and this is that version"
    )


class DatasetPublic(Model):
    name: str
    kind: str
    owner_id: str
    latest: DatasetVersionPublic
    versions: list[int]


class Health(Model):
    status: str
    version: str


class ServerInfo(Model):
    version: str
    signing_public_key_pem: str
