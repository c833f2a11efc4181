"""The one place the server turns policy text into a validated policy and its hash.

Parsing, validation, the canonical form and the hash are the ``policies`` package's
(``docs/reference/policy.md``); this module maps its errors to the server's. What a party
signs to approve a version is :func:`protocols.approval_message`.
"""

from __future__ import annotations

import policies
from cleanroom.errors import policy_errors

DEFAULT_PRESET = "strict"


def default_policy_yaml() -> str:
    """The policy a collaboration starts with when the admin gives none (strict preset)."""
    return policies.preset_yaml(DEFAULT_PRESET)


def parse_policy(text: str) -> policies.Policy:
    """Parse and validate a policy document; every problem is named in the error."""
    with policy_errors():
        return policies.policy_from_yaml(text)


def policy_hash(text: str) -> str:
    """Version hash of a policy: ``policies.policy_hash`` of the parsed document."""
    return policies.policy_hash(parse_policy(text))
