"""Identifier types, their token families and the reason codes of invalid values."""

from __future__ import annotations

from enum import StrEnum

from protocols.errors import UnknownIdentifierType


class IdType(StrEnum):
    """The identifier types a party may declare for a column."""

    EMAIL = "email"
    PHONE = "phone"
    MAID = "maid"
    CUSTOMER_ID = "customer_id"
    EMAIL_SHA256 = "email_sha256"
    PHONE_SHA256 = "phone_sha256"

    @classmethod
    def parse(cls, name: str) -> IdType:
        """Return the type called ``name`` or raise :class:`UnknownIdentifierType`."""
        try:
            return cls(name)
        except ValueError:
            known = ", ".join(t.value for t in cls)
            raise UnknownIdentifierType(
                f"unknown identifier type {name!r}; expected one of: {known}"
            ) from None

    @property
    def family(self) -> str:
        """The token family: raw and pre-hashed forms of one identifier share it."""
        return _FAMILY[self]


_FAMILY: dict[IdType, str] = {
    IdType.EMAIL: "email",
    IdType.EMAIL_SHA256: "email",
    IdType.PHONE: "phone",
    IdType.PHONE_SHA256: "phone",
    IdType.MAID: "maid",
    IdType.CUSTOMER_ID: "customer_id",
}

#: Every token family, in a stable order (also the order of token columns).
FAMILIES: tuple[str, ...] = ("email", "phone", "maid", "customer_id")


class Reason(StrEnum):
    """Why a value was rejected. Reports carry these codes, never the value."""

    EMPTY = "empty"
    NO_AT_SIGN = "no_at_sign"
    MULTIPLE_AT_SIGNS = "multiple_at_signs"
    EMPTY_LOCAL_PART = "empty_local_part"
    INVALID_DOMAIN = "invalid_domain"
    CONTAINS_WHITESPACE = "contains_whitespace"
    CONTROL_CHARACTER = "control_character"
    TOO_LONG = "too_long"
    NOT_A_PHONE_NUMBER = "not_a_phone_number"
    INVALID_PHONE = "invalid_phone"
    INVALID_MAID = "invalid_maid"
    ZERO_MAID = "zero_maid"
    BAD_HEX = "bad_hex"
