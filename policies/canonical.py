"""The canonical form of a policy and the hash every party signs.

``canonical_json(policy)`` is the policy as a JSON object with

- every field present (``pinned_keys`` and ``keys`` as ``{}`` when empty) plus
  ``"format": "cleanroom-policy/1"``;
- exact numbers as ``"n/d"`` strings in lowest terms (``"1/2"``, ``"5/1"``);
- durations and periods as their canonical text (``"7d"``, ``"monthly"``, ``"30d"``);
- every set as a sorted list (the allowed epsilons sorted by value);
- ``budget.lifetime`` as ``null`` when the policy sets no lifetime cap;
- ``attribution`` only when the policy sets it to something other than the default
  (``last_touch`` and ``first_touch``, no bounds), so the hash of a policy written
  before the section existed is unchanged;
- ``protocol`` only when it is not the default ``v1`` (so v1 policies keep the hashes
  they had before the field existed);
- ``noise`` only when it is not the default discrete Laplace (``{"mechanism":
  "gaussian", "delta": "1/1000000000"}``), for the same reason;

serialized with sorted keys, no whitespace (``separators=(",", ":")``), UTF-8, no
ASCII escaping. ``policy_hash(policy)`` is the lowercase hex SHA-256 of those bytes.
The canonical form is itself a valid policy document: ``parse_policy`` reads it back.
"""

from __future__ import annotations

import hashlib
import json
from fractions import Fraction
from typing import Any

from policies.attribution import to_canonical as attribution_to_canonical
from policies.evaluate import QueryRequest
from policies.exact import fraction_text
from policies.keys import to_canonical as keys_to_canonical
from policies.merge import EffectivePolicy
from policies.model import FORMAT, KeyPinning, MatchProtocol, Policy
from policies.noise import to_canonical as noise_to_canonical
from policies.rules import PartyRules


def _sorted(values: frozenset[Any]) -> list[str]:
    return sorted(str(value) for value in values)


def _exact(values: frozenset[Fraction]) -> list[str]:
    return [fraction_text(value) for value in sorted(values)]


def to_canonical(policy: Policy) -> dict[str, Any]:
    """The policy as plain JSON-ready data in canonical form."""
    out = _policy_fields(policy)
    if not policy.attribution.is_default:
        out["attribution"] = attribution_to_canonical(policy.attribution)
    if policy.protocol is not MatchProtocol.V1:
        out["protocol"] = str(policy.protocol)
    if not policy.noise.is_default:
        out["noise"] = noise_to_canonical(policy.noise)
    return out


def _policy_fields(policy: Policy) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "name": policy.name,
        "version": policy.version,
        "templates": _sorted(policy.templates),
        "dimensions": {
            "exposures": _sorted(policy.dimensions.exposures),
            "purchases": _sorted(policy.dimensions.purchases),
        },
        "window": {"min": str(policy.window.min), "max": str(policy.window.max)},
        "k": policy.k,
        "epsilon_choices": _exact(policy.epsilon_choices),
        "budget": {
            "epsilon": fraction_text(policy.budget.epsilon),
            "period": str(policy.budget.period),
            "lifetime": None
            if policy.budget.lifetime is None
            else fraction_text(policy.budget.lifetime),
        },
        "contribution": {
            "max_campaigns_per_user": policy.contribution.max_campaigns_per_user,
            "max_purchases_per_user": policy.contribution.max_purchases_per_user,
            "amount_cap": fraction_text(policy.contribution.amount_cap),
        },
        "receivers": _sorted(policy.receivers),
        "pinned_keys": {party: sorted(fps) for party, fps in policy.pinned_keys.entries},
        "keys": keys_to_canonical(policy.keys),
        # only when set, so the hash of a policy without it is what it was before
        **({"pin_keys": str(policy.pin_keys)} if policy.pin_keys is not KeyPinning.NONE else {}),
    }


def rules_to_canonical(rules: PartyRules) -> dict[str, Any]:
    """Party rules in canonical form: only the fields the party set, same encodings."""
    out: dict[str, Any] = {"format": FORMAT, "party": rules.party, "version": rules.version}
    if rules.templates is not None:
        out["templates"] = _sorted(rules.templates)
    dims = {"exposures": rules.exposure_dimensions, "purchases": rules.purchase_dimensions}
    if any(v is not None for v in dims.values()):
        out["dimensions"] = {kind: _sorted(v) for kind, v in dims.items() if v is not None}
    window = {"min": rules.window_min, "max": rules.window_max}
    if any(v is not None for v in window.values()):
        out["window"] = {key: str(v) for key, v in window.items() if v is not None}
    if rules.k is not None:
        out["k"] = rules.k
    if rules.epsilon_choices is not None:
        out["epsilon_choices"] = _exact(rules.epsilon_choices)
    budget = {"epsilon": rules.budget_epsilon, "lifetime": rules.budget_lifetime}
    if any(v is not None for v in budget.values()):
        out["budget"] = {key: fraction_text(v) for key, v in budget.items() if v is not None}
    contribution = {
        "max_campaigns_per_user": rules.max_campaigns_per_user,
        "max_purchases_per_user": rules.max_purchases_per_user,
        "amount_cap": None if rules.amount_cap is None else fraction_text(rules.amount_cap),
    }
    if any(v is not None for v in contribution.values()):
        out["contribution"] = {key: v for key, v in contribution.items() if v is not None}
    if rules.receivers is not None:
        out["receivers"] = _sorted(rules.receivers)
    if rules.pinned_keys is not None:
        out["pinned_keys"] = {p: sorted(fps) for p, fps in rules.pinned_keys.entries}
    if rules.keys is not None:
        out["keys"] = keys_to_canonical(rules.keys)
    if rules.attribution_models is not None:
        out["attribution"] = {"models": _sorted(rules.attribution_models)}
    return out


def _dumps(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical_json(value: Policy | PartyRules) -> bytes:
    """The exact bytes that are hashed and signed."""
    return _dumps(to_canonical(value) if isinstance(value, Policy) else rules_to_canonical(value))


def policy_hash(value: Policy | PartyRules) -> str:
    """Lowercase hex SHA-256 of :func:`canonical_json`; what the server and agents sign."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


def effective_policy_hash(effective: EffectivePolicy) -> str:
    """Names the exact rule set a query ran under (for the audit log and repeat detection).

    SHA-256 of the canonical JSON ``{"format", "policy": policy_hash(base),
    "rules": sorted policy_hash of each party's rules}``; the order of the rules does
    not matter (the merge does not depend on it either).
    """
    data = {
        "format": FORMAT,
        "policy": policy_hash(effective.base),
        "rules": sorted({policy_hash(rules) for rules in effective.rules}),
    }
    return hashlib.sha256(_dumps(data)).hexdigest()


def query_to_canonical(request: QueryRequest) -> dict[str, Any]:
    """A query request as canonical JSON-ready data (``epsilon`` as ``"n/d"`` or null).

    ``attribution`` is the model, or the list of a comparison; ``position_weights``
    (``["n/d", "n/d"]``) and ``half_life`` appear only when the request has them, so a
    request of the earlier kind keeps its canonical form (and its repeat key).
    The bucket parameters of the closed-loop templates appear only when set (their
    defaults are resolved on construction)."""
    out: dict[str, Any] = {
        "template": str(request.template),
        "requester": request.requester,
        "window": None if request.window is None else str(request.window),
        "attribution": [str(m) for m in request.compare]
        if request.compare
        else str(request.attribution),
        "dimensions": list(request.dimensions),
        "epsilon": None if request.epsilon is None else fraction_text(request.epsilon),
    }
    if request.position_weights is not None:
        out["position_weights"] = [fraction_text(w) for w in request.position_weights]
    if request.half_life is not None:
        out["half_life"] = str(request.half_life)
    buckets: dict[str, Any] = {
        "frequency_buckets": None
        if request.frequency_buckets is None
        else list(request.frequency_buckets),
        "frequency_cap": request.frequency_cap,
        "delay_buckets": None
        if request.delay_buckets is None
        else [str(edge) for edge in request.delay_buckets],
        "horizon": None if request.horizon is None else str(request.horizon),
    }
    out.update({name: value for name, value in buckets.items() if value is not None})
    return out
