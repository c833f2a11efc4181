"""The server's storage: the metadata database, its tables, the data dir and the clock.

- :mod:`~cleanroom.storage.bootstrap`: :func:`open_storage` creates what is missing under
  the data dir and opens the database (:class:`Storage`).
- :mod:`~cleanroom.storage.db`: engine, sessions and schema (SQLite WAL or PostgreSQL).
- :mod:`~cleanroom.storage.models` and :mod:`~cleanroom.storage.query_tables`: the tables,
  and the closed vocabularies of their columns (:class:`Role`, :class:`UploadStatus`).
- :mod:`~cleanroom.storage.signing_key`: the server's own Ed25519 key (signs audit entries).
- :mod:`~cleanroom.storage.clock`: the one clock of everything written.
- :mod:`~cleanroom.storage.dataset_files`: which file a version's queries read (the
  prepared sibling once written).

Storage imports nothing else of the server's; every other package may use it.
"""

from cleanroom.storage.bootstrap import Storage, open_storage
from cleanroom.storage.clock import Clock, session_now, system_clock
from cleanroom.storage.models import Role, UploadStatus, new_id
from cleanroom.storage.signing_key import load_or_create_signing_key, public_key_pem

__all__ = [
    "Clock",
    "Role",
    "Storage",
    "UploadStatus",
    "load_or_create_signing_key",
    "new_id",
    "open_storage",
    "public_key_pem",
    "session_now",
    "system_clock",
]
