"""The collaboration's policy on the server: its text, its versions and their approvals.

- :mod:`~cleanroom.policy.document`: policy text -> validated :class:`policies.Policy`
  and its hash (the rules themselves are the pure :mod:`policies` package's).
- :mod:`~cleanroom.policy.store`: versions take effect once every party_admin signed
  them (:func:`protocols.approval_message`); pinned keys.
- :mod:`~cleanroom.policy.signatures`: checking members' Ed25519 signatures.
"""

from cleanroom.policy.document import default_policy_yaml, parse_policy, policy_hash
from cleanroom.policy.signatures import verify_member_signature
from cleanroom.policy.store import approve, effective_policy, propose_policy

__all__ = [
    "approve",
    "default_policy_yaml",
    "effective_policy",
    "parse_policy",
    "policy_hash",
    "propose_policy",
    "verify_member_signature",
]
