"""Dataset kinds and the columns each kind carries on the wire (tokenized Parquet).

Shared by the agent (which writes these files) and the server (which validates them).
Token columns are ``token_<family>`` (see :mod:`protocols.tokens`); times are epoch
seconds (int64) so the same SQL runs on every engine; money is float64 in the
currency unit of the collaboration.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from protocols.kinds import DatasetKind

__all__ = ["SCHEMAS", "DatasetKind", "KindSchema"]


@dataclass(frozen=True)
class KindSchema:
    """Columns a dataset of one kind must, may and must not hold."""

    required: dict[str, pa.DataType]
    optional: dict[str, pa.DataType]
    needs_tokens: bool


SCHEMAS: dict[DatasetKind, KindSchema] = {
    DatasetKind.EXPOSURES: KindSchema(
        required={"campaign_id": pa.string(), "exposure_time": pa.int64()},
        optional={"holdout": pa.bool_(), "channel": pa.string()},
        needs_tokens=True,
    ),
    DatasetKind.PURCHASES: KindSchema(
        required={"purchase_time": pa.int64(), "amount": pa.float64()},
        optional={"category": pa.string(), "store_region": pa.string()},
        needs_tokens=True,
    ),
    DatasetKind.SPEND: KindSchema(
        required={"campaign_id": pa.string(), "spend": pa.float64()},
        optional={},
        needs_tokens=False,
    ),
}
"""Dimension columns beyond ``optional`` are allowed only where the policy names them
(string type); every other column is refused at upload."""
