"""A stored result as the reports read it: the server's reply (``party-agent result ID
--json``, ``GET /results/{id}``) turned into typed rows of :class:`Number`.

A released number is ``[value, low, high]`` (its 95% interval) in the reply; a suppressed
row has no numbers at all. Any template reads the same way, so a report can show results
of templates it has no special section for. The demo attaches the synthetic world's
truth (``truth``: values by row key).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reports.errors import ReportError
from reports.number import Number

Truth = Mapping[tuple[str, ...], Mapping[str, float | None]]


@dataclass(frozen=True)
class Row:
    key: tuple[str, ...]
    suppressed: bool
    remainder: bool
    numbers: dict[str, Number]
    derived: bool = False  # computed from the released rows (the demo's pooled row)

    @property
    def campaign_row(self) -> bool:
        """A released group of its own: not the remainder, not a derived row."""
        return not (self.suppressed or self.remainder or self.derived)

    @property
    def label(self) -> str:
        return "(remainder)" if self.remainder else " / ".join(self.key)


@dataclass(frozen=True)
class Mechanism:
    """One noised statistic: its sensitivity (what one person can change, under the
    policy's contribution bounds), its epsilon and its noise scale (the discrete Laplace
    scale, or the discrete Gaussian's standard deviation)."""

    statistic: str
    mechanism: str
    sensitivity: float
    epsilon: str
    scale: float


@dataclass(frozen=True)
class Released:
    """One query's released result, row by row (with the truth attached in the demo)."""

    template: str
    result_id: str
    requested_by: str
    epsilon: str
    k: int
    digest: str
    key_columns: tuple[str, ...]
    value_columns: tuple[str, ...]
    rows: tuple[Row, ...]
    rows_suppressed: int
    mechanisms: tuple[Mechanism, ...] = ()
    parameters: Mapping[str, Any] | None = None
    created_at: str = ""
    policy_hash: str = ""

    @property
    def released_rows(self) -> tuple[Row, ...]:
        return tuple(row for row in self.rows if not row.suppressed)

    def to_json(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "result_id": self.result_id,
            "requested_by": self.requested_by,
            "epsilon": self.epsilon,
            "k": self.k,
            "digest": self.digest,
            "key_columns": list(self.key_columns),
            "value_columns": list(self.value_columns),
            "rows_suppressed": self.rows_suppressed,
            "rows": [
                {
                    "key": list(row.key),
                    "suppressed": row.suppressed,
                    "remainder": row.remainder,
                    "values": {name: n.to_json() for name, n in row.numbers.items()},
                }
                for row in self.rows
            ],
        }


def _mechanisms(body: Mapping[str, Any]) -> tuple[Mechanism, ...]:
    return tuple(
        Mechanism(
            str(m["statistic"]),
            str(m.get("mechanism", "")),
            float(m["sensitivity"]),
            str(m["epsilon"]),
            float(m["scale"]),
        )
        for m in body.get("mechanisms", ())
    )


def read_result(reply: Mapping[str, Any], truth: Truth | None = None) -> Released:
    """Read a stored result reply; ``truth`` pairs rows with known true values (demo)."""
    body = reply.get("result")
    if not isinstance(body, Mapping) or "rows" not in body or "id" not in reply:
        raise ReportError("not a clean-room result reply: no `id` or `result.rows`")
    value_columns = tuple(body["value_columns"])
    rows = []
    for row in body["rows"]:
        key = tuple("" if k is None else str(k) for k in row["key"])
        known = {} if row["remainder"] or truth is None else truth.get(key, {})
        numbers = {
            name: Number.from_triple(row["values"].get(name), known.get(name))
            for name in value_columns
        }
        rows.append(Row(key, bool(row["suppressed"]), bool(row["remainder"]), numbers))
    return Released(
        template=str(reply["template"]),
        result_id=str(reply["id"]),
        requested_by=str(reply.get("requested_by", "")).split(":")[0],
        epsilon=str(reply["epsilon"]),
        k=int(body["k"]),
        digest=str(reply.get("digest", "")),
        key_columns=tuple(body["key_columns"]),
        value_columns=value_columns,
        rows=tuple(rows),
        rows_suppressed=int(body["rows_suppressed"]),
        mechanisms=_mechanisms(body),
        parameters=body.get("parameters"),
        created_at=str(reply.get("created_at", "")),
        policy_hash=str(reply.get("policy_hash", "")),
    )
