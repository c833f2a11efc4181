"""The demo policy declares every group key the synthetic data uses."""

from __future__ import annotations

from cleanroom.demo.policy_file import LOOP_TEMPLATES, adapt_standard
from cleanroom.demo.synthetic import CATEGORIES, CHANNELS, DemoSpec, campaign_ids
from policies import Direction, diff, overall, policy_from_yaml, preset, preset_yaml


def test_demo_policy_declares_the_demo_campaigns_and_dimension_values() -> None:
    policy = policy_from_yaml(adapt_standard(preset_yaml("standard")))
    declared = {name: column.values for name, column in policy.keys.columns}
    assert declared["campaign_id"] == set(campaign_ids(DemoSpec().campaigns))
    assert declared["channel"] >= set(CHANNELS)
    assert declared["category"] >= set(CATEGORIES)
    changes = diff(preset("standard"), policy)
    looser = [c for c in changes if c.field == "templates"]
    assert [c.direction for c in looser] == [Direction.LOOSER]
    assert policy.templates - preset("standard").templates == set(LOOP_TEMPLATES)
    assert overall([c for c in changes if c.field != "templates"]) is Direction.STRICTER
