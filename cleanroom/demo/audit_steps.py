"""The auditor's part: export the collaboration's audit log, verify it offline with only
the server's public key, and write the compliance report, each with ``cleanroom audit``.

These commands read the server's data dir directly, so they run after the server has
stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cleanroom.demo.errors import DemoError
from cleanroom.demo.runner import Command, Runner
from cleanroom.demo.workdir import Layout


@dataclass(frozen=True)
class AuditOutcome:
    available: bool
    verified: bool | None
    summary: str
    log: str | None = None
    public_key: str | None = None
    compliance_report: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "available": self.available,
            "verified": self.verified,
            "summary": self.summary,
            "log": self.log,
            "public_key": self.public_key,
            "compliance_report": self.compliance_report,
        }


def run_audit(runner: Runner, layout: Layout, collaboration: str) -> AuditOutcome:
    log = layout.reports / "audit-log.jsonl"
    public_key = layout.server / "keys" / "server-ed25519.pub.pem"
    report = layout.reports / "compliance.html"
    data = ("--data-dir", str(layout.server), "--collaboration", collaboration)
    runner.run(
        Command(
            "auditor",
            "export the audit log",
            "cleanroom",
            ("audit", "export", *data, "--out", str(log)),
        )
    )
    if not public_key.is_file():
        raise DemoError(f"the server's public key is not at {layout.relative(public_key)}")
    verify = Command(
        "auditor",
        "verify the audit log",
        "cleanroom",
        ("audit", "verify", str(log), "--public-key", str(public_key)),
    )
    write = Command(
        "auditor",
        "write the compliance report",
        "cleanroom",
        ("audit", "report", *data, "--out", str(report)),
    )
    checked, _ = runner.run_all([verify, write])
    summary = checked.stdout.strip().splitlines()[-1] if checked.stdout.strip() else ""
    return AuditOutcome(
        True,
        summary.startswith("OK"),
        summary,
        log=str(log),
        public_key=str(public_key),
        compliance_report=str(report),
    )
