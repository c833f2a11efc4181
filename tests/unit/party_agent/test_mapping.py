"""Mapping validation: every problem found at once, each with an exact message."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from party_agent.errors import MappingError
from party_agent.mapping import load_mapping
from protocols import DatasetKind, IdType

HEADER = ["email", "email_hash", "phone", "order_total", "order_time", "store", "notes"]
VALID = """
identifiers:
  - {column: email, type: email, fold_gmail: true}
  - {column: email_hash, type: email_sha256, folded: true}
  - {column: phone, type: phone, region: US}
attributes:
  - {column: order_total, type: float, as: amount}
  - {column: order_time, type: timestamp, as: purchase_time, timezone: Europe/Berlin}
  - {column: store, type: string, as: store_region}
"""


def _load(tmp_path: Path, text: str, kind: DatasetKind | None = None) -> object:
    path = tmp_path / "mapping.yaml"
    path.write_text(text)
    return load_mapping(path, HEADER, kind)


def _problems(tmp_path: Path, text: str, kind: DatasetKind | None = None) -> tuple[str, ...]:
    with pytest.raises(MappingError) as caught:
        _load(tmp_path, text, kind)
    assert caught.value.exit_code == 2
    return caught.value.problems


def test_a_valid_mapping_loads(tmp_path: Path) -> None:
    mapping = _load(tmp_path, VALID, DatasetKind.PURCHASES)
    assert mapping.families == ["email", "phone"]  # type: ignore[attr-defined]
    assert mapping.input_columns == [  # type: ignore[attr-defined]
        "email",
        "email_hash",
        "phone",
        "order_total",
        "order_time",
        "store",
    ]
    assert [a.name for a in mapping.attributes] == ["amount", "purchase_time", "store_region"]  # type: ignore[attr-defined]
    assert mapping.identifiers[2].type is IdType.PHONE  # type: ignore[attr-defined]
    assert mapping.attributes[1].arrow_type() == pa.int64()  # type: ignore[attr-defined]


ONE_ERROR = [
    (
        "identifiers: [{column: nope, type: email}]",
        "identifiers: column 'nope' is not in the input",
    ),
    (
        "identifiers: [{column: email, type: mail}]",
        "identifiers[0] (column 'email') type: Input should be 'email', 'phone', 'maid', "
        "'customer_id', 'email_sha256' or 'phone_sha256'",
    ),
    (
        "identifiers: [{column: phone, type: phone}]",
        "identifiers[0] (column 'phone'): a phone column needs a region "
        "(ISO 3166 code such as 'US'), regions (a list tried in order) or country_column",
    ),
    (
        "identifiers: [{column: phone, type: phone, region: XX}]",
        "identifiers[0] (column 'phone'): unknown phone region 'XX'; use a code like 'US'",
    ),
    (
        "identifiers: [{column: email, type: email, region: US}]",
        "identifiers[0] (column 'email'): "
        "region, regions and country_column apply to phone columns only",
    ),
    (
        "identifiers: [{column: phone, type: phone, region: US, fold_gmail: true}]",
        "identifiers[0] (column 'phone'): fold_gmail applies to email columns only",
    ),
    ("identifiers: []", "identifiers: declare at least one identifier column"),
    ("attributes: []", "identifiers: declare at least one identifier column"),
    (
        "identifiers: [{column: email, type: email}, {column: email, type: email}]",
        "identifiers: column 'email' is declared more than once",
    ),
    (
        "identifiers: [{column: email, type: email}]\nattributes: [{column: notes, type: text}]",
        "attributes[0] (column 'notes') type: Input should be 'string', 'int', 'float', "
        "'decimal', 'bool' or 'timestamp'",
    ),
    (
        "identifiers: [{column: email, type: email}]\n"
        "attributes: [{column: store, type: string}, {column: notes, type: string, as: store}]",
        "attributes: output name 'store' is used more than once",
    ),
    (
        "identifiers: [{column: email, type: email}]\nattributes: [{column: email, type: string}]",
        "attributes: column 'email' is an identifier and cannot be kept as an attribute",
    ),
    (
        "identifiers: [{column: email, type: email}]\n"
        "attributes: [{column: store, type: string, as: token_email}]",
        "attributes: output name 'token_email' is reserved for token columns",
    ),
    (
        "identifiers: [{column: email, type: email}]\n"
        "attributes: [{column: store, type: string, as: 'a b'}]",
        "attributes: output name 'a b' is not a plain column name",
    ),
    (
        "identifiers: [{column: email, type: email}]\n"
        "attributes: [{column: order_time, type: timestamp, timezone: Mars/Base}]",
        "attributes[0] (column 'order_time') timezone: unknown timezone 'Mars/Base'; "
        "use an IANA name like 'UTC'",
    ),
    (
        "identifiers: [{column: email, type: email}]\n"
        "attributes: [{column: store, type: string, format: '%Y'}]",
        "attributes[0] (column 'store'): format and timezone apply to timestamp attributes only",
    ),
    (
        "identifiers: [{column: email, type: email}]\n"
        "attributes: [{column: order_total, type: decimal, precision: 4, scale: 6}]",
        "attributes[0] (column 'order_total'): scale must not exceed precision",
    ),
    (
        "identifiers: [{column: email, type: email}]\ncolour: blue",
        "colour: Extra inputs are not permitted",
    ),
    (
        "identifiers: [{column: email, type: email}]\ninvalid_attributes: skip",
        "invalid_attributes: Input should be 'error' or 'drop'",
    ),
    ("identifiers: [{column: email, type: email}]\nversion: 2", "version: Input should be 1"),
    ("- just a list", "the file must hold a mapping with 'identifiers'"),
    ("identifiers: [unclosed", "not valid YAML at line 1"),
    (
        "identifiers: [{column: email_hash, type: email_sha256, fold_gmail: true}]",
        "identifiers[0] (column 'email_hash'): fold_gmail cannot apply to a pre-hashed "
        "column: a SHA-256 cannot be folded (fold the addresses before hashing them and "
        "declare 'folded: true')",
    ),
    (
        "identifiers: [{column: email, type: email, fold_gmail: true}, "
        "{column: email_hash, type: email_sha256}]",
        "identifiers: column 'email' folds Gmail addresses but the hashes in 'email_hash' "
        "cannot be folded, so one person would get two tokens; set 'fold_gmail: false', or "
        "declare 'folded: true' if the hashes were made of folded addresses",
    ),
    (
        "identifiers: [{column: email, type: email, folded: true}]",
        "identifiers[0] (column 'email'): folded applies to email_sha256 columns only",
    ),
    (
        "identifiers: [{column: phone, type: phone, region: US, regions: [JP]}]",
        "identifiers[0] (column 'phone'): give region or regions, not both",
    ),
    (
        "identifiers: [{column: phone, type: phone, regions: [JP, XX]}]",
        "identifiers[0] (column 'phone'): unknown phone region 'XX'; use a code like 'US'",
    ),
    (
        "identifiers: [{column: phone, type: phone, country_column: country}]",
        "identifiers: country_column 'country' is not in the input",
    ),
    (
        "identifiers: [{column: email, type: email}]\n"
        "attributes: [{column: order_total, type: float, transform: [lower]}]",
        "attributes[0] (column 'order_total'): transform and values apply to string "
        "attributes only",
    ),
    (
        "identifiers: [{column: email, type: email}]\n"
        "attributes: [{column: store, type: string, on_null: zero}]",
        "attributes[0] (column 'store'): on_null: zero applies to int, float and decimal "
        "attributes only",
    ),
    (
        "identifiers: [{column: email, type: email}]\n"
        "attributes: [{column: store, type: string, transform: [title]}]",
        "attributes[0] (column 'store') transform.0: Input should be 'trim', 'lower' or 'upper'",
    ),
]


@pytest.mark.parametrize(("text", "problem"), ONE_ERROR)
def test_each_mapping_error_has_an_exact_message(tmp_path: Path, text: str, problem: str) -> None:
    assert _problems(tmp_path, text) == (problem,)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = """
identifiers:
  - {column: phone, type: phone}
  - {column: missing, type: email}
attributes:
  - {column: store, type: money}
  - {column: gone, type: string, as: store}
"""
    problems = _problems(tmp_path, text)
    assert problems == (
        "identifiers[0] (column 'phone'): a phone column needs a region "
        "(ISO 3166 code such as 'US'), regions (a list tried in order) or country_column",
        "attributes[0] (column 'store') type: Input should be 'string', 'int', 'float', "
        "'decimal', 'bool' or 'timestamp'",
        "identifiers: column 'missing' is not in the input",
        "attributes: column 'gone' is not in the input",
        "attributes: output name 'store' is used more than once",
    )
    with pytest.raises(MappingError, match=r"mapping .*mapping\.yaml has 5 problems: "):
        _load(tmp_path, text)


def test_kind_checks_required_columns_and_types(tmp_path: Path) -> None:
    text = """
identifiers: [{column: email, type: email}]
attributes:
  - {column: order_total, type: decimal, as: amount}
"""
    assert _problems(tmp_path, text, DatasetKind.PURCHASES) == (
        "kind 'purchases' needs an attribute named 'purchase_time'",
        "kind 'purchases': attribute 'amount' must be float",
    )


def test_kind_in_the_file_is_checked_too(tmp_path: Path) -> None:
    text = "kind: exposures\nidentifiers: [{column: email, type: email}]\n"
    assert _problems(tmp_path, text) == (
        "kind 'exposures' needs an attribute named 'campaign_id'",
        "kind 'exposures' needs an attribute named 'exposure_time'",
    )


def test_spend_is_not_tokenized(tmp_path: Path) -> None:
    text = "identifiers: [{column: email, type: email}]\n"
    assert _problems(tmp_path, text, DatasetKind.SPEND) == (
        "kind 'spend' carries no identifiers: remove the identifiers section",
    )


def test_a_spend_mapping_needs_no_identifiers(tmp_path: Path) -> None:
    text = "kind: spend\nattributes:\n  - {column: store, type: string, as: campaign_id}\n"
    text += "  - {column: order_total, type: float, as: spend}\n"
    mapping = _load(tmp_path, text)
    assert mapping.families == []  # type: ignore[attr-defined]
    assert mapping.input_columns == ["store", "order_total"]  # type: ignore[attr-defined]


def test_phone_options_and_the_country_column_are_read(tmp_path: Path) -> None:
    text = "identifiers: [{column: phone, type: phone, regions: [JP, US], country_column: notes}]\n"
    mapping = _load(tmp_path, text)
    spec = mapping.identifiers[0]  # type: ignore[attr-defined]
    assert spec.regions_in_order == ("JP", "US") and spec.options.region == "JP"
    assert mapping.input_columns == ["phone", "notes"]  # type: ignore[attr-defined]
    assert mapping.timezone is None  # type: ignore[attr-defined]


def test_missing_file_is_a_mapping_error(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match=r"cannot read the file \(FileNotFoundError\)"):
        load_mapping(tmp_path / "absent.yaml", HEADER)
