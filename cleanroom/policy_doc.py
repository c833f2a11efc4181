"""The one place the server touches a policy document (swap point for ``policies``).

Until the ``policies`` package lands, a policy is YAML text whose version hash is the
SHA-256 of its canonical bytes: the parsed YAML dumped as JSON with sorted keys, no
whitespace, UTF-8. Approvals sign that hash (see :func:`approval_message`).
"""

from __future__ import annotations

import hashlib
import json

import yaml

from cleanroom.errors import InvalidPolicy

APPROVAL_PREFIX = b"cleanroom policy approval v1|"

DEFAULT_POLICY_YAML = """\
# Default strict preset (placeholder until the policies package ships its presets).
preset: strict
templates: [overlap, conversions, lift]
dimensions: []
min_group_size: 100
epsilon_per_query: "0.1"
budget:
  epsilon: "1"
  period: month
attribution_window_days: {min: 1, max: 30}
contribution_bounds: {purchases_per_user: 10, amount_cap: 500}
"""


def parse_policy(text: str) -> dict[str, object]:
    """Parse and minimally check a policy document."""
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError:
        raise InvalidPolicy("policy is not valid YAML") from None
    if not isinstance(parsed, dict):
        raise InvalidPolicy("policy must be a YAML mapping")
    return parsed


def policy_hash(text: str) -> str:
    """Version hash of a policy: SHA-256 hex of its canonical bytes."""
    canonical = json.dumps(
        parse_policy(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def approval_message(collaboration_id: str, policy_hash_hex: str) -> bytes:
    """The exact bytes a party signs with Ed25519 to approve a policy version."""
    return APPROVAL_PREFIX + f"{collaboration_id}|{policy_hash_hex}".encode()
