"""Sign-in sessions of the web console, held in the server's memory.

The browser holds only an opaque random session id (cookie ``cr_session``: HttpOnly,
SameSite=Strict, ``Secure`` over https, path ``/ui``). The server maps it to the API
token's *id* (never its secret) and a per-session CSRF token that every POST form
carries. Each request re-reads the token row, so revoking the token ends the session
at once. Sessions end on logout, after :data:`IDLE_SECONDS` without a request, or after
:data:`MAX_SECONDS`; a server restart signs everyone out (the server is one process).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

COOKIE = "cr_session"
LOGIN_COOKIE = "cr_login"  # double-submit CSRF token of the sign-in form
COOKIE_PATH = "/ui"
IDLE_SECONDS = 30 * 60
MAX_SECONDS = 8 * 3600
MAX_SESSIONS = 10_000


@dataclass(frozen=True)
class ConsoleSession:
    token_id: str
    csrf: str
    created: float
    seen: float


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two CSRF tokens."""
    return hmac.compare_digest(a.encode(), b.encode())


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    """Session id -> :class:`ConsoleSession`; thread-safe (sync routes run in threads)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._sessions: dict[str, ConsoleSession] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def open(self, token_id: str) -> tuple[str, ConsoleSession]:
        """A new session for ``token_id``: (the cookie value, the session)."""
        session_id, now = new_secret(), self._clock()
        opened = ConsoleSession(token_id, new_secret(), now, now)
        with self._lock:
            self._expire(now)
            if len(self._sessions) >= MAX_SESSIONS:
                oldest = min(self._sessions, key=lambda k: self._sessions[k].seen)
                del self._sessions[oldest]
            self._sessions[_key(session_id)] = opened
        return session_id, opened

    def get(self, session_id: str | None) -> ConsoleSession | None:
        """The live session of a cookie value (its idle timer restarts), else ``None``."""
        if not session_id:
            return None
        now = self._clock()
        with self._lock:
            found = self._sessions.get(_key(session_id))
            if found is None or self._expired(found, now):
                self._sessions.pop(_key(session_id), None)
                return None
            found = replace(found, seen=now)
            self._sessions[_key(session_id)] = found
            return found

    def close(self, session_id: str | None) -> None:
        if session_id:
            with self._lock:
                self._sessions.pop(_key(session_id), None)

    def _expired(self, found: ConsoleSession, now: float) -> bool:
        return now - found.seen > IDLE_SECONDS or now - found.created > MAX_SECONDS

    def _expire(self, now: float) -> None:
        for key in [k for k, s in self._sessions.items() if self._expired(s, now)]:
            del self._sessions[key]
