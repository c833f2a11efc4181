"""The server's one clock, injectable for tests.

Every timestamp the server writes (audit entries, ledger periods, upload sessions, token
revocations, policy activation, row ``created_at``/``updated_at``) comes from the clock of
the storage it writes to: :func:`session_now` reads it from the session, and the app hands
the same clock to routes through :data:`cleanroom.server.deps.ClockDep`. Production uses
:func:`system_clock`; a test passes its own to :func:`cleanroom.storage.open_storage`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def session_now(session: Session) -> datetime:
    """Now, by the clock of the storage this session belongs to (UTC, aware)."""
    clock: Clock = session.info.get("clock", system_clock)
    return clock()
