"""``protocols.__all__`` lists exactly the public names the package exports."""

from __future__ import annotations

import protocols


def test_all_names_exist_and_are_sorted_uniquely() -> None:
    assert len(set(protocols.__all__)) == len(protocols.__all__)
    for name in protocols.__all__:
        assert hasattr(protocols, name), name


def test_every_public_attribute_is_in_all() -> None:
    public = {
        name
        for name, value in vars(protocols).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("protocols")
    }
    assert public <= set(protocols.__all__)
