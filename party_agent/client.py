"""The agent's one HTTP client for the clean-room server.

Tests swap the transport: pass ``transport=`` (any ``httpx.BaseTransport``), e.g.
``ASGIBridge(app)`` to call the in-process ASGI app through ``httpx.ASGITransport``, or a
whole ``http=`` client; integration tests talk to a real server on loopback. Every refusal becomes a
:class:`ServerError` carrying the server's problem+json; an unreachable server is
:class:`ServerUnreachable`.

A ``503`` with ``Retry-After`` (the server's admission control, or a busy database) is
waited out and the request sent again, at most :data:`BUSY_ATTEMPTS` times and
:data:`BUSY_WAIT_CAP` seconds a wait, for requests that are safe to repeat
(:func:`retry_safe`): every GET, PUT and DELETE of this API, and the POSTs the server
makes safe: a query (an identical repeat is answered from the stored result, at no
cost), opening an upload session and completing one (claimed once on the server; a
completion that did run is reported by the session). Each wait is said on stderr.

    AgentError (party_agent.errors)
    +-- ServerError          the server refused: .status, .slug, .title, .detail, .problem
    +-- ServerUnreachable    no HTTP answer (connection refused, timeout, dropped)
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
import struct
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

import anyio.from_thread
import httpx

from party_agent.errors import AgentError
from protocols import PROBLEM_PREFIX, file_sha256

DEFAULT_CHUNK = 16 * 1024 * 1024
#: The slices a chunk is written to the socket in (see :class:`_Pieces`).
SEND_PIECE = 1024 * 1024
#: How long a resumed upload waits for a completion still running on the server.
SETTLE_SECONDS = 120
#: Sends of one request at most while the server answers 503 + Retry-After.
BUSY_ATTEMPTS = 4
#: The longest single wait on Retry-After, in seconds (a longer one is cut to this).
BUSY_WAIT_CAP = 30.0
#: The longest footer sent first (the server's limit: cleanroom.uploads.streaming).
MAX_FOOTER_BYTES = 4 * 1024 * 1024
Json = dict[str, Any]

#: POSTs the server makes safe to send again (see the module docstring).
COMPLETE_TIMEOUT = 1800.0
"""Seconds the agent waits for ``complete``: the server finishes validation in that
request (what the row-group scan had not reached; the whole file for a client that sent
no footer), which for a large file on a busy server can take longer than the client's
usual timeout. Preparing the dataset for queries happens after the reply."""
_SAFE_POSTS = re.compile(r"^/v1/collaborations/[^/]+/(queries|uploads(/[^/]+/complete)?)$")


class ServerError(AgentError):
    """The server answered with a problem+json refusal."""

    def __init__(self, status: int, problem: Json, hint: str | None = None) -> None:
        self.status = status
        self.problem = problem
        self.slug = str(problem.get("type", "")).removeprefix(PROBLEM_PREFIX)
        self.title = str(problem.get("title", ""))
        self.detail = str(problem.get("detail", "") or self.title or f"HTTP {status}")
        self.hint = hint
        tail = f"; {hint}" if hint else ""
        super().__init__(f"{self.detail} ({self.slug or 'http'} {status}){tail}")


class ServerUnreachable(AgentError):
    """No answer from the server."""


class ASGIBridge(httpx.BaseTransport):
    """Synchronous transport over ``httpx.ASGITransport``: the in-process app for tests.

    Runs the ASGI app in a private event loop thread (an anyio blocking portal); request
    and response bodies are buffered, which is fine for tests and small uploads.
    """

    def __init__(self, app: Any) -> None:
        self._asgi = httpx.ASGITransport(app=app)
        self._portal_cm = anyio.from_thread.start_blocking_portal()
        self._portal = self._portal_cm.__enter__()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()

        async def call() -> tuple[int, httpx.Headers, bytes]:
            forwarded = httpx.Request(
                request.method, request.url, headers=request.headers, content=body
            )
            response = await self._asgi.handle_async_request(forwarded)
            return response.status_code, response.headers, await response.aread()

        status, headers, content = self._portal.call(call)
        return httpx.Response(status, headers=headers, content=content, request=request)

    def close(self) -> None:
        self._portal_cm.__exit__(None, None, None)


@dataclass(frozen=True)
class UploadProgress:
    upload_id: str
    sent: int
    total: int


@dataclass(frozen=True)
class BusyWait:
    """The server said 503 + Retry-After; the client waits ``seconds``, then sends again."""

    method: str
    path: str
    seconds: float
    attempt: int  # the send that was refused, from 1
    attempts: int

    def line(self) -> str:
        return (
            f"server busy: {self.method} {self.path} sent again in {self.seconds:g} s "
            f"(attempt {self.attempt + 1} of {self.attempts})"
        )


def say_on_stderr(wait: BusyWait) -> None:
    """The default :class:`BusyWait` sink: one line on stderr."""
    print(wait.line(), file=sys.stderr, flush=True)


def retry_safe(method: str, path: str) -> bool:
    """Whether sending ``method path`` again after a 503 cannot do the work twice."""
    return method.upper() in ("GET", "HEAD", "PUT", "DELETE") or (
        method.upper() == "POST" and _SAFE_POSTS.match(path) is not None
    )


def busy_wait_seconds(response: httpx.Response) -> float | None:
    """The ``Retry-After`` of a 503 (seconds form), capped; ``None``: not a busy answer."""
    if response.status_code != 503:
        return None
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return min(max(seconds, 0.0), BUSY_WAIT_CAP)


class CleanRoomClient:
    """Typed calls of the clean-room HTTP API for one bearer token."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        http: httpx.Client | None = None,
        timeout: float = 120.0,
        auth_hint: str | None = None,
        on_busy: Callable[[BusyWait], None] = say_on_stderr,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``auth_hint`` is appended to a 401 refusal (missing, unknown or revoked token):
        what to ask the server admin for, and how to store the new token. ``on_busy`` is
        told of each wait on a busy server (default: a line on stderr)."""
        self._auth_hint = auth_hint
        self._on_busy, self._sleep = on_busy, sleep
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if http is None:
            http = httpx.Client(base_url=base_url, transport=transport, timeout=timeout)
        http.headers.update(headers)
        self._http = http

    def __enter__(self) -> CleanRoomClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._checked(method, path, **kwargs)
        return response.json() if response.content else None

    def request_bytes(self, method: str, path: str, **kwargs: Any) -> bytes:
        """A call whose reply is binary (protocol v2 relay frames)."""
        return self._checked(method, path, **kwargs).content

    def _checked(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        attempts = BUSY_ATTEMPTS if retry_safe(method, path) else 1
        for attempt in range(1, attempts + 1):
            response = self._send_once(method, path, **kwargs)
            wait = busy_wait_seconds(response)
            if wait is None or attempt == attempts:
                break
            self._on_busy(BusyWait(method.upper(), path, wait, attempt, attempts))
            self._sleep(wait)
        return self._answer(response)

    def _send_once(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise ServerUnreachable(f"no answer from the server ({type(error).__name__})") from None

    def _answer(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"detail": f"HTTP {response.status_code}"}
            hint = self._auth_hint if response.status_code == 401 else None
            body = problem if isinstance(problem, dict) else {}
            raise ServerError(response.status_code, body, hint)
        return response

    # -- protocol v2: the other party's once-blinded points ------------------------

    def blinding_batches(self, collaboration: str) -> Json:
        path = f"/v1/collaborations/{collaboration}/blinding/batches"
        result: Json = self.request("POST", path)
        return result

    def relay_frame(self, collaboration: str, batch_id: str, offset: int, limit: int) -> bytes:
        path = f"/v1/collaborations/{collaboration}/blinding/batches/{batch_id}/points"
        return self.request_bytes("GET", path, params={"offset": offset, "limit": limit})

    def reply_frame(
        self, collaboration: str, batch_id: str, offset: int, key_check: str, frame: bytes
    ) -> Json:
        path = f"/v1/collaborations/{collaboration}/blinding/batches/{batch_id}/points"
        params = {"offset": offset, "key_check": key_check}
        headers = {"Content-Type": "application/octet-stream"}
        result: Json = self.request("PUT", path, params=params, content=frame, headers=headers)
        return result

    # -- identity, members and keys -----------------------------------------------

    def me(self) -> Json:
        result: Json = self.request("GET", "/v1/me")
        return result

    def members(self, collaboration: str) -> list[Json]:
        result: list[Json] = self.request("GET", f"/v1/collaborations/{collaboration}/members")
        return result

    def register_keys(
        self,
        collaboration: str,
        x25519_public: str,
        ed25519_public: str,
        rotation_signature: str | None = None,
    ) -> Json:
        body = {"x25519_public": x25519_public, "ed25519_public": ed25519_public}
        if rotation_signature is not None:
            body["rotation_signature"] = rotation_signature
        path = f"/v1/collaborations/{collaboration}/members/me/keys"
        result: Json = self.request("PUT", path, json=body)
        return result

    def post_match_key(
        self,
        collaboration: str,
        wrapped: dict[str, str],
        fingerprint: str,
        signature: str,
        key_checks: dict[str, str],
    ) -> Json:
        path = f"/v1/collaborations/{collaboration}/match-keys"
        body = {
            "wrapped": wrapped,
            "fingerprint": fingerprint,
            "signature": signature,
            "key_checks": key_checks,
        }
        result: Json = self.request("POST", path, json=body)
        return result

    def my_match_key(self, collaboration: str) -> Json:
        result: Json = self.request("GET", f"/v1/collaborations/{collaboration}/match-keys/mine")
        return result

    def roster(self, collaboration: str) -> Json:
        result: Json = self.request("GET", f"/v1/collaborations/{collaboration}/roster")
        return result

    def sign_roster(self, collaboration: str, version: int, signature: str) -> Json:
        path = f"/v1/collaborations/{collaboration}/roster/{version}/signatures"
        result: Json = self.request("POST", path, json={"signature": signature})
        return result

    # -- policies -------------------------------------------------------------------

    def policy(self, collaboration: str, which: str = "latest") -> Json:
        """``which`` is ``latest``, ``current`` or a policy hash."""
        result: Json = self.request("GET", f"/v1/collaborations/{collaboration}/policies/{which}")
        return result

    def approve_policy(self, collaboration: str, policy_hash: str, signature: str) -> Json:
        path = f"/v1/collaborations/{collaboration}/policies/{policy_hash}/approvals"
        result: Json = self.request("POST", path, json={"signature": signature})
        return result

    # -- uploads --------------------------------------------------------------------

    def start_upload(
        self,
        collaboration: str,
        dataset: str,
        kind: str,
        size: int,
        sha256: str | None = None,
        footer: bytes | None = None,
    ) -> Json:
        """Open a session; ``sha256`` may wait for :meth:`complete_upload`, ``footer`` (the
        file's last bytes) lets the server validate row groups as they arrive."""
        body: Json = {"dataset": dataset, "kind": kind, "size": size}
        if sha256 is not None:
            body["sha256"] = sha256
        if footer is not None:
            body["footer"] = base64.b64encode(footer).decode("ascii")
        result: Json = self.request(
            "POST", f"/v1/collaborations/{collaboration}/uploads", json=body
        )
        return result

    def upload_status(self, collaboration: str, upload_id: str) -> Json:
        path = f"/v1/collaborations/{collaboration}/uploads/{upload_id}"
        result: Json = self.request("GET", path)
        return result

    def put_chunk(
        self,
        collaboration: str,
        upload_id: str,
        offset: int,
        chunk: bytes,
        received_sha256: str | None = None,
    ) -> Json:
        """Send ``chunk`` at ``offset``, checked by ``received_sha256`` (the digest of the
        file up to the chunk's end) or, without it, by the chunk's own digest."""
        if received_sha256 is not None:
            headers = {"X-Received-SHA256": received_sha256}
        else:
            headers = {"X-Chunk-SHA256": hashlib.sha256(chunk).hexdigest()}
        result: Json = self.request(
            "PUT",
            f"/v1/collaborations/{collaboration}/uploads/{upload_id}",
            params={"offset": offset},
            content=_Pieces(chunk),
            headers={**headers, "Content-Length": str(len(chunk))},
        )
        return result

    def list_uploads(self, collaboration: str) -> list[Json]:
        result: list[Json] = self.request("GET", f"/v1/collaborations/{collaboration}/uploads")
        return result

    def abort_upload(self, collaboration: str, upload_id: str) -> None:
        self.request("DELETE", f"/v1/collaborations/{collaboration}/uploads/{upload_id}")

    def complete_upload(
        self, collaboration: str, upload_id: str, sha256: str | None = None
    ) -> Json:
        path = f"/v1/collaborations/{collaboration}/uploads/{upload_id}/complete"
        body = {"sha256": sha256} if sha256 is not None else None
        result: Json = self.request("POST", path, json=body, timeout=COMPLETE_TIMEOUT)
        return result

    def datasets(self, collaboration: str) -> list[Json]:
        result: list[Json] = self.request("GET", f"/v1/collaborations/{collaboration}/datasets")
        return result

    def dataset_versions(self, collaboration: str, name: str) -> list[Json]:
        path = f"/v1/collaborations/{collaboration}/datasets/{name}/versions"
        result: list[Json] = self.request("GET", path)
        return result

    def upload_file(
        self,
        collaboration: str,
        path: Path,
        dataset: str,
        kind: str,
        *,
        resume_id: str | None = None,
        chunk_size: int = DEFAULT_CHUNK,
        on_session: Callable[[Json], None] | None = None,
        on_progress: Callable[[UploadProgress], None] | None = None,
    ) -> Json:
        """Upload ``path`` in verified chunks, resuming ``resume_id`` when it still fits.

        No pass over the file comes before the first byte: each chunk is read and hashed
        by a worker thread while the one before is sent, and the whole-file SHA-256 (carried
        forward over the chunks, each checked by the server against the digest so far) is
        declared at ``complete``. A resumed session hashes the bytes it skips once; if the
        server holds other bytes than this file's there, a new session starts.
        ``on_session`` is told the session before the first chunk (so a caller can save
        its id and resume after an interruption); returns the published dataset version.
        """
        size = path.stat().st_size
        session = self._resumable(collaboration, resume_id, path, size)
        if session is not None and session["status"] == "complete":
            published: Json = session["published"]  # the reply to `complete` was lost
            return published
        send = _FileSend(self, collaboration, path, chunk_size, on_progress)
        if session is not None:
            try:
                return send.run(session, on_session)
            except ServerError as error:
                if error.slug not in ("chunk-checksum-mismatch", "checksum-mismatch"):
                    raise
                self._abandon(collaboration, session["id"])  # it holds other bytes
        session = self.start_upload(collaboration, dataset, kind, size, footer=parquet_footer(path))
        return send.run(session, on_session)

    def _resumable(
        self, collaboration: str, upload_id: str | None, path: Path, size: int
    ) -> Json | None:
        """The saved session if it can hold this file: open (resume it; the server checks
        the bytes) or complete with this file's digest (done)."""
        if upload_id is None:
            return None
        try:
            session = self._settled(collaboration, upload_id)
        except ServerError as error:
            if error.status == 404:
                return None
            raise
        if session["size"] != size or session["status"] not in ("open", "complete"):
            return None
        complete = session["status"] == "complete"
        if complete and (not session.get("published") or session["sha256"] != file_sha256(path)):
            return None  # another file, or the server no longer knows the version
        return session

    def _abandon(self, collaboration: str, upload_id: str) -> None:
        with contextlib.suppress(ServerError):  # already failed (a whole-file mismatch)
            self.abort_upload(collaboration, upload_id)

    def _settled(self, collaboration: str, upload_id: str) -> Json:
        """The session's state once no completion is running on the server any more."""
        deadline = time.monotonic() + SETTLE_SECONDS
        session = self.upload_status(collaboration, upload_id)
        while session["status"] == "validating" and time.monotonic() < deadline:
            time.sleep(0.5)
            session = self.upload_status(collaboration, upload_id)
        return session


def parquet_footer(path: Path) -> bytes | None:
    """The file's Parquet footer (metadata, its length, the magic), if it has one that the
    server takes first; ``None`` otherwise (the server then reads it at ``complete``)."""
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        if size < 12:
            return None
        handle.seek(size - 8)
        tail = handle.read(8)
        length = struct.unpack("<I", tail[:4])[0]
        if tail[4:] != b"PAR1" or length + 12 > size or length + 8 > MAX_FOOTER_BYTES:
            return None
        handle.seek(size - length - 8)
        return handle.read(length + 8)


class _Pieces:
    """A request body handed to httpx in ``SEND_PIECE`` slices, each iteration afresh (a
    503 retry sends it again). Given one bytes object, httpcore writes it with ``send``
    and re-slices the rest after each partial send, copying it: about 8 copies of a
    16 MiB chunk over loopback, and 4 times more CPU per byte for a 64 MiB one."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self._data), SEND_PIECE):
            yield bytes(self._data[start : start + SEND_PIECE])


class _FileSend:
    """One pass over a file: a worker thread reads and hashes chunk N+1 while chunk N is
    on the wire; the SHA-256 so far goes with each chunk (``X-Received-SHA256``)."""

    def __init__(
        self,
        client: CleanRoomClient,
        collaboration: str,
        path: Path,
        chunk_size: int,
        on_progress: Callable[[UploadProgress], None] | None,
    ) -> None:
        self._client, self._collaboration, self._path = client, collaboration, path
        self._chunk_size, self._on_progress = chunk_size, on_progress
        self._size = path.stat().st_size
        self._hashed, self._digest = 0, hashlib.sha256()

    def run(self, session: Json, on_session: Callable[[Json], None] | None) -> Json:
        if on_session is not None:
            on_session(session)
        upload_id = session["id"]
        chunk = min(self._chunk_size, int(session.get("max_chunk_bytes", self._chunk_size)))
        offset = int(session["received"])
        with self._path.open("rb") as handle, ThreadPoolExecutor(1) as reader:
            ahead: Future[tuple[bytes, str]] = reader.submit(self._read, handle, offset, chunk)
            while offset < self._size:
                self._progress(upload_id, offset)
                data, so_far = ahead.result()
                end = offset + len(data)
                if end < self._size:
                    ahead = reader.submit(self._read, handle, end, chunk)
                offset = self._put(upload_id, offset, data, so_far)
                if offset != end:  # the server holds another amount: go on from there
                    ahead = reader.submit(self._read, handle, offset, chunk)
            whole = ahead.result()[1]  # the digest of the whole file
        self._progress(upload_id, self._size)
        return self._client.complete_upload(self._collaboration, upload_id, whole)

    def _read(self, handle: BinaryIO, offset: int, length: int) -> tuple[bytes, str]:
        """The chunk at ``offset`` and the SHA-256 of the file up to its end."""
        if self._hashed != offset:
            self._rehash(handle, offset)
        handle.seek(offset)
        data = handle.read(min(length, self._size - offset))
        self._digest.update(data)
        self._hashed = offset + len(data)
        return data, self._digest.hexdigest()

    def _rehash(self, handle: BinaryIO, offset: int) -> None:
        """Hash the first ``offset`` bytes (a resumed session, or a moved offset)."""
        self._digest, self._hashed = hashlib.sha256(), 0
        handle.seek(0)
        while self._hashed < offset:
            block = handle.read(min(offset - self._hashed, 8 * 1024 * 1024))
            if not block:
                break
            self._digest.update(block)
            self._hashed += len(block)

    def _put(self, upload_id: str, offset: int, data: bytes, so_far: str) -> int:
        """Send one chunk; on an offset conflict continue from the server's resume point."""
        try:
            reply = self._client.put_chunk(self._collaboration, upload_id, offset, data, so_far)
            return int(reply["received"])
        except ServerError as error:
            if error.slug == "upload-offset-mismatch" and "received" in error.problem:
                return int(error.problem["received"])
            raise

    def _progress(self, upload_id: str, sent: int) -> None:
        if self._on_progress is not None:
            self._on_progress(UploadProgress(upload_id, sent, self._size))
