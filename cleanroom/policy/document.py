"""The one place the server turns policy text into a validated policy and its hash.

Parsing, validation, the canonical form and the hash are the ``policies`` package's
(``docs/reference/policy.md``); this module maps its errors to the server's and defines
what a party signs to approve a version (see :func:`approval_message`).
"""

from __future__ import annotations

import policies
from cleanroom.errors import InvalidPolicy

APPROVAL_PREFIX = b"cleanroom policy approval v1|"
MATCH_KEY_PREFIX = b"cleanroom match-key v1|"
DEFAULT_PRESET = "strict"


def default_policy_yaml() -> str:
    """The policy a collaboration starts with when the admin gives none (strict preset)."""
    return policies.preset_yaml(DEFAULT_PRESET)


def parse_policy(text: str) -> policies.Policy:
    """Parse and validate a policy document; every problem is named in the error."""
    try:
        return policies.policy_from_yaml(text)
    except policies.InvalidPolicy as error:
        raise InvalidPolicy(str(error)) from None


def policy_hash(text: str) -> str:
    """Version hash of a policy: ``policies.policy_hash`` of the parsed document."""
    return policies.policy_hash(parse_policy(text))


def approval_message(collaboration_id: str, policy_hash_hex: str) -> bytes:
    """The exact bytes a party signs with Ed25519 to approve a policy version."""
    return APPROVAL_PREFIX + f"{collaboration_id}|{policy_hash_hex}".encode()


def match_key_message(collaboration_id: str, fingerprint: str) -> bytes:
    """The exact bytes the creator of a match key signs (Ed25519) when posting it."""
    return MATCH_KEY_PREFIX + f"{collaboration_id}|{fingerprint}".encode()
