"""Query results for notebooks and BI tools: run queries, fetch results, get DataFrames.

    from party_agent.client import CleanRoomClient
    from party_agent import results

    with CleanRoomClient(url, token) as client:
        reply = results.query(client, collab, "conversions", exposures="exp",
                              purchases="pur", window="7d", by="channel")
        frame = results.to_dataframe(reply)       # one row per group
        results.export(reply, "conversions.parquet")

Attribution models side by side (one query, one epsilon covering every model):
``results.query(client, collab, "conversions", ..., attribution=["last_touch",
"linear", "position_based"])`` gives a frame with ``exposed_users`` and, per model,
``<model>.credited_conversions``, ``<model>.credited_revenue`` and ``<model>.roas``.

Or from a joined party home: ``results.query_frame(home, "overlap", exposures=...,
purchases=...)``. A frame has the key columns, then for every released number three
columns, ``NAME``, ``NAME_low`` and ``NAME_high`` (its 95% interval), then ``suppressed``
(the group's noisy user count was below ``k``: every number is withheld) and
``remainder`` (the row folding suppressed groups together). Withheld numbers are NaN;
an interval end the server sends as ``null`` is unbounded (``inf``). Values are
unclamped, unbiased estimates: noise can make a count or a rate negative.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from party_agent.client import CleanRoomClient, Json
from party_agent.errors import ConfigError, InputError

TEMPLATES = ("overlap", "conversions", "lift", "reach_frequency", "time_to_conversion", "funnel")


def _items(value: str | list[Any] | tuple[Any, ...]) -> list[str]:
    """``"1,2,3"`` or a sequence -> a list of text items (the server checks them)."""
    parts = value.split(",") if isinstance(value, str) else list(value)
    return [str(part).strip() for part in parts if str(part).strip()]


def _whole_numbers(value: str | list[Any] | tuple[Any, ...], name: str) -> list[int]:
    items = _items(value)
    if not all(item.isdigit() for item in items):
        raise ConfigError(f"{name} must be whole numbers separated by commas, got {value!r}")
    return [int(item) for item in items]


def _bucket_body(
    frequency_buckets: str | list[Any] | tuple[Any, ...] | None,
    frequency_cap: int | None,
    delay_buckets: str | list[Any] | tuple[Any, ...] | None,
    horizon: str | None,
) -> dict[str, Any]:
    """The closed-loop templates' bucket parameters, as the server takes them."""
    body: dict[str, Any] = {}
    if frequency_buckets is not None:
        body["frequency_buckets"] = _whole_numbers(frequency_buckets, "frequency buckets")
    if frequency_cap is not None:
        body["frequency_cap"] = frequency_cap
    if delay_buckets is not None:
        body["delay_buckets"] = _items(delay_buckets)
    if horizon is not None:
        body["horizon"] = horizon
    return body


def _base(collaboration: str) -> str:
    return f"/v1/collaborations/{collaboration}"


def query(
    client: CleanRoomClient,
    collaboration: str,
    template: str,
    *,
    exposures: str,
    purchases: str,
    spend: str | None = None,
    join: str = "email",
    window: str | None = None,
    by: str | None = None,
    attribution: str | Sequence[str] = "last_touch",
    epsilon: str | None = None,
    receiver: str | None = None,
    remainder: bool = False,
    position_weights: Sequence[str | float] | None = None,
    half_life: str | None = None,
    frequency_buckets: str | list[Any] | tuple[Any, ...] | None = None,
    frequency_cap: int | None = None,
    delay_buckets: str | list[Any] | tuple[Any, ...] | None = None,
    horizon: str | None = None,
) -> Json:
    """Run one query (or get the stored identical one, free); returns the server's reply.

    ``attribution`` (conversions): one model, or a list of models compared side by side
    in one query (one column set per model); ``position_weights`` ([first, last]) for
    ``position_based``, ``half_life`` (e.g. ``"3d"``) for ``time_decay``. The closed-loop
    templates take their buckets as lists or comma-separated text:
    ``frequency_buckets="1,2,3,6,11"`` and ``frequency_cap`` (``reach_frequency``),
    ``delay_buckets="1h,1d,3d,7d"`` (``time_to_conversion``), ``horizon="30d"``
    (``funnel``); left out, the server's defaults apply."""
    if template not in TEMPLATES:
        raise ConfigError(f"unknown template {template!r}; choose from {', '.join(TEMPLATES)}")
    body: dict[str, Any] = {
        "template": template,
        "exposures": exposures,
        "purchases": purchases,
        "join": join,
        "attribution": attribution if isinstance(attribution, str) else list(attribution),
        "remainder": remainder,
    }
    optional: dict[str, Any] = {"spend": spend, "window": window, "by": by, "epsilon": epsilon}
    optional["position_weights"] = None if position_weights is None else list(position_weights)
    optional["half_life"] = half_life
    optional["receiver"] = receiver
    body.update({name: value for name, value in optional.items() if value is not None})
    body.update(_bucket_body(frequency_buckets, frequency_cap, delay_buckets, horizon))
    reply: Json = client.request("POST", f"{_base(collaboration)}/queries", json=body)
    return reply


def get_result(client: CleanRoomClient, collaboration: str, result_id: str) -> Json:
    reply: Json = client.request("GET", f"{_base(collaboration)}/results/{result_id}")
    return reply


def list_results(client: CleanRoomClient, collaboration: str) -> list[Json]:
    reply: list[Json] = client.request("GET", f"{_base(collaboration)}/results")
    return reply


def budget(client: CleanRoomClient, collaboration: str) -> Json:
    reply: Json = client.request("GET", f"{_base(collaboration)}/budget")
    return reply


def _inner(result: Mapping[str, Any]) -> Mapping[str, Any]:
    """Accept the API reply (``{"result": {...}, ...}``) or the bare result."""
    inner = result.get("result", result)
    if not isinstance(inner, Mapping) or "rows" not in inner:
        raise InputError("not a clean-room result: no `rows`")
    return inner


def _triple(estimate: list[float | None] | None) -> tuple[float | None, float, float]:
    """``(value, low, high)``; a ``null`` end of an interval is unbounded (-inf / inf)."""
    if estimate is None:
        return None, math.nan, math.nan
    value, low, high = estimate
    return (
        value,
        -math.inf if low is None else float(low),
        math.inf if high is None else float(high),
    )


def to_dataframe(result: Mapping[str, Any]) -> pd.DataFrame:
    """One row per released group; see the module docstring for the columns."""
    inner = _inner(result)
    keys, values = list(inner["key_columns"]), list(inner["value_columns"])
    records = []
    for row in inner["rows"]:
        record: dict[str, Any] = dict(zip(keys, row["key"], strict=True))
        for name in values:
            estimate = row["values"].get(name)
            record[name], record[f"{name}_low"], record[f"{name}_high"] = _triple(estimate)
        record["suppressed"], record["remainder"] = bool(row["suppressed"]), bool(row["remainder"])
        records.append(record)
    columns = [*keys, *(f"{n}{s}" for n in values for s in ("", "_low", "_high"))]
    frame = pd.DataFrame.from_records(records, columns=[*columns, "suppressed", "remainder"])
    numbers = [c for c in columns if c not in keys]
    frame[numbers] = frame[numbers].astype("float64")
    return frame


def export(result: Mapping[str, Any], path: Path | str) -> Path:
    """Write the result table as ``.csv`` or ``.parquet`` (chosen by the suffix)."""
    path = Path(path)
    frame = to_dataframe(result)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        raise ConfigError(f"--out must end in .csv or .parquet, got {path.name!r}")
    return path


def query_frame(home: Path | str, template: str, **params: Any) -> pd.DataFrame:
    """Run a query with a joined party home's server and token; return its DataFrame."""
    from party_agent.commands.collaboration import connect
    from party_agent.home import PartyHome

    client, collaboration = connect(PartyHome.open(home))
    with client:
        return to_dataframe(query(client, collaboration, template, **params))
