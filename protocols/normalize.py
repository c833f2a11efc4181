"""Normalization of one identifier value: the reference definition of the protocol.

Each function takes a raw value and returns the normalized string, or a
:class:`Rejected` carrying only a :class:`~protocols.identifiers.Reason` code. The batch
path in :mod:`protocols.normalize_batch` must agree with these functions on every input
(a property test checks it); when in doubt, this module is the specification.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass

from protocols.identifiers import IdType, Reason

MAX_EMAIL_LENGTH = 254
MAX_CUSTOMER_ID_LENGTH = 256
GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
#: The one domain folded Gmail addresses are written under (googlemail.com is an alias).
GMAIL_DOMAIN = "gmail.com"
#: Normalization revision: 2 reads full-width ASCII in emails as ASCII and writes folded
#: googlemail.com addresses as gmail.com (docs/reference/protocol.md, "Revisions").
NORMALIZATION_REVISION = 2
#: Full-width forms of printable ASCII (U+FF01-U+FF5E, as Japanese input methods type
#: them) -> ASCII, as UTS 46 maps them for domain names.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

_HEX64 = re.compile(r"[0-9a-f]{64}")
_DOMAIN_LABEL = re.compile(r"(?!-)[^\W_](?:[^\W_]|-)*(?<!-)")


@dataclass(frozen=True, slots=True)
class Rejected:
    """A value that could not be normalized, and why. Never holds the value."""

    reason: Reason


@dataclass(frozen=True, slots=True)
class NormalizeOptions:
    """Per-column normalization choices a party declares in its mapping.

    ``region`` is the ISO 3166 region used for phone numbers written without a country
    code; ``fold_gmail`` removes dots and ``+suffix`` from Gmail local parts and writes
    ``googlemail.com`` as ``gmail.com``.
    """

    region: str | None = None
    fold_gmail: bool = False

    def __post_init__(self) -> None:
        if self.region is None:
            return
        import phonenumbers  # loaded on first use: `import protocols` stays light

        if self.region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(
                f"unknown phone region {self.region!r}; use an ISO 3166 code like 'US'"
            )


DEFAULT_OPTIONS = NormalizeOptions()


def normalize(
    id_type: IdType, raw: str | None, options: NormalizeOptions = DEFAULT_OPTIONS
) -> str | Rejected:
    """Normalize ``raw`` as an identifier of ``id_type``."""
    if raw is None:
        return Rejected(Reason.EMPTY)
    text = unicodedata.normalize("NFC", raw).strip()
    if not text:
        return Rejected(Reason.EMPTY)
    if id_type is IdType.EMAIL:
        return normalize_email(text, fold_gmail=options.fold_gmail)
    if id_type is IdType.PHONE:
        return normalize_phone(text, region=options.region)
    if id_type is IdType.MAID:
        return normalize_maid(text)
    if id_type is IdType.CUSTOMER_ID:
        return normalize_customer_id(text)
    return normalize_sha256_hex(text)


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def normalize_email(text: str, *, fold_gmail: bool = False) -> str | Rejected:
    """Lowercase a trimmed email (full-width ASCII read as ASCII) and check its shape;
    optionally fold Gmail aliases (googlemail.com becomes gmail.com)."""
    text = text.translate(_FULL_WIDTH).lower()
    if _has_control(text):
        return Rejected(Reason.CONTROL_CHARACTER)
    if any(ch.isspace() for ch in text):
        return Rejected(Reason.CONTAINS_WHITESPACE)
    at_signs = text.count("@")
    if at_signs == 0:
        return Rejected(Reason.NO_AT_SIGN)
    if at_signs > 1:
        return Rejected(Reason.MULTIPLE_AT_SIGNS)
    local, domain = text.split("@")
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        return Rejected(Reason.INVALID_DOMAIN)
    if fold_gmail and domain in GMAIL_DOMAINS:
        local, domain = local.split("+", 1)[0].replace(".", ""), GMAIL_DOMAIN
    if not local:
        return Rejected(Reason.EMPTY_LOCAL_PART)
    email = f"{local}@{domain}"
    if len(email) > MAX_EMAIL_LENGTH:
        return Rejected(Reason.TOO_LONG)
    return email


def normalize_phone(text: str, *, region: str | None = None) -> str | Rejected:
    """Parse a phone number and format it as E.164 (``+15551234567``)."""
    if _has_control(text):
        return Rejected(Reason.CONTROL_CHARACTER)
    import phonenumbers  # loaded on first use: `import protocols` stays light

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return Rejected(Reason.NOT_A_PHONE_NUMBER)
    if not phonenumbers.is_valid_number(number):
        return Rejected(Reason.INVALID_PHONE)
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def normalize_maid(text: str) -> str | Rejected:
    """Mobile ad ids (IDFA, GAID) as the lowercase canonical hyphenated UUID."""
    try:
        value = uuid.UUID(text)
    except ValueError:
        return Rejected(Reason.INVALID_MAID)
    if value.int == 0:
        return Rejected(Reason.ZERO_MAID)
    return str(value)


def normalize_customer_id(text: str) -> str | Rejected:
    """Customer ids are trimmed and NFC-normalized; case is significant."""
    if _has_control(text):
        return Rejected(Reason.CONTROL_CHARACTER)
    if len(text) > MAX_CUSTOMER_ID_LENGTH:
        return Rejected(Reason.TOO_LONG)
    return text


def normalize_sha256_hex(text: str) -> str | Rejected:
    """Pre-hashed identifiers: 64 lowercase hex digits; the hash of "" is rejected."""
    text = text.lower()
    if not _HEX64.fullmatch(text):
        return Rejected(Reason.BAD_HEX)
    if text == EMPTY_SHA256:
        return Rejected(Reason.EMPTY)
    return text
