"""``party-agent tokenize``: the command-line edge of :mod:`party_agent.pipeline`."""

from __future__ import annotations

import importlib.abc
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from party_agent.cli_support import HomeOption
from party_agent.errors import ConfigError
from protocols import DatasetKind

# pyarrow, phonenumbers and cryptography load when the command runs, not for ``--help``.
if TYPE_CHECKING:
    from party_agent.home import PartyHome
    from party_agent.mapping import Mapping
    from party_agent.reading import Format
    from protocols import MatchKey, TokenMaker

#: Rows per batch: every buffer in flight (read ahead, being tokenized, being written)
#: holds about one batch, so this sets the memory a run needs whatever the file size.
DEFAULT_BATCH_SIZE = 131_072
_FORMATS: dict[str, Format] = {"csv": "csv", "parquet": "parquet", "jsonl": "jsonl"}


def tokenize_command(
    home: HomeOption,
    input_path: Annotated[
        Path, typer.Option("--in", help="Input file: CSV (optionally .gz), Parquet or JSONL.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output Parquet file (replaced atomically).")],
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            help="Mapping YAML: identifiers and attributes (optional with --kind spend).",
        ),
    ] = None,
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
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="CSV text encoding, e.g. cp932 (default: UTF-8)."),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option("--timezone", help="Zone of timestamps without an offset, e.g. Asia/Tokyo."),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Treat summary warnings as errors (exit 1, no output)."),
    ] = False,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Rows per batch (bounds memory).")
    ] = DEFAULT_BATCH_SIZE,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="local (this machine) or spark (Spark at --spark-master; --out is then a "
            "directory of part files).",
        ),
    ] = "local",
    spark_master: Annotated[
        str, typer.Option("--spark-master", help="Spark master URL for --engine spark.")
    ] = "local[*]",
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
    """Turn identifiers into tokens and keep only the declared attributes.

    A spend file (--kind spend) has no identifiers: its campaign_id and spend columns
    are checked and written with the wire types, and no --mapping is needed.

    Example: party-agent tokenize --home brand/home --mapping exposures.mapping.yaml
    --in exposures.csv --out exposures.parquet
    """
    from party_agent.pipeline import TokenizeJob, run_tokenize
    from party_agent.progress import BarProgress, NoProgress, wants_bar
    from party_agent.reading import open_input

    use_spark = _engine(engine) == "spark"
    source = open_input(input_path, _format(input_format), _delimiter(delimiter), encoding)
    _check_output(input_path, out)
    spec = _mapping(mapping, source.header, kind, timezone)
    tokenizer = None
    if spec.identifiers:
        tokenizer = _tokenizer(home, match_key_file, collaboration, protocol, spec.families)
    job = TokenizeJob(spec, tokenizer, source, out, batch_size, strict)
    if use_spark:
        from party_agent.spark_tokenize import run_tokenize_spark

        summary = run_tokenize_spark(job, spark_master)
    elif wants_bar(quiet, json_output):
        _skip_pandas_probe()
        with BarProgress(source.size) as bar:
            summary = run_tokenize(job, bar)
    else:
        _skip_pandas_probe()
        summary = run_tokenize(job, NoProgress(), paced=False)
    if json_output:
        typer.echo(summary.to_json())
    elif not quiet:
        typer.echo(f"wrote {out}")
        typer.echo(summary.to_text())


class _NoPandas(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] == "pandas":
            raise ImportError("pandas is not needed to tokenize")


def _skip_pandas_probe() -> None:
    """Let pyarrow settle, without importing pandas, that no pandas object will come.

    The first ``pa.array`` of a Python or numpy value imports pandas only to check
    whether the value is a pandas object: about 0.5 CPU-s (several seconds on a busy
    machine), a sixth of tokenizing a million rows. With the import refused once,
    pyarrow notes "no pandas" and stops asking; any later explicit use of pandas
    (``to_pandas``) still imports it, as pyarrow retries then. Nothing changes if
    pandas is already loaded.
    """
    import pyarrow as pa

    if "pandas" in sys.modules:
        return
    finder = _NoPandas()
    sys.meta_path.insert(0, finder)
    try:
        pa.array([False])
    finally:
        sys.meta_path.remove(finder)


def _mapping(
    path: Path | None, header: list[str], kind: DatasetKind | None, timezone: str | None
) -> Mapping:
    from party_agent.mapping import check_timezone, load_mapping, spend_mapping

    if path is None:
        if kind is not DatasetKind.SPEND:
            raise ConfigError("give --mapping (only --kind spend has a default mapping)")
        spec = spend_mapping()
        missing = [c for c in spec.input_columns if c not in header]
        if missing:
            raise ConfigError(
                f"a spend file needs column(s) {', '.join(missing)} (or pass --mapping)"
            )
    else:
        spec = load_mapping(path, header, kind)
    if timezone is None:
        return spec
    zone = check_timezone(timezone, "--timezone")
    if spec.timezone is not None and spec.timezone != zone:
        raise ConfigError(
            f"--timezone {zone} disagrees with the mapping's timezone {spec.timezone}"
        )
    return spec.model_copy(update={"timezone": zone})


def _tokenizer(
    home: Path,
    key_file: Path | None,
    collaboration: str | None,
    protocol: str | None,
    families: list[str],
) -> TokenMaker:
    """A v1 Tokenizer under the match key, or a v2 Blinder with this party's scalars."""
    from party_agent.home import PartyHome
    from protocols import Tokenizer

    party = PartyHome.open(home)
    collaboration_id = _collaboration(party, collaboration)
    if choose_protocol(party, collaboration_id, protocol, key_file) == "v2":
        from party_agent.scalars import load_scalars
        from protocols import Blinder

        return Blinder(load_scalars(party, collaboration_id, families), collaboration_id)
    return Tokenizer(_match_key(party, key_file, collaboration_id), collaboration_id)


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
    if party.credential(collaboration) is None:
        return "v1"
    from party_agent.commands.collaboration import connect
    from policies import policy_from_yaml

    client, _ = connect(party, collaboration)
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


def _engine(name: str) -> str:
    if name not in ("local", "spark"):
        raise ConfigError(f"unknown --engine {name!r}; use local or spark")
    return name


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
