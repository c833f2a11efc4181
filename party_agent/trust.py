"""What the agent checks itself instead of trusting the server (an honest-but-curious
server must not be able to make a party sign or wrap to something it did not see).

- A policy's hash is recomputed from its text before it is shown as verified or signed.
- The match key is wrapped only to keys the policy accepts for their party (pinned
  fingerprints), with fingerprints computed here from the raw public keys.
"""

from __future__ import annotations

from party_agent.client import Json
from party_agent.errors import AgentError
from policies import InvalidPolicy, Policy, key_accepted, policy_from_yaml, policy_hash
from protocols import ProtocolError, decode_x25519_public_key, public_key_fingerprint


class UntrustedReply(AgentError):
    """The server's reply does not match what the agent computes itself."""


def verified_policy(reply: Json) -> Policy:
    """The policy of a server reply, after checking its hash against its text."""
    try:
        policy = policy_from_yaml(reply["text"])
    except InvalidPolicy as error:
        raise UntrustedReply(f"the server sent a policy this agent cannot read: {error}") from None
    if policy_hash(policy) != reply["policy_hash"]:
        raise UntrustedReply(
            "the policy text does not hash to the hash the server names; not trusting it"
        )
    return policy


def x25519_fingerprint(member: Json) -> str:
    try:
        return public_key_fingerprint(decode_x25519_public_key(member["x25519_public"]))
    except ProtocolError as error:
        raise UntrustedReply(f"member {member['party']!r} has a malformed key: {error}") from None


def accepted_recipients(policy: Policy, members: list[Json]) -> tuple[list[Json], list[str]]:
    """(party_admins whose X25519 key the policy accepts, refusals in words)."""
    accepted, refused = [], []
    for member in members:
        if member["role"] != "party_admin" or not member["x25519_public"]:
            continue
        fingerprint = x25519_fingerprint(member)
        if key_accepted(policy, member["party"], fingerprint):
            accepted.append({**member, "x25519_fingerprint": fingerprint})
        else:
            refused.append(f"{member['party']} (key {fingerprint} is not pinned in the policy)")
    return accepted, refused
