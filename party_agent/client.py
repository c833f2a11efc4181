"""The agent's one HTTP client for the clean-room server.

Tests swap the transport: pass ``transport=`` (any ``httpx.BaseTransport``), e.g.
``ASGIBridge(app)`` to call the in-process ASGI app through ``httpx.ASGITransport``, or a
whole ``http=`` client; integration tests talk to a real server on loopback. Every refusal becomes a
:class:`ServerError` carrying the server's problem+json; an unreachable server is
:class:`ServerUnreachable`.

    AgentError (party_agent.errors)
    +-- ServerError          the server refused: .status, .slug, .title, .detail, .problem
    +-- ServerUnreachable    no HTTP answer (connection refused, timeout, dropped)
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import anyio.from_thread
import httpx

from party_agent.errors import AgentError
from protocols import PROBLEM_PREFIX, file_sha256

DEFAULT_CHUNK = 16 * 1024 * 1024
#: How long a resumed upload waits for a completion still running on the server.
SETTLE_SECONDS = 120
Json = dict[str, Any]


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
    ) -> None:
        """``auth_hint`` is appended to a 401 refusal (missing, unknown or revoked token):
        what to ask the server admin for, and how to store the new token."""
        self._auth_hint = auth_hint
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
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise ServerUnreachable(f"no answer from the server ({type(error).__name__})") from None
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
        self, collaboration: str, dataset: str, kind: str, size: int, sha256: str
    ) -> Json:
        body = {"dataset": dataset, "kind": kind, "size": size, "sha256": sha256}
        result: Json = self.request(
            "POST", f"/v1/collaborations/{collaboration}/uploads", json=body
        )
        return result

    def upload_status(self, collaboration: str, upload_id: str) -> Json:
        path = f"/v1/collaborations/{collaboration}/uploads/{upload_id}"
        result: Json = self.request("GET", path)
        return result

    def put_chunk(self, collaboration: str, upload_id: str, offset: int, chunk: bytes) -> Json:
        result: Json = self.request(
            "PUT",
            f"/v1/collaborations/{collaboration}/uploads/{upload_id}",
            params={"offset": offset},
            content=chunk,
            headers={"X-Chunk-SHA256": hashlib.sha256(chunk).hexdigest()},
        )
        return result

    def list_uploads(self, collaboration: str) -> list[Json]:
        result: list[Json] = self.request("GET", f"/v1/collaborations/{collaboration}/uploads")
        return result

    def abort_upload(self, collaboration: str, upload_id: str) -> None:
        self.request("DELETE", f"/v1/collaborations/{collaboration}/uploads/{upload_id}")

    def complete_upload(self, collaboration: str, upload_id: str) -> Json:
        path = f"/v1/collaborations/{collaboration}/uploads/{upload_id}/complete"
        result: Json = self.request("POST", path)
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

        ``on_session`` is told the session before the first chunk (so a caller can save
        its id and resume after an interruption); returns the published dataset version.
        """
        size, digest = path.stat().st_size, file_sha256(path)
        session = self._resumable(collaboration, resume_id, size, digest)
        if session is not None and session["status"] == "complete":
            published: Json = session["published"]  # the reply to `complete` was lost
            return published
        if session is None:
            session = self.start_upload(collaboration, dataset, kind, size, digest)
        if on_session is not None:
            on_session(session)
        upload_id = session["id"]
        chunk_size = min(chunk_size, int(session.get("max_chunk_bytes", chunk_size)))
        offset = int(session["received"])
        with path.open("rb") as handle:
            while offset < size:
                if on_progress is not None:
                    on_progress(UploadProgress(upload_id, offset, size))
                handle.seek(offset)
                chunk = handle.read(chunk_size)
                offset = self._send(collaboration, upload_id, offset, chunk)
        if on_progress is not None:
            on_progress(UploadProgress(upload_id, size, size))
        return self.complete_upload(collaboration, upload_id)

    def _resumable(
        self, collaboration: str, upload_id: str | None, size: int, digest: str
    ) -> Json | None:
        """The saved session if it holds this file: open (resume it) or complete (done)."""
        if upload_id is None:
            return None
        try:
            session = self._settled(collaboration, upload_id)
        except ServerError as error:
            if error.status == 404:
                return None
            raise
        same_file = session["size"] == size and session["sha256"] == digest
        if session["status"] == "complete" and not session.get("published"):
            return None  # the server no longer knows the version: upload again
        return session if same_file and session["status"] in ("open", "complete") else None

    def _settled(self, collaboration: str, upload_id: str) -> Json:
        """The session's state once no completion is running on the server any more."""
        deadline = time.monotonic() + SETTLE_SECONDS
        session = self.upload_status(collaboration, upload_id)
        while session["status"] == "validating" and time.monotonic() < deadline:
            time.sleep(0.5)
            session = self.upload_status(collaboration, upload_id)
        return session

    def _send(self, collaboration: str, upload_id: str, offset: int, chunk: bytes) -> int:
        """Send one chunk; on an offset conflict continue from the server's resume point."""
        try:
            return int(self.put_chunk(collaboration, upload_id, offset, chunk)["received"])
        except ServerError as error:
            if error.slug == "upload-offset-mismatch" and "received" in error.problem:
                return int(error.problem["received"])
            raise
