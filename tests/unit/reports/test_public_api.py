"""``reports.__all__`` lists exactly the public names the package exports."""

from __future__ import annotations

import reports


def test_all_names_exist_and_are_unique() -> None:
    assert len(set(reports.__all__)) == len(reports.__all__)
    for name in reports.__all__:
        assert hasattr(reports, name), name


def test_every_public_attribute_is_in_all() -> None:
    public = {
        name
        for name, value in vars(reports).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("reports")
    }
    assert public <= set(reports.__all__)
