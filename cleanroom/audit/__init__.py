"""The tamper-evident audit log, in one place.

- :mod:`~cleanroom.audit.append`: :func:`record`, the one function every state-changing
  action calls inside its own transaction; it seals the entry into its collaboration's
  chain with the server's signing key (``session.info["signing_key"]``).
- :mod:`~cleanroom.audit.chain`: canonical entries, the hash chain and its signatures
  (pure functions over entries).
- :mod:`~cleanroom.audit.verify`: offline verification of an export.
- :mod:`~cleanroom.audit.export`: signed exports and the compliance report's inputs.
- :mod:`~cleanroom.audit.report`: the compliance report (one self-contained HTML page).
"""

from cleanroom.audit.append import canonical_json, chain_of, record, utc_text
from cleanroom.audit.chain import (
    GENESIS_HASH,
    AuditRecord,
    Outcome,
    canonical_bytes,
    entry_hash,
    seal_entry,
    seal_head,
)
from cleanroom.audit.verify import VerifyReport, verify_lines

__all__ = [
    "GENESIS_HASH",
    "AuditRecord",
    "Outcome",
    "VerifyReport",
    "canonical_bytes",
    "canonical_json",
    "chain_of",
    "entry_hash",
    "record",
    "seal_entry",
    "seal_head",
    "utc_text",
    "verify_lines",
]
