"""``policies.__all__`` lists exactly the public names the package exports."""

from __future__ import annotations

import policies


def test_all_names_exist_and_are_unique() -> None:
    assert len(set(policies.__all__)) == len(policies.__all__)
    for name in policies.__all__:
        assert hasattr(policies, name), name


def test_every_public_attribute_is_in_all() -> None:
    public = {
        name
        for name, value in vars(policies).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("policies")
    }
    assert public <= set(policies.__all__)
