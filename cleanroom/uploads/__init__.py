"""Uploads: from a party's chunks to a published dataset version, or to nothing at all.

- :mod:`~cleanroom.uploads.sessions`: upload sessions on disk (temp files, chunk writes,
  offsets, capacity, idle expiry, recovery on start).
- :mod:`~cleanroom.uploads.validation`: the finished file's integrity, schema and rows.
- :mod:`~cleanroom.uploads.tripwire`: refuse string columns that look like identifiers.
- :mod:`~cleanroom.uploads.publish`: one rename plus one commit.
"""

from cleanroom.uploads.publish import publish
from cleanroom.uploads.sessions import UploadLocks, open_for_serving, recover_storage
from cleanroom.uploads.tripwire import scan_column
from cleanroom.uploads.validation import ValidatedFile, validate_dataset

__all__ = [
    "UploadLocks",
    "ValidatedFile",
    "open_for_serving",
    "publish",
    "recover_storage",
    "scan_column",
    "validate_dataset",
]
