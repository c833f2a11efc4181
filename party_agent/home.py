"""The party home directory: the party's identity, configuration and secrets.

    HOME/party.json                        {"party", "server", "collaboration", "created"}:
                                           ``collaboration`` is the default one
    HOME/keys/x25519.pem                   private key, PKCS8 PEM, mode 0600 (unwrapping)
    HOME/keys/ed25519.pem                  private key, PKCS8 PEM, mode 0600 (signing)
    HOME/credentials.json                  server and API token per collaboration, mode
                                           0600 (``join``; :mod:`party_agent.credentials`)
    HOME/match_keys/<collaboration>.key    64 hex digits, mode 0600

Private keys are stored **unencrypted**: the home directory (created with mode 0700) is
the protection boundary and must live on a disk only the party's operators can read.
A passphrase or an OS key store is future work. Every secret file is written to a
temporary file created with mode 0600 and renamed into place, so a crash never leaves
a half-written key and there is no moment where a key is readable by others.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from party_agent import credentials
from party_agent.credentials import Credential
from party_agent.errors import ConfigError, HomeExists, HomeNotFound, MatchKeyMissing
from protocols import InvalidKey, MatchKey, public_key_fingerprint

CONFIG_FILE = "party.json"
CREDENTIALS_FILE = "credentials.json"
X25519_FILE = "keys/x25519.pem"
ED25519_FILE = "keys/ed25519.pem"
MATCH_KEY_DIR = "match_keys"
#: Collaboration ids become file names, so they are restricted to a safe alphabet.
COLLABORATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_CONFIG_KEYS = ("server", "collaboration", "currency")


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600, atomically (temp file and rename)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def check_collaboration_id(collaboration_id: str) -> str:
    """Return ``collaboration_id`` if it is safe as a file name, else raise ConfigError."""
    if not COLLABORATION_ID.fullmatch(collaboration_id):
        raise ConfigError(
            "a collaboration id is 1-128 letters, digits, '.', '_' or '-' "
            "and starts with a letter or digit"
        )
    return collaboration_id


def _pem(key: X25519PrivateKey | Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class PartyHome:
    """A party home on disk. Construct with :meth:`create` or :meth:`open`."""

    path: Path

    @classmethod
    def create(cls, path: Path | str, party: str, force: bool = False) -> PartyHome:
        """Create a fresh identity at ``path``.

        Refuses when ``path`` already holds a party home unless ``force``; with ``force``
        the keys and ``party.json`` are replaced and ``credentials.json`` (issued for the
        old keys) is removed. Stored match keys are kept: they are shared secrets of
        collaborations and stay valid.
        """
        home = cls(Path(path))
        if not party.strip():
            raise ConfigError("the party name must not be empty")
        if home._exists() and not force:
            raise HomeExists(f"{home.path} already holds a party home; use --force to replace it")
        home.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(home.path, 0o700)
        write_private(home.path / X25519_FILE, _pem(X25519PrivateKey.generate()))
        write_private(home.path / ED25519_FILE, _pem(Ed25519PrivateKey.generate()))
        (home.path / CREDENTIALS_FILE).unlink(missing_ok=True)
        created = datetime.now(UTC).isoformat(timespec="seconds")
        config = {"party": party, "server": None, "collaboration": None, "created": created}
        home._write_config(config)
        return home

    @classmethod
    def open(cls, path: Path | str) -> PartyHome:
        """Open an existing home; raises :class:`HomeNotFound` if anything is missing."""
        home = cls(Path(path))
        for name in (CONFIG_FILE, X25519_FILE, ED25519_FILE):
            if not (home.path / name).is_file():
                raise HomeNotFound(
                    f"{home.path} is not a party home (missing {name}); "
                    "run 'party-agent init' first"
                )
        return home

    def _exists(self) -> bool:
        return (self.path / CONFIG_FILE).exists() or (self.path / "keys").exists()

    # -- configuration -------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """The contents of ``party.json``."""
        try:
            loaded = json.loads((self.path / CONFIG_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise HomeNotFound(f"cannot read {self.path / CONFIG_FILE}: {exc}") from None
        if not isinstance(loaded, dict) or not isinstance(loaded.get("party"), str):
            raise HomeNotFound(f"{self.path / CONFIG_FILE} is not a party config")
        return loaded

    def _write_config(self, config: dict[str, Any]) -> None:
        data = json.dumps(config, indent=2, sort_keys=True) + "\n"
        write_private(self.path / CONFIG_FILE, data.encode())

    @property
    def party(self) -> str:
        name: str = self.config()["party"]
        return name

    @property
    def server(self) -> str | None:
        return self._optional("server")

    @property
    def collaboration(self) -> str | None:
        """The default collaboration (the first joined, or ``credentials default``)."""
        return self._optional("collaboration")

    @property
    def currency(self) -> str | None:
        """The ISO 4217 code tables show money in (``party-agent init --currency``)."""
        return self._optional("currency")

    def _optional(self, key: str) -> str | None:
        value = self.config().get(key)
        return value if isinstance(value, str) else None

    def set_config(self, **values: str | None) -> None:
        """Set ``server``, ``collaboration`` and/or ``currency`` in ``party.json``."""
        unknown = sorted(set(values) - set(_CONFIG_KEYS))
        if unknown:
            raise ConfigError(f"unknown party config keys: {', '.join(unknown)}")
        if values.get("collaboration") is not None:
            check_collaboration_id(str(values["collaboration"]))
        config = self.config()
        config.update(values)
        self._write_config(config)

    # -- credentials, one per collaboration (party_agent.credentials) --------------

    def credentials(self) -> dict[str, Credential]:
        """Every collaboration's credential; an old single-token file is rewritten in
        the per-collaboration format on first use."""
        loaded = credentials.load(self.path / CREDENTIALS_FILE, self.config())
        if loaded.legacy:
            write_private(self.path / CREDENTIALS_FILE, credentials.dump(loaded.entries))
        return loaded.entries

    def credential(self, collaboration_id: str | None = None) -> Credential | None:
        """The credential of ``collaboration_id`` (default: the home's default)."""
        chosen = collaboration_id or self.collaboration
        return None if chosen is None else self.credentials().get(chosen)

    @property
    def token(self) -> str | None:
        """The API token of the default collaboration (``None`` before ``join``)."""
        found = self.credential()
        return None if found is None else found.token

    def store_credential(
        self, collaboration_id: str, credential: Credential, *, make_default: bool = False
    ) -> bool:
        """Add or replace one collaboration's credential, never another's. The first
        collaboration of a home becomes its default, as does one stored with
        ``make_default``; returns whether it is the default now."""
        check_collaboration_id(collaboration_id)
        entries = self.credentials()
        entries[collaboration_id] = credential
        write_private(self.path / CREDENTIALS_FILE, credentials.dump(entries))
        default = self.collaboration
        if make_default or default is None or default not in entries:
            self.set_config(server=credential.server, collaboration=collaboration_id)
            return True
        return default == collaboration_id

    def set_default(self, collaboration_id: str) -> Credential:
        """Make a stored collaboration the home's default."""
        found = self.credentials().get(collaboration_id)
        if found is None:
            raise ConfigError(self.not_joined(collaboration_id))
        self.set_config(server=found.server, collaboration=collaboration_id)
        return found

    def not_joined(self, collaboration_id: str | None) -> str:
        """The error text for a collaboration this home holds no credential for."""
        known = sorted(self.credentials())
        if collaboration_id is None:
            return f"{self.path} has not joined a collaboration; run 'party-agent join' first"
        listed = f" (it holds: {', '.join(known)})" if known else ""
        return (
            f"{self.path} has no credentials for collaboration {collaboration_id}{listed}; "
            "run 'party-agent join --token TOKEN' with a token the server admin issued for it"
        )

    # -- keys ----------------------------------------------------------------------

    def _load_private(self, name: str) -> object:
        path = self.path / name
        try:
            return serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise HomeNotFound(f"cannot load private key {path}: {type(exc).__name__}") from None

    def x25519_private_key(self) -> X25519PrivateKey:
        key = self._load_private(X25519_FILE)
        if not isinstance(key, X25519PrivateKey):
            raise HomeNotFound(f"{self.path / X25519_FILE} is not an X25519 private key")
        return key

    def ed25519_private_key(self) -> Ed25519PrivateKey:
        key = self._load_private(ED25519_FILE)
        if not isinstance(key, Ed25519PrivateKey):
            raise HomeNotFound(f"{self.path / ED25519_FILE} is not an Ed25519 private key")
        return key

    def x25519_public_key(self) -> X25519PublicKey:
        return self.x25519_private_key().public_key()

    def ed25519_public_key(self) -> Ed25519PublicKey:
        return self.ed25519_private_key().public_key()

    def replace_keys(
        self,
        x25519: X25519PrivateKey,
        ed25519: Ed25519PrivateKey,
        register: Callable[[], object],
    ) -> None:
        """Replace both key pairs: staged next to the old ones, ``register`` (the server
        call that accepts them), then renamed into place. If ``register`` raises, the old
        keys stay and the staged files are removed."""
        staged = []
        for name, key in ((X25519_FILE, x25519), (ED25519_FILE, ed25519)):
            path = self.path / f"{name}.new"
            write_private(path, _pem(key))
            staged.append((path, self.path / name))
        try:
            register()
        except BaseException:
            for path, _ in staged:
                path.unlink(missing_ok=True)
            raise
        for path, final in staged:
            os.replace(path, final)

    @property
    def x25519_fingerprint(self) -> str:
        return public_key_fingerprint(self.x25519_public_key())

    @property
    def ed25519_fingerprint(self) -> str:
        return public_key_fingerprint(self.ed25519_public_key())

    # -- match keys ----------------------------------------------------------------

    def match_key_path(self, collaboration_id: str) -> Path:
        return self.path / MATCH_KEY_DIR / f"{check_collaboration_id(collaboration_id)}.key"

    def has_match_key(self, collaboration_id: str) -> bool:
        return self.match_key_path(collaboration_id).is_file()

    def store_match_key(self, collaboration_id: str, key: MatchKey) -> Path:
        path = self.match_key_path(collaboration_id)
        write_private(path, (key.to_hex() + "\n").encode())
        return path

    def match_key(self, collaboration_id: str) -> MatchKey:
        """The stored match key of a collaboration; raises :class:`MatchKeyMissing`."""
        path = self.match_key_path(collaboration_id)
        if not path.is_file():
            raise MatchKeyMissing(
                f"no match key for collaboration {collaboration_id!r} in {self.path}; "
                "run 'party-agent keys fetch' or pass --match-key-file and --collaboration"
            )
        return read_match_key_file(path)


def read_match_key_file(path: Path) -> MatchKey:
    """Read a 64-hex-digit shared-secret file (the ``--match-key-file`` format)."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read match key file {path}: {type(exc).__name__}") from None
    try:
        return MatchKey.from_hex(text)
    except InvalidKey as exc:
        raise ConfigError(f"match key file {path}: {exc}") from None
