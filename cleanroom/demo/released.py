"""Released results next to the truth: the one shape the tables, the HTML report and the
JSON document all read.

A released number is ``[value, low, high]`` (its 95% interval) in the server's reply; a
suppressed row has no numbers at all. The truth comes from :mod:`cleanroom.demo.truth`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cleanroom.charts import Number
from cleanroom.demo.truth import Table


@dataclass(frozen=True)
class Row:
    key: tuple[str, ...]
    suppressed: bool
    remainder: bool
    numbers: dict[str, Number]

    @property
    def label(self) -> str:
        return "(remainder)" if self.remainder else " / ".join(self.key)


@dataclass(frozen=True)
class Released:
    """One query's released result, row by row, with the truth attached."""

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


def attach_truth(reply: dict[str, Any], truth: Table) -> Released:
    """Read a query reply (``party-agent query ... --json``) and pair it with ``truth``."""
    result = reply["result"]
    value_columns = tuple(result["value_columns"])
    rows = []
    for row in result["rows"]:
        key = tuple("" if k is None else str(k) for k in row["key"])
        true_values = {} if row["remainder"] else truth.get(key, {})
        numbers = {
            name: Number.from_triple(row["values"].get(name), true_values.get(name))
            for name in value_columns
        }
        rows.append(Row(key, bool(row["suppressed"]), bool(row["remainder"]), numbers))
    return Released(
        template=reply["template"],
        result_id=reply["id"],
        requested_by=str(reply.get("requested_by", "")).split(":")[0],
        epsilon=str(reply["epsilon"]),
        k=int(result["k"]),
        digest=reply["digest"],
        key_columns=tuple(result["key_columns"]),
        value_columns=value_columns,
        rows=tuple(rows),
        rows_suppressed=int(result["rows_suppressed"]),
    )
