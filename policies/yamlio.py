"""Reading policy YAML exactly: numbers stay exact, duplicate keys are refused.

Plain YAML loaders turn ``0.1`` into a binary float and let a second ``k:`` silently
win over the first; a policy must not be read either way. This loader reads every
YAML float as a :class:`fractions.Fraction` from its text and rejects a mapping that
names a key twice.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import yaml

from policies.errors import InvalidPolicy
from policies.exact import parse_fraction


class _ExactLoader(yaml.SafeLoader):
    """SafeLoader with exact floats and no duplicate keys."""


def _exact_float(loader: yaml.SafeLoader, node: yaml.Node) -> Fraction | str:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]  # float nodes are scalars
    try:
        return parse_fraction(text)
    except ValueError:
        return text  # ".inf" and ".nan" stay text; the field check explains the problem


def _unique_mapping(loader: yaml.SafeLoader, node: yaml.Node) -> dict[object, object]:
    assert isinstance(node, yaml.MappingNode)  # noqa: S101 - the resolver only sends mappings
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            line = key_node.start_mark.line + 1
            raise InvalidPolicy([f"line {line}: `{key}` appears twice"], "document")
        seen.add(key)
    return dict(loader.construct_mapping(node, deep=True))


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _exact_float)
_ExactLoader.add_constructor("tag:yaml.org,2002:map", _unique_mapping)


def read_yaml(text: str, source: str = "document") -> object:
    """Parse YAML text; raises :class:`InvalidPolicy` on a syntax error or duplicate key."""
    try:
        return yaml.load(text, Loader=_ExactLoader)  # noqa: S506 - a SafeLoader subclass
    except InvalidPolicy as error:
        raise InvalidPolicy(error.problems, source) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise InvalidPolicy([f"{where}{problem}"], source) from None


def read_yaml_file(path: Path) -> object:
    """Read a YAML file (UTF-8); unreadable files raise :class:`InvalidPolicy`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise InvalidPolicy([f"cannot read the file ({reason})"], f"file {path}") from None
    return read_yaml(text, f"file {path}")
