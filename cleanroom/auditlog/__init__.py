"""The tamper-evident audit log: canonical entries, hash chain, signatures, verification.

Pure functions over entries; the database append lives with the server's storage code
and calls :func:`seal_entry` inside the transaction of the action it records.
"""

from cleanroom.auditlog.chain import (
    GENESIS_HASH,
    AuditRecord,
    canonical_bytes,
    entry_hash,
    seal_entry,
    seal_head,
)
from cleanroom.auditlog.verify import VerifyReport, verify_lines

__all__ = [
    "GENESIS_HASH",
    "AuditRecord",
    "VerifyReport",
    "canonical_bytes",
    "entry_hash",
    "seal_entry",
    "seal_head",
    "verify_lines",
]
