"""Wire models of protocol v2's relay (``/blinding``): every reply names the protocol
and the step of the v2 order it belongs to (:mod:`protocols.relay`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cleanroom.storage.blinding_tables import BlindingBatch


class BlindingBatchPublic(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    protocol: Literal["v2"] = "v2"
    family: str
    count: int = Field(description="Points in the batch (the other party's non-null tokens)")
    received: int = Field(description="Points blinded and returned so far: resume here")
    status: str
    owner_key_check: str = Field(description="Names the other party's scalar, not the scalar")
    max_points_per_frame: int


class BlindingBatchesPublic(BaseModel):
    model_config = ConfigDict(extra="forbid")

    protocol: Literal["v2"] = "v2"
    step: Literal["relay"] = Field(
        default="relay", description="Step 3 of the v2 order: the other party's points, to blind"
    )
    batches: list[BlindingBatchPublic]


def batch_public(batch: BlindingBatch, max_points: int) -> BlindingBatchPublic:
    return BlindingBatchPublic(
        id=batch.id,
        family=batch.family,
        count=batch.count,
        received=batch.received,
        status=batch.status,
        owner_key_check=batch.owner_key_check,
        max_points_per_frame=max_points,
    )
