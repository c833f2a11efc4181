"""Presets and policy files."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies import (
    PRESETS,
    InvalidPolicy,
    diff,
    load_party_rules,
    load_policy,
    preset,
    preset_yaml,
)
from policies.order import Direction


@pytest.mark.parametrize("name", PRESETS)
def test_presets_load_and_carry_their_name(name: str) -> None:
    assert preset(name).name == name


def test_strict_is_never_looser_than_standard() -> None:
    changes = diff(preset("standard"), preset("strict"))
    assert changes
    assert {change.direction for change in changes} == {Direction.STRICTER}


def test_unknown_preset() -> None:
    with pytest.raises(InvalidPolicy) as caught:
        preset_yaml("lax")
    assert str(caught.value) == (
        "invalid policy: `lax` is not a preset; choose from standard, strict"
    )


def test_load_policy_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(preset_yaml("strict"), encoding="utf-8")
    assert load_policy(path) == preset("strict")


def test_problems_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(preset_yaml("strict").replace("k: 100", "k: 0"), encoding="utf-8")
    with pytest.raises(InvalidPolicy) as caught:
        load_policy(path)
    assert str(caught.value) == (
        f"invalid policy `strict` in {path}: k: must be a whole number of at least 2, got 0"
    )


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidPolicy) as caught:
        load_policy(tmp_path / "absent.yaml")
    assert str(caught.value) == (
        f"invalid file {tmp_path / 'absent.yaml'}: cannot read the file (No such file or directory)"
    )
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\xff\xfe\x00k")
    with pytest.raises(InvalidPolicy, match=r"cannot read the file \(not UTF-8 text\)$"):
        load_policy(binary)


def test_load_party_rules(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("party: retailer\nversion: 3\nk: 80\n", encoding="utf-8")
    assert load_party_rules(path).k == 80
    path.write_text("party: retailer\nversion: 3\nk: 1\n", encoding="utf-8")
    with pytest.raises(InvalidPolicy, match=r"^invalid rules of `retailer` in .*r\.yaml: k: "):
        load_party_rules(path)
