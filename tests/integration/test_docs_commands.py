"""Every command the docs show runs, in order, against a real server, so the docs cannot
drift from the programs.

Pages run (each in its own temp dir, which is also ``$HOME``): the quickstart, the party
side and running the server. Every other page under ``docs/tutorials``,
``docs/topic-guides`` and ``docs/deployment`` may show only blocks marked illustrative
(``test_every_shell_block_of_the_guides_runs_or_is_marked``), so a new command block
there is either run (add its page below) or marked. How blocks are read and marked:
:mod:`tests.integration.doc_commands`.

How the example values on the pages become real ones (the documented substitutions):

- ``http://127.0.0.1:8000`` and ``https://cleanroom.example.com``: the URL of the server
  the page started; ``/srv/cleanroom``: ``srv/cleanroom`` in the temp dir; ``~``: the
  temp dir.
- ``cleanroom serve ...`` starts that server as a process on a free port (the page's
  ``--port`` is replaced); it is stopped before a command that opens its data dir
  directly (``cleanroom audit ... --data-dir``).
- ``col_...`` and the quickstart's ``col_4d3bf4ec0139ce8c``: the id
  ``create-collaboration`` printed; ``tok_...``: the token id ``add-member`` printed last.
- ``crt_...``: after ``CLEANROOM_ADMIN_TOKEN=`` the admin token (``admin init``'s, or the
  one the server printed); after ``party-agent join --home H ... --token``, the token
  ``add-member`` issued for the party of home H; ``$PARTY_TOKEN`` (``$BRAND_TOKEN``) is
  that token as an environment variable.
- ``--accept-fingerprint X``: one ``--accept-fingerprint`` per other home the page made,
  with its X25519 fingerprint for ``keys create``, its Ed25519 one for ``keys fetch``, and
  both for ``keys roster``.
- ``res_overlap``, ``res_conversions``, ... (``res_`` and a template name, or
  ``res_attribution`` for a comparison of models): the id of the page's latest result
  of that query, read from the table it printed.
- Input files a page assumes but does not make are written first (``FIXTURES``): the
  demo's synthetic raw files for the quickstart (small), the demo's policy file, a
  German order export for the party side, the standard preset as ``policy.yaml``.

``cleanroom`` and ``party-agent`` run in-process (Typer's runner) to keep the cost down;
``python`` and ``chmod`` run as processes. Each command must exit 0 (or fail, where the
page shows it failing), and the result tables of ``party-agent query`` fit 100 columns.
"""

from __future__ import annotations

import csv
import gzip
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cleanroom.cli.main import app as cleanroom_app
from party_agent.cli import app as agent_app
from party_agent.home import PartyHome
from tests.integration.doc_commands import Block, Command, blocks, commands
from tests.integration.server import ServerProcess

DOCS = Path(__file__).resolve().parents[2] / "docs"
RUN = ("tutorials/quickstart.md", "tutorials/party-side.md", "deployment/running.md")
GUIDES = ("tutorials", "topic-guides", "deployment")
TABLE_WIDTH = 100
EXAMPLE_URLS = ("http://127.0.0.1:8000", "https://cleanroom.example.com")
EXAMPLE_COLLABORATION = re.compile(r"col_(4d3bf4ec0139ce8c|4d3b\.\.\.|\.\.\.)")
ADMIN_LINE = re.compile(r"admin token \((tok_\w+)\), shown once: (crt_\S+)")
RESULT_LINE = re.compile(r"—\s+result\s+(res_\w+)")
MEMBER_LINE = re.compile(r"member (mem_\w+) token \((tok_\w+)\): (crt_\S+)")
runner = CliRunner()


@dataclass
class Page:
    """What one page's commands made so far, for the substitutions."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)
    server: ServerProcess | None = None
    admin_token: str = ""
    collaboration: str = ""
    token_id: str = ""
    tokens: dict[str, str] = field(default_factory=dict)  # party -> member token
    homes: dict[Path, str] = field(default_factory=dict)  # home -> party
    results: dict[str, str] = field(default_factory=dict)  # "res_<query>" -> its result id

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()


# -- fixtures: the files a page assumes ---------------------------------------------------


def quickstart_files(root: Path) -> None:
    from cleanroom.demo.policy_file import write_demo_policy
    from cleanroom.demo.synthetic import DemoSpec, generate
    from policies import preset_yaml

    generate(DemoSpec(people=1500), root / "brand", root / "retailer", root / "truth")
    for folder in ("admin", "reports"):
        (root / folder).mkdir(exist_ok=True)
    preset = root / "truth" / "standard.yaml"
    preset.write_text(preset_yaml("standard"), encoding="utf-8")
    write_demo_policy(preset, root / "admin" / "policy.yaml")


def party_side_files(root: Path) -> None:
    """A German shop's order export: semicolons, gzip, local times, national numbers."""
    header = ["order_id", "customer_email", "mobile", "order_total", "ordered_at", "shop", "notes"]
    with gzip.open(root / "export.csv.gz", "wt", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(header)
        for i in range(200):
            writer.writerow([f"o{i}", f" Kunde.{i}@Example.DE ", f"030 {1234000 + i}",
                             f"{10 + i % 90}.50", f"2026-03-{1 + i % 28:02d} 10:{i % 60:02d}:00",
                             ("north", "south")[i % 2], "call before delivery"])  # fmt: skip


def running_files(root: Path) -> None:
    from policies import preset_yaml

    (root / "policy.yaml").write_text(preset_yaml("standard"), encoding="utf-8")


FIXTURES: dict[str, Callable[[Path], None]] = {
    "tutorials/quickstart.md": quickstart_files,
    "tutorials/party-side.md": party_side_files,
    "deployment/running.md": running_files,
}


# -- running one command ------------------------------------------------------------------


def substitute(page: Page, command: Command) -> list[str]:
    words = [_word(page, w) for w in command.words]
    words = _tokens(page, words)
    if words[:2] == ["party-agent", "keys"] and words[2:3] in (["create"], ["fetch"], ["roster"]):
        words = _fingerprints(page, words)
    return words


def _word(page: Page, word: str) -> str:
    for url in EXAMPLE_URLS:
        if page.server is not None:
            word = word.replace(url, page.server.url)
    word = word.replace("/srv/cleanroom", str(page.root / "srv" / "cleanroom"))
    if page.collaboration:
        word = EXAMPLE_COLLABORATION.sub(page.collaboration, word)
    if page.token_id:
        word = word.replace("tok_...", page.token_id)
    if word.startswith("CLEANROOM_ADMIN_TOKEN=crt_"):
        word = f"CLEANROOM_ADMIN_TOKEN={page.admin_token}"
    word = page.results.get(word, word)
    if word.startswith("~"):
        word = str(page.root) + word[1:]
    return re.sub(r"\$(\w+)", lambda m: page.env.get(m.group(1), m.group(0)), word)


def _tokens(page: Page, words: list[str]) -> list[str]:
    """``--token crt_...`` of ``party-agent join --home H``: the token of H's party."""
    if words[:2] != ["party-agent", "join"] or "--token" not in words:
        return words
    home = _home(page, words)
    at = words.index("--token") + 1
    if words[at].startswith("crt_") and home in page.homes:
        words[at] = page.tokens[page.homes[home]]
    return words


def _fingerprints(page: Page, words: list[str]) -> list[str]:
    home = _home(page, words)
    if "--accept-fingerprint" not in words:
        return words
    at = words.index("--accept-fingerprint")
    kinds = {"create": ("x25519",), "roster": ("x25519", "ed25519")}.get(words[2], ("ed25519",))
    others = [h for h in page.homes if h != home]
    accepted = []
    for other in others:
        opened = PartyHome.open(other)
        for kind in kinds:
            fingerprint = (
                opened.x25519_fingerprint if kind == "x25519" else opened.ed25519_fingerprint
            )
            accepted += ["--accept-fingerprint", fingerprint]
    rest, i = [], at
    while i < len(words):  # every example fingerprint is replaced by the real ones
        if words[i] == "--accept-fingerprint":
            i += 2
        else:
            rest.append(words[i])
            i += 1
    return words[:at] + accepted + rest


def _home(page: Page, words: list[str]) -> Path:
    if "--home" in words:
        return (page.root / words[words.index("--home") + 1]).resolve()
    return (page.root / ".party-agent").resolve()


def run(page: Page, command: Command) -> tuple[int, str, str]:
    words = substitute(page, command)
    out_file = None
    if ">" in words:
        at = words.index(">")
        words, out_file = words[:at], page.root / words[at + 1]
    code, out, err = _dispatch(page, words)
    if out_file is not None:
        out_file.write_text(out, encoding="utf-8")
    _remember(page, words, code, out)
    return code, out, err


def _dispatch(page: Page, words: list[str]) -> tuple[int, str, str]:
    program, args = words[0], words[1:]
    if program == "export":
        for word in args:
            name, _, value = word.partition("=")
            page.env[name] = value
        return 0, "", ""
    if program == "cleanroom" and args[:1] == ["serve"]:
        return _serve(page, args)
    if program == "cleanroom" and args[:1] == ["audit"] and page.server is not None:
        page.server.stop()  # it reads the data dir directly
        page.server = None
    if program in ("cleanroom", "party-agent"):
        app = cleanroom_app if program == "cleanroom" else agent_app
        env = {**page.env, "HOME": str(page.root), "COLUMNS": "100"}
        result = runner.invoke(app, args, env=env)
        return result.exit_code, result.stdout, result.stderr
    if program in ("python", "chmod"):
        argv = [sys.executable, *args] if program == "python" else words
        done = subprocess.run(argv, cwd=page.root, capture_output=True, text=True, check=False)
        return done.returncode, done.stdout, done.stderr
    raise AssertionError(f"the docs show {program!r}: run it here, or mark the block")


def _serve(page: Page, args: list[str]) -> tuple[int, str, str]:
    data_dir = page.root / args[args.index("--data-dir") + 1]
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = ServerProcess(data_dir, admin_token=page.admin_token).start()
    page.server, page.admin_token = server, server.admin_token
    return 0, "", ""


def _remember(page: Page, words: list[str], code: int, out: str) -> None:
    if code != 0 or len(words) < 3:
        return
    if words[1:3] == ["admin", "init"] and (match := ADMIN_LINE.search(out)):
        page.admin_token = match.group(2)
    if words[1:3] == ["admin", "create-collaboration"]:
        page.collaboration = out.strip().splitlines()[-1]
    if words[1:3] == ["admin", "add-member"] and (match := MEMBER_LINE.search(out)):
        party = words[words.index("--party") + 1]
        page.tokens[party], page.token_id = match.group(3), match.group(2)
        page.env[f"{party.upper()}_TOKEN"] = match.group(3)
    if words[:2] == ["party-agent", "init"]:
        page.homes[_home(page, words)] = words[words.index("--party") + 1]
    if words[:2] == ["party-agent", "query"] and (match := RESULT_LINE.search(out)):
        compared = "," in (
            words[words.index("--attribution") + 1] if "--attribution" in words else ""
        )
        page.results[f"res_{'attribution' if compared else words[2]}"] = match.group(1)


def play(page: Page, block: Block) -> None:
    if block.marker == "file" and block.path is not None:
        (page.root / block.path).parent.mkdir(parents=True, exist_ok=True)
        (page.root / block.path).write_text(block.text, encoding="utf-8")
        return
    if block.marker == "python" and block.lang == "python":
        done = subprocess.run([sys.executable, "-c", block.text], cwd=page.root,
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert done.returncode == 0, f"{block.where}: {done.stderr}"
        return
    if not block.runs:
        return
    for command in commands(block):
        code, out, err = run(page, command)
        if command.fails:
            assert code != 0 and err.startswith("error:"), f"{command.where} should fail"
        else:
            assert code == 0, f"{command.where}: {command.text}\n{err}"
        if _is_table(command.words):
            widest = max(len(line) for line in out.splitlines())
            assert widest <= TABLE_WIDTH, f"{command.where}: {widest} columns"


def _is_table(words: tuple[str, ...]) -> bool:
    """A party-agent command that prints a result table (not JSON, not --wide)."""
    shows = words[:2] in (("party-agent", "query"), ("party-agent", "result"))
    return shows and "--json" not in words and "--wide" not in words


@pytest.fixture
def page_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("PARTY_AGENT_HOME", "PARTY_AGENT_COLLABORATION", "CLEANROOM_SERVER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CLEANROOM_ADMIN_TOKEN", raising=False)
    yield tmp_path


@pytest.mark.parametrize("name", RUN)
def test_the_commands_of_the_page_run(name: str, page_dir: Path) -> None:
    FIXTURES[name](page_dir)
    page = Page(page_dir, env={"PATH": os.environ.get("PATH", "")})
    try:
        ran = 0
        for block in blocks(DOCS / name):
            play(page, block)
            ran += len(commands(block)) if block.runs else 0
    finally:
        page.close()
    assert ran >= 3, f"{name} shows almost no commands: is the page still read right?"


def test_every_shell_block_of_the_guides_runs_or_is_marked() -> None:
    unmarked = [
        block.where
        for guide in GUIDES
        for page in sorted((DOCS / guide).glob("*.md"))
        if str(page.relative_to(DOCS)) not in RUN
        for block in blocks(page)
        if block.runs
    ]
    assert unmarked == [], "run these pages' commands or mark the blocks illustrative"


def test_blocks_and_commands_are_read_as_documented(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "intro\n\n```sh\nparty-agent a --x 'one two' \\\n    --y 3   # trailing comment\n"
        "party-agent b\n# error: it fails\n# output\n```\n\n"
        "<!-- docs-test: illustrative -->\n```bash\nmake demo\n```\n"
        "<!-- docs-test: file m/x.yaml -->\n```yaml\nkind: spend\n```\n"
        "```console\n$ cleanroom version\ncleanroom 0.1.0\n```\n"
        "  ```sh\n  indented --ok\n  ```\n"
    )
    found = blocks(page)
    assert [(b.lang, b.marker, b.path, b.runs) for b in found] == [
        ("sh", None, None, True),
        ("bash", "illustrative", None, False),
        ("yaml", "file", "m/x.yaml", False),
        ("console", None, None, True),
        ("sh", None, None, True),
    ]
    assert found[2].text == "kind: spend\n"
    first = commands(found[0])
    assert [(c.words, c.fails) for c in first] == [
        (("party-agent", "a", "--x", "one two", "--y", "3"), False),
        (("party-agent", "b"), True),
    ]
    assert [c.words for c in commands(found[3])] == [("cleanroom", "version")]
    assert [c.words for c in commands(found[4])] == [("indented", "--ok")]
