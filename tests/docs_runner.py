"""Run the code blocks of a Markdown page the way a reader would copy them.

A page is read with Sybil's Markdown lexers (fenced blocks, directives in HTML comments)
and its blocks run in order in one session: a fresh copy of the repository as the working
directory, this interpreter's ``bin`` first on ``PATH``, and every port the docs use
(4010 to 4013 for mocks, 8080 and 8081 for implementations) mapped to a free one on 127.0.0.1.

Blocks:

- ``sh`` (or ``bash``, ``shell``) runs with ``bash -e -o pipefail``; ``python`` runs as a
  script; ``js`` runs with ``node`` as an ES module.
- A ``text`` block right after a run block is its expected output (stdout and stderr as a
  terminal shows them; for a server, some of the lines it printed until it listened):
  ``...`` inside a line matches any text, a line of ``...`` any number of lines.
- Directives, in an HTML comment just before a block (invisible on the rendered page):
  ``<!-- docs: background -->`` starts a server and waits for its ``listening on`` (or
  uvicorn's ``running on``) line (stopped when the page ends);
  ``<!-- docs: exit N -->`` expects exit status N;
  ``<!-- docs: file NAME -->`` writes the block to NAME; ``<!-- docs: illustrative WHY -->``
  does not run it, and says why; ``<!-- docs: tested-by PATH -->`` says which file of the
  repository runs it (the file must contain the block's lines, or name the file the block
  includes).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sybil import Document
from sybil.parsers.markdown.lexers import DirectiveInHTMLCommentLexer, FencedCodeBlockLexer

ROOT = Path(__file__).parents[1]
RUN_LANGUAGES = {"sh": "sh", "bash": "sh", "shell": "sh", "python": "python", "js": "js"}
#: Languages that are code a reader could run: each such block must run or be marked.
CODE_LANGUAGES = {*RUN_LANGUAGES, "py", "console", "javascript", "ts", "typescript"}
DOC_PORTS = (4010, 4011, 4012, 4013, 8080, 8081)
READY = re.compile(r"(listening|running) on http")
BLOCK_TIMEOUT = 300.0
SERVER_START = 120.0
INCLUDE = re.compile(r'^--8<-- "([^"]+)"$')


@dataclass
class Block:
    line: int
    language: str
    source: str
    directives: dict[str, str] = field(default_factory=dict)
    output: str | None = None

    @property
    def kind(self) -> str:
        for name in ("illustrative", "tested-by", "file", "background"):
            if name in self.directives:
                return name
        return RUN_LANGUAGES.get(self.language, "")

    def where(self, page: Path) -> str:
        shown = page.relative_to(ROOT) if page.is_relative_to(ROOT) else page.name
        return f"{shown}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The page's fenced blocks in order, each with its directives and expected output."""
    document = Document(page.read_text(encoding="utf-8"), str(page))
    fences = FencedCodeBlockLexer(language=r"[\w+-]*")(document)
    comments = DirectiveInHTMLCommentLexer(directive="docs", arguments=".*?")(document)
    regions = sorted([*fences, *comments], key=lambda region: region.start)
    found: list[Block] = []
    pending: dict[str, str] = {}
    previous_end = -1
    for region in regions:
        between = document.text[previous_end : region.start] if previous_end >= 0 else ""
        previous_end = region.end
        if "language" not in region.lexemes:
            word, _, argument = str(region.lexemes["arguments"]).partition(" ")
            pending[word] = argument.strip()
            continue
        language = str(region.lexemes["language"])
        source = str(region.lexemes["source"])
        last = found[-1] if found else None
        if (
            language == "text"
            and not pending
            and last is not None
            and last.output is None
            and last.kind in {"sh", "python", "js", "background"}
            and not between.strip()
        ):
            last.output = source
            continue
        line = document.text.count("\n", 0, region.start) + 1
        found.append(Block(line, language, source, pending))
        pending = {}
    return found


def unmarked(page: Path) -> list[str]:
    """Code blocks that would neither run nor say why not."""
    problems = []
    for block in blocks(page):
        if block.language == "":
            problems.append(f"{block.where(page)}: a fence without a language")
        elif block.language in CODE_LANGUAGES and not block.kind:
            problems.append(
                f"{block.where(page)}: a {block.language} block that is neither run nor "
                "marked (docs: illustrative WHY, or docs: tested-by PATH)"
            )
        elif "illustrative" in block.directives and not block.directives["illustrative"]:
            problems.append(f"{block.where(page)}: illustrative without a reason")
    return problems


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def line_pattern(expected: str) -> re.Pattern[str]:
    """One expected line as a regular expression (``...`` inside it: any characters)."""
    return re.compile(".*?".join(re.escape(piece) for piece in expected.split("...")))


def normalized(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r", "").split("\n")]
    return "\n".join(lines).strip("\n")


def matches(expected: str, actual: str, *, anywhere: bool = False) -> bool:
    """Whether the output is as expected: all of it, or (``anywhere``) some of its lines.

    Line by line: a line that is only ``...`` stands for any number of lines, and ``...``
    inside a line for any characters. Matched by dynamic programming over (expected line,
    actual line), so that many wildcards over a long output stay linear in each (one
    regular expression for the whole output backtracked for minutes on a page of them).
    """
    want = normalized(expected).split("\n")
    got = normalized(actual).split("\n")
    lines = [None if line.strip() == "..." else line_pattern(line) for line in want]
    # ok[j]: want[i:] matches got[j:] (all of it, or a prefix of it when ``anywhere``)
    ok = [anywhere or j == len(got) for j in range(len(got) + 1)]
    for i in range(len(want) - 1, -1, -1):
        line = lines[i]
        row = [False] * (len(got) + 1)
        for j in range(len(got), -1, -1):
            if line is None:
                row[j] = ok[j] or (j < len(got) and row[j + 1])
            else:
                row[j] = j < len(got) and line.fullmatch(got[j]) is not None and ok[j + 1]
        ok = row
    return any(ok) if anywhere else ok[0]


def copy_repository(into: Path) -> None:
    """The files a fresh clone has (tracked and not ignored), without git's metadata."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    for name in listed.stdout.decode().split("\0"):
        source = ROOT / name
        if not name or not (source.is_symlink() or source.is_file()):
            continue
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)


class Session:
    """One page's run: a working directory, ports, and the servers its blocks started."""

    def __init__(self, page: Path, workdir: Path) -> None:
        self.page = page
        self.workdir = workdir
        self.ports = {port: free_port() for port in DOC_PORTS}
        self.servers: list[tuple[subprocess.Popen[bytes], Path]] = []
        bin_dir = str(Path(sys.executable).parent)
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("APIKEYS_", "PYTEST_", "HYPOTHESIS_"))
        }
        self.env.update(
            PATH=f"{bin_dir}{os.pathsep}{self.env.get('PATH', '')}",
            APIKEYS_MOCK_PORT=str(self.ports[4010]),
            NO_COLOR="1",
            COLUMNS="80",
            PYTHONUNBUFFERED="1",
        )

    @property
    def io(self) -> dict[str, Any]:
        """How every block runs: in the copy, with the session's environment, its stderr
        in the same stream as its stdout (as a terminal shows them)."""
        return {"cwd": self.workdir, "env": self.env, "stderr": subprocess.STDOUT}

    def local(self, text: str) -> str:
        for doc_port, port in self.ports.items():
            text = re.sub(rf"(?<![\d.]){doc_port}(?!\d)", str(port), text)
        return text

    def run(self, block: Block) -> None:
        kind = block.kind
        if kind in {"illustrative", ""}:
            return
        if kind == "tested-by":
            self.check_tested_by(block)
        elif kind == "file":
            path = self.workdir / block.directives["file"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.local(block.source), encoding="utf-8")
        elif kind == "background":
            self.start(block)
        else:
            self.execute(block)

    def check_tested_by(self, block: Block) -> None:
        tester = ROOT / block.directives["tested-by"]
        assert tester.is_file(), f"{block.where(self.page)}: {tester} does not exist"
        text = tester.read_text(encoding="utf-8")
        for line in block.source.strip().splitlines():
            included = INCLUDE.match(line.strip())
            if included:
                name = included.group(1)
                assert (ROOT / name).is_file(), f"{block.where(self.page)}: {name} is missing"
                assert Path(name).name in text, f"{tester} does not use {name}"
            elif line.strip() and not line.lstrip().startswith("#"):
                assert line.strip() in text, f"{tester} does not run: {line.strip()}"

    def command(self, block: Block) -> tuple[list[str], bytes | None]:
        source = self.local(block.source)
        language = RUN_LANGUAGES[block.language]
        if language == "python":
            script = self.workdir / f"_block_{block.line}.py"
            script.write_text(source, encoding="utf-8")
            return [sys.executable, str(script)], None
        if language == "js":
            return ["node", "--input-type=module"], source.encode()
        return ["bash", "-e", "-o", "pipefail", "-c", source], None

    def execute(self, block: Block) -> None:
        argv, stdin = self.command(block)
        done = subprocess.run(
            argv, input=stdin, stdout=subprocess.PIPE, timeout=BLOCK_TIMEOUT, check=False, **self.io
        )
        output = done.stdout.decode("utf-8", "replace")
        status = int(block.directives.get("exit", "0"))
        assert done.returncode == status, (
            f"{block.where(self.page)}: exit {done.returncode}, expected {status}:\n{output}"
        )
        self.compare(block, output)

    def compare(self, block: Block, output: str, *, anywhere: bool = False) -> None:
        if block.output is None:
            return
        expected = self.local(block.output)
        assert matches(expected, output, anywhere=anywhere), (
            f"{block.where(self.page)}: the output differs from the page's.\n"
            f"--- the page shows:\n{expected}\n--- the command printed:\n{output}"
        )

    def start(self, block: Block) -> None:
        argv, _ = self.command(block)
        log = self.workdir / f"_server_{block.line}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(argv, stdout=sink, start_new_session=True, **self.io)
        self.servers.append((process, log))
        deadline = time.monotonic() + SERVER_START
        while time.monotonic() < deadline:
            text = log.read_text(encoding="utf-8", errors="replace")
            if READY.search(text):
                self.compare(block, text, anywhere=True)
                return
            if process.poll() is not None:
                raise AssertionError(
                    f"{block.where(self.page)}: exited {process.returncode} before listening:\n"
                    f"{text}"
                )
            time.sleep(0.05)
        raise AssertionError(f"{block.where(self.page)}: not listening after {SERVER_START} s")

    def close(self) -> None:
        for process, _ in reversed(self.servers):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def pages() -> Iterator[Path]:
    yield ROOT / "README.md"
    yield from sorted((ROOT / "docs").rglob("*.md"))
