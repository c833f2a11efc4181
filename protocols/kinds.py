"""The dataset kinds (no pyarrow here: command lines use the enum in their ``--help``)."""

from __future__ import annotations

from enum import StrEnum


class DatasetKind(StrEnum):
    EXPOSURES = "exposures"
    PURCHASES = "purchases"
    SPEND = "spend"
