"""The server's Ed25519 signing key (signs audit entries; created on first start, 0600)."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cleanroom.errors import InternalError


def public_key_path(path: Path) -> Path:
    """Where the public half of the key at ``path`` is published (``*.pub.pem``)."""
    return path.with_name(path.name.removesuffix(".pem") + ".pub.pem")


def _publish_public_key(path: Path, key: Ed25519PrivateKey) -> None:
    public = public_key_path(path)
    if not public.exists():
        public.write_text(public_key_pem(key), encoding="utf-8")


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """Load the PKCS8 PEM key at ``path``, creating it (mode 0600) if absent.

    The public key is written next to it (``server-ed25519.pub.pem``) for auditors.
    """
    key = _load_or_create(path)
    _publish_public_key(path, key)
    return key


def _load_or_create(path: Path) -> Ed25519PrivateKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        return key
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise InternalError(f"{path} does not hold an Ed25519 private key")
    return loaded


def public_key_pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
