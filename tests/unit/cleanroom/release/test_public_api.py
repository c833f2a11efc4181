"""``cleanroom.release.__all__`` and ``cleanroom.engine.__all__`` list what they export."""

from __future__ import annotations

from types import ModuleType

import pytest

import cleanroom.engine
import cleanroom.release


@pytest.mark.parametrize("module", [cleanroom.release, cleanroom.engine])
def test_all_names_exist_and_are_unique(module: ModuleType) -> None:
    assert len(set(module.__all__)) == len(module.__all__)
    for name in module.__all__:
        assert hasattr(module, name), name


@pytest.mark.parametrize("module", [cleanroom.release, cleanroom.engine])
def test_every_public_attribute_is_in_all(module: ModuleType) -> None:
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, ModuleType)
        and getattr(value, "__module__", "").startswith("cleanroom")
    }
    assert public <= set(module.__all__)
