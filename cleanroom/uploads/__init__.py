"""Uploads: from a party's chunks to a published dataset version, or to nothing at all.

- :mod:`~cleanroom.uploads.sessions`: upload sessions on disk (temp files, chunk writes,
  offsets, the running whole-file digest, capacity, idle expiry, recovery on start).
- :mod:`~cleanroom.uploads.streaming`: the row groups scanned while the chunks arrive,
  from the footer sent first; ``complete`` finishes the check.
- :mod:`~cleanroom.uploads.validation`: the finished file's integrity, schema and rows,
  the PII tripwire and the unsalted-digest probes (both in :mod:`protocols`).
- :mod:`~cleanroom.uploads.binding`: the file's collaboration and key check values
  against the collaboration's registered match key.
- :mod:`~cleanroom.uploads.publish`: one rename plus one commit (or none for bytes the
  dataset's newest version already holds).
- :mod:`~cleanroom.uploads.prepare` and :mod:`~cleanroom.uploads.preparer`: each
  published version prepared once for queries, in the background, into a sibling file.
"""

from cleanroom.uploads.binding import check_binding, registered_key_checks
from cleanroom.uploads.publish import publish, publish_unless_unchanged
from cleanroom.uploads.sessions import InFlight, UploadLocks, open_for_serving, recover_storage
from cleanroom.uploads.streaming import StreamingCheck
from cleanroom.uploads.validation import Expected, ValidatedFile, validate_dataset

__all__ = [
    "Expected",
    "InFlight",
    "StreamingCheck",
    "UploadLocks",
    "ValidatedFile",
    "check_binding",
    "open_for_serving",
    "publish",
    "publish_unless_unchanged",
    "recover_storage",
    "registered_key_checks",
    "validate_dataset",
]
