"""``cleanroom demo --json`` end to end, at a small size, in its own process.

Checks the JSON document (every released number has an interval, suppressed rows carry
no numbers, the audit log verifies, the server was stopped), that both HTML reports
exist and parse as self-contained pages, and that no file the server wrote holds any raw
identifier of the parties' input files, in any written form, normalized, or as its
unsalted SHA-256 (hex text or raw digest), scanning every byte and every decoded
Parquet value.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
from rich.console import Console

from cleanroom.demo.console_access import serve_until_enter
from cleanroom.demo.workdir import Layout
from protocols import IdType, NormalizeOptions, normalize
from protocols.normalize import Rejected

ROWS = 3000  # about 1,700 people: small groups, so some lift groups are suppressed
MIN_SECRET = 8  # shorter values (the demo's truncated phones) identify no one
RAW_COLUMNS = {
    "brand/exposures.csv": {"email": IdType.EMAIL, "email_sha256": IdType.EMAIL_SHA256,
                            "phone": IdType.PHONE},
    "retailer/purchases.csv": {"customer_email": IdType.EMAIL, "mobile": IdType.PHONE},
}  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("demo") / "work"
    command = [sys.executable, "-m", "cleanroom", "demo", "--workdir", str(workdir)]
    command += ["--rows", str(ROWS), "--seed", "11", "--json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return workdir, json.loads(done.stdout)  # the whole of stdout is one JSON document


def _numbers(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, result in document["results"].items():
        for row in result["rows"]:
            yield name, row


def test_every_released_number_has_an_interval_and_a_truth(
    demo: tuple[Path, dict[str, Any]],
) -> None:
    _, document = demo
    assert set(document["results"]) == {
        "overlap", "conversions", "lift", "attribution", "reach_frequency",
        "time_to_conversion", "funnel",
    }  # fmt: skip
    released = 0
    for _, row in _numbers(document):
        if row["suppressed"]:
            continue
        for number in row["values"].values():
            if number["value"] is None:  # ROAS without spend, relative lift of a 0 rate
                continue
            # null = unbounded; a value lies outside only an interval cut to the range the
            # truth can take (a noisy rate below 0 has an interval starting at 0)
            low, value, high = number["low"], number["value"], number["high"]
            assert low is None or low <= value or low in (0.0, -1.0), number
            assert high is None or value <= high or high == 1.0, number
            released += 1
    assert released > 50
    matched = document["results"]["overlap"]["rows"][0]
    assert matched["key"] == ["matched"] and matched["values"]["users"]["truth"] > 0


@pytest.mark.parametrize(
    ("name", "columns"),
    [
        ("attribution", ("last_touch.credited_conversions", "time_decay.credited_revenue")),
        ("reach_frequency", ("users", "converted")),
        ("time_to_conversion", ("purchases", "campaign_purchases")),
        ("funnel", ("exposed", "matched", "converted", "repeated", "match_rate")),
    ],
)
def test_closed_loop_numbers_stand_next_to_the_truth(
    demo: tuple[Path, dict[str, Any]], name: str, columns: tuple[str, ...]
) -> None:
    """Every released count of the closed-loop questions carries the synthetic world's
    true value, and the truth of the one-credit models adds up across campaigns."""
    _, document = demo
    rows = document["results"][name]["rows"]  # suppressed rows carry the truth too
    if name != "time_to_conversion":  # k counts purchases per campaign: all below k here
        assert any(not r["suppressed"] for r in rows), f"{name}: every group suppressed"
    for row in rows:
        for column in columns:
            assert row["values"][column]["truth"] is not None, (name, row["key"], column)
    if name == "attribution":
        assert document["compared"] == ["last_touch", "linear", "position_based", "time_decay"]
        truths = {
            m: sum(r["values"][f"{m}.credited_conversions"]["truth"] for r in rows)
            for m in document["compared"]
        }
        assert max(truths.values()) - min(truths.values()) < 1e-6 * max(truths.values()) + 1


def test_suppressed_rows_are_marked_and_carry_no_number(
    demo: tuple[Path, dict[str, Any]],
) -> None:
    workdir, document = demo
    for name, result in document["results"].items():
        suppressed = [row for row in result["rows"] if row["suppressed"]]
        assert result["rows_suppressed"] == len(suppressed), name
        for row in suppressed:
            assert all(n["value"] is None and n["low"] is None for n in row["values"].values())
    lift = document["results"]["lift"]
    assert lift["rows_suppressed"] > 0, "small holdout arms must fall below k"
    assert "suppressed" in (workdir / "reports" / "results.html").read_text(encoding="utf-8")


def test_audit_log_verifies_and_the_server_is_stopped(
    demo: tuple[Path, dict[str, Any]],
) -> None:
    _, document = demo
    audit = document["audit"]
    with pytest.raises(httpx.HTTPError):
        httpx.get(document["server"]["url"] + "/healthz", timeout=2)
    if not audit["available"]:
        pytest.skip(f"audit commands missing from this build: {audit['summary']}")
    assert audit["verified"] is True
    assert audit["summary"].startswith("OK: ")
    assert Path(audit["log"]).stat().st_size > 0


class _PageChecker(HTMLParser):
    VOID = frozenset({"meta", "br", "hr", "img", "input", "link", "col", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.tags: defaultdict[str, int] = defaultdict(int)
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("#"):
                self.external.append(value)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()


def _parse(path: Path) -> _PageChecker:
    checker = _PageChecker()
    checker.feed(path.read_text(encoding="utf-8"))
    checker.close()
    assert checker.open == [], f"unclosed tags in {path.name}: {checker.open}"
    assert checker.tags["script"] == 0 and checker.external == []
    return checker


def test_reports_exist_and_parse_as_self_contained_pages(
    demo: tuple[Path, dict[str, Any]],
) -> None:
    workdir, document = demo
    results = Path(document["reports"]["results"])
    assert results == workdir / "reports" / "results.html"
    page = _parse(results)
    # the seven results, the reallocation plan, the policy's terms and the mechanisms
    assert page.tags["svg"] >= 14 and page.tags["table"] == 10
    assert document["plan"]["basis"] == "roas" and len(document["plan"]["campaigns"]) > 5
    if not document["audit"]["available"]:
        pytest.skip("cleanroom audit report is not in this build yet")
    compliance = Path(document["reports"]["compliance"])
    assert compliance == workdir / "reports" / "compliance.html"
    _parse(compliance)


def test_in_a_terminal_the_demo_serves_the_console_until_enter(
    demo: tuple[Path, dict[str, Any]],
) -> None:
    """What ``cleanroom demo`` does in a terminal after the run, with Enter pressed once
    an analyst has signed in to the console with the printed token."""
    workdir, document = demo
    sign_in = document["console"]["sign_in"]
    assert set(sign_in) == {"admin", "party_admin", "analyst", "auditor"}
    assert all(entry["token"].startswith("crt_") for entry in sign_in.values())
    tokens = {("admin" if r == "admin" else e["who"]): e["token"] for r, e in sign_in.items()}
    out = Console(record=True, width=200)
    seen: dict[str, Any] = {}

    def press_enter(prompt: str) -> str:
        printed = out.export_text(clear=False)
        seen["url"] = url = re.search(r"Web console: (http://127\.0\.0\.1:\d+/ui)", printed)[1]
        assert sign_in["analyst"]["token"] in printed
        with httpx.Client(timeout=10) as client:
            form = client.get(url + "/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)[1]
            body = {"csrf": csrf, "token": sign_in["analyst"]["token"]}
            seen["page"] = client.post(url + "/login", data=body, follow_redirects=True)
        return ""

    serve_until_enter(out, Layout(workdir), tokens, press_enter)
    assert seen["page"].status_code == 200
    assert document["collaboration"] in seen["page"].text  # the overview, signed in
    assert "the server is stopped" in out.export_text()
    with pytest.raises(httpx.HTTPError):
        httpx.get(seen["url"] + "/login", timeout=2)


def _secret_forms(workdir: Path) -> set[bytes]:
    """Raw values as written and stripped, normalized forms, their unsalted SHA-256."""
    forms: set[str] = set()
    for relative, columns in RAW_COLUMNS.items():
        with (workdir / relative).open(newline="", encoding="utf-8") as handle:
            for record in csv.DictReader(handle):
                for column, id_type in columns.items():
                    raw = record[column]
                    forms |= {raw, raw.strip()}
                    options = NormalizeOptions(region="US" if id_type is IdType.PHONE else None)
                    normalized = normalize(id_type, raw, options)
                    if isinstance(normalized, Rejected):
                        continue
                    forms |= {normalized, normalized.lstrip("+")}
                    if id_type is IdType.PHONE:
                        forms.add(normalized.removeprefix("+1"))  # the national number
    forms = {form for form in forms if len(form) >= MIN_SECRET}
    hashed = {hashlib.sha256(form.encode()).hexdigest() for form in forms}
    hexes = hashed | {form.lower() for form in forms if len(form) == 64}
    text = forms | hashed | {h.upper() for h in hexes}
    return {f.encode() for f in text} | {bytes.fromhex(h) for h in hexes}


def _first_leak(blob: bytes, secrets: set[bytes]) -> bytes | None:
    """Any secret in ``blob``: an 8-byte prefix index, then a full comparison."""
    by_prefix: defaultdict[bytes, list[bytes]] = defaultdict(list)
    for secret in secrets:
        by_prefix[secret[:MIN_SECRET]].append(secret)
    for start in range(len(blob) - MIN_SECRET + 1):
        for secret in by_prefix.get(blob[start : start + MIN_SECRET], ()):
            if blob.startswith(secret, start):
                return secret
    return None


def _decoded_parquet(path: Path) -> bytes:
    """Every value of a Parquet file as bytes (its pages may be compressed)."""
    values = []
    for column in pq.read_table(path).columns:
        for value in column.to_pylist():
            values.append(value if isinstance(value, bytes) else str(value).encode())
    return b"\n".join(values)


def test_no_raw_identifier_reaches_the_server(demo: tuple[Path, dict[str, Any]]) -> None:
    workdir, _ = demo
    secrets = _secret_forms(workdir)
    assert len(secrets) > 5000
    files = [p for p in (workdir / "server").rglob("*") if p.is_file()]
    files.append(workdir / "logs" / "server.log")
    names = {p.name for p in files}
    assert "cleanroom.db" in names and "server-ed25519.pem" in names
    assert sum(p.suffix == ".parquet" for p in files) >= 3
    leaks = {}
    for path in files:
        blob = path.read_bytes()
        if path.suffix == ".parquet":
            blob += b"\n" + _decoded_parquet(path)
        leak = _first_leak(blob, secrets)
        if leak is not None:
            leaks[str(path.relative_to(workdir))] = len(leak)  # never print the value
    assert leaks == {}
