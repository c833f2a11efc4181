"""Declared group keys: which groups a query may show, fixed by the policy, not the data.

A :class:`KeySet` holds, for each grouping column (``campaign_id`` and the dimensions),
its :class:`ColumnKeys`: the allowed values and, optionally, an ``other`` bucket. A
query grouped by a column shows one row per declared key, released or suppressed; a
row whose value is not declared goes to ``other`` when the column has one and is
dropped otherwise. It never makes a row of its own, so the set of output rows depends
on the policy alone, never on what anyone uploaded.

Order (see :mod:`policies.order`): a key set is stricter when it declares fewer values
(or drops ``other``) for a column. A column without declared keys cannot be grouped by
at all; declaring its keys (in the policy, or in the rules of a party) is what makes it
groupable, and only with those groups. Merging takes, per column, the intersection of
every document that declares it (:meth:`KeySet.meet`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial

from policies import checks

CAMPAIGN = "campaign_id"
"""The grouping column every ``conversions`` and ``lift`` query has."""
OTHER = "other"
"""The key of the bucket that collects undeclared values (when a column has one)."""
MAX_VALUES = 1000
"""Most values one column may declare (every key is a row of every result)."""


def _check_value(value: object) -> None:
    if not isinstance(value, str) or not value or len(value) > 200:
        raise ValueError(f"{value!r} is not a key; use text of 1 to 200 characters")


@dataclass(frozen=True)
class ColumnKeys:
    """The declared values of one grouping column, and whether ``other`` collects the rest."""

    values: frozenset[str]
    other: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.values, frozenset):
            raise ValueError(f"values must be a set of text keys, got {self.values!r}")
        for value in sorted(self.values, key=str):
            _check_value(value)
        if len(self.values) > MAX_VALUES:
            raise ValueError(f"declares {len(self.values)} values, more than {MAX_VALUES}")
        if self.other and OTHER in self.values:
            raise ValueError(f"`{OTHER}` is the bucket for undeclared values; rename that value")

    def keys(self) -> tuple[str, ...]:
        """The groups of this column in output order: declared values sorted, ``other`` last."""
        return (*sorted(self.values), *((OTHER,) if self.other else ()))

    def meet(self, other: ColumnKeys) -> ColumnKeys:
        """Keys both allow (possibly none: then the column has no group)."""
        return ColumnKeys(self.values & other.values, self.other and other.other)

    def within(self, other: ColumnKeys) -> bool:
        """Whether every group of ``self`` is a group of ``other``."""
        return self.values <= other.values and (other.other or not self.other)

    def short(self) -> str:
        """A compact form for diffs: at most three values shown, then the count."""
        values = sorted(self.values)
        shown = ", ".join(values) if len(values) <= 3 else f"{values[0]} ... {values[-1]}"
        count = f" ({len(values)} values)" if len(values) > 3 else ""
        return (shown or "none") + count + (" + other" if self.other else "")

    def words(self) -> str:
        if not self.keys():
            return "none (the declarations have no key in common)"
        shown = ", ".join(sorted(self.values)) or "no listed value"
        return shown + ("; any other value is counted as `other`" if self.other else "")


@dataclass(frozen=True)
class KeySet:
    """The declared keys of each grouping column; a column left out has none."""

    columns: tuple[tuple[str, ColumnKeys], ...] = ()

    @classmethod
    def of(cls, columns: Mapping[str, ColumnKeys]) -> KeySet:
        return cls(tuple(columns.items()))

    def __post_init__(self) -> None:
        problems: list[checks.Check] = [
            (name, partial(_check_column, name, keys)) for name, keys in self.columns
        ]
        checks.collect(problems, "keys")
        object.__setattr__(self, "columns", tuple(sorted(dict(self.columns).items())))

    def for_column(self, name: str) -> ColumnKeys | None:
        """The keys declared for ``name``, or ``None`` when it has none."""
        return dict(self.columns).get(name)

    def names(self) -> frozenset[str]:
        return frozenset(name for name, _ in self.columns)

    def meet(self, other: KeySet) -> KeySet:
        """Per column, the keys every declaring document allows (a column only one
        declares keeps that one's keys; an empty intersection leaves no key at all)."""
        mine, theirs = dict(self.columns), dict(other.columns)
        merged = {**theirs, **mine}
        for name in mine.keys() & theirs.keys():
            merged[name] = mine[name].meet(theirs[name])
        return KeySet.of(merged)

    def check_declared(self) -> None:
        """A document (policy or rules) must give every column it names some group."""
        for name, column in self.columns:
            if not column.keys():
                raise ValueError(f"{name}: declares no value and no `other` bucket")

    def within(self, other: KeySet) -> bool:
        """Whether ``self`` allows no group that ``other`` forbids (see the module doc)."""
        mine = dict(self.columns)
        return all(name in mine and mine[name].within(keys) for name, keys in other.columns)


def _check_column(name: str, keys: ColumnKeys) -> None:
    checks.slug(name)
    if not isinstance(keys, ColumnKeys):
        raise ValueError(f"must be the column's keys, got {keys!r}")
    if name == CAMPAIGN and keys.other:
        raise ValueError(
            "an `other` campaign would mix campaigns (and their spend); list every campaign id"
        )


def parse_keys(value: object) -> KeySet:
    """``{column: [values...]}`` or ``{column: {values: [...], other: true}}``."""
    if not isinstance(value, Mapping):
        raise ValueError("must map each grouping column to its list of values")
    columns: dict[str, ColumnKeys] = {}
    checks.collect(
        [
            (str(name), partial(_parse_column, columns, str(name), spec))
            for name, spec in value.items()
        ],
        "keys",
    )
    return KeySet.of(columns)


def _parse_column(into: dict[str, ColumnKeys], name: str, spec: object) -> None:
    into[name] = _column(spec)


def _column(spec: object) -> ColumnKeys:
    if isinstance(spec, list):
        if not spec:
            raise ValueError("declares no value, so it has no group")
        return ColumnKeys(_values(spec))
    if not isinstance(spec, Mapping) or not set(spec) <= {"values", "other"}:
        raise ValueError("must be a list of values, or a mapping with `values` and `other`")
    other = spec.get("other", False)
    if not isinstance(other, bool):
        raise ValueError(f"other: must be true or false, got {other!r}")
    keys = ColumnKeys(_values(spec.get("values", [])), other)
    if not keys.keys():
        raise ValueError("declares no value and no `other` bucket, so it has no group")
    return keys


def _values(items: Iterable[object]) -> frozenset[str]:
    if isinstance(items, str) or not isinstance(items, list):
        raise ValueError(f"values must be a list of text, got {items!r}")
    for item in items:
        _check_value(item)
    if len(set(items)) != len(items):
        raise ValueError("lists a value twice")
    return frozenset(str(item) for item in items)


def to_canonical(keys: KeySet) -> dict[str, dict[str, object]]:
    """JSON-ready form: ``{column: {"values": sorted, "other": bool}}``."""
    return {
        name: {"values": sorted(column.values), "other": column.other}
        for name, column in keys.columns
    }
