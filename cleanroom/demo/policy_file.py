"""The demo's collaboration policy: the ``standard`` preset with its contribution bounds
tightened to fit the synthetic data, and the demo's campaign ids declared as group keys
(the preset declares the dimension keys; campaigns belong to each collaboration).

The preset's bounds (20 campaigns and 5 purchases of up to 500 per person) suit a
year of real traffic; on the demo's few weeks they would only widen every interval,
since noise grows with the bounds. Every change is stricter, so the adapted policy
allows less than the preset (``cleanroom policy diff admin/standard.yaml
admin/policy.yaml`` says so, field by field) but one: the demo also allows the
closed-loop templates (reach and frequency, time to conversion, the funnel), which the
preset leaves out.
"""

from __future__ import annotations

import re
from pathlib import Path

from cleanroom.demo.errors import DemoError
from cleanroom.demo.synthetic import DemoSpec, campaign_ids

NAME = "standard-demo"
TIGHTER = {"max_campaigns_per_user": 5, "max_purchases_per_user": 4, "amount_cap": 250}
LOOP_TEMPLATES = ("reach_frequency", "time_to_conversion", "funnel")


def adapt_standard(preset: str) -> str:
    """The preset's YAML with the demo's name and bounds; comments and order kept."""
    text = _replace(preset, "name", NAME)
    for field, value in TIGHTER.items():
        text = _replace(text, field, str(value))
    text = _declare_campaigns(text, campaign_ids(DemoSpec().campaigns))
    text = _allow_loop_templates(text)
    header = "# The standard preset, contribution bounds tightened for the demo's data.\n"
    return header + text


def _declare_campaigns(text: str, campaigns: tuple[str, ...]) -> str:
    """Add the ``campaign_id`` keys as the first entry of the preset's ``keys:`` section."""
    pattern = re.compile(r"^keys:\n", re.MULTILINE)
    if len(pattern.findall(text)) != 1:
        raise DemoError("the standard preset has no single 'keys:' section to adapt")
    return pattern.sub(f"keys:\n  campaign_id: [{', '.join(campaigns)}]\n", text)


def _allow_loop_templates(text: str) -> str:
    """Append the closed-loop templates to the preset's ``templates: [...]`` list."""
    pattern = re.compile(r"^templates: \[(.*)\]$", re.MULTILINE)
    if len(pattern.findall(text)) != 1:
        raise DemoError("the standard preset has no single 'templates: [...]' line to adapt")
    return pattern.sub(lambda m: f"templates: [{m[1]}, {', '.join(LOOP_TEMPLATES)}]", text)


def _replace(text: str, field: str, value: str) -> str:
    pattern = re.compile(rf"^(\s*{field}:)\s*\S+\s*$", re.MULTILINE)
    if len(pattern.findall(text)) != 1:
        raise DemoError(f"the standard preset has no single '{field}' line to adapt")
    return pattern.sub(rf"\g<1> {value}", text)


def write_demo_policy(preset_file: Path, out: Path, protocol: str = "v1") -> Path:
    text = adapt_standard(preset_file.read_text(encoding="utf-8"))
    if protocol != "v1":
        note = "# Double-blind matching: no match key, each party blinds with its own scalar.\n"
        text = text.rstrip("\n") + f"\n{note}protocol: {protocol}\n"
    out.write_text(text, encoding="utf-8")
    return out
