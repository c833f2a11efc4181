"""Policy-as-code: the policy model, validation, strictest-wins merge and evaluation.

Pure: nothing here does I/O except :func:`load_policy`, :func:`load_party_rules` and
the presets, which read a YAML file. Everything a caller needs is importable from
here; ``tests/unit/policies/test_public_api.py`` keeps ``__all__`` honest.
Field reference, presets and the hash definition: ``docs/reference/policy.md``.
"""

from policies.attribution import (
    MICRO,
    SINGLE_TOUCH,
    Attribution,
    AttributionRules,
    HalfLifeBounds,
    StageColumn,
    WeightBounds,
)
from policies.budget import (
    BudgetState,
    can_spend,
    charge,
    current_state,
    fresh_state,
    lifetime_remaining,
    remaining,
    settle,
)
from policies.canonical import (
    canonical_json,
    effective_policy_hash,
    policy_hash,
    query_to_canonical,
    rules_to_canonical,
    to_canonical,
)
from policies.describe import (
    Change,
    describe,
    describe_lines,
    diff,
    over_time_lines,
    overall,
    year_total,
)
from policies.errors import BudgetExceeded, InvalidPolicy, InvalidQuery, PolicyDenied, PolicyError
from policies.evaluate import (
    BUDGET_CODES,
    Decision,
    Denial,
    QueryRequest,
    evaluate,
    parse_query,
)
from policies.exact import Duration, fraction_text, human_number, parse_fraction
from policies.files import (
    PRESETS,
    load_party_rules,
    load_policy,
    party_rules_from_yaml,
    policy_from_yaml,
    preset,
    preset_yaml,
)
from policies.keys import ColumnKeys, KeySet
from policies.merge import EffectivePolicy, Source, effective_policy, key_accepted
from policies.model import (
    FORMAT,
    Budget,
    ContributionBounds,
    Dimensions,
    KeyPinning,
    MatchProtocol,
    PinnedKeys,
    Policy,
    Template,
    WindowBounds,
)
from policies.noise import NoiseMechanism, NoiseRules
from policies.order import Direction
from policies.parse import parse_party_rules, parse_policy
from policies.periods import Period
from policies.rules import PartyRules

__all__ = [
    "BUDGET_CODES",
    "FORMAT",
    "MICRO",
    "PRESETS",
    "SINGLE_TOUCH",
    "Attribution",
    "AttributionRules",
    "Budget",
    "BudgetExceeded",
    "BudgetState",
    "Change",
    "ColumnKeys",
    "ContributionBounds",
    "Decision",
    "Denial",
    "Dimensions",
    "Direction",
    "Duration",
    "EffectivePolicy",
    "HalfLifeBounds",
    "InvalidPolicy",
    "InvalidQuery",
    "KeyPinning",
    "KeySet",
    "MatchProtocol",
    "NoiseMechanism",
    "NoiseRules",
    "PartyRules",
    "Period",
    "PinnedKeys",
    "Policy",
    "PolicyDenied",
    "PolicyError",
    "QueryRequest",
    "Source",
    "StageColumn",
    "Template",
    "WeightBounds",
    "WindowBounds",
    "can_spend",
    "canonical_json",
    "charge",
    "current_state",
    "describe",
    "describe_lines",
    "diff",
    "effective_policy",
    "effective_policy_hash",
    "evaluate",
    "fraction_text",
    "fresh_state",
    "human_number",
    "key_accepted",
    "lifetime_remaining",
    "load_party_rules",
    "load_policy",
    "over_time_lines",
    "overall",
    "parse_fraction",
    "parse_party_rules",
    "parse_policy",
    "parse_query",
    "party_rules_from_yaml",
    "policy_from_yaml",
    "policy_hash",
    "preset",
    "preset_yaml",
    "query_to_canonical",
    "remaining",
    "rules_to_canonical",
    "settle",
    "to_canonical",
    "year_total",
]
