"""Errors raised by the protocol layer.

Every message is one line and never contains a raw identifier, a token or key material.

    ProtocolError
    +-- UnsupportedVersion      a token, wrapped key or message names an unknown version
    +-- InvalidKey              a key has the wrong length or encoding
    +-- KeyUnwrapError          a wrapped match key cannot be opened (wrong recipient key,
    |                           truncated or tampered ciphertext, other collaboration)
    +-- UnknownIdentifierType   an identifier type name this protocol does not define
    +-- InvalidPoint            a received ristretto255 point is malformed or the identity
    +-- MalformedMessage        a v2 relay message is cut short, mislabelled or out of order
"""

from __future__ import annotations


class ProtocolError(Exception):
    """Base class of every error raised by :mod:`protocols`."""


class UnsupportedVersion(ProtocolError):
    """A version tag names a protocol version this implementation does not speak."""


class InvalidKey(ProtocolError):
    """A key has the wrong length, type or encoding."""


class KeyUnwrapError(ProtocolError):
    """A wrapped match key could not be opened; no key material is returned."""


class UnknownIdentifierType(ProtocolError):
    """An identifier type name is not one of :class:`protocols.IdType`."""


class InvalidPoint(ProtocolError):
    """A ristretto255 point is not a valid encoding, or is the identity (protocol v2)."""


class MalformedMessage(ProtocolError):
    """A protocol v2 relay message is truncated, for another step, batch or offset."""
