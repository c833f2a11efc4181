"""What the agent checks itself instead of trusting the server (an honest-but-curious
server must not be able to make a party sign or wrap to something it did not see).

- A policy's hash is recomputed from its text before it is shown as verified or signed.
- The match key is wrapped only to keys the policy accepts for their party (pinned
  fingerprints), with fingerprints computed here from the raw public keys, and only to
  keys this party has seen and accepted (:mod:`party_agent.known_keys`): its own, keys
  pinned in the effective policy, or keys the user accepted with
  ``--accept-fingerprint``. A first-seen or changed key stops the command; nothing is
  wrapped.
- A fetched match key must carry its creator's Ed25519 signature over
  ``b"cleanroom match-key v1|" + collaboration_id + b"|" + fingerprint``, by a
  party_admin key the policy accepts and this party has accepted: the server, which
  knows every public key, cannot slip in a key of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature

from party_agent.client import Json
from party_agent.errors import AgentError
from party_agent.known_keys import KeySighting, KnownKeys, Sight, same_fingerprint
from policies import InvalidPolicy, Policy, key_accepted, policy_from_yaml, policy_hash
from protocols import (
    MatchKey,
    ProtocolError,
    b64url_decode,
    decode_ed25519_public_key,
    decode_x25519_public_key,
    match_key_message,
    public_key_fingerprint,
)


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


def verified_creator(
    policy: Policy, members: list[Json], reply: Json, key: MatchKey, collaboration_id: str
) -> Json:
    """The party_admin who created ``key``, after checking its signature and pinning."""
    if key.fingerprint != reply["fingerprint"]:
        raise UntrustedReply("the unwrapped key does not have the fingerprint the server names")
    creator = next((m for m in members if m["id"] == reply["created_by"]), None)
    if creator is None or creator["role"] != "party_admin" or not creator["ed25519_public"]:
        raise UntrustedReply("the match key was not created by a party_admin with a signing key")
    public = decode_ed25519_public_key(creator["ed25519_public"])
    signature = reply["signature"]
    try:
        raw = b64url_decode(signature)
        public.verify(raw, match_key_message(collaboration_id, key.fingerprint))
    except (ValueError, InvalidSignature):
        raise UntrustedReply(
            f"the match key's signature does not verify with {creator['party']}'s key"
        ) from None
    fingerprint = public_key_fingerprint(public)
    if not key_accepted(policy, creator["party"], fingerprint):
        raise UntrustedReply(
            f"{creator['party']}'s signing key {fingerprint} is not pinned in the policy"
        )
    return {**creator, "ed25519_fingerprint": fingerprint}


@dataclass(frozen=True)
class TrustContext:
    """What decides whether a member's key is trusted: this home's records, this party's own
    keys, the effective policy's pins and the fingerprints accepted on the command line."""

    known: KnownKeys
    own: tuple[str, ...]
    pinned_policy: Policy | None
    accepted: list[str]

    def see(self, member: Json, kind: str, fingerprint: str) -> KeySighting:
        party = str(member["party"])
        if any(same_fingerprint(fingerprint, fp) for fp in self.own):
            return KeySighting(party, kind, fingerprint, Sight.TRUSTED)
        if self._pinned(party, fingerprint):
            return KeySighting(party, kind, fingerprint, Sight.TRUSTED)
        return self.known.see(party, kind, fingerprint, self.accepted)

    def _pinned(self, party: str, fingerprint: str) -> bool:
        policy = self.pinned_policy
        if policy is None or policy.pinned_keys.for_party(party) is None:
            return False
        return key_accepted(policy, party, fingerprint)


def require_trusted(sightings: list[KeySighting], outcome: str) -> None:
    """Stop unless every key is trusted or accepted; the loudest refusal comes first."""
    refused = [s for s in sightings if s.sight in (Sight.FIRST, Sight.CHANGED)]
    if refused:
        refused.sort(key=lambda s: s.sight is not Sight.CHANGED)
        raise UntrustedKey("; ".join(s.refusal() for s in refused) + f"; {outcome}")


class UntrustedKey(AgentError):
    """A member's key is new or changed and the user has not accepted its fingerprint."""
