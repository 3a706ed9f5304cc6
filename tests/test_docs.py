"""What the README and docs/ show, a reader can run: every block runs as written, or says why not.

Each page's blocks run in order against real processes (tests/docs_runner.py says how);
the site builds with ``mkdocs build --strict``, so a broken link or a page missing from
the navigation fails.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .docs_runner import ROOT, Block, Session, blocks, copy_repository, matches, pages, unmarked

PAGES = list(pages())


def page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_code_block_runs_or_says_why_not(page: Path) -> None:
    assert unmarked(page) == []


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's files as a fresh clone has them, copied once per test module."""
    folder = tmp_path_factory.mktemp("clone")
    copy_repository(folder)
    return folder


@pytest.fixture
def workdir(clone: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    shutil.copytree(clone, folder, symlinks=True)
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_page_runs_as_shown(page: Path, workdir: Path) -> None:
    session = Session(page, workdir)
    try:
        for block in blocks(page):
            session.run(block)
    finally:
        session.close()


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-4000:]
    assert (tmp_path / "index.html").is_file()


# The runner's own rules: each can fail.


def write(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    return page


def test_ellipsis_matches_within_a_line_and_across_lines() -> None:
    assert matches("HTTP/1.1 201 ...\n...\n{...}", "HTTP/1.1 201 Created\na: b\nc: d\n{}")
    assert matches("a\n...\nz", "a\nz")
    assert not matches("HTTP/1.1 201 ...", "HTTP/1.1 400 Bad Request")
    assert not matches("a\nb", "a\nb\nc")
    assert matches("b\nc", "a\nb\nc", anywhere=True)
    assert not matches("b\nc", "a\nb c", anywhere=True)
    assert matches("...\nb\n...", "a\nb\nc", anywhere=False)
    assert not matches("a\n...\nc", "a\nb\nc\nd")


def test_many_wildcards_over_a_long_output_do_not_backtrack() -> None:
    # One regular expression for the whole output took minutes on a page like this one
    # (a table of "..." rows over a long report that differed at its last line).
    expected = "\n".join(["head", *(["...", "row ... ok"] * 12), "last"])
    actual = "\n".join(["head", *(f"row {n} ok" for n in range(300)), "other"])
    assert not matches(expected, actual)
    assert matches(expected, actual.replace("other", "last"))


def test_a_text_block_after_a_command_is_its_output(tmp_path: Path) -> None:
    page = write(tmp_path, "```sh\necho hi\n```\n\n```text\nhi\n```\n\n```text\nalone\n```\n")
    found = blocks(page)
    assert [(b.language, b.output) for b in found] == [("sh", "hi\n"), ("text", None)]


def test_a_block_neither_run_nor_marked_is_named(tmp_path: Path) -> None:
    page = write(
        tmp_path,
        "```ts\nlet a = 1\n```\n\n<!-- docs: illustrative needs your server -->\n"
        "```ts\nlet b = 2\n```\n\n```\nno language\n```\n\n"
        "<!-- docs: illustrative -->\n```sh\nexit 1\n```\n",
    )
    problems = unmarked(page)
    assert len(problems) == 3, problems
    assert "page.md:1: a ts block" in problems[0]
    assert "without a language" in problems[1]
    assert "illustrative without a reason" in problems[2]


def test_a_wrong_output_or_status_fails(tmp_path: Path) -> None:
    page = write(tmp_path, "```sh\necho 4010\n```\n\n```text\n4010\n```\n")
    session = Session(page, tmp_path)
    (block,) = blocks(page)
    session.run(block)  # the port is mapped on both sides
    with pytest.raises(AssertionError, match="differs"):
        session.run(Block(1, "sh", "echo other", output="4010"))
    with pytest.raises(AssertionError, match="exit 3, expected 0"):
        session.run(Block(1, "sh", "exit 3"))
    session.run(Block(1, "sh", "exit 3", {"exit": "3"}))


def test_tested_by_needs_the_lines_in_the_named_file(tmp_path: Path) -> None:
    page = write(tmp_path, "")
    session = Session(page, tmp_path)
    session.run(Block(1, "sh", "bash .ci/run\n", {"tested-by": "tests/test_docs.py"}))
    with pytest.raises(AssertionError, match="does not run"):
        session.run(Block(1, "sh", "rm -rf nowhere-run\n", {"tested-by": "README.md"}))
