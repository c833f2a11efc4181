"""Audit log: the cost of sealing an entry, and offline verification of 100,000 entries.

Targets (issue 6): appending must not dominate a query, so sealing is reported per
entry next to a plain JSON serialization of the same entry (the baseline: what storing
an unsigned log line costs); verifying 100,000 entries takes under 10 s, i.e. at least
10,000 entries/s.
"""

from __future__ import annotations

import itertools
import json
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from benchmarks.common import DATA_DIR, Result, best_of
from cleanroom import audit
from cleanroom.audit import GENESIS_HASH, AuditRecord, seal_entry, seal_head, verify_lines
from cleanroom.settings import Settings
from cleanroom.storage.bootstrap import open_storage
from cleanroom.storage.models import Collaboration


def _entry(seq: int) -> AuditRecord:
    return AuditRecord(
        seq=seq,
        time="2026-11-23T12:00:00Z",
        actor="analyst@brand",
        action="query.granted",
        collaboration="collab-bench",
        policy_hash="ab" * 32,
        request_digest="cd" * 32,
        epsilon_charged="1/10",
        budget_left="9/10",
        rows_suppressed=3,
        result_digest="ef" * 32,
        details={"template": "conversions", "parameters": {"window": "7d"}},
    )


def _sealed_log(n: int, key: Ed25519PrivateKey) -> list[str]:
    lines, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        sealed = seal_entry(_entry(seq), prev, key)
        lines.append(sealed.to_json())
        prev = sealed.entry_hash
    lines.append(seal_head("collab-bench", n, prev, "2026-11-23T13:00:00Z", key))
    return lines


def _append_rates(n: int, synchronous: str = "full") -> tuple[float, float]:
    """Entries/s of ``audit.record`` + commit on SQLite, and of a plain row + commit."""
    with tempfile.TemporaryDirectory(dir=DATA_DIR) as folder:
        storage = open_storage(Settings(data_dir=Path(folder), sqlite_synchronous=synchronous))
        maker = storage.sessionmaker

        def sealed() -> None:
            for _ in range(n):
                with maker() as session:
                    audit.record(session, actor="a", action="query.granted", collaboration_id="c")
                    session.commit()

        ids = itertools.count()

        def plain() -> None:
            for _ in range(n):
                with maker() as session:
                    session.add(Collaboration(id=f"bench-{next(ids)}", name="x"))
                    session.commit()

        rates = best_of(sealed, repeat=2).rate(n), best_of(plain, repeat=2).rate(n)
        storage.engine.dispose()
        return rates


def run(quick: bool) -> list[Result]:
    n = 10_000 if quick else 100_000
    key = Ed25519PrivateKey.generate()
    entries = [_entry(seq) for seq in range(1, 5_001)]
    plain = best_of(lambda: [json.dumps(e.as_dict(), sort_keys=True) for e in entries])
    sealing = best_of(lambda: [seal_entry(e, GENESIS_HASH, key) for e in entries])
    lines = _sealed_log(n, key)
    verifying = best_of(lambda: verify_lines(lines, key.public_key()), repeat=2)
    report = verify_lines(lines, key.public_key())
    assert report.ok, report.summary()
    per_entry_us = sealing.best / len(entries) * 1e6
    DATA_DIR.mkdir(exist_ok=True)  # on the project's disk, not a tmpfs: fsync is real
    append, plain_row = _append_rates(300 if quick else 2_000)
    normal, _ = _append_rates(300 if quick else 2_000, "normal")
    return [
        Result(
            name="audit append on SQLite, synchronous=FULL (the default) vs NORMAL",
            value=append,
            unit="entries/s",
            baseline_name="the same with synchronous=NORMAL",
            baseline_value=normal,
            notes=f"{1000 / append:.2f} ms vs {1000 / normal:.2f} ms per commit: the cost "
            "of a commit that survives power loss",
        ),
        Result(
            name="audit append on SQLite (lock chain head, seal, insert, commit)",
            value=append,
            unit="entries/s",
            baseline_name="plain one-row insert + commit",
            baseline_value=plain_row,
            notes=f"{1000 / append:.2f} ms per entry, paid once per query",
        ),
        Result(
            name="audit entry sealing (hash + Ed25519 signature)",
            value=sealing.rate(len(entries)),
            unit="entries/s",
            baseline_name="plain JSON serialization",
            baseline_value=plain.rate(len(entries)),
            notes=f"{per_entry_us:.0f} us per entry; {sealing.describe()}",
        ),
        Result(
            name=f"audit verify, {n:,} entries offline",
            value=verifying.rate(n),
            unit="entries/s",
            min_value=10_000,
            notes=f"{verifying.best:.2f} s for {n:,} entries (target < 10 s for 100,000); "
            + verifying.describe(),
        ),
    ]
