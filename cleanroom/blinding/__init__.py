"""Protocol v2 at the server: relay each party's once-blinded points to the other party,
take back the twice-blinded ones, and re-attach them to their rows.

- :mod:`~cleanroom.blinding.relay`: relay batches for the latest dataset versions of the
  other party (shuffled, without attributes; the order kept in the data dir only).
- :mod:`~cleanroom.blinding.replies`: the blinder's replies, checked and appended.
- :mod:`~cleanroom.blinding.join`: once every family of a version is back, the version's
  file becomes the doubly blinded one (``v<N>.blinded.parquet``), in one transaction.

The server never holds a scalar: it cannot blind, unblind or test a guess.
"""

from cleanroom.blinding.join import finish_version
from cleanroom.blinding.relay import open_batches, relay_chunk
from cleanroom.blinding.replies import accept_reply

__all__ = ["accept_reply", "finish_version", "open_batches", "relay_chunk"]
