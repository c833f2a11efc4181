"""The one text encoding of binary values on the wire: base64url without padding."""

from __future__ import annotations

import base64


def b64url_encode(raw: bytes) -> str:
    """base64url (RFC 4648 section 5) without ``=`` padding."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """Strict base64url (padding optional); raises ``ValueError`` on any other character."""
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
