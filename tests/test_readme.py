"""The README stays a short first page: its links stay inside the repository and its anchors
name real sections, here or on the docs page they point at. (The docs site's own links are
checked by ``mkdocs build --strict`` in tests/test_docs.py.)"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
LINK = re.compile(r"\]\(([^)\s]+)\)")
MOST_LINES = 300


def slug(heading: str) -> str:
    # GitHub's anchors: lower case, punctuation dropped, spaces to hyphens.
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def headings(page: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
    return {slug(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)}


def links() -> list[str]:
    return LINK.findall(README.read_text(encoding="utf-8"))


def test_relative_links_point_at_files_in_the_repository() -> None:
    relative = [t for t in links() if not t.startswith(("http://", "https://", "#"))]
    assert relative
    for target in relative:
        path = (ROOT / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT.resolve()), f"{target} leaves the repository"
        assert path.exists(), f"{target} does not exist"


def test_anchors_name_sections() -> None:
    anchored = [t for t in links() if "#" in t and not t.startswith(("http://", "https://"))]
    assert anchored
    for target in anchored:
        page, _, anchor = target.partition("#")
        assert anchor in headings(ROOT / page if page else README), target


def test_the_readme_is_a_first_page() -> None:
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= MOST_LINES, f"{lines} lines: move the depth into docs/"


def test_the_slug_rule() -> None:
    assert slug("Live reload: `--watch`") == "live-reload---watch"
    assert slug("Limits and guarantees") == "limits-and-guarantees"
