"""The collaboration's policy on the server: its text, its versions and their approvals.

- :mod:`~cleanroom.policy.document`: policy text -> validated :class:`policies.Policy`
  and its hash (the rules themselves are the pure :mod:`policies` package's).
- :mod:`~cleanroom.policy.store`: versions take effect once every party_admin signed
  them (:func:`protocols.approval_message`); pinned keys.
- :mod:`~cleanroom.policy.signatures`: checking members' Ed25519 signatures.
- :mod:`~cleanroom.policy.roster`: the key roster of ``pin_keys: on_registration``,
  fixed when every party_admin registered and signed by every rostered party.
"""

from cleanroom.policy.document import default_policy_yaml, parse_policy, policy_hash
from cleanroom.policy.roster import fix_roster_if_due, latest_roster, sign_roster
from cleanroom.policy.signatures import verify_member_signature
from cleanroom.policy.store import approve, effective_policy, propose_policy

__all__ = [
    "approve",
    "default_policy_yaml",
    "effective_policy",
    "fix_roster_if_due",
    "latest_roster",
    "parse_policy",
    "policy_hash",
    "propose_policy",
    "sign_roster",
    "verify_member_signature",
]
