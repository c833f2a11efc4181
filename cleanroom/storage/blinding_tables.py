"""Protocol v2 relay batches: one row per (dataset version, token family) to be blinded.

A batch holds one party's once-blinded points of one family, shuffled, for the other
party to blind (``DATA_DIR/blinding/<batch id>/``: ``relay.bin`` the shuffled points,
``order.bin`` the row of each position, ``reply.bin`` what came back). ``received``
counts the points returned so far (the resume point); ``status`` is ``open`` until
all ``count`` points are back, then ``complete``. ``owner_key_check`` and
``blinder_key_check`` name the two scalars (:meth:`protocols.BlindingScalar.key_check`),
never the scalars.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cleanroom.storage.clock import system_clock
from cleanroom.storage.models import Base


class BlindingBatch(Base):
    __tablename__ = "blinding_batches"
    __table_args__ = (UniqueConstraint("dataset_version_id", "family"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    collaboration_id: Mapped[str] = mapped_column(ForeignKey("collaborations.id"), index=True)
    dataset_version_id: Mapped[int] = mapped_column(ForeignKey("dataset_versions.id"))
    family: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    blinder_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    count: Mapped[int] = mapped_column(BigInteger)
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(20), default="open")
    owner_key_check: Mapped[str] = mapped_column(String(16))
    blinder_key_check: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[datetime] = mapped_column(default=system_clock)
    updated_at: Mapped[datetime] = mapped_column(default=system_clock)


#: The file name ending of a dataset version whose tokens are doubly blinded (v2, joined).
BLINDED_SUFFIX = ".blinded.parquet"


def is_blinded(path: str) -> bool:
    return path.endswith(BLINDED_SUFFIX)
