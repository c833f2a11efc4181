"""Stored-result replies for the reports' tests, shaped as the server returns them."""

from __future__ import annotations

from typing import Any

from reports import Released, read_result


def reply(
    template: str,
    columns: list[str],
    rows: list[dict[str, Any]],
    keys: tuple[str, ...] = ("campaign",),
    result_id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": result_id or f"res_{template}",
        "template": template,
        "requested_by": "brand:mem_1",
        "epsilon": "1/2",
        "digest": "ab" * 32,
        "policy_hash": "cd" * 32,
        "result": {
            "key_columns": list(keys),
            "value_columns": columns,
            "k": 10,
            "rows_suppressed": sum(1 for row in rows if row["suppressed"]),
            "rows": rows,
            "parameters": {"attribution": "last_touch"},
            "mechanisms": [
                {
                    "statistic": "revenue_cents",
                    "mechanism": "discrete_laplace",
                    "sensitivity": 1000,
                    "epsilon": "1/4",
                    "scale": 4000.0,
                    "accounted_epsilon": "1/4",
                }
            ],
        },
    }


def row(key: str | list[str], values: dict[str, Any] | None) -> dict[str, Any]:
    keys = [key] if isinstance(key, str) else key
    return {"key": keys, "values": values or {}, "suppressed": values is None, "remainder": False}


def roas_row(campaign: str, revenue: float, spend: float, half: float) -> dict[str, Any]:
    """A conversions row: revenue +/- ``half`` and ROAS = revenue / spend, as released."""
    low, high = revenue - half, revenue + half
    return row(
        campaign,
        {
            "revenue": [revenue, low, high],
            "roas": [revenue / spend, low / spend, high / spend],
        },
    )


def conversions(*rows: dict[str, Any], result_id: str = "res_conv") -> Released:
    return read_result(reply("conversions", ["revenue", "roas"], list(rows), result_id=result_id))


def iroas_row(campaign: str, spend: float, iroas: float, half: float) -> dict[str, Any]:
    """A lift row once lift releases revenue per arm: incremental ROAS and spend."""
    return row(
        campaign,
        {
            "absolute_lift": [0.01, -0.01, 0.03],
            "spend": [spend, spend, spend],
            "incremental_roas": [iroas, iroas - half, iroas + half],
        },
    )


def lift(*rows: dict[str, Any]) -> Released:
    columns = ["absolute_lift", "spend", "incremental_roas"]
    return read_result(reply("lift", columns, list(rows), result_id="res_lift"))
