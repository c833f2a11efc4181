"""One demo run from start to finish: the synthetic world, the closed loop against a real
server, the audit, the truth next to every released number, the reports.

Progress goes to the console it is given (stderr); the caller prints the results.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from cleanroom.demo import synthetic, truth, truth_loop
from cleanroom.demo.audit_steps import AuditOutcome, run_audit
from cleanroom.demo.console_access import CONSOLE_PATH, sign_in_tokens
from cleanroom.demo.flow import LoopOutcome, run_loop
from cleanroom.demo.mappings import (
    BRAND_MAPPING,
    RETAILER_MAPPING,
    spend_to_parquet,
    write_mapping,
)
from cleanroom.demo.policy_file import NAME as POLICY_NAME
from cleanroom.demo.pooling import pooled_lift
from cleanroom.demo.released import Released, attach_truth
from cleanroom.demo.results_report import DemoReport, demo_plan, write_results_report
from cleanroom.demo.runner import Ran, Runner
from cleanroom.demo.steps import COLLABORATION_NAME, COMPARED, HALF_LIFE, WINDOW
from cleanroom.demo.workdir import Layout, prepare
from reports import Number
from reports.plan_view import plan_json

WINDOW_SECONDS = 7 * 86_400
HALF_LIFE_S = 3 * 86_400
assert HALF_LIFE == "3d"  # noqa: S101 - the truth's half-life is the query's
NOTE = (
    "True values count people in the synthetic world. Released numbers differ from them "
    "by the differential-privacy noise (which the 95% interval covers, with sampling for "
    "rates: by design about 1 interval in 20 misses the true value, so with 20 campaigns "
    "expect about one miss per column), and also by two things no interval covers: the "
    "policy's contribution bounds "
    "(amounts capped, purchases and campaigns per person limited) and identifiers lost to "
    "invalid values (a person whose only email was unreadable cannot be matched)."
)
POOLING_NOTE = (
    "The pooled row is the mean of the released per-campaign numbers: post-processing, "
    "so it costs no privacy budget. Its interval treats the campaigns as independent "
    "(approximate: a person seen in two campaigns counts in both)."
)


@dataclass(frozen=True)
class DemoRun:
    """A finished run: the JSON document and the pieces the tables print."""

    document: dict[str, Any]
    results: dict[str, Released]
    pooled: dict[str, Number]
    audit: AuditOutcome
    reports: dict[str, str | None]
    layout: Layout
    tokens: dict[str, str]  # API tokens by member, and the admin's


@dataclass(frozen=True)
class DemoOptions:
    workdir: Path
    seed: int
    rows: int | None
    as_json: bool
    protocol: str = "v1"


def spec_for(rows: int | None, seed: int) -> synthetic.DemoSpec:
    """``--rows`` is the approximate size of the brand's exposure file; people follow."""
    default = synthetic.DemoSpec(seed=seed)
    if rows is None:
        return default
    per_person = default.brand_reach * 3  # 1 to 5 exposures each, 3 on average
    return synthetic.DemoSpec(people=max(200, round(rows / per_person)), seed=seed)


def _progress(console: Console) -> tuple[Any, Any]:
    def announce(phase: str) -> None:
        console.print(f"[bold]{phase}[/bold]")

    def done(ran: Ran) -> None:
        console.print(
            f"  [dim]{ran.command.actor:<9}[/dim] {ran.shown} [dim]({ran.seconds:.1f} s)[/dim]",
            highlight=False,
            soft_wrap=True,
        )

    return announce, done


def run_demo(options: DemoOptions, console: Console) -> DemoRun:
    """Run everything: data, server, parties, queries, audit, truth, reports."""
    started = time.perf_counter()
    layout = prepare(options.workdir)
    announce, done = _progress(console)
    spec = spec_for(options.rows, options.seed)
    announce(f"generate the synthetic world: {spec.people:,} people, seed {spec.seed}")
    tick = time.perf_counter()
    files = _write_inputs(layout, spec)
    timings = {"generate the synthetic world": round(time.perf_counter() - tick, 2)}
    runner = Runner(layout, done)
    loop = run_loop(layout, runner, announce, "spend.parquet", options.protocol)
    timings.update(loop.timings)
    announce("audit: export, verify, compliance report")
    tick = time.perf_counter()
    audit = run_audit(runner, layout, loop.collaboration)
    timings["audit"] = round(time.perf_counter() - tick, 2)
    announce("compare with the truth; write the results report")
    tick = time.perf_counter()
    results = compare(loop.replies, files)
    pooled = pooled_lift(results["lift"].rows)
    collaboration = f"{COLLABORATION_NAME} ({loop.collaboration})"
    policy_text = (layout.admin / "policy.yaml").read_text(encoding="utf-8")
    report = DemoReport(collaboration, _now(), (NOTE, POOLING_NOTE), policy_text)
    plan = demo_plan(results["conversions"])
    html_path = write_results_report(layout.reports / "results.html", results, pooled, report, plan)
    timings["truth and results report"] = round(time.perf_counter() - tick, 2)
    timings["total"] = round(time.perf_counter() - started, 2)
    reports = {
        "results report": str(html_path),
        "compliance report": audit.compliance_report,
        "audit log": audit.log,
    }
    document = _document(layout, spec, loop, results, pooled, audit, reports, runner, timings)
    document["plan"] = None if plan is None else plan_json(plan)
    (layout.reports / "results.json").write_text(json.dumps(document, indent=2), "utf-8")
    return DemoRun(document, results, pooled, audit, reports, layout, loop.tokens)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _write_inputs(layout: Layout, spec: synthetic.DemoSpec) -> synthetic.DemoFiles:
    """The parties' raw files, their mappings, the spend Parquet and the truth files."""
    files = synthetic.generate(spec, layout.brand, layout.retailer, layout.truth)
    write_mapping(layout.brand / "exposures.mapping.yaml", BRAND_MAPPING)
    write_mapping(layout.retailer / "purchases.mapping.yaml", RETAILER_MAPPING)
    spend_to_parquet(files.spend, layout.brand / "spend.parquet")
    return files


def compare(replies: dict[str, dict[str, Any]], files: synthetic.DemoFiles) -> dict[str, Released]:
    """Each query's released numbers paired with the true values of the synthetic world."""
    world = truth.World.load(files.truth_exposures, files.truth_purchases, files.spend)
    tables = {
        "overlap": truth.overlap(world),
        "conversions": truth.conversions(world, WINDOW_SECONDS),
        "lift": truth.lift(world, WINDOW_SECONDS),
        "attribution": truth_loop.attribution(world, WINDOW_SECONDS, COMPARED, HALF_LIFE_S),
        "reach_frequency": truth_loop.reach_frequency(world, WINDOW_SECONDS),
        "time_to_conversion": truth_loop.time_to_conversion(world, WINDOW_SECONDS),
        "funnel": truth_loop.funnel(world, WINDOW_SECONDS),
    }
    return {name: attach_truth(replies[name], table) for name, table in tables.items()}


def _document(
    layout: Layout,
    spec: synthetic.DemoSpec,
    loop: LoopOutcome,
    results: dict[str, Released],
    pooled: dict[str, Number],
    audit: AuditOutcome,
    reports: dict[str, str | None],
    runner: Runner,
    timings: dict[str, float],
) -> dict[str, Any]:
    released = {name: r.to_json() for name, r in results.items()}
    released["lift"]["pooled"] = {name: n.to_json() for name, n in pooled.items()}
    return {
        "workdir": str(layout.root),
        "layout": {
            name: str(getattr(layout, name))
            for name in ("brand", "retailer", "server", "admin", "truth", "reports", "logs")
        },
        "world": {"people": spec.people, "seed": spec.seed, "campaigns": spec.campaigns},
        "server": {"url": loop.server_url, "stopped": loop.server_stopped},
        "console": {"path": CONSOLE_PATH, "sign_in": sign_in_tokens(loop.tokens)},
        "collaboration": loop.collaboration,
        "policy": POLICY_NAME,
        "window": WINDOW,
        "attribution": "last_touch",
        "compared": list(COMPARED),
        "half_life": HALF_LIFE,
        "tokenized": loop.tokenized,
        "results": released,
        "notes": {"truth": NOTE, "pooled": POOLING_NOTE},
        "audit": audit.to_json(),
        "reports": {
            "results": reports["results report"],
            "compliance": reports["compliance report"],
            "audit_log": reports["audit log"],
        },
        "commands": [
            {
                "actor": r.command.actor,
                "step": r.command.label,
                "command": r.shown,
                "seconds": round(r.seconds, 2),
            }
            for r in runner.ran
        ],
        "timings": timings,
    }
