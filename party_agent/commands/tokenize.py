"""``party-agent tokenize``: the command-line edge of :mod:`party_agent.pipeline`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from party_agent.cli_support import HomeOption
from party_agent.errors import ConfigError
from protocols import DatasetKind

# pyarrow, phonenumbers and cryptography load when the command runs, not for ``--help``.
if TYPE_CHECKING:
    from party_agent.home import PartyHome
    from party_agent.reading import Format
    from protocols import MatchKey, TokenMaker

DEFAULT_BATCH_SIZE = 262_144
_FORMATS: dict[str, Format] = {"csv": "csv", "parquet": "parquet", "jsonl": "jsonl"}


def tokenize_command(
    home: HomeOption,
    mapping: Annotated[
        Path, typer.Option("--mapping", help="Mapping YAML: identifiers and attributes.")
    ],
    input_path: Annotated[
        Path, typer.Option("--in", help="Input file: CSV (optionally .gz), Parquet or JSONL.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output Parquet file (replaced atomically).")],
    match_key_file: Annotated[
        Path | None,
        typer.Option("--match-key-file", help="Offline: a 64-hex-digit shared-secret file."),
    ] = None,
    collaboration: Annotated[
        str | None,
        typer.Option("--collaboration", help="Collaboration id (default: from party.json)."),
    ] = None,
    kind: Annotated[
        DatasetKind | None,
        typer.Option("--kind", help="Check the output against this dataset kind's schema."),
    ] = None,
    input_format: Annotated[
        str | None, typer.Option("--format", help="csv, parquet or jsonl (default: by name).")
    ] = None,
    delimiter: Annotated[
        str | None, typer.Option("--delimiter", help="CSV delimiter (default: sniffed).")
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Rows per batch (bounds memory).")
    ] = DEFAULT_BATCH_SIZE,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no summary.")] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print only the summary, as JSON.")
    ] = False,
    protocol: Annotated[
        str | None,
        typer.Option(
            "--protocol",
            help="v1 (HMAC under the match key) or v2 (blinded with this party's scalar); "
            "default: v1 with a match key, else the collaboration policy's.",
        ),
    ] = None,
) -> None:
    """Turn identifiers into tokens and keep only the declared attributes."""
    from party_agent.home import PartyHome
    from party_agent.mapping import load_mapping
    from party_agent.pipeline import TokenizeJob, run_tokenize
    from party_agent.progress import BarProgress, NoProgress, wants_bar
    from party_agent.reading import open_input
    from protocols import Tokenizer

    party = PartyHome.open(home)
    collaboration_id = _collaboration(party, collaboration)
    chosen = choose_protocol(party, collaboration_id, protocol, match_key_file)
    match_key = None if chosen == "v2" else _match_key(party, match_key_file, collaboration_id)
    source = open_input(input_path, _format(input_format), _delimiter(delimiter))
    _check_output(input_path, out)
    spec = load_mapping(mapping, source.header, kind)
    tokenizer: TokenMaker
    if match_key is None:
        from party_agent.scalars import load_scalars
        from protocols import Blinder

        tokenizer = Blinder(load_scalars(party, collaboration_id, spec.families), collaboration_id)
    else:
        tokenizer = Tokenizer(match_key, collaboration_id)
    job = TokenizeJob(spec, tokenizer, source, out, batch_size)
    if wants_bar(quiet, json_output):
        with BarProgress(source.size) as bar:
            summary = run_tokenize(job, bar)
    else:
        summary = run_tokenize(job, NoProgress())
    if json_output:
        typer.echo(summary.to_json())
    elif not quiet:
        typer.echo(f"wrote {out}")
        typer.echo(summary.to_text())


def choose_protocol(
    party: PartyHome, collaboration: str, given: str | None, key_file: Path | None
) -> str:
    """``--protocol`` if given; v1 with a match key (file or stored); else the effective
    policy's protocol, asked of the joined server (v1 when the home joined none)."""
    if given is not None:
        if given not in ("v1", "v2"):
            raise ConfigError(f"unknown --protocol {given!r}; use v1 or v2")
        if given == "v2" and key_file is not None:
            raise ConfigError("--match-key-file is for protocol v1; v2 uses this party's scalars")
        return given
    if key_file is not None or party.has_match_key(collaboration):
        return "v1"
    if not (party.server and party.token and party.collaboration == collaboration):
        return "v1"
    from party_agent.commands.collaboration import connect
    from policies import policy_from_yaml

    client, _ = connect(party)
    with client:
        text = client.policy(collaboration, "current")["text"]
    return str(policy_from_yaml(text).protocol)


def _collaboration(party: PartyHome, given: str | None) -> str:
    collaboration = given or party.collaboration
    if collaboration is None:
        raise ConfigError("no collaboration: pass --collaboration or run 'party-agent join'")
    from party_agent.home import check_collaboration_id

    return check_collaboration_id(collaboration)


def _match_key(party: PartyHome, key_file: Path | None, collaboration: str) -> MatchKey:
    from party_agent.home import read_match_key_file

    if key_file is not None:
        return read_match_key_file(key_file)
    return party.match_key(collaboration)


def _format(name: str | None) -> Format | None:
    if name is None:
        return None
    if name not in _FORMATS:
        raise ConfigError(f"unknown --format {name!r}; use csv, parquet or jsonl")
    return _FORMATS[name]


def _delimiter(given: str | None) -> str | None:
    if given is None:
        return None
    text = "\t" if given in ("\\t", "tab") else given
    if len(text) != 1:
        raise ConfigError("--delimiter is one character (use '\\t' or 'tab' for a tab)")
    return text


def _check_output(input_path: Path, out: Path) -> None:
    if not out.parent.is_dir():
        raise ConfigError(f"output directory {out.parent} does not exist")
    if out.exists() and out.resolve() == input_path.resolve():
        raise ConfigError("--out must not be the input file")
