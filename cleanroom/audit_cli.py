"""``cleanroom audit ...``: offline verification of an exported audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from cleanroom.auditlog import verify_lines
from protocols import InvalidKey, decode_ed25519_public_key

audit_app = typer.Typer(help="Export, verify and report on the audit log.", no_args_is_help=True)


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Read an Ed25519 public key from a PEM file or a file holding base64url raw bytes."""
    data = path.read_bytes()
    if data.lstrip().startswith(b"-----BEGIN"):
        key = serialization.load_pem_public_key(data)
        if not isinstance(key, Ed25519PublicKey):
            raise InvalidKey(f"{path} does not hold an Ed25519 public key")
        return key
    return decode_ed25519_public_key(data.decode(errors="replace").strip())


@audit_app.command("verify")
def verify(
    log: Annotated[Path, typer.Argument(help="Exported audit log (JSON Lines).")],
    public_key: Annotated[
        Path, typer.Option("--public-key", help="The server's Ed25519 public key (PEM or b64url).")
    ],
) -> None:
    """Check every entry's signature, hash and chain link, and the signed head record.

    Prints OK, or the first bad entry and why; exits 1 when the log does not verify.
    """
    try:
        key = load_public_key(public_key)
        with log.open(encoding="utf-8") as lines:
            report = verify_lines(lines, key)
    except (OSError, InvalidKey, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(report.summary())
    if not report.ok:
        raise typer.Exit(1)
