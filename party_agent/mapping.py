"""The mapping file: which input columns are identifiers and which attributes to keep.

A mapping is validated in one pass against its schema *and* the input's header, and
every problem is reported at once (:class:`~party_agent.errors.MappingError`). Columns
the mapping does not name are never read. See ``docs/reference/cli.md`` for the format.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import phonenumbers
import pyarrow as pa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from party_agent.errors import ConfigError, MappingError
from protocols import FAMILIES, SCHEMAS, DatasetKind, IdType, NormalizeOptions

AttributeType = Literal["string", "int", "float", "decimal", "bool", "timestamp"]
InvalidAttributes = Literal["error", "drop"]
OnNull = Literal["keep", "drop", "zero", "error"]
Transform = Literal["trim", "lower", "upper"]
NUMERIC_TYPES = frozenset({"int", "float", "decimal"})
#: Default share of exact duplicate output rows above which the summary warns.
DUPLICATE_SHARE = 0.01
OUTPUT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def _check_timezone(name: str | None) -> str | None:
    if name is not None:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {name!r}; use an IANA name like 'UTC'") from None
    return name


def check_timezone(name: str, option: str) -> str:
    """``name`` if it is an IANA zone, else a usage error naming ``option``."""
    try:
        _check_timezone(name)
    except ValueError as exc:
        raise ConfigError(f"{option}: {exc}") from None
    return name


class IdentifierSpec(BaseModel):
    """One input column holding identifiers of one type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    column: str
    type: IdType
    region: str | None = None
    #: Phone regions tried in order: the first in which the number is valid wins.
    regions: tuple[str, ...] = ()
    #: An input column holding each row's ISO 3166 region (read, never written).
    country_column: str | None = None
    fold_gmail: bool = False
    #: email_sha256 only: the hashes were made of Gmail-folded addresses.
    folded: bool = False

    @model_validator(mode="after")
    def _options_fit_the_type(self) -> IdentifierSpec:
        phone_options = self.region is not None or self.regions or self.country_column
        if self.type is IdType.PHONE and not phone_options:
            raise ValueError(
                "a phone column needs a region (ISO 3166 code such as 'US'), "
                "regions (a list tried in order) or country_column"
            )
        if phone_options and self.type is not IdType.PHONE:
            raise ValueError("region, regions and country_column apply to phone columns only")
        if self.region is not None and self.regions:
            raise ValueError("give region or regions, not both")
        for region in self.regions_in_order:
            if region not in phonenumbers.SUPPORTED_REGIONS:
                raise ValueError(f"unknown phone region {region!r}; use a code like 'US'")
        if self.fold_gmail and self.type is IdType.EMAIL_SHA256:
            raise ValueError(
                "fold_gmail cannot apply to a pre-hashed column: a SHA-256 cannot be folded "
                "(fold the addresses before hashing them and declare 'folded: true')"
            )
        if self.fold_gmail and self.type is not IdType.EMAIL:
            raise ValueError("fold_gmail applies to email columns only")
        if self.folded and self.type is not IdType.EMAIL_SHA256:
            raise ValueError("folded applies to email_sha256 columns only")
        return self

    @property
    def regions_in_order(self) -> tuple[str, ...]:
        return (self.region,) if self.region is not None else self.regions

    @property
    def options(self) -> NormalizeOptions:
        """Options of the first (or only) region; :mod:`party_agent.phones` tries the rest."""
        first = self.regions_in_order[0] if self.regions_in_order else None
        return NormalizeOptions(region=first, fold_gmail=self.fold_gmail)


class AttributeSpec(BaseModel):
    """One input column kept as an attribute, converted to its declared type."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    column: str
    type: AttributeType
    output: str | None = Field(default=None, alias="as")
    format: str | None = None
    timezone: str | None = None
    precision: int = Field(default=18, ge=1, le=38)
    scale: int = Field(default=2, ge=0, le=38)
    #: A string column the party declares as free text: the identifier scan skips it.
    free_text: bool = False
    #: Texts that mean "no value" in this column (e.g. NaN, N/A, NULL); empty cells always do.
    null_values: tuple[str, ...] = ()
    #: What a missing value does: keep it null, drop the row, make it 0, or stop.
    on_null: OnNull = "keep"
    #: String only: steps applied in order to each distinct value, then ``values``.
    transform: tuple[Transform, ...] = ()
    values: dict[str, str] = Field(default_factory=dict)

    _tz = field_validator("timezone")(_check_timezone)

    @model_validator(mode="after")
    def _options_fit_the_type(self) -> AttributeSpec:
        if self.type != "timestamp" and (self.format is not None or self.timezone is not None):
            raise ValueError("format and timezone apply to timestamp attributes only")
        if self.scale > self.precision:
            raise ValueError("scale must not exceed precision")
        if self.free_text and self.type != "string":
            raise ValueError("free_text applies to string attributes only")
        if (self.transform or self.values) and self.type != "string":
            raise ValueError("transform and values apply to string attributes only")
        if self.on_null == "zero" and self.type not in NUMERIC_TYPES:
            raise ValueError("on_null: zero applies to int, float and decimal attributes only")
        return self

    @property
    def scanned(self) -> bool:
        """Whether the identifier scan (the shared tripwire) runs on this attribute."""
        return self.type == "string" and not self.free_text

    @property
    def name(self) -> str:
        """The output column name (``as:`` if given, else the input column)."""
        return self.output or self.column

    def arrow_type(self) -> pa.DataType:
        if self.type == "decimal":
            return pa.decimal128(self.precision, self.scale)
        return _ARROW_TYPES[self.type]


_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.int64(),
}


class Mapping(BaseModel):
    """A whole mapping file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = 1
    kind: DatasetKind | None = None
    #: Zone of timestamps written without an offset; none declared means such a
    #: timestamp is an error (a file's local time is never guessed).
    timezone: str | None = None
    invalid_attributes: InvalidAttributes = "error"
    #: Warn when more than this share of the output rows are exact duplicates.
    duplicate_share: float = Field(default=DUPLICATE_SHARE, ge=0, le=1)
    identifiers: tuple[IdentifierSpec, ...] = ()
    attributes: tuple[AttributeSpec, ...] = ()

    _tz = field_validator("timezone")(_check_timezone)

    @property
    def input_columns(self) -> list[str]:
        names = [i.column for i in self.identifiers] + [a.column for a in self.attributes]
        names += [i.country_column for i in self.identifiers if i.country_column]
        return list(dict.fromkeys(names))

    @property
    def families(self) -> list[str]:
        """Token families in output order (the protocol's stable family order)."""
        present = {i.type.family for i in self.identifiers}
        return [f for f in FAMILIES if f in present]

    def zone_of(self, attribute: AttributeSpec) -> str | None:
        return attribute.timezone or self.timezone


def spend_mapping() -> Mapping:
    """The mapping ``tokenize --kind spend`` uses without ``--mapping``: the two columns
    of the ``spend`` schema, under their own names."""
    return Mapping.model_validate(
        {
            "kind": "spend",
            "attributes": [
                {"column": "campaign_id", "type": "string", "on_null": "error"},
                {"column": "spend", "type": "float", "on_null": "error"},
            ],
        }
    )


def load_mapping(path: Path, header: Sequence[str], kind: DatasetKind | None = None) -> Mapping:
    """Read, validate and check ``path`` against ``header``; raise with every problem."""
    source = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingError(source, [f"cannot read the file ({type(exc).__name__})"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise MappingError(source, [f"not valid YAML{where}"]) from None
    if not isinstance(raw, dict):
        raise MappingError(source, ["the file must hold a mapping with 'identifiers'"])
    problems = _schema_problems(raw) + _cross_problems(raw, header)
    mapping: Mapping | None = None
    if not problems:
        mapping = Mapping.model_validate(raw)
        problems = kind_problems(mapping, kind or mapping.kind)
    if problems or mapping is None:
        raise MappingError(source, problems)
    return mapping


def _schema_problems(raw: dict[str, Any]) -> list[str]:
    try:
        Mapping.model_validate(raw)
    except ValidationError as exc:
        return [_describe(raw, error) for error in exc.errors(include_input=False)]
    return []


def _describe(raw: dict[str, Any], error: Any) -> str:
    loc = [str(part) for part in error["loc"]]
    where = loc[0] if loc else "mapping"
    if len(loc) >= 2 and loc[1].isdigit():
        where = f"{loc[0]}[{loc[1]}]"
        entry = _entry(raw, loc[0], int(loc[1]))
        if isinstance(entry.get("column"), str):
            where += f" (column {entry['column']!r})"
        loc = loc[2:]
    else:
        loc = loc[1:]
    field = f" {'.'.join(loc)}" if loc else ""
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}{field}: {message}"


def _entry(raw: dict[str, Any], section: str, index: int) -> dict[str, Any]:
    entries = raw.get(section)
    if isinstance(entries, list) and index < len(entries) and isinstance(entries[index], dict):
        return dict(entries[index])
    return {}


def _entries(raw: dict[str, Any], section: str) -> list[dict[str, Any]]:
    entries = raw.get(section)
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get("column"), str)]


def _cross_problems(raw: dict[str, Any], header: Sequence[str]) -> list[str]:
    """Checks across entries, on the raw file so they run even when an entry is broken."""
    problems: list[str] = []
    identifiers, attributes = _entries(raw, "identifiers"), _entries(raw, "attributes")
    known = set(header)
    for section, entries in (("identifiers", identifiers), ("attributes", attributes)):
        for entry in entries:
            if entry["column"] not in known:
                problems.append(f"{section}: column {entry['column']!r} is not in the input")
    for entry in identifiers:
        country = entry.get("country_column")
        if isinstance(country, str) and country not in known:
            problems.append(f"identifiers: country_column {country!r} is not in the input")
    problems += _folding_problems(identifiers)
    id_columns = [e["column"] for e in identifiers]
    for column in sorted({c for c in id_columns if id_columns.count(c) > 1}):
        problems.append(f"identifiers: column {column!r} is declared more than once")
    for column in sorted(set(id_columns) & {e["column"] for e in attributes}):
        problems.append(
            f"attributes: column {column!r} is an identifier and cannot be kept as an attribute"
        )
    names = [str(e.get("as") or e["column"]) for e in attributes]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"attributes: output name {name!r} is used more than once")
    for name in sorted(set(names)):
        if name.startswith("token_"):
            problems.append(f"attributes: output name {name!r} is reserved for token columns")
        elif not OUTPUT_NAME.fullmatch(name):
            problems.append(f"attributes: output name {name!r} is not a plain column name")
    return problems


def _folding_problems(identifiers: list[dict[str, Any]]) -> list[str]:
    """A folded raw column beside unfolded hashes of the same family gives one person
    two tokens (``a.b@gmail.com`` folds, its hash cannot): refused."""
    folding = [e["column"] for e in identifiers if e.get("type") == "email" and e.get("fold_gmail")]
    unfolded = [
        e["column"]
        for e in identifiers
        if e.get("type") == "email_sha256" and not e.get("folded") and not e.get("fold_gmail")
    ]
    if folding and unfolded:
        return [
            f"identifiers: column {folding[0]!r} folds Gmail addresses but the hashes in "
            f"{unfolded[0]!r} cannot be folded, so one person would get two tokens; set "
            "'fold_gmail: false', or declare 'folded: true' if the hashes were made of "
            "folded addresses"
        ]
    return []


def kind_problems(mapping: Mapping, kind: DatasetKind | None) -> list[str]:
    """Differences between the mapping's output and the wire schema of ``kind``."""
    needs_tokens = kind is None or SCHEMAS[kind].needs_tokens
    if needs_tokens and not mapping.identifiers:
        return ["identifiers: declare at least one identifier column"]
    if not needs_tokens and mapping.identifiers:
        return [f"kind '{kind}' carries no identifiers: remove the identifiers section"]
    if kind is None:
        return []
    schema = SCHEMAS[kind]
    produced = {a.name: a.arrow_type() for a in mapping.attributes}
    problems = []
    for name, wanted in {**schema.required, **schema.optional}.items():
        if name in schema.required and name not in produced:
            problems.append(f"kind {kind.value!r} needs an attribute named {name!r}")
        elif name in produced and produced[name] != wanted:
            problems.append(f"kind {kind.value!r}: attribute {name!r} must be {_declared(wanted)}")
    return problems


def _declared(arrow_type: pa.DataType) -> str:
    names = {"string": "string", "int64": "int or timestamp", "double": "float", "bool": "bool"}
    return names.get(str(arrow_type), str(arrow_type))
